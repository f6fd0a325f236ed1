"""Classify: language, migration relevance, then hate speech and known myths on relevant items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.features import model_text
from models.hate import HateModel, load_hate_model
from pipeline import language, relevance
from pipeline.config import Settings
from pipeline.misinfo import ClaimMatcher, load_claims, match_articles
from pipeline.record import Article


@dataclass(frozen=True)
class Classifier:
    """The models of the classify stage, loaded once and reused for every batch."""

    hate: HateModel
    claims: ClaimMatcher
    lexicon: relevance.Lexicon

    @property
    def tag(self) -> str:
        """One string naming every model and lexicon version, stored with each result."""
        return f"{self.hate.tag}+{self.claims.library.version}+{self.lexicon.version}"

    def describe(self) -> dict[str, Any]:
        """The `model` field of the classify contract."""
        return {"name": self.hate.name, "version": self.hate.version, "tag": self.tag,
                "encoders": self.hate.meta.get("encoders", []), "threshold": self.hate.threshold,
                "claims": self.claims.library.version, "relevance": self.lexicon.version}


def load_classifier(settings: Settings) -> Classifier:
    """Load the hate model, the myth matcher (multilingual encoder) and the relevance lexicon."""
    from models.registry import MULTILINGUAL, load_encoder

    hate = load_hate_model(settings.head, settings.device, settings.batch_size, settings.hate_threshold)
    matcher = ClaimMatcher(load_claims(), load_encoder(MULTILINGUAL))
    return Classifier(hate=hate, claims=matcher, lexicon=relevance.load_lexicon())


def classify_batch(articles: Sequence[Article], clf: Classifier, gate: float | None = None,
                   fallbacks: dict[str, str | None] | None = None) -> list[Article]:
    """Every article gets language and relevance; those at or above `gate` (all if None) the rest."""
    scored = relevance.score_batch(language.detect_batch(articles, fallbacks), clf.lexicon)
    chosen = [i for i, a in enumerate(scored) if gate is None or (a.relevance or 0.0) >= gate
              or clf.hate.lexicon.alarming(model_text(f"{a.title}\n{a.text}"))]
    if not chosen:
        return scored
    picked = [scored[i] for i in chosen]
    results = clf.hate.predict([(a.title, a.text) for a in picked])
    enriched = match_articles([a.evolve(hate=r) for a, r in zip(picked, results)], clf.claims)
    out = list(scored)
    for i, article in zip(chosen, enriched):
        out[i] = article
    return out


def classifier_tag(settings: Settings) -> str:
    """The tag load_classifier(settings) would have, read from metadata without loading models."""
    import json

    from models.hate import DEFAULT_DIR

    meta = json.loads(((settings.head or DEFAULT_DIR) / "meta.json").read_text(encoding="utf-8"))
    hate = f"{meta.get('name', 'xenowatch-hate')}@{meta['version']}"
    return f"{hate}+{load_claims().version}+{relevance.load_lexicon().version}"
