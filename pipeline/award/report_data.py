"""What the report shows, gathered from a snapshot: evidence with verdicts applied, the criteria
breakdown, categories, trends, indicators and the methodology (pure functions)."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pipeline.award.hateflag import MIN_CONFIDENCE, SAME_PHRASE, award_row
from pipeline.award.rank import OutletScore
from pipeline.award.ties import tie_sentences
from pipeline.core.categories import heading, sort_key
from pipeline.rubric.score import Rubric

# What each explanation placeholder stands for, for the methodology page's examples.
SLOTS = {"reference": "the criterion's reference", "terms": "the terms found",
         "suggestions": "the wording to prefer", "severity": "the severity", "target": "the group targeted",
         "score": "the classifier's confidence", "count": "the number of claims",
         "claims": "each claim with its fact-check", "found": "the context given", "missing": "the context missing"}


def build_context(year: int, lines: Sequence[OutletScore], snapshot: dict[str, Any],
                  evidence_rows: Sequence[dict[str, Any]], rubric: Rubric,
                  trend: dict[str, dict[int, tuple[float, int]]] | None = None,
                  classifier: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report's content from its parts (articles scored as the award counts them: verdicts in the
    snapshot applied, hate flags counted by the award's rules)."""
    verdicts = snapshot.get("verdicts") or {}
    evidence, breakdown = evidence_by_outlet([award_row(r, verdicts.get(r["id"]), rubric) for r in evidence_rows])
    names = {ln.outlet_id: ln.outlet for ln in lines}
    trend = {o: trend[o] for o in names if trend and o in trend}
    categories = categories_of(snapshot)
    return {"year": year, "lines": list(lines), "ranked": [ln for ln in lines if ln.score is not None],
            "snapshot": snapshot, "names": names, "titles": {c.id: c.title for c in rubric.criteria},
            "criteria_ids": [c.id for c in rubric.criteria if any(c.id in b for b in breakdown.values())],
            "breakdown": {o: breakdown[o] for o in names if o in breakdown},
            "evidence": {o: evidence[o] for o in names if o in evidence},
            "categories": categories, "indicators": snapshot.get("indicators") or {},
            "headings": {cat: heading(cat, year) for cat, _ in categories},
            "no_award": no_award(dict(categories).get("most_improved", [])),
            "ties": tie_sentences([asdict(ln) for ln in lines], names),
            "category_ties": {cat: tie_sentences(rows, names, "change" if cat == "most_improved" else "score")
                              for cat, rows in categories},
            "trend": trend, "trend_years": sorted({y for t in trend.values() for y in t}),
            "methodology": {**methodology(rubric, snapshot), "classifier": classifier}}


def no_award(rows: Sequence[dict[str, Any]]) -> str | None:
    """Why no outlet wins 'most improved', or None when one does (or there is no such category)."""
    if not rows or any(r["rank"] is not None for r in rows):
        return None
    changes = [r["change"] for r in rows if r.get("change") is not None]
    if not changes:
        return "not enough data for a change on the previous year"
    if all(c <= 0 for c in changes):
        return "no outlet improved; every outlet's score fell or stayed the same"
    return "no outlet improved beyond the uncertainty; every rise lies within its 95 % interval"


def evidence_by_outlet(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]],
                                                                  dict[str, dict[str, float]]]:
    """Flagged criteria per outlet, and each outlet's mean score per criterion."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    sums: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        for c in row["criteria"]:
            sums.setdefault(row["outlet_id"], {}).setdefault(c["id"], []).append(c["score"])
        flags = [c for c in row["criteria"] if c["score"] < 1.0 or c.get("counted") is False]
        if flags:
            evidence.setdefault(row["outlet_id"], []).append({**row, "flags": flags})
    means = {o: {c: sum(v) / len(v) for c, v in crit.items()} for o, crit in sums.items()}
    return evidence, means


def categories_of(snapshot: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The snapshot's rows grouped by category: overall, countries, media types, most improved."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in snapshot.get("rows", []):
        groups.setdefault(row["category"], []).append(row)
    return sorted(groups.items(), key=lambda kv: sort_key(kv[0]))


def methodology(rubric: Rubric, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The methodology as data, generated from the rubric file and the snapshot's parameters."""
    total = sum(c.weight for c in rubric.criteria) or 1.0
    criteria = [{"id": c.id, "title": c.title, "description": c.description, "weight": c.weight,
                 "share": round(100 * c.weight / total, 1), "reference": c.reference,
                 "params": dict(c.params),
                 "templates": {k: template_parts(t) for k, t in c.templates.items()},
                 "languages": {lang: sum(len(g) for g in lex.values()) for lang, lex in c.lexicons.items()}}
                for c in rubric.criteria]
    hate = next((c for c in rubric.criteria if c.id == "hate_flag"), None)
    titles = {c.id: c.title for c in rubric.criteria}
    return {"version": rubric.version, "languages": list(rubric.languages), "criteria": criteria,
            "severity_scores": dict(hate.params) if hate else {},
            "hate_share": round(100 * hate.weight / total, 1) if hate else 0.0,
            "min_confidence": MIN_CONFIDENCE, "same_phrase": [titles.get(c, c) for c in SAME_PHRASE],
            "parameters": snapshot.get("parameters", {})}


def template_parts(template: str) -> list[tuple[str, bool]]:
    """An explanation template as (text, is_placeholder) parts, each placeholder replaced by what it stands
    for, so no raw '{terms}' reaches the page."""
    parts: list[tuple[str, bool]] = []
    # Every explanation ends with its reference, which the criteria table gives: the examples leave it out.
    for text, name, _, _ in string.Formatter().parse(template.replace(" ({reference})", "")):
        if text:
            parts.append((text, False))
        if name:
            parts.append((SLOTS.get(name, name.replace("_", " ")), True))
    return parts
