"""Language identification with py3langid."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pipeline.core.record import Article

SUPPORTED = ("en", "fr", "es", "de", "it", "pt", "nl", "ar")
MIN_CHARS = 20


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The langid model restricted to the languages we watch, loaded once."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(SUPPORTED))
    return ident


def detect(text: str, fallback: str | None = None) -> str | None:
    """ISO 639-1 code of a text; the fallback when the text is too short to tell."""
    sample = text[:3000]
    if len(sample.strip()) < MIN_CHARS:
        return fallback
    lang, prob = _identifier().classify(sample)
    if fallback and prob < 0.6:
        return fallback
    return str(lang)


def detect_batch(articles: Sequence[Article], fallbacks: dict[str, str | None] | None = None) -> list[Article]:
    """Set `lang` on each article that has none; the outlet's language is the fallback."""
    fallbacks = fallbacks or {}
    return [a if a.lang else a.evolve(lang=detect(f"{a.title}\n{a.text}", fallbacks.get(a.outlet)))
            for a in articles]
