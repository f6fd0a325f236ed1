"""The one record type that flows through every stage, and its parts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any


def sha1(text: str) -> str:
    """Hex SHA-1 of a string (ids, not security)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# An article's id is asked for a dozen times as it is stored and classified: hash each URL once.
_url_id = lru_cache(maxsize=1 << 14)(sha1)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of evidence: character offsets into the text it was found in."""

    start: int
    end: int
    text: str
    label: str = ""
    field: str = "text"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"start": self.start, "end": self.end, "text": self.text,
                "label": self.label, "field": self.field}


@dataclass(frozen=True, slots=True)
class HateResult:
    """Output of the hate-speech classifier for one text."""

    hate: bool
    score: float
    target: str | None
    severity: str
    evidence: tuple[Span, ...]
    model: str


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """A sentence that matches a known misleading claim about migration."""

    claim_id: str
    claim: str
    rating: str
    source: str
    url: str
    similarity: float
    evidence: Span
    publisher: str = ""
    language: str = ""
    date: str = ""
    kind: str = "myth"  # myth (bundled library) or factcheck (imported ClaimReview)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"claim_id": self.claim_id, "claim": self.claim, "rating": self.rating,
                "source": self.source, "url": self.url,
                "similarity": round(self.similarity, 4), "evidence": self.evidence.to_dict(),
                "publisher": self.publisher or self.source, "language": self.language,
                "date": self.date, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class CheckWorthy:
    """A sentence asserting numbers, causes or consequences about migrants: worth checking."""

    evidence: Span
    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the sentence span plus its score and the cues that raised it."""
        return {**self.evidence.to_dict(), "score": round(self.score, 4), "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class Criterion:
    """One rubric criterion's result for one article."""

    id: str
    score: float
    weight: float
    explanation: str
    reference: str
    evidence: tuple[Span, ...] = ()
    suggestions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "score": round(self.score, 4), "weight": self.weight,
                "explanation": self.explanation, "reference": self.reference,
                "evidence": [s.to_dict() for s in self.evidence],
                "suggestions": list(self.suggestions)}


@dataclass(frozen=True, slots=True)
class RubricResult:
    """The fair-reporting rubric applied to one article."""

    score: float
    version: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class Article:
    """A news article or social post, enriched stage by stage."""

    url: str
    outlet: str
    title: str = ""
    text: str = ""
    kind: str = "article"
    published: datetime | None = None
    author: str | None = None
    feed_url: str | None = None
    guid: str | None = None
    html: str | None = field(default=None, repr=False)
    extraction: str = "feed"
    lang: str | None = None
    relevance: float | None = None
    hate: HateResult | None = None
    misinformation: tuple[ClaimMatch, ...] = ()
    rubric: RubricResult | None = None
    check_worthy: tuple[CheckWorthy, ...] = ()

    @property
    def id(self) -> str:
        """Stable id: hash of the canonical URL."""
        return _url_id(self.url)

    @property
    def content_hash(self) -> str:
        """Hash of what the classifiers read."""
        return sha1(self.title + "\n" + self.text)

    def evolve(self, **changes: Any) -> Article:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ScoredRow:
    """One scored, migration-relevant article as the ranking reads it."""

    article_id: str
    outlet_id: str
    published: datetime | None
    score: float
    content_hash: str
