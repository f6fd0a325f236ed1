"""The hate-speech model: sentence units -> encoders + lexicon features -> a scikit-learn head."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder import Encoder
from models.features import HateLexicon, deobfuscate, lexicon_features, load_hate_lexicon
from pipeline.errors import ModelError
from pipeline.record import HateResult, Span
from pipeline.text import sentence_spans

DEFAULT_DIR = Path(__file__).parent / "hate"
SAFE_TYPES = frozenset({"sklearn.linear_model._logistic.LogisticRegression",
                        "sklearn.preprocessing._data.StandardScaler",
                        "sklearn.pipeline.Pipeline", "numpy.dtype", "numpy.ndarray"})
MAX_CONTEXT_CHARS = 600
SEVERITIES = ("none", "offensive", "derogatory", "dehumanising", "incitement")


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of a document scored on its own: a sentence, the title or a short whole text."""

    doc: int
    field: str
    start: int
    end: int


def units_of(title: str, text: str, doc: int) -> list[Unit]:
    """Sentences of the title and text, plus the whole text when it is short (context for posts)."""
    units = [Unit(doc, "title", s, e) for s, e in sentence_spans(title)]
    spans = sentence_spans(text)
    units += [Unit(doc, "text", s, e) for s, e in spans]
    if len(spans) > 1 and len(text) <= MAX_CONTEXT_CHARS:
        units.append(Unit(doc, "text", spans[0][0], spans[-1][1]))
    return units


def embed(normalised: Sequence[str], encoders: Sequence[Encoder]) -> np.ndarray:
    """Every encoder's embedding of already de-obfuscated texts, side by side."""
    return np.hstack([enc.encode(list(normalised)) for enc in encoders]).astype(np.float32)


def featurize(texts: Sequence[str], encoders: Sequence[Encoder], lexicon: HateLexicon) -> np.ndarray:
    """Encoder embeddings of the de-obfuscated texts, next to lexicon features."""
    normalised = [deobfuscate(t) for t in texts]
    return np.hstack([embed(normalised, encoders), lexicon_features(normalised, list(texts), lexicon)])


class HateModel:
    """Scores texts per sentence; a document is as hateful as its worst sentence."""

    def __init__(self, head: Any, encoders: Sequence[Encoder], meta: dict[str, Any],
                 threshold: float | None = None) -> None:
        self.head = head
        self.encoders = list(encoders)
        self.meta = meta
        self.lexicon = load_hate_lexicon()
        self.threshold = float(threshold if threshold is not None else meta["threshold"])
        self.name = str(meta.get("name", "xenowatch-hate"))
        self.version = str(meta["version"])

    @property
    def tag(self) -> str:
        """Name and version, as stored with every classification."""
        return f"{self.name}@{self.version}"

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Hate probability of each text as a whole, identical texts scored once."""
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros(0, dtype=np.float32)
        probs = self.head.predict_proba(featurize(unique, self.encoders, self.lexicon))[:, 1]
        lookup = dict(zip(unique, probs))
        return np.array([lookup[t] for t in texts], dtype=np.float32)

    def predict(self, docs: Sequence[tuple[str, str]]) -> list[HateResult]:
        """Results for (title, text) pairs, with the worst unit as evidence."""
        units = [u for i, (title, text) in enumerate(docs) for u in units_of(title, text, i)]
        pieces = [_piece(docs[u.doc], u) for u in units]
        probs = self.probabilities(pieces)
        best: dict[int, tuple[float, Unit]] = {}
        for unit, p in zip(units, probs):
            if unit.doc not in best or p > best[unit.doc][0]:
                best[unit.doc] = (float(p), unit)
        return [self._result(docs[i], *best[i]) if i in best else self._empty() for i in range(len(docs))]

    def _result(self, doc: tuple[str, str], score: float, unit: Unit) -> HateResult:
        """A document's result from its worst unit."""
        piece = _piece(doc, unit)
        normalised = deobfuscate(piece)
        hate = score >= self.threshold
        target = self.lexicon.target(normalised) or (self.lexicon.target(deobfuscate(doc[1])) if hate else None)
        span = Span(unit.start, unit.end, piece, "hate" if hate else "max", unit.field)
        return HateResult(hate=hate, score=round(score, 4), target=target,
                          severity=self._severity(score, normalised) if hate else "none",
                          evidence=(span,), model=self.tag)

    def _severity(self, score: float, normalised: str) -> str:
        """Severity of a hateful unit (definitions in models/SEVERITY.md)."""
        if self.lexicon.threats.search(normalised):
            return "incitement"
        if self.lexicon.dehumanising.search(normalised):
            return "dehumanising"
        return "derogatory" if score >= (1 + self.threshold) / 2 else "offensive"

    def _empty(self) -> HateResult:
        """The result for a document with no text at all."""
        return HateResult(False, 0.0, None, "none", (), self.tag)


def _piece(doc: tuple[str, str], unit: Unit) -> str:
    """The text of a unit."""
    source = doc[0] if unit.field == "title" else doc[1]
    return source[unit.start:unit.end]


def load_head(folder: Path) -> tuple[Any, dict[str, Any]]:
    """Load a head saved with skops, refusing any type outside a small allow-list."""
    import skops.io as sio

    head_file, meta_file = folder / "head.skops", folder / "meta.json"
    if not head_file.exists() or not meta_file.exists():
        raise ModelError(f"no trained head in {folder} (head.skops and meta.json); "
                         "run 'xenowatch train --data ../shared/data' or set XENOWATCH_HEAD")
    untrusted = set(sio.get_untrusted_types(file=head_file))
    unsafe = untrusted - SAFE_TYPES
    if unsafe:
        raise ModelError(f"{head_file} contains types that are not allowed: {', '.join(sorted(unsafe))}")
    head = sio.load(head_file, trusted=sorted(untrusted))
    return head, json.loads(meta_file.read_text(encoding="utf-8"))


def load_hate_model(folder: Path | None = None, device: str = "cpu", batch_size: int = 64,
                    threshold: float | None = None) -> HateModel:
    """The trained head with the encoders it was trained with."""
    from models.registry import load_encoder

    head, meta = load_head(folder or DEFAULT_DIR)
    encoders = [load_encoder(name, device, batch_size) for name in meta["encoders"]]
    return HateModel(head, encoders, meta, threshold)
