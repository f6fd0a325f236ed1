"""Migration relevance from multilingual sentence embeddings, stacked with the lexicon score."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.encoders.base import Encoder
from models.features import model_text
from models.skops_io import load_allowed
from pipeline.core.errors import ModelError
from pipeline.core.text import sentence_spans

DEFAULT_DIR = Path(__file__).resolve().parent
SAFE_TYPES = frozenset({"sklearn.linear_model._logistic.LogisticRegression", "numpy.dtype", "numpy.ndarray"})
HEAD_KEYS = ("embedding", "stack")
LEAD_CHARS = 500


def lead_pieces(title: str, text: str) -> list[str]:
    """What the embedding reads: the title and the first sentence (at most LEAD_CHARS), normalised as
    the hate model normalises its units (an untitled one-sentence post is then the hate model's unit)."""
    # Two short pieces keep the cost of an item low (most items are not about migration and never
    # reach the hate model), and the better of the two is kept: a migration story has a telling
    # title or a telling first sentence, and the lexicon reads the rest of the body.
    pieces = [model_text(title)]
    spans = sentence_spans(text)
    if spans:
        start, end = spans[0]
        pieces.append(model_text(text[start:min(end, start + LEAD_CHARS)]))
    return [p for p in pieces if p]


def embed_pieces(docs: Sequence[tuple[str, str]], encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of every document's lead pieces, and the index of the document each belongs to."""
    pieces = [(i, p) for i, (title, text) in enumerate(docs) for p in lead_pieces(title, text)]
    owners = np.array([i for i, _ in pieces], dtype=np.int64)
    unique = list(dict.fromkeys(p for _, p in pieces))
    if not unique:
        return np.zeros((0, encoder.dim), dtype=np.float32), owners
    vectors = dict(zip(unique, encoder.encode(unique)))
    return np.stack([vectors[p] for _, p in pieces]), owners


def stack_features(p_embedding: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """The stacker's inputs: the embedding head's probability and the lexicon score, both in 0..1."""
    # Probabilities, not log-odds: each signal moves the combined log-odds by a bounded amount, so
    # an over-confident embedding (a style it never saw) cannot cancel three migration terms.
    return np.column_stack([np.asarray(p_embedding, dtype=np.float64), np.asarray(lexical, dtype=np.float64)])


class RelevanceModel:
    """A logistic head over sentence embeddings, combined with the lexicon score by a logistic stacker
    (fitted on out-of-fold predictions, so the combined score is a calibrated probability)."""

    def __init__(self, head: dict[str, Any], meta: dict[str, Any], encoder: Encoder) -> None:
        self.embedding, self.stack = head["embedding"], head["stack"]
        self.meta, self.encoder = meta, encoder
        self.name = str(meta.get("name", "xenowatch-relevance"))
        self.version = str(meta["version"])

    @property
    def tag(self) -> str:
        """Name and version, as stored with every classification."""
        return f"{self.name}@{self.version}"

    def embedding_probability(self, docs: Sequence[tuple[str, str]]) -> np.ndarray:
        """The embedding head's probability that each (title, text) is about migration: the higher of its
    title's and its first sentence's (0 for an empty document)."""
        best = np.zeros(len(docs), dtype=np.float64)
        vectors, owners = embed_pieces(docs, self.encoder)
        if len(owners):
            np.maximum.at(best, owners, self.embedding.predict_proba(vectors)[:, 1])
        return best

    def combine(self, p_embedding: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """The calibrated 0..1 score from both signals (increasing in each)."""
        if len(p_embedding) == 0:
            return np.zeros(0, dtype=np.float64)
        combined: np.ndarray = self.stack.predict_proba(stack_features(p_embedding, lexical))[:, 1]
        return combined

    def predict(self, docs: Sequence[tuple[str, str]], lexical: Sequence[float]) -> np.ndarray:
        """Calibrated relevance of each (title, text), given its lexicon score."""
        return self.combine(self.embedding_probability(docs), np.asarray(lexical, dtype=np.float64))


def load_relevance_head(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load a relevance head saved with skops, refusing any type outside a small allow-list."""
    head_file, meta_file = folder / "head.skops", folder / "meta.json"
    if not head_file.exists() or not meta_file.exists():
        raise ModelError(f"no relevance head in {folder} (head.skops and meta.json); "
                         "run 'xenowatch train-relevance' to build it")
    head = load_allowed(head_file, SAFE_TYPES, "run 'xenowatch train-relevance' to rebuild it")
    _check_head(head, head_file)
    return head, json.loads(meta_file.read_text(encoding="utf-8"))


def _check_head(head: Any, path: Path) -> None:
    """Accept only what `xenowatch train-relevance` writes: two logistic regressions by name."""
    from sklearn.linear_model import LogisticRegression

    ok = (isinstance(head, dict) and sorted(head) == sorted(HEAD_KEYS)
          and all(type(head[k]) is LogisticRegression for k in HEAD_KEYS)
          and getattr(head["stack"], "n_features_in_", None) == 2)
    if not ok:
        raise ModelError(f"{path} does not hold the relevance head that 'xenowatch train-relevance' "
                         f"writes (a mapping {{{', '.join(HEAD_KEYS)}}} of LogisticRegression)")


def load_relevance_model(folder: Path | None = None, encoder: Encoder | None = None) -> RelevanceModel:
    """The trained relevance head with the encoder it was trained with (the shared multilingual USE)."""
    from models.encoders.registry import load_encoder

    head, meta = load_relevance_head(folder or DEFAULT_DIR)
    encoder = encoder or load_encoder(str(meta["encoder"]))
    expected = getattr(head["embedding"], "n_features_in_", None)
    if expected != encoder.dim:
        raise ModelError(f"relevance head expects {expected}-dimensional embeddings but "
                         f"{meta['encoder']} gives {encoder.dim}; retrain it")
    return RelevanceModel(head, meta, encoder)


def read_meta(folder: Path | None = None) -> dict[str, Any]:
    """The relevance head's metadata, without loading it."""
    path = (folder or DEFAULT_DIR) / "meta.json"
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path} ({exc}); run 'xenowatch train-relevance'") from exc
    return meta
