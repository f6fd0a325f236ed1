"""What the report shows, gathered from a snapshot: evidence with verdicts applied, the criteria
breakdown, categories, trends, indicators and the methodology (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.award.rank import OutletScore
from pipeline.rubric.score import Rubric, apply_verdict

CATEGORY_ORDER = ("overall", "country", "media_type", "most_improved")


def build_context(year: int, lines: Sequence[OutletScore], snapshot: dict[str, Any],
                  evidence_rows: Sequence[dict[str, Any]], rubric: Rubric,
                  trend: dict[str, dict[int, tuple[float, int]]] | None = None) -> dict[str, Any]:
    """The report's content from its parts (verdicts in the snapshot are applied to the evidence)."""
    rows = _with_verdicts(evidence_rows, snapshot.get("verdicts") or {}, rubric)
    evidence, breakdown = evidence_by_outlet(rows)
    names = {ln.outlet_id: ln.outlet for ln in lines}
    titles = {c.id: c.title for c in rubric.criteria}
    trend = {o: trend[o] for o in names if trend and o in trend}
    return {"year": year, "lines": list(lines), "ranked": [ln for ln in lines if ln.score is not None],
            "snapshot": snapshot, "names": names, "titles": titles,
            "criteria_ids": [c.id for c in rubric.criteria if any(c.id in b for b in breakdown.values())],
            "breakdown": {o: breakdown[o] for o in names if o in breakdown},
            "evidence": {o: evidence[o] for o in names if o in evidence},
            "categories": categories_of(snapshot), "indicators": snapshot.get("indicators") or {},
            "trend": trend, "trend_years": sorted({y for t in trend.values() for y in t}),
            "methodology": methodology(rubric, snapshot)}


def _with_verdicts(rows: Sequence[dict[str, Any]], verdicts: dict[str, Any],
                   rubric: Rubric) -> list[dict[str, Any]]:
    """Evidence rows, reviewed ones with the reviewer's verdict in place of the model's flag."""
    out = []
    for row in rows:
        if row["id"] in verdicts:
            score, criteria = apply_verdict(row["criteria"], verdicts[row["id"]], rubric)
            row = {**row, "score": score, "criteria": criteria, "verdict": verdicts[row["id"]]["decision"]}
        out.append(row)
    return out


def evidence_by_outlet(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]],
                                                                  dict[str, dict[str, float]]]:
    """Flagged criteria per outlet, and each outlet's mean score per criterion."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    sums: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        for c in row["criteria"]:
            sums.setdefault(row["outlet_id"], {}).setdefault(c["id"], []).append(c["score"])
        flags = [c for c in row["criteria"] if c["score"] < 1.0]
        if flags:
            evidence.setdefault(row["outlet_id"], []).append({**row, "flags": flags})
    means = {o: {c: sum(v) / len(v) for c, v in crit.items()} for o, crit in sums.items()}
    return evidence, means


def categories_of(snapshot: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The snapshot's rows grouped by category: overall, countries, media types, most improved."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in snapshot.get("rows", []):
        groups.setdefault(row["category"], []).append(row)
    return sorted(groups.items(), key=lambda kv: (CATEGORY_ORDER.index(kv[0].split(":")[0])
                                                  if kv[0].split(":")[0] in CATEGORY_ORDER else 9, kv[0]))


def methodology(rubric: Rubric, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The methodology as data, generated from the rubric file and the snapshot's parameters."""
    total = sum(c.weight for c in rubric.criteria) or 1.0
    criteria = [{"id": c.id, "title": c.title, "description": c.description, "weight": c.weight,
                 "share": round(100 * c.weight / total, 1), "reference": c.reference,
                 "params": dict(c.params), "templates": dict(c.templates),
                 "languages": {lang: sum(len(g) for g in lex.values()) for lang, lex in c.lexicons.items()}}
                for c in rubric.criteria]
    hate = next((c for c in rubric.criteria if c.id == "hate_flag"), None)
    return {"version": rubric.version, "languages": list(rubric.languages), "criteria": criteria,
            "severity_scores": dict(hate.params) if hate else {},
            "parameters": snapshot.get("parameters", {})}

