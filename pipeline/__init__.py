"""Xenowatch: monitor how the media cover migration."""

__version__ = "0.1.0"
