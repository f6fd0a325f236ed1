"""A year's award: overall ranking with reviewers' verdicts applied, categories (country, media
type, most improved), sex-disaggregated indicators, and the snapshot that freezes it all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pipeline.award.rank import OutletBins, OutletScore, assign_ranks, rank_bins, snapshot_of, with_changes
from pipeline.core.errors import InputError
from pipeline.core.outlets import Outlet
from pipeline.core.record import ScoredRow
from pipeline.rubric.score import Rubric, apply_verdict


@dataclass(frozen=True, slots=True)
class AwardInput:
    """What a ranking is computed from (the snapshot's inputs)."""

    year: int
    rubric: Rubric
    model: str
    min_articles: int


@dataclass(frozen=True, slots=True)
class YearScores:
    """A year's scores as the database holds them: the scored rows, per-outlet histograms of their
    scores (ranked media types only), reviewers' verdicts on them and the reviewed rows' rubric results."""

    rows: list[ScoredRow]
    bins: list[OutletBins]
    verdicts: dict[str, dict[str, Any]]
    reviewed: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AwardData:
    """What a year's award is computed from: the outlets, the year's and the year before's scores, and
    the rubric results of the year's scored articles (for the indicators)."""

    outlets: dict[str, Outlet]
    current: YearScores
    previous: YearScores
    evidence: list[dict[str, Any]]


def overall(scores: YearScores, spec: AwardInput, outlets: dict[str, Outlet]) -> list[OutletScore]:
    """The overall ranking of a year from its per-outlet histograms, with reviewed articles' scores changed."""
    return rank_bins(with_changes(scores.bins, verdict_changes(scores, spec.rubric)), outlets, spec.min_articles)


def to_bins(raw: Iterable[tuple[str, list[int], list[int], list[float]]]) -> list[OutletBins]:
    """OutletBins from the database's histogram rows (outlet id, bin keys, counts, sums)."""
    return [OutletBins(oid, np.array(k, dtype=np.int64), np.array(c, dtype=np.int64), np.array(s, dtype=float))
            for oid, k, c, s in raw]


def verdict_changes(scores: YearScores, rubric: Rubric) -> list[tuple[str, float, float]]:
    """(outlet, old score, new score) of each reviewed article with a verdict."""
    old = {r.article_id: r for r in scores.rows}
    return [(old[r["id"]].outlet_id, old[r["id"]].score,
             apply_verdict(r["criteria"], scores.verdicts[r["id"]], rubric)[0]) for r in scores.reviewed]


def categories(lines: Sequence[OutletScore]) -> list[OutletScore]:
    """The overall lines re-ranked within each country and each media type."""
    out: list[OutletScore] = []
    for attr in ("country", "media_type"):
        groups = sorted({getattr(ln, attr) or "unknown" for ln in lines})
        for g in groups:
            members = [replace(ln, rank=None, category=f"{attr}:{g}") for ln in lines
                       if (getattr(ln, attr) or "unknown") == g]
            out.extend(assign_ranks(members))
    return out


def most_improved(lines: Sequence[OutletScore], previous: Sequence[OutletScore], year: int) -> list[OutletScore]:
    """Change of each ranked outlet's score on the previous year; 'not enough data' without one."""
    before = {ln.outlet_id: ln.score for ln in previous if ln.status == "ranked"}
    out = []
    for ln in lines:
        if ln.status != "ranked":
            continue
        prev = before.get(ln.outlet_id)
        if prev is None or ln.score is None:
            why = f"not enough data in {year - 1}" if before else f"not enough data: no ranking for {year - 1}"
            out.append(replace(ln, rank=None, category="most_improved", status=why))
        else:
            out.append(replace(ln, rank=None, category="most_improved", change=round(ln.score - prev, 1)))
    return assign_ranks(out, key="change")


def indicators(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Sex-disaggregated indicators per outlet: share of women among quoted migrants (whose gender
    the text shows), and share of articles covering women migrants or women migrant workers."""
    acc: dict[str, dict[str, int]] = {}
    for row in rows:
        a = acc.setdefault(row["outlet_id"], {"articles": 0, "women": 0, "men": 0, "covered": 0})
        a["articles"] += 1
        for c in row["criteria"]:
            if c["id"] == "migrant_voices":
                labels = [s.get("label", "") for s in c["evidence"]]
                a["women"] += sum(1 for lb in labels if lb.endswith("migrant:woman"))
                a["men"] += sum(1 for lb in labels if lb.endswith("migrant:man"))
            if c["id"] == "gender_angle" and c["score"] >= 1.0 and c["evidence"]:
                a["covered"] += 1
    return {o: {"women_quoted_share": round(a["women"] / (a["women"] + a["men"]), 3)
                if a["women"] + a["men"] else None,
                "quoted_migrants_with_gender": a["women"] + a["men"],
                "women_coverage_share": round(a["covered"] / a["articles"], 3), "articles": a["articles"]}
            for o, a in sorted(acc.items())}


def rank_award(data: AwardData, spec: AwardInput) -> tuple[list[OutletScore], dict[str, Any]]:
    """The overall ranking and the snapshot with every category, verdicts and indicators."""
    verdicts = data.current.verdicts
    lines = overall(data.current, spec, data.outlets)
    previous = overall(data.previous, replace(spec, year=spec.year - 1), data.outlets)
    every = lines + categories(lines) + most_improved(lines, previous, spec.year)
    evidence = [_with_verdict(row, verdicts, spec.rubric) for row in data.evidence]
    details = {"indicators": indicators(evidence),
               "previous": {"year": spec.year - 1, "ranked": sum(1 for ln in previous if ln.status == "ranked")}}
    snapshot = snapshot_of(spec.year, data.current.rows, every, spec.rubric.version, spec.model,
                           spec.min_articles, verdicts, details)
    return lines, snapshot


def _with_verdict(row: dict[str, Any], verdicts: dict[str, dict[str, Any]], rubric: Rubric) -> dict[str, Any]:
    """A rubric result row, its score and criteria changed by the reviewer's verdict when there is one."""
    if row["id"] not in verdicts:
        return row
    score, criteria = apply_verdict(row["criteria"], verdicts[row["id"]], rubric)
    return {**row, "score": score, "criteria": criteria}


def audit_input(stored: dict[str, Any], rubric: Rubric) -> AwardInput:
    """The inputs to recompute a stored snapshot with; an error when it used another rubric version."""
    if stored["rubric_version"] != rubric.version:
        raise InputError(f"snapshot {stored['id']} used rubric {stored['rubric_version']}, but the installed "
                         f"rubric is {rubric.version}; install that rubric version to audit it")
    return AwardInput(int(stored["year"]), rubric, stored["models"]["classifier"],
                      int(stored["parameters"]["min_articles"]))


def compare_snapshots(stored: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """Whether a recomputed snapshot reproduces a stored one (with its stored rows) exactly, and what differs."""
    before, after = set(stored["article_ids"]), set(now["article_ids"])
    key = ("category", "outlet_id", "rank", "score", "ci_low", "ci_high", "n_articles", "status", "change")
    rows_now = sorted(tuple(r[k] for k in key) for r in now["rows"])
    rows_then = sorted(tuple(r[k] for k in key) for r in stored["stored_rows"])
    changed = sorted(k for k in set(stored.get("verdicts", {})) | set(now["verdicts"])
                     if stored.get("verdicts", {}).get(k) != now["verdicts"].get(k))
    return {"snapshot": stored["id"], "recomputed": now["id"], "year": int(stored["year"]),
            "reproduced": now["id"] == stored["id"] and rows_now == rows_then,
            "rows_identical": rows_now == rows_then, "articles": len(before),
            "added_articles": sorted(after - before), "removed_articles": sorted(before - after),
            "verdicts_changed": changed}
