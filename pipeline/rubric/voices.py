"""Sourcing: who is quoted (migrants and their organisations, or only officials), and their gender."""

from __future__ import annotations

import re

from pipeline.core.record import Criterion, Span
from pipeline.rubric.base import VOICE, Ctx, Field, found, result, sentence, terms
from pipeline.rubric.spec import CriterionSpec


def migrant_voices(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Are migrants quoted (or their words reported), or only officials, or nobody?"""
    migrant: list[Span] = []
    others: list[Span] = []
    for f in ctx.fields:
        for q in VOICE.finditer(f.text):
            if not _is_statement(f, q.start(), q.end(), spec, ctx):
                continue
            who = _quote_speaker(f, q.start(), q.end(), spec, ctx)
            label = f"quote:{who or 'unknown'}"
            if who == "migrant":
                label += _gender(f, q.start(), q.end(), spec, ctx)
            span = Span(q.start(), q.end(), q.group(), label, f.name)
            (migrant if who == "migrant" else others).append(span)
        migrant.extend(_reported_speech(f, spec, ctx))
    level = "migrant" if migrant else "others" if others else "none"
    evidence = tuple(dict.fromkeys(migrant or others))
    return result(spec, level, spec.params[level], evidence)


def _is_statement(f: Field, qs: int, qe: int, spec: CriterionSpec, ctx: Ctx) -> bool:
    """Three words or more, or a speech verb right next to it: not just a quoted term."""
    if len(re.findall(r"\w+", f.text[qs:qe])) >= 3:
        return True
    beside = f.folded[max(0, qs - 30):qs] + " " + f.folded[qe:qe + 30]
    return found(terms(spec.lexicons, ctx.langs, "verbs"), beside)


def _quote_speaker(f: Field, qs: int, qe: int, spec: CriterionSpec, ctx: Ctx) -> str | None:
    """'migrant', 'official' or None: who speaks the quotation f.text[qs:qe]."""
    if found(terms(spec.lexicons, ctx.langs, "self"), f.folded[qs:qe]):
        return "migrant"
    i0, i1 = sentence(f, qs), sentence(f, qe - 1)
    before, after = f.folded[f.sentences[i0][0]:qs], f.folded[qe:f.sentences[i1][1]]
    nearest = sorted((d, who) for who, group in (("migrant", "migrants"), ("official", "officials"))
                     for t in terms(spec.lexicons, ctx.langs, group)
                     for d in _distances(t.pattern, before, after))
    if nearest:
        return nearest[0][1]
    around = " ".join(f.folded[s:e] for s, e in f.sentences[max(0, i0 - 1):i0] + f.sentences[i1 + 1:i1 + 2])
    if found(terms(spec.lexicons, ctx.langs, "officials"), around):
        return "official"
    return "migrant" if found(terms(spec.lexicons, ctx.langs, "migrants"), around) else None


def _gender(f: Field, qs: int, qe: int, spec: CriterionSpec, ctx: Ctx) -> str:
    """':woman', ':man' or '' (unknown): the nearest gendered term outside the quotation."""
    i0, i1 = sentence(f, qs), sentence(f, qe - 1)
    before, after = f.folded[f.sentences[i0][0]:qs], f.folded[qe:f.sentences[i1][1]]
    nearest = sorted((d, who) for who, group in ((":woman", "women"), (":man", "men"))
                     for t in terms(spec.lexicons, ctx.langs, group)
                     for d in _distances(t.pattern, before, after))
    return nearest[0][1] if nearest else ""


def _distances(pattern: re.Pattern[str], before: str, after: str) -> list[int]:
    """Distances from a quotation to the nearest matches before and after it."""
    out = [len(before) - m.end() for m in list(pattern.finditer(before))[-1:]]
    first = pattern.search(after)
    return out + ([first.start()] if first else [])


def _reported_speech(f: Field, spec: CriterionSpec, ctx: Ctx) -> list[Span]:
    """Unquoted sentences where a migrant subject comes just before a speech verb."""
    quotes = [q.span() for q in VOICE.finditer(f.text)]
    migrants = terms(spec.lexicons, ctx.langs, "migrants")
    officials = terms(spec.lexicons, ctx.langs, "officials")
    out: list[Span] = []
    for s0, s1 in f.sentences:
        if any(a < s1 and s0 < b for a, b in quotes):
            continue  # quotations are attributed by _quote_speaker
        for v in (m for t in terms(spec.lexicons, ctx.langs, "verbs")
                  for m in t.pattern.finditer(f.folded, s0, s1)):
            window = f.folded[max(s0, v.start() - 60):v.start()]
            last = max((m.end() for t in migrants for m in t.pattern.finditer(window)),
                       default=-1)
            if last >= 0 and not found(officials, window[last:] + " "
                                        + f.folded[v.end():min(s1, v.end() + 25)]):
                label = "reported:migrant" + _gender(f, v.start(), v.end(), spec, ctx)
                out.append(Span(s0, s1, f.text[s0:s1], label, f.name))
                break
    return out


