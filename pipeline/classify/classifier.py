"""Classify: language, migration relevance, then hate speech and known myths on relevant items."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.features import document_model_text
from models.hate.loading import hate_model_for
from models.hate.model import HateModel
from models.relevance import lexicon as relevance
from models.relevance.model import RelevanceModel
from pipeline.core import language
from pipeline.core.config import Settings
from pipeline.core.memory import release_freed
from pipeline.core.record import Article
from pipeline.misinfo.matcher import ClaimMatcher, load_claims, match_articles


@dataclass(frozen=True)
class Classifier:
    """The models of the classify stage, loaded once and reused for every batch."""

    hate: HateModel
    claims: ClaimMatcher
    lexicon: relevance.Lexicon
    relevance_model: RelevanceModel | None = None
    factchecks: str = ""  # the version of the imported fact-checks in `claims` (see pipeline.jobs.factchecks)

    @property
    def tag(self) -> str:
        """One string naming every model and lexicon version, stored with each result."""
        extra = f"+{self.relevance_model.tag}" if self.relevance_model is not None else ""
        return f"{self.hate.tag}+{self.claims.library.version}+{self.lexicon.version}{extra}"

    def describe(self) -> dict[str, Any]:
        """The `model` field of the classify contract."""
        return {"name": self.hate.name, "version": self.hate.version, "tag": self.tag,
                "encoders": self.hate.meta.get("encoders", []), "threshold": self.hate.threshold,
                "thresholds": self.hate.thresholds,
                "claims": self.claims.library.version, "relevance": self.lexicon.version,
                "relevance_model": self.relevance_model.tag if self.relevance_model is not None else None}


def load_classifier(settings: Settings, claims: ClaimMatcher | None = None) -> Classifier:
    """Load the hate model, the myth matcher (`claims`, or the bundled myths alone on the multilingual
    encoder), the relevance lexicon and, when `relevance_embedding` is set, the embedding relevance head."""
    from models.encoders.registry import MULTILINGUAL, load_encoder

    hate = hate_model_for(settings)
    matcher = claims if claims is not None else ClaimMatcher(load_claims(), load_encoder(MULTILINGUAL))
    from models.relevance.model import load_relevance_model

    return Classifier(hate=hate, claims=matcher, lexicon=relevance.load_lexicon(),
                      relevance_model=load_relevance_model(encoder=load_encoder(MULTILINGUAL))
                      if settings.relevance_embedding else None)


def classify_batch(articles: Sequence[Article], clf: Classifier, gate: float | None = None,
                   fallbacks: dict[str, str | None] | None = None) -> list[Article]:
    """Every article gets language and relevance; those at or above `gate` (all if None) the rest."""
    memo = getattr(clf.relevance_model.encoder, "memo", None) if clf.relevance_model is not None else None
    try:
        with memo() if memo is not None else contextlib.nullcontext():  # one embedding pass for both stages
            return _classify(articles, clf, gate, fallbacks)
    finally:
        release_freed()  # every caller's batches (job steps, flow chunks, Dask workers) free their pages


def _classify(articles: Sequence[Article], clf: Classifier, gate: float | None,
              fallbacks: dict[str, str | None] | None) -> list[Article]:
    """classify_batch's work, inside the embedding memo."""
    scored = relevance.score_batch(language.detect_batch(articles, fallbacks), clf.lexicon, clf.relevance_model)
    chosen = [i for i, a in enumerate(scored) if gate is None or (a.relevance or 0.0) >= gate
              or clf.hate.lexicon.alarming(document_model_text(a.title, a.text))]
    if not chosen:
        return scored
    picked = [scored[i] for i in chosen]
    results = clf.hate.predict([(a.title, a.text) for a in picked], [a.lang for a in picked])
    enriched = match_articles([a.evolve(hate=r) for a, r in zip(picked, results)], clf.claims)
    out = list(scored)
    for i, article in zip(chosen, enriched):
        out[i] = article
    return out


def classifier_tag(settings: Settings) -> str:
    """The tag load_classifier(settings) would have, read from metadata without loading models."""
    import json

    from models.hate.loading import resolve_head
    from models.relevance.model import read_meta

    meta = json.loads((resolve_head(settings.head) / "meta.json").read_text(encoding="utf-8"))
    hate = f"{meta.get('name', 'xenowatch-hate')}@{meta['version']}"
    tag = f"{hate}+{load_claims().version}+{relevance.load_lexicon().version}"
    if not settings.relevance_embedding:
        return tag
    rel = read_meta()
    return f"{tag}+{rel.get('name', 'xenowatch-relevance')}@{rel['version']}"
