"""Migration relevance: a weighted multilingual lexicon, cheap enough to run on every item."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import models
from models.features import deobfuscate
from pipeline.config import read_yaml_mapping
from pipeline.errors import ConfigError
from pipeline.record import Article, Span

MAX_HITS_PER_TERM = 3
TITLE_BOOST = 2.0


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled relevance terms: (pattern, weight) per language, plus the score scale."""

    version: str
    scale: float
    terms: dict[str, tuple[tuple[re.Pattern[str], float], ...]]

    def patterns(self, lang: str | None) -> tuple[tuple[re.Pattern[str], float], ...]:
        """Terms for a language plus the shared ones; every language when unknown."""
        if lang in self.terms:
            return self.terms["all"] + self.terms[lang]
        return tuple(t for group in self.terms.values() for t in group)


@lru_cache(maxsize=4)
def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read and compile the relevance lexicon."""
    path = path or Path(models.__file__).parent / "lexicons" / "relevance.yaml"
    data = read_yaml_mapping(path, "relevance lexicon")
    try:
        terms = {lang: tuple((re.compile(r"\b(?:" + t["pattern"] + ")"), float(t["weight"]))
                             for t in entries) for lang, entries in data["terms"].items()}
    except (KeyError, TypeError, AttributeError, re.error) as exc:
        raise ConfigError(f"relevance lexicon {path} is invalid: {exc}") from exc
    terms.setdefault("all", ())
    return Lexicon(version=str(data.get("version", "unversioned")), scale=float(data.get("scale", 1.4)),
                   terms=terms)


def relevance_hits(text: str, lang: str | None, lexicon: Lexicon) -> list[tuple[Span, float]]:
    """Every lexicon match in a text (read through obfuscation such as '1nvaders'), with its weight."""
    folded = deobfuscate(text)
    best: dict[int, tuple[Span, float]] = {}
    for pattern, weight in lexicon.patterns(lang):
        for m in pattern.finditer(folded):
            if m.start() not in best or best[m.start()][1] < weight:
                best[m.start()] = (Span(m.start(), m.end(), text[m.start():m.end()], "migration"), weight)
    return [best[k] for k in sorted(best)]


def relevance_score(title: str, text: str, lang: str | None, lexicon: Lexicon) -> float:
    """0..1: saturating in the weighted number of migration terms, title hits counting double."""
    total = 0.0
    for body, boost in ((title, TITLE_BOOST), (text, 1.0)):
        counts: dict[str, tuple[int, float]] = {}
        for span, weight in relevance_hits(body, lang, lexicon):
            key = span.text.lower()
            n, _ = counts.get(key, (0, weight))
            counts[key] = (n + 1, weight)
        total += boost * sum(min(n, MAX_HITS_PER_TERM) * w for n, w in counts.values())
    length_norm = 1.0 + math.log1p(len(text.split()) / 150.0)
    return 1.0 - math.exp(-total / (lexicon.scale * length_norm))


def score_batch(articles: Sequence[Article], lexicon: Lexicon | None = None) -> list[Article]:
    """Set `relevance` on each article."""
    lexicon = lexicon or load_lexicon()
    return [a.evolve(relevance=relevance_score(a.title, a.text, a.lang, lexicon)) for a in articles]
