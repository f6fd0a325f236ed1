"""The ILO fair-reporting rubric: score articles with the versioned rubric data, apply verdicts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pipeline.core.record import Article, Criterion, RubricResult, Span
from pipeline.rubric.base import Ctx, field, found, hits, languages, lexical, result
from pipeline.rubric.criteria import SCORERS as CRITERIA_SCORERS
from pipeline.rubric.lemmas import lemma_hits, literal
from pipeline.rubric.spec import (
    KINDS,
    SEVERITIES,
    CriterionSpec,
    Rubric,
    Term,
    default_rubric_path,
    load_rubric,
)
from pipeline.rubric.voices import migrant_voices

__all__ = ["KINDS", "Rubric", "apply_rubric", "apply_verdict", "default_rubric_path",
           "load_rubric", "score_batch"]


def apply_rubric(article: Article, rubric: Rubric) -> RubricResult:
    """Score one article against the rubric (0..100) with evidence per criterion."""
    fields = tuple(field(n, t) for n, t in (("title", article.title), ("text", article.text)) if t)
    ctx = Ctx(article, rubric, languages(article.lang, rubric), fields)
    criteria = tuple(_SCORERS[spec.id](spec, ctx) for spec in rubric.criteria)
    return RubricResult(score=total_score([(c.weight, c.score) for c in criteria]),
                        version=rubric.version, criteria=criteria)


def total_score(weighted: Sequence[tuple[float, float]]) -> float:
    """The article score 0..100: the weighted mean of criterion scores."""
    total = sum(w for w, _ in weighted)
    return round(100.0 * sum(w * s for w, s in weighted) / total, 2) if total else 100.0


def score_batch(articles: Sequence[Article], rubric: Rubric) -> list[Article]:
    """Each article with its rubric result attached; social posts unchanged (no result)."""
    # A post is not journalism: the fair-reporting rubric would praise a "Great Replacement" post for
    # naming no illegal immigrant. Posts are monitored through the hate and misinformation flags alone.
    return [a if is_post(a) else a.evolve(rubric=apply_rubric(a, rubric)) for a in articles]


def is_post(article: Article) -> bool:
    """Whether an item is a social post (never scored against the journalism rubric)."""
    return article.kind == "post"


def _terminology(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Terms the glossary advises against (patterns, then lemmas), with the wording to prefer."""
    found_hits: list[tuple[Span, Term]] = []
    for lang in ctx.langs:
        entries = list(spec.lexicons[lang]["terms"])
        for f in ctx.fields:
            found_hits += hits(entries, f, 0, len(f.text), ctx)
            found_hits += lemma_hits(entries, f, 0, len(f.text), ctx, lang)
    return lexical(spec, found_hits)


def _dehumanising(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Dehumanising metaphors (patterns, then lemmas) in sentences about migration, unless used literally."""
    found_hits: list[tuple[Span, Term]] = []
    for lang in ctx.langs:
        metaphors, migration = list(spec.lexicons[lang]["metaphors"]), spec.lexicons[lang]["migration"]
        for f in ctx.fields:
            for s0, s1 in f.sentences:
                if found(list(migration), f.folded[s0:s1]):
                    candidates = [*hits(metaphors, f, s0, s1, ctx), *lemma_hits(metaphors, f, s0, s1, ctx, lang)]
                    found_hits += [h for h in candidates if not literal(f, s0, s1, h[0], lang)]
    return lexical(spec, found_hits)


def _hate_flag(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """The hate-speech classifier's verdict, if there is one."""
    hate = ctx.article.hate
    if hate is None:
        return result(spec, "missing", 1.0)
    if not hate.hate:
        return result(spec, "pass", 1.0, hate.evidence)
    return result(spec, "fail", min(1.0, max(0.0, 1.0 - hate.score)), hate.evidence, (),
                  {"severity": hate.severity, "score": f"{hate.score:.2f}",
                   "target": hate.target or "an unspecified group"})


def _misinformation_flag(spec: CriterionSpec, ctx: Ctx) -> Criterion:
    """Sentences matching known misleading claims, each cited with its fact-check."""
    matches = ctx.article.misinformation
    if not matches:
        return result(spec, "pass", 1.0)
    claims = "; ".join(f"'{m.claim.rstrip('. ')}' (rated {m.rating} by {m.source}"
                       + (f", {m.url}" if m.url else "") + ")" for m in matches[:2])
    return result(spec, "fail", max(0.0, 1.0 - spec.params["penalty"] * len(matches)),
                  tuple(m.evidence for m in matches), (),
                  {"count": str(len(matches)), "claims": claims})


def apply_verdict(criteria: Sequence[Mapping[str, Any]], verdict: Mapping[str, Any] | None,
                  rubric: Rubric) -> tuple[float, list[dict[str, Any]]]:
    """Stored criteria with a reviewer's verdict replacing the hate criterion: (score, criteria).
    'reject' clears the flag; 'confirm' scores by the review's severity (else 'derogatory')."""
    out = [dict(c) for c in criteria]
    spec = next((s for s in rubric.criteria if s.id == "hate_flag"), None)
    if verdict is not None and spec is not None:
        for c in out:
            if c["id"] == "hate_flag":
                c.update(_verdict_criterion(spec, verdict).to_dict())
    return total_score([(float(c["weight"]), float(c["score"])) for c in out]), out


def _verdict_criterion(spec: CriterionSpec, verdict: Mapping[str, Any]) -> Criterion:
    """The hate criterion as a reviewer decided it."""
    if verdict["decision"] == "reject":
        return result(spec, "rejected", 1.0)
    severity = verdict.get("severity") if verdict.get("severity") in SEVERITIES else "derogatory"
    return result(spec, "confirmed", spec.params[str(severity)], (), (),
                  {"severity": str(severity), "target": verdict.get("target") or "an unspecified group"})


_SCORERS: dict[str, Callable[[CriterionSpec, Ctx], Criterion]] = {
    "terminology": _terminology, "dehumanising": _dehumanising,
    "migrant_voices": migrant_voices, "hate_flag": _hate_flag,
    "misinformation_flag": _misinformation_flag, **CRITERIA_SCORERS,
}
