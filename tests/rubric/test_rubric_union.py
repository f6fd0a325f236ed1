"""The one-pass union that rules a text out before the per-term search finds exactly what the terms find."""

from __future__ import annotations

import random
import re

from pipeline.rubric import base
from pipeline.rubric.spec import Term


def terms(*patterns: str) -> list[Term]:
    """Terms of the given patterns."""
    return [Term(f"t{i}", re.compile(p)) for i, p in enumerate(patterns)]


def test_union_finds_a_text_exactly_when_some_term_does() -> None:
    entries = terms(r"\billegals?\b", r"(?<!\w)(?P<term>invasion)s?\b", r"\bclandestins?\b")
    union = base._union(entries)
    assert union is not None and "?P<" not in union.pattern
    words = "the illegal illegals invasions invasion clandestin clandestine harbour ferry x".split()
    rng = random.Random(3)
    for _ in range(500):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        lo = rng.randint(0, len(text))
        hi = rng.randint(lo, len(text))
        expected = any(t.pattern.search(text, lo, hi) for t in entries)
        assert (union.search(text, lo, hi) is not None) == expected, (text, lo, hi)
        assert base.found(entries, text) == any(t.pattern.search(text) for t in entries)


def test_patterns_that_cannot_be_joined_are_searched_one_by_one() -> None:
    assert base._union(terms(r"(a)\1", r"b")) is None
    assert base._union(terms(r"(?P<x>a)(?P=x)", r"b")) is None
    assert base._union(terms(r"a", r"(?i)b")) is None  # a global flag in the middle of a union is an error
    assert base.found(terms(r"(a)\1", r"b"), "xaa") and not base.found(terms(r"(a)\1", r"b"), "xa")


def test_the_union_is_made_once_per_list_of_terms() -> None:
    entries = terms(r"\bwave\b", r"\bflood\b")
    assert base._union(entries) is base._union(list(entries))
