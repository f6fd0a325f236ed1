"""Xenowatch's exceptions: each says what went wrong and what to do."""


class XenowatchError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class ConfigError(XenowatchError):
    """A setting or command-line value is invalid."""


class InputError(XenowatchError):
    """A file or record given by the user cannot be read."""


class FetchError(XenowatchError):
    """A feed or page could not be fetched."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class ItemRejected(XenowatchError):
    """One item is unusable; it goes to the rejected table and the batch goes on."""


class StoreError(XenowatchError):
    """The database could not be read or written."""


class ModelError(XenowatchError):
    """A model or its artifacts could not be loaded."""
