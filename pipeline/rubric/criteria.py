"""Rubric criteria of version 2: status in crime reports, facts and context, labour and gender
angles, protection of identities, headline against body."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.core.record import Criterion, Span
from pipeline.rubric.base import Ctx, Field, dedupe, found, hits, join, result, terms
from pipeline.rubric.spec import CriterionSpec, Term

# A personal name on the original text: two or three capitalised words, or a first name and an age.
_NAME = re.compile(r"\b[A-ZÀ-Þ][a-zà-ÿ'’]+(?:[ -][A-ZÀ-Þ][a-zà-ÿ'’]+){1,2}\b|\b[A-ZÀ-Þ][a-zà-ÿ]+,\s+\d{1,2},")
_NUMBER = re.compile(r"\d[\d,.\s]*\d|\d")
_FACTS = {"sources": "sourced figures", "law": "the law", "causes": "causes"}


def _status_mention(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Nationality or migration status named in a crime report where it is not relevant."""
    crime, status = terms(spec.lexicons, ctx.langs, "crime"), terms(spec.lexicons, ctx.langs, "status")
    relevant = terms(spec.lexicons, ctx.langs, "relevant")
    flagged: list[tuple[Span, Term]] = []
    excused = False
    for f in ctx.fields:
        for s0, s1 in f.sentences:
            if not found(crime, f.folded[s0:s1]):
                continue
            found_hits = list(hits(status, f, s0, s1, ctx))
            if found_hits and found(relevant, f.folded[s0:s1]):
                excused = True
            elif found_hits:
                flagged.extend(found_hits)
    kept = dedupe(flagged)
    if not kept:
        return result(spec, "relevant" if excused else "pass", 1.0)
    listed = join([f"'{s.text}'" for s, _ in kept[:3]])
    suggested = tuple(dict.fromkeys(x for _, t in kept for x in t.suggestions))
    return result(spec, "fail", max(0.0, 1.0 - spec.params["penalty"] * len(kept)),
                  tuple(s for s, _ in kept), suggested, {"terms": listed})


def _facts_context(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Figures with a source, the law, causes: each element found raises the score."""
    evidence: dict[str, Span] = {}
    for f in ctx.fields:
        for s0, s1 in f.sentences:
            text = f.folded[s0:s1]
            span = Span(s0, s1, f.text[s0:s1], "", f.name)
            if (found(terms(spec.lexicons, ctx.langs, "figures"), text)
                    and found(terms(spec.lexicons, ctx.langs, "sources"), text)):
                evidence.setdefault("sources", _label(span, "sourced_figure"))
            for group, label in (("law", "law"), ("causes", "causes")):
                if found(terms(spec.lexicons, ctx.langs, group), text):
                    evidence.setdefault(group, _label(span, label))
    have = [k for k in _FACTS if k in evidence]
    missing = [_FACTS[k] for k in _FACTS if k not in evidence]
    base = spec.params["base"]
    key = "full" if not missing else "partial" if have else "none"
    fields = {"found": join([_FACTS[k] for k in have]) if have else "",
              "missing": join(missing) if have else ", ".join(missing)}
    return result(spec, key, round(base + (1 - base) * len(have) / len(_FACTS), 4),
                  tuple(evidence[k] for k in have), (), fields)


def _label(span: Span, label: str) -> Span:
    """The same span with a label."""
    return Span(span.start, span.end, span.text, label, span.field)


def _first_hits(ctx: Ctx, entries: list[Term], label: str, limit: int = 3) -> list[Span]:
    """The first matches of some terms across the fields (no critique exemption: not violations)."""
    out: list[Span] = []
    for f in ctx.fields:
        for t in entries:
            for m in t.pattern.finditer(f.folded):
                out.append(Span(m.start(), m.end(), f.text[m.start():m.end()], label, f.name))
    return sorted(out, key=lambda s: (s.field != "title", s.start))[:limit]


def _labour_angle(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """In articles about work: wages, fees and debt, forced labour, conditions."""
    if not any(found(terms(spec.lexicons, ctx.langs, "work"), f.folded) for f in ctx.fields):
        return result(spec, "na", 1.0)
    rights = _first_hits(ctx, terms(spec.lexicons, ctx.langs, "rights"), "labour_rights")
    if not rights:
        return result(spec, "absent", spec.params["absent"])
    return result(spec, "present", 1.0, tuple(rights), (),
                  {"terms": join([f"'{s.text}'" for s in rights])})


def _gender_angle(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Women migrants or women migrant workers in the coverage (same sentence)."""
    women, migrants = terms(spec.lexicons, ctx.langs, "women"), terms(spec.lexicons, ctx.langs, "migrants")
    for f in ctx.fields:
        for s0, s1 in f.sentences:
            text = f.folded[s0:s1]
            if found(women, text) and found(migrants, text):
                return result(spec, "present", 1.0, (Span(s0, s1, f.text[s0:s1], "women_migrants", f.name),))
    return result(spec, "absent", spec.params["absent"])


def _identity_protection(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Victims named in full, named with their age, or pictured, without consent or a changed name."""
    if any(found(terms(spec.lexicons, ctx.langs, "protected"), f.folded) for f in ctx.fields):
        return result(spec, "pass", 1.0)
    victims, images = terms(spec.lexicons, ctx.langs, "victims"), terms(spec.lexicons, ctx.langs, "images")
    flagged: list[Span] = []
    for f in ctx.fields:
        for s0, s1 in f.sentences:
            text = f.folded[s0:s1]
            if not found(victims, text):
                continue
            flagged.extend(_names(f, s0, s1, spec, ctx))
            if found(images, text):
                flagged.append(Span(s0, s1, f.text[s0:s1], "victim_pictured", f.name))
    if not flagged:
        return result(spec, "pass", 1.0)
    return result(spec, "fail", max(0.0, 1.0 - spec.params["penalty"] * len(flagged)), tuple(flagged),
                  (), {"terms": join([f"'{s.text}'" for s in flagged[:3]])})


def _names(f: Field, s0: int, s1: int, spec: CriterionSpec, ctx: Ctx) -> list[Span]:
    """Personal names in a sentence, without organisations and places (`not_names`)."""
    not_names = terms(spec.lexicons, ctx.langs, "not_names")
    out = []
    for m in _NAME.finditer(f.text, s0, s1):
        if not found(not_names, f.folded[m.start():m.end()]):
            out.append(Span(m.start(), m.end(), m.group().rstrip(","), "victim_named", f.name))
    return out


def _headline_body(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Alarm words or figures in the headline that the body never repeats."""
    title = next((f for f in ctx.fields if f.name == "title"), None)
    body = next((f for f in ctx.fields if f.name == "text"), None)
    if title is None or body is None:
        return result(spec, "na", 1.0)
    flagged = [s for s, _ in hits(terms(spec.lexicons, ctx.langs, "alarm"), title, 0, len(title.text), ctx)
               if s.text.lower() not in body.folded]
    body_numbers = {_digits(m.group()) for m in _NUMBER.finditer(body.text)}
    flagged += [Span(m.start(), m.end(), m.group(), "figure", "title") for m in _NUMBER.finditer(title.text)
                if _digits(m.group()) not in body_numbers]
    if not flagged:
        return result(spec, "pass", 1.0)
    return result(spec, "fail", max(0.0, 1.0 - spec.params["penalty"] * len(flagged)), tuple(flagged), (),
                  {"terms": join([f"'{s.text}'" for s in flagged[:3]])})


def _digits(text: str) -> str:
    """A figure without its separators ('1,200' and '1 200' are '1200')."""
    return re.sub(r"\D", "", text)


SCORERS: dict[str, Callable[[CriterionSpec, Ctx], Criterion]] = {
    "status_mention": _status_mention, "facts_context": _facts_context,
    "labour_angle": _labour_angle, "gender_angle": _gender_angle,
    "identity_protection": _identity_protection, "headline_body": _headline_body,
}
