"""The hate-speech model: sentence windows -> encoders + lexicon features -> a scikit-learn head."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.encoders.base import Encoder
from models.features import HateLexicon, lexicon_features, load_hate_lexicon, model_text
from models.skops_io import load_allowed
from pipeline.core.errors import ModelError
from pipeline.core.record import HateResult, Span
from pipeline.core.text import sentence_spans

DEFAULT_DIR = Path(__file__).resolve().parent
SAFE_TYPES = frozenset({"sklearn.linear_model._logistic.LogisticRegression",
                        "sklearn.preprocessing._data.StandardScaler",
                        "sklearn.pipeline.Pipeline", "numpy.dtype", "numpy.ndarray"})
# A window of consecutive sentences up to about 120 wordpieces: posts are one window, as in
# training; long articles are scored window by window (never truncated past the encoder's limit).
WINDOW_CHARS = 500


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of a document scored on its own: the title, a window of sentences, or one sentence."""

    doc: int
    field: str
    start: int
    end: int


def windows(spans: Sequence[tuple[int, int]], limit: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """Group consecutive sentence spans into windows of at most `limit` characters (one sentence may exceed it)."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and end - out[-1][0] <= limit:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


_SOFT_END = re.compile(r"(?<=[.!?;…])\s+(?=\S)")


def hate_spans(text: str, limit: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than a window cut again after every stop or semicolon even when
    no capital follows (run-on posts, lowercase text): a hateful clause must not hide in a long one."""
    out: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if end - start <= limit:
            out.append((start, end))
            continue
        cut = start
        for match in _SOFT_END.finditer(text, start, end):
            out.append((cut, match.start()))
            cut = match.end()
        out.append((cut, end))
    return out


def units_of(title: str, text: str, doc: int, lexicon: HateLexicon | None = None,
             limit: int = WINDOW_CHARS) -> list[Unit]:
    """The title and the windows of the text; with a lexicon, also each sentence of a longer window
    that names a dehumanising term or a threat, so that one hateful sentence is not diluted."""
    units = [Unit(doc, "title", 0, len(title))] if title.strip() else []
    spans = hate_spans(text, limit)
    for start, end in windows(spans, limit):
        units.append(Unit(doc, "text", start, end))
        inside = [(s, e) for s, e in spans if start <= s and e <= end]
        if lexicon is not None and len(inside) > 1:
            units += [Unit(doc, "text", s, e) for s, e in inside if lexicon.alarming(model_text(text[s:e]))]
    return units


def sentences_of(unit: Unit, doc: tuple[str, str]) -> list[Unit]:
    """The sentences inside a unit, as units."""
    source = doc[0] if unit.field == "title" else doc[1]
    return [Unit(unit.doc, unit.field, unit.start + s, unit.start + e)
            for s, e in hate_spans(source[unit.start:unit.end])]


def embed(normalised: Sequence[str], encoders: Sequence[Encoder]) -> np.ndarray:
    """Every encoder's embedding of already de-obfuscated texts, side by side."""
    return np.hstack([enc.encode(list(normalised)) for enc in encoders]).astype(np.float32)


def featurize(texts: Sequence[str], encoders: Sequence[Encoder], lexicon: HateLexicon) -> np.ndarray:
    """Encoder embeddings of the de-obfuscated texts, next to lexicon features."""
    normalised = [model_text(t) for t in texts]
    return np.hstack([embed(normalised, encoders), lexicon_features(normalised, lexicon)])


class HateModel:
    """Scores texts by windows of sentences; a document is as hateful as its worst window."""

    window = WINDOW_CHARS

    def __init__(self, head: Any, encoders: Sequence[Encoder], meta: dict[str, Any],
                 threshold: float | None = None) -> None:
        self.head = head
        self.encoders = list(encoders)
        self.meta = meta
        self.lexicon = load_hate_lexicon()
        self.threshold = float(threshold if threshold is not None else meta["threshold"])
        # A threshold set by the user applies to every language; otherwise each language with
        # validation data has its own (chosen at training time), the others the global one.
        self.thresholds = {} if threshold is not None else {
            str(k): float(v) for k, v in meta.get("thresholds", {}).items()}
        self.name = str(meta.get("name", "xenowatch-hate"))
        self.version = str(meta["version"])

    @property
    def tag(self) -> str:
        """Name and version, as stored with every classification."""
        return f"{self.name}@{self.version}"

    def threshold_for(self, lang: str | None) -> float:
        """The decision threshold for a text in this language (the global one when it has none)."""
        code = (lang or "").split("-")[0].lower()
        return self.thresholds.get(code, self.threshold)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Hate probability of each text as a whole, identical texts scored once."""
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros(0, dtype=np.float32)
        probs = self.head.predict_proba(featurize(unique, self.encoders, self.lexicon))[:, 1]
        lookup = dict(zip(unique, probs))
        return np.array([lookup[t] for t in texts], dtype=np.float32)

    def predict(self, docs: Sequence[tuple[str, str]],
                langs: Sequence[str | None] | None = None) -> list[HateResult]:
        """Results for (title, text) pairs: the worst window decides, its worst sentence is the evidence.
        `langs` (one per document) picks each document's threshold."""
        cuts = [self.threshold_for(lang) for lang in (langs or [None] * len(docs))]
        units = [u for i, (title, text) in enumerate(docs) for u in units_of(title, text, i, self.lexicon, self.window)]
        best = _worst(units, self.probabilities([_piece(docs[u.doc], u) for u in units]))
        evidence = self._localise(docs, {d: u for d, (p, u) in best.items() if p >= cuts[d]})
        return [self._result(docs[i], best[i][0], best[i][1], evidence.get(i, best[i][1]), cuts[i])
                if i in best else self._empty() for i in range(len(docs))]

    def _localise(self, docs: Sequence[tuple[str, str]], flagged: dict[int, Unit]) -> dict[int, Unit]:
        """The most hateful sentence of each flagged window (one batch for all documents)."""
        split = (sentences_of(u, docs[d]) for d, u in flagged.items())
        sentences = [s for group in split if len(group) > 1 for s in group]
        if not sentences:
            return {}
        probs = self.probabilities([_piece(docs[s.doc], s) for s in sentences])
        return {d: u for d, (_, u) in _worst(sentences, probs).items()}

    def _result(self, doc: tuple[str, str], score: float, window: Unit, unit: Unit, cut: float) -> HateResult:
        """A document's result: its worst window's score, target and severity; its worst sentence as evidence."""
        piece, context = _piece(doc, unit), _piece(doc, window)
        hate = score >= cut
        span = Span(unit.start, unit.end, piece, "hate" if hate else "max", unit.field)
        return HateResult(hate=hate, score=round(score, 4), target=self._target(doc, piece, context, hate),
                          severity=self._severity(score, context, cut) if hate else "none",
                          evidence=(span,), model=self.tag)

    def _target(self, doc: tuple[str, str], piece: str, window: str, hate: bool) -> str | None:
        """The first group the lexicon finds in the evidence, its window, or (when hateful) the whole document."""
        target = self.lexicon.target(model_text(piece)) or self.lexicon.target(model_text(window))
        if target is None and hate:
            target = self.lexicon.target(model_text(f"{doc[0]}\n{doc[1]}"))
        return target

    def _severity(self, score: float, window: str, cut: float) -> str:
        """Severity of a hateful window (definitions in models/SEVERITY.md)."""
        normalised = model_text(window)
        if self.lexicon.threats.search(normalised):
            return "incitement"
        if self.lexicon.dehumanising.search(normalised):
            return "dehumanising"
        return "derogatory" if score >= (1 + cut) / 2 else "offensive"

    def _empty(self) -> HateResult:
        """The result for a document with no text at all."""
        return HateResult(False, 0.0, None, "none", (), self.tag)


def _worst(units: Sequence[Unit], probs: np.ndarray) -> dict[int, tuple[float, Unit]]:
    """Each document's highest-scoring unit, the first one on ties."""
    best: dict[int, tuple[float, Unit]] = {}
    for unit, p in zip(units, probs):
        if unit.doc not in best or p > best[unit.doc][0]:
            best[unit.doc] = (float(p), unit)
    return best


def _piece(doc: tuple[str, str], unit: Unit) -> str:
    """The text of a unit."""
    source = doc[0] if unit.field == "title" else doc[1]
    return source[unit.start:unit.end]


def load_head(folder: Path) -> tuple[Any, dict[str, Any]]:
    """Load a head saved with skops, refusing any type outside a small allow-list."""
    head_file, meta_file = folder / "head.skops", folder / "meta.json"
    if not head_file.exists() or not meta_file.exists():
        raise ModelError(f"no trained head in {folder} (head.skops and meta.json); "
                         "run 'xenowatch train --data ../shared/data' or set XENOWATCH_HEAD")
    head = load_allowed(head_file, SAFE_TYPES, "run 'xenowatch train --data ../shared/data' to rebuild it")
    _check_head(head, head_file)
    return head, json.loads(meta_file.read_text(encoding="utf-8"))


def _check_head(head: Any, path: Path) -> None:
    """Accept only the head `xenowatch train` writes: StandardScaler then LogisticRegression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [type(step) for _, step in head.steps] if isinstance(head, Pipeline) else [type(head)]
    if steps != [StandardScaler, LogisticRegression]:
        names = ", ".join(f"{t.__module__}.{t.__name__}" for t in steps)
        raise ModelError(f"{path} holds {names}, which is not allowed: a head must be the "
                         "StandardScaler + LogisticRegression pipeline that 'xenowatch train' writes")
