"""The fact-check record: one reviewed claim imported from a fact-checker."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.record import sha1
from pipeline.core.text import fold

MATCHABLE_LANGUAGES = ("en", "fr", "es")


@dataclass(frozen=True, slots=True)
class FactCheck:
    """One reviewed claim: what was said, the verdict, who checked it and where."""

    claim: str
    rating: str
    publisher: str
    url: str
    lang: str | None = None
    date: str | None = None
    matchable: bool = True
    note: str = ""

    @property
    def id(self) -> str:
        """Stable key: the review URL plus the normalised claim (one page may review several)."""
        return sha1(self.url.strip() + "\n" + " ".join(fold(self.claim).split()))
