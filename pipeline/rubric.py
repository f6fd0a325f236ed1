"""The ILO fair-reporting rubric: load the versioned rubric data and score articles with it."""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import models
from pipeline.config import read_yaml_mapping
from pipeline.errors import ConfigError
from pipeline.record import Article, Criterion, RubricResult, Span
from pipeline.text import fold, sentence_spans


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a criterion id needs from the rubric file."""

    groups: tuple[str, ...]
    templates: tuple[str, ...]
    params: tuple[str, ...]


KINDS: dict[str, _Kind] = {
    "terminology": _Kind(("terms",), ("pass", "fail"), ("penalty",)),
    "dehumanising": _Kind(("metaphors", "migration"), ("pass", "fail"), ("penalty",)),
    "migrant_voices": _Kind(("migrants", "officials", "verbs", "self"),
                            ("migrant", "others", "none"), ("migrant", "others", "none")),
    "hate_flag": _Kind((), ("pass", "fail", "missing"), ()),
    "misinformation_flag": _Kind((), ("pass", "fail"), ("penalty",)),
}
CRITIQUE_GROUPS = ("cues", "negations")
TEMPLATE_FIELDS = ("reference", "terms", "suggestions", "severity", "target", "score", "count",
                   "claims")
# Quotation marks around a term (single quotes may contain apostrophes: 'pays d'accueil').
_QUOTED = re.compile("\"[^\"\n]+\"|“[^”\n]+”|«[^»\n]+»|‘(?:[^’\n]|’(?=\\w))+’"
                     "|(?<!\\w)'(?:[^'\n]|'(?=\\w))+'(?!\\w)")
# Quotations that carry a voice (no single quotes: too often apostrophes or scare quotes).
_VOICE = re.compile("\"[^\"\n]{2,}\"|“[^”\n]{2,}”|«[^»\n]{2,}»|„[^“”\n]{2,}[“”]")


@dataclass(frozen=True, slots=True)
class Term:
    """A lexicon entry: a pattern on folded text and the wording to suggest instead."""

    id: str
    pattern: re.Pattern[str]
    suggestions: tuple[str, ...] = ()


Lexicon = Mapping[str, tuple[Term, ...]]


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """One criterion as configured: weight, reference, templates, params, lexicon per language."""

    id: str
    weight: float
    reference: str
    templates: Mapping[str, str]
    params: Mapping[str, float]
    lexicons: Mapping[str, Lexicon]


@dataclass(frozen=True, slots=True)
class Rubric:
    """A validated rubric version with its regexes compiled."""

    version: str
    languages: tuple[str, ...]
    criteria: tuple[CriterionSpec, ...]
    critique: Mapping[str, Lexicon]


def default_rubric_path() -> Path:
    """The rubric bundled with the models package."""
    return Path(str(models.__file__)).parent / "lexicons" / "rubric.yaml"


def load_rubric(path: Path | None = None) -> Rubric:
    """Read, validate and compile a rubric file (default: the bundled one)."""
    path = path or default_rubric_path()
    raw, where = _read_yaml(path), str(path)
    version: Any = raw.get("version")
    langs: Any = raw.get("languages")
    items: Any = raw.get("criteria")
    _need(isinstance(version, str) and bool(version),
          f"{where}: 'version' must be a non-empty string, e.g. 'ilo-rubric-1.0'")
    _need(isinstance(langs, list) and bool(langs) and all(isinstance(x, str) for x in langs),
          f"{where}: 'languages' must be a list of language codes, e.g. [en, fr, es]")
    _need(isinstance(items, list) and bool(items), f"{where}: 'criteria' must be a non-empty list")
    criteria = tuple(_criterion_spec(item, where, tuple(langs)) for item in items)
    ids = [c.id for c in criteria]
    for cid in ids:
        _need(ids.count(cid) == 1, f"{where}: criterion '{cid}' is listed more than once")
    _need(sum(c.weight for c in criteria) > 0, f"{where}: criterion weights sum to 0; give at "
          "least one of: " + ", ".join(ids) + " a weight > 0")
    critique = _lexicons(raw.get("critique"), f"{where}: critique", tuple(langs), CRITIQUE_GROUPS)
    return Rubric(str(version), tuple(langs), criteria,
                  {lang: _anchor_negations(lex) for lang, lex in critique.items()})


def _need(ok: bool, message: str) -> None:
    """Raise ConfigError(message) unless ok."""
    if not ok:
        raise ConfigError(message)


def _read_yaml(path: Path) -> dict[str, Any]:
    """Parse the rubric file into a mapping."""
    return read_yaml_mapping(path, "rubric file (version, languages, criteria)")


def _is_number(value: Any, low: float, high: float = float("inf")) -> bool:
    """A real number (not a bool) in [low, high]."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _criterion_spec(item: Any, where: str, langs: tuple[str, ...]) -> CriterionSpec:
    """Validate and compile one entry of `criteria`."""
    cid: Any = item.get("id") if isinstance(item, dict) else None
    _need(cid in KINDS, f"{where}: criterion {cid!r} is unknown; must be one of: "
          + ", ".join(KINDS))
    kind, owner, weight = KINDS[cid], f"{where}: criterion '{cid}'", item.get("weight")
    _need(_is_number(weight, 0), f"{owner} has weight {weight!r}; must be a number >= 0")
    reference = item.get("reference")
    _need(isinstance(reference, str) and bool(reference.strip()),
          f"{owner} needs a 'reference' (the guideline it rests on)")
    return CriterionSpec(cid, float(weight), reference,
                         _templates(item.get("explanation"), owner, kind.templates),
                         _params(item.get("params"), owner, kind.params),
                         _lexicons(item.get("lexicon"), owner, langs, kind.groups)
                         if kind.groups else {})


def _templates(raw: Any, owner: str, required: tuple[str, ...]) -> dict[str, str]:
    """Explanation templates: all required keys, only known {fields}."""
    _need(isinstance(raw, dict) and all(isinstance(raw.get(k), str) for k in required),
          f"{owner}: 'explanation' needs templates for: " + ", ".join(required))
    for key in required:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(raw[key]) if f is not None}
        except ValueError as exc:
            raise ConfigError(f"{owner}: explanation '{key}' is not a template: {exc}") from exc
        _need(fields <= set(TEMPLATE_FIELDS), f"{owner}: explanation '{key}' uses unknown fields "
              f"{sorted(fields - set(TEMPLATE_FIELDS))}; must be among: "
              + ", ".join(TEMPLATE_FIELDS))
    return {k: raw[k] for k in required}


def _params(raw: Any, owner: str, required: tuple[str, ...]) -> dict[str, float]:
    """Numeric params in [0, 1]."""
    raw = raw if isinstance(raw, dict) else {}
    for key in required:
        _need(_is_number(raw.get(key), 0, 1), f"{owner}: param '{key}' is {raw.get(key)!r}; "
              "must be a number in [0, 1] (needs: " + ", ".join(required) + ")")
    return {k: float(raw[k]) for k in required}


def _lexicons(raw: Any, owner: str, langs: tuple[str, ...],
              groups: tuple[str, ...]) -> dict[str, Lexicon]:
    """One lexicon per language, each with every required group."""
    raw = raw if isinstance(raw, dict) else {}
    out: dict[str, Lexicon] = {}
    for lang in langs:
        lex = raw.get(lang)
        _need(isinstance(lex, dict),
              f"{owner} has no lexicon for '{lang}'; languages: " + ", ".join(langs))
        for group in groups:
            _need(isinstance(lex.get(group), list) and bool(lex[group]),
                  f"{owner}: lexicon '{lang}' lacks a non-empty '{group}' list; needs: "
                  + ", ".join(groups))
        out[lang] = {g: _group(lex[g], f"{owner}, {lang} {g}", g) for g in groups}
    return out


def _group(entries: list[Any], owner: str, name: str) -> tuple[Term, ...]:
    """Compile a group: bare patterns into one alternation, {id, pattern, suggestion} each."""
    if all(isinstance(e, str) for e in entries):
        for e in entries:
            _compile(e, owner)
        return (Term(name, _compile("|".join(f"(?:{e})" for e in entries), owner)),)
    terms = []
    for e in entries:
        _need(isinstance(e, dict) and isinstance(e.get("id"), str)
              and isinstance(e.get("pattern"), str),
              f"{owner}: each entry needs 'id' and 'pattern' (and 'suggestion')")
        sugg = e.get("suggestion") or []
        terms.append(Term(e["id"], _compile(e["pattern"], f"{owner} '{e['id']}'"),
                          tuple([sugg] if isinstance(sugg, str) else map(str, sugg))))
    return tuple(terms)


def _compile(pattern: str, owner: str) -> re.Pattern[str]:
    """Compile a lexicon pattern, which must already be folded."""
    bare = pattern.replace("(?P<", "(?<").replace("(?P=", "(?=")
    _need(fold(bare) == bare, f"{owner}: pattern {pattern!r} must be lowercase without accents "
          r"(text is folded before matching; \W \S \D \B are not allowed)")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{owner}: invalid regex {pattern!r}: {exc}") from exc


def _anchor_negations(lex: Lexicon) -> Lexicon:
    """Negations must end at most two words (and a quote mark) before the term."""
    neg = lex["negations"][0].pattern.pattern
    anchored = re.compile(f"(?:{neg})(?:\\s+\\S+){{0,2}}\\s*[\"«“‘']?\\s*$")
    return {**lex, "negations": (Term("negations", anchored),)}


# ---- scoring ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Field:
    """One field of an article, folded, with its sentences."""

    name: str
    text: str
    folded: str
    sentences: tuple[tuple[int, int], ...]
    starts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What scoring one article needs."""

    article: Article
    rubric: Rubric
    langs: tuple[str, ...]
    fields: tuple[_Field, ...]


def apply_rubric(article: Article, rubric: Rubric) -> RubricResult:
    """Score one article against the rubric (0..100) with evidence per criterion."""
    fields = tuple(_field(n, t) for n, t in (("title", article.title), ("text", article.text)) if t)
    ctx = _Ctx(article, rubric, _languages(article.lang, rubric), fields)
    criteria = tuple(_SCORERS[spec.id](spec, ctx) for spec in rubric.criteria)
    total = sum(c.weight for c in criteria)
    score = 100.0 * sum(c.weight * c.score for c in criteria) / total
    return RubricResult(score=round(score, 2), version=rubric.version, criteria=criteria)


def score_batch(articles: Sequence[Article], rubric: Rubric) -> list[Article]:
    """Each article with its rubric result attached."""
    return [a.evolve(rubric=apply_rubric(a, rubric)) for a in articles]


def _languages(lang: str | None, rubric: Rubric) -> tuple[str, ...]:
    """The article's language if the rubric has it, else every rubric language."""
    base = (lang or "").lower().replace("_", "-").split("-")[0]
    return (base,) if base in rubric.languages else rubric.languages


def _field(name: str, text: str) -> _Field:
    """Fold a field (keeping offsets) and split it into sentences."""
    folded = fold(text)
    if len(folded) != len(text):  # a lowercase that grows (e.g. 'İ'): fold char by char
        folded = "".join(fold(ch)[:1] for ch in text)
    sentences = tuple(sentence_spans(text)) or ((0, len(text)),)
    return _Field(name, text, folded, sentences, tuple(s for s, _ in sentences))


def _sentence(f: _Field, pos: int) -> int:
    """Index of the sentence holding (or last starting before) a position."""
    return max(0, bisect_right(f.starts, pos) - 1)


def _terms(lexicons: Mapping[str, Lexicon], langs: tuple[str, ...], group: str) -> list[Term]:
    """A group's entries across the languages in use."""
    return [t for lang in langs for t in lexicons[lang][group]]


def _found(terms: list[Term], text: str) -> bool:
    """Whether any term matches the text."""
    return any(t.pattern.search(text) for t in terms)


def _is_critique(f: _Field, start: int, end: int, ctx: _Ctx) -> bool:
    """A term quoted to criticise or cite it, or right after 'never use', 'instead of'..."""
    s0, s1 = f.sentences[_sentence(f, start)]
    sentence = f.folded[s0:s1]
    quoted = any(s0 + q.start() <= start and end <= s0 + q.end() for q in _QUOTED.finditer(sentence))
    if quoted and _found(_terms(ctx.rubric.critique, ctx.langs, "cues"), sentence):
        return True
    prefix = f.folded[max(s0, start - 60):start]
    return _found(_terms(ctx.rubric.critique, ctx.langs, "negations"), prefix)


def _hits(terms: list[Term], f: _Field, lo: int, hi: int, ctx: _Ctx) -> Iterator[tuple[Span, Term]]:
    """Uncritical matches of the terms in f.folded[lo:hi], as spans of the original text."""
    for term in terms:
        for m in term.pattern.finditer(f.folded, lo, hi):
            start, end = m.span("term") if "term" in term.pattern.groupindex else m.span()
            if end > start and not _is_critique(f, start, end, ctx):
                yield Span(start, end, f.text[start:end], term.id, f.name), term


def _dedupe(hits: list[tuple[Span, Term]]) -> list[tuple[Span, Term]]:
    """Drop matches overlapping a longer or earlier one (several languages, nested terms)."""
    kept: list[tuple[Span, Term]] = []
    for span, term in sorted(hits, key=lambda h: (h[0].field != "title", h[0].start,
                                                  h[0].start - h[0].end)):
        last = kept[-1][0] if kept else None
        if last is None or last.field != span.field or span.start >= last.end:
            kept.append((span, term))
    return kept


def _terminology(spec: CriterionSpec, ctx: _Ctx) -> Criterion:
    """Terms the glossary advises against, with the wording to prefer."""
    terms = _terms(spec.lexicons, ctx.langs, "terms")
    return _lexical(spec, [h for f in ctx.fields for h in _hits(terms, f, 0, len(f.text), ctx)])


def _dehumanising(spec: CriterionSpec, ctx: _Ctx) -> Criterion:
    """Dehumanising metaphors, counted only in sentences about migration."""
    hits: list[tuple[Span, Term]] = []
    for lang in ctx.langs:
        metaphors, migration = spec.lexicons[lang]["metaphors"], spec.lexicons[lang]["migration"]
        for f in ctx.fields:
            for s0, s1 in f.sentences:
                if _found(list(migration), f.folded[s0:s1]):
                    hits.extend(_hits(list(metaphors), f, s0, s1, ctx))
    return _lexical(spec, hits)


def _lexical(spec: CriterionSpec, hits: list[tuple[Span, Term]]) -> Criterion:
    """Score and explain a list of lexicon violations."""
    hits = _dedupe(hits)
    if not hits:
        return _result(spec, "pass", 1.0)
    by_term: dict[str, list[tuple[Span, Term]]] = {}
    for hit in hits:
        by_term.setdefault(hit[1].id, []).append(hit)
    times = {1: "", 2: " twice"}
    terms = _join([f"'{v[0][0].text}'{times.get(len(v), f' {len(v)} times')}"
                   for v in by_term.values()])
    if len(by_term) == 1:
        prefer = " or ".join(f"'{s}'" for s in hits[0][1].suggestions[:2])
    else:
        prefer = ", ".join(f"'{v[0][1].suggestions[0]}' over '{v[0][0].text}'"
                           for v in by_term.values() if v[0][1].suggestions)
    suggested = tuple(dict.fromkeys(s for _, t in hits for s in t.suggestions))
    score = round(max(0.0, 1.0 - spec.params["penalty"] * len(hits)), 4)
    return _result(spec, "fail", score, tuple(s for s, _ in hits), suggested,
                   {"terms": terms, "suggestions": prefer})


def _join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _migrant_voices(spec: CriterionSpec, ctx: _Ctx) -> Criterion:
    """Are migrants quoted (or their words reported), or only officials, or nobody?"""
    migrant: list[Span] = []
    others: list[Span] = []
    for f in ctx.fields:
        for q in _VOICE.finditer(f.text):
            if not _is_statement(f, q.start(), q.end(), spec, ctx):
                continue
            who = _quote_speaker(f, q.start(), q.end(), spec, ctx)
            span = Span(q.start(), q.end(), q.group(), f"quote:{who or 'unknown'}", f.name)
            (migrant if who == "migrant" else others).append(span)
        migrant.extend(_reported_speech(f, spec, ctx))
    level = "migrant" if migrant else "others" if others else "none"
    evidence = tuple(dict.fromkeys(migrant or others))
    return _result(spec, level, spec.params[level], evidence)


def _is_statement(f: _Field, qs: int, qe: int, spec: CriterionSpec, ctx: _Ctx) -> bool:
    """Three words or more, or a speech verb right next to it: not just a quoted term."""
    if len(re.findall(r"\w+", f.text[qs:qe])) >= 3:
        return True
    beside = f.folded[max(0, qs - 30):qs] + " " + f.folded[qe:qe + 30]
    return _found(_terms(spec.lexicons, ctx.langs, "verbs"), beside)


def _quote_speaker(f: _Field, qs: int, qe: int, spec: CriterionSpec, ctx: _Ctx) -> str | None:
    """'migrant', 'official' or None: who speaks the quotation f.text[qs:qe]."""
    if _found(_terms(spec.lexicons, ctx.langs, "self"), f.folded[qs:qe]):
        return "migrant"
    i0, i1 = _sentence(f, qs), _sentence(f, qe - 1)
    before, after = f.folded[f.sentences[i0][0]:qs], f.folded[qe:f.sentences[i1][1]]
    nearest = sorted((d, who) for who, group in (("migrant", "migrants"), ("official", "officials"))
                     for t in _terms(spec.lexicons, ctx.langs, group)
                     for d in _distances(t.pattern, before, after))
    if nearest:
        return nearest[0][1]
    around = " ".join(f.folded[s:e] for s, e in f.sentences[max(0, i0 - 1):i0] + f.sentences[i1 + 1:i1 + 2])
    if _found(_terms(spec.lexicons, ctx.langs, "officials"), around):
        return "official"
    return "migrant" if _found(_terms(spec.lexicons, ctx.langs, "migrants"), around) else None


def _distances(pattern: re.Pattern[str], before: str, after: str) -> list[int]:
    """Distances from a quotation to the nearest matches before and after it."""
    out = [len(before) - m.end() for m in list(pattern.finditer(before))[-1:]]
    first = pattern.search(after)
    return out + ([first.start()] if first else [])


def _reported_speech(f: _Field, spec: CriterionSpec, ctx: _Ctx) -> list[Span]:
    """Unquoted sentences where a migrant subject comes just before a speech verb."""
    quotes = [q.span() for q in _VOICE.finditer(f.text)]
    migrants = _terms(spec.lexicons, ctx.langs, "migrants")
    officials = _terms(spec.lexicons, ctx.langs, "officials")
    out: list[Span] = []
    for s0, s1 in f.sentences:
        if any(a < s1 and s0 < b for a, b in quotes):
            continue  # quotations are attributed by _quote_speaker
        for v in (m for t in _terms(spec.lexicons, ctx.langs, "verbs")
                  for m in t.pattern.finditer(f.folded, s0, s1)):
            window = f.folded[max(s0, v.start() - 60):v.start()]
            last = max((m.end() for t in migrants for m in t.pattern.finditer(window)),
                       default=-1)
            if last >= 0 and not _found(officials, window[last:] + " "
                                        + f.folded[v.end():min(s1, v.end() + 25)]):
                out.append(Span(s0, s1, f.text[s0:s1], "reported:migrant", f.name))
                break
    return out


def _hate_flag(spec: CriterionSpec, ctx: _Ctx) -> Criterion:
    """The hate-speech classifier's verdict, if there is one."""
    hate = ctx.article.hate
    if hate is None:
        return _result(spec, "missing", 1.0)
    if not hate.hate:
        return _result(spec, "pass", 1.0, hate.evidence)
    return _result(spec, "fail", min(1.0, max(0.0, 1.0 - hate.score)), hate.evidence, (),
                   {"severity": hate.severity, "score": f"{hate.score:.2f}",
                    "target": hate.target or "an unspecified group"})


def _misinformation_flag(spec: CriterionSpec, ctx: _Ctx) -> Criterion:
    """Sentences matching known misleading claims about migration."""
    matches = ctx.article.misinformation
    if not matches:
        return _result(spec, "pass", 1.0)
    claims = "; ".join(f"'{m.claim.rstrip('. ')}' (rated {m.rating} by {m.source})" for m in matches[:2])
    return _result(spec, "fail", max(0.0, 1.0 - spec.params["penalty"] * len(matches)),
                   tuple(m.evidence for m in matches), (),
                   {"count": str(len(matches)), "claims": claims})


def _result(spec: CriterionSpec, key: str, score: float, evidence: tuple[Span, ...] = (),
            suggested: tuple[str, ...] = (), fields: Mapping[str, str] | None = None) -> Criterion:
    """A Criterion with its one-sentence explanation filled in."""
    values = {**dict.fromkeys(TEMPLATE_FIELDS, ""), **(fields or {}), "reference": spec.reference}
    return Criterion(id=spec.id, score=score, weight=spec.weight,
                     explanation=spec.templates[key].format(**values),
                     reference=spec.reference, evidence=evidence, suggestions=suggested)


_SCORERS: dict[str, Callable[[CriterionSpec, _Ctx], Criterion]] = {
    "terminology": _terminology, "dehumanising": _dehumanising,
    "migrant_voices": _migrant_voices, "hate_flag": _hate_flag,
    "misinformation_flag": _misinformation_flag,
}
