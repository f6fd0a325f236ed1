"""What every rubric criterion shares: folded fields, lexicon matching, critique exemption, results."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pipeline.core.record import Article, Criterion, Span
from pipeline.core.text import fold, sentence_spans
from pipeline.rubric.spec import TEMPLATE_FIELDS, CriterionSpec, Lexicon, Rubric, Term

# Quotation marks around a term (single quotes may contain apostrophes: 'pays d'accueil').
QUOTED = re.compile("\"[^\"\n]+\"|“[^”\n]+”|«[^»\n]+»|‘(?:[^’\n]|’(?=\\w))+’"
                     "|(?<!\\w)'(?:[^'\n]|'(?=\\w))+'(?!\\w)")
# Quotations that carry a voice (no single quotes: too often apostrophes or scare quotes).
VOICE = re.compile("\"[^\"\n]{2,}\"|“[^”\n]{2,}”|«[^»\n]{2,}»|„[^“”\n]{2,}[“”]")

# Named groups (dropped in a union of patterns) and back-references (which forbid one).
_NAMED = re.compile(r"\(\?P<\w+>")
_BACKREF = re.compile(r"\(\?P=|\\\d")
_UNIONS: dict[tuple[int, ...], tuple[tuple[Term, ...], re.Pattern[str] | None]] = {}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an article, folded, with its sentences."""

    name: str
    text: str
    folded: str
    sentences: tuple[tuple[int, int], ...]
    starts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Ctx:
    """What scoring one article needs."""

    article: Article
    rubric: Rubric
    langs: tuple[str, ...]
    fields: tuple[Field, ...]


def languages(lang: str | None, rubric: Rubric) -> tuple[str, ...]:
    """The article's language if the rubric has it, else every rubric language."""
    base = (lang or "").lower().replace("_", "-").split("-")[0]
    return (base,) if base in rubric.languages else rubric.languages


def field(name: str, text: str) -> Field:
    """Fold a field (keeping offsets) and split it into sentences."""
    folded = fold(text)
    if len(folded) != len(text):  # a lowercase that grows (e.g. 'İ'): fold char by char
        folded = "".join(fold(ch)[:1] for ch in text)
    sentences = tuple(sentence_spans(text)) or ((0, len(text)),)
    return Field(name, text, folded, sentences, tuple(s for s, _ in sentences))


def sentence(f: Field, pos: int) -> int:
    """Index of the sentence holding (or last starting before) a position."""
    return max(0, bisect_right(f.starts, pos) - 1)


def terms(lexicons: Mapping[str, Lexicon], langs: tuple[str, ...], group: str) -> list[Term]:
    """A group's entries across the languages in use."""
    return [t for lang in langs for t in lexicons[lang][group]]


def found(entries: list[Term], text: str) -> bool:
    """Whether any term matches the text."""
    union = _union(entries) if len(entries) > 1 else None
    if union is not None:
        return union.search(text) is not None
    return any(t.pattern.search(text) for t in entries)


def is_critique(f: Field, start: int, end: int, ctx: Ctx) -> bool:
    """A term quoted to criticise or cite it, or right after 'never use', 'instead of'..."""
    s0, s1 = f.sentences[sentence(f, start)]
    text = f.folded[s0:s1]
    quoted = any(s0 + q.start() <= start and end <= s0 + q.end() for q in QUOTED.finditer(text))
    if quoted and found(terms(ctx.rubric.critique, ctx.langs, "cues"), text):
        return True
    prefix = f.folded[max(s0, start - 60):start]
    return found(terms(ctx.rubric.critique, ctx.langs, "negations"), prefix)


def hits(entries: list[Term], f: Field, lo: int, hi: int, ctx: Ctx) -> Iterator[tuple[Span, Term]]:
    """Uncritical matches of the terms in f.folded[lo:hi], as spans of the original text."""
    union = _union(entries) if len(entries) > 1 else None
    if union is not None and not union.search(f.folded, lo, hi):
        return
    for term in entries:
        for m in term.pattern.finditer(f.folded, lo, hi):
            start, end = m.span("term") if "term" in term.pattern.groupindex else m.span()
            if end > start and not is_critique(f, start, end, ctx):
                yield Span(start, end, f.text[start:end], term.id, f.name), term


def _union(entries: list[Term]) -> re.Pattern[str] | None:
    """One alternation of the entries' patterns, which rules a text out in one pass where most texts hold
    none of them; None where the patterns cannot be joined (back-references, inline flags)."""
    key = tuple(map(id, entries))
    known = _UNIONS.get(key)
    if known is None:
        if len(_UNIONS) >= 4096:
            _UNIONS.clear()
        # The entries are kept beside their union so that their ids cannot be reused by other terms.
        known = _UNIONS[key] = (tuple(entries), _joined([t.pattern.pattern for t in entries]))
    return known[1]


def _joined(sources: list[str]) -> re.Pattern[str] | None:
    """The patterns as one alternation without named groups, or None."""
    if any(_BACKREF.search(p) for p in sources):
        return None
    try:
        return re.compile("|".join(f"(?:{_NAMED.sub('(?:', p)})" for p in sources))
    except re.error:  # inline global flags that hold for one pattern only
        return None


def dedupe(found_hits: list[tuple[Span, Term]]) -> list[tuple[Span, Term]]:
    """Drop matches overlapping a longer or earlier one (several languages, nested terms)."""
    kept: list[tuple[Span, Term]] = []
    for span, term in sorted(found_hits, key=lambda h: (h[0].field != "title", h[0].start,
                                                  h[0].start - h[0].end)):
        last = kept[-1][0] if kept else None
        if last is None or last.field != span.field or span.start >= last.end:
            kept.append((span, term))
    return kept


def lexical(spec: CriterionSpec, raw: list[tuple[Span, Term]]) -> Criterion:
    """Score and explain a list of lexicon violations."""
    kept = dedupe(raw)
    if not kept:
        return result(spec, "pass", 1.0)
    by_term: dict[str, list[tuple[Span, Term]]] = {}
    for hit in kept:
        by_term.setdefault(hit[1].id, []).append(hit)
    times = {1: "", 2: " twice"}
    listed = join([f"'{v[0][0].text}'{times.get(len(v), f' {len(v)} times')}"
                    for v in by_term.values()])
    if len(by_term) == 1:
        prefer = " or ".join(f"'{s}'" for s in kept[0][1].suggestions[:2])
    else:
        prefer = ", ".join(f"'{v[0][1].suggestions[0]}' over '{v[0][0].text}'"
                           for v in by_term.values() if v[0][1].suggestions)
    suggested = tuple(dict.fromkeys(s for _, t in kept for s in t.suggestions))
    score = round(max(0.0, 1.0 - spec.params["penalty"] * len(kept)), 4)
    return result(spec, "fail", score, tuple(s for s, _ in kept), suggested,
                   {"terms": listed, "suggestions": prefer})


def join(items: list[str]) -> str:
    """'', 'a', 'a and b', 'a, b and c'."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def result(spec: CriterionSpec, key: str, score: float, evidence: tuple[Span, ...] = (),
            suggested: tuple[str, ...] = (), fields: Mapping[str, str] | None = None) -> Criterion:
    """A Criterion with its one-sentence explanation filled in."""
    values = {**dict.fromkeys(TEMPLATE_FIELDS, ""), **(fields or {}), "reference": spec.reference}
    return Criterion(id=spec.id, score=score, weight=spec.weight,
                     explanation=spec.templates[key].format(**values),
                     reference=spec.reference, evidence=evidence, suggestions=suggested)

