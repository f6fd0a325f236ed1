"""A year's award: overall ranking with reviewers' verdicts applied, categories (country, media
type, most improved), sex-disaggregated indicators, and the snapshot that freezes it all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pipeline.award.hateflag import RULES, award_row
from pipeline.award.rank import (
    Draws,
    OutletBins,
    OutletScore,
    assign_ranks,
    input_key,
    rank_with_draws,
    snapshot_of,
    with_changes,
)
from pipeline.award.ties import change_draws, interval, with_uncertainty
from pipeline.core.errors import InputError
from pipeline.core.outlets import Outlet
from pipeline.core.record import ScoredRow
from pipeline.rubric.score import Rubric

ROW_KEY = ("category", "outlet_id", "rank", "score", "ci_low", "ci_high", "n_articles", "status", "change",
           "rank_low", "rank_high", "p_first", "change_low", "change_high")


@dataclass(frozen=True, slots=True)
class AwardInput:
    """What a ranking is computed from (the snapshot's inputs)."""

    year: int
    rubric: Rubric
    model: str
    min_articles: int


@dataclass(frozen=True, slots=True)
class YearScores:
    """A year's scores as the database holds them: the ranked articles' rows, per-outlet histograms of their
    scores, reviewers' verdicts on them, the reviewed rows' rubric results and those of unreviewed
    articles with a hate-speech flag (whose award score may differ from the stored one)."""

    rows: list[ScoredRow]
    bins: list[OutletBins]
    verdicts: dict[str, dict[str, Any]]
    reviewed: list[dict[str, Any]]
    flagged: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AwardData:
    """What a year's award is computed from: the outlets, the year's and the year before's scores, and
    the rubric results of the year's scored articles (for the indicators)."""

    outlets: dict[str, Outlet]
    current: YearScores
    previous: YearScores
    evidence: list[dict[str, Any]]


def overall(scores: YearScores, spec: AwardInput, outlets: dict[str, Outlet]) -> tuple[list[OutletScore], Draws]:
    """The overall ranking of a year from its per-outlet histograms, articles scored as the award counts them
    (reviewers' verdicts, hate-flag rules), with rank ranges; and each ranked outlet's resampled scores."""
    bins = with_changes(scores.bins, award_changes(scores, spec.rubric))
    lines, draws = rank_with_draws(bins, outlets, spec.min_articles)
    return with_uncertainty(lines, draws), draws


def to_bins(raw: Iterable[tuple[str, list[int], list[int], list[float]]]) -> list[OutletBins]:
    """OutletBins from the database's histogram rows (outlet id, bin keys, counts, sums)."""
    return [OutletBins(oid, np.array(k, dtype=np.int64), np.array(c, dtype=np.int64), np.array(s, dtype=float))
            for oid, k, c, s in raw]


def award_changes(scores: YearScores, rubric: Rubric) -> list[tuple[str, float, float]]:
    """(outlet, stored score, award score) of each article that the award counts differently from the rubric:
    reviewed ones, and unreviewed flags below the confidence the award asks or repeating a penalised phrase."""
    old = {r.article_id: r for r in scores.rows}
    rows = [*scores.reviewed, *(r for r in scores.flagged if r["id"] not in scores.verdicts)]
    out = []
    for row in rows:
        if row["id"] in old:
            new = award_row(row, scores.verdicts.get(row["id"]), rubric)["score"]
            if new != old[row["id"]].score:
                out.append((old[row["id"]].outlet_id, old[row["id"]].score, float(new)))
    return out


def categories(lines: Sequence[OutletScore], draws: Draws) -> list[OutletScore]:
    """The overall lines re-ranked within each country and each media type, rank ranges within the group."""
    out: list[OutletScore] = []
    for attr in ("country", "media_type"):
        groups = sorted({getattr(ln, attr) or "unknown" for ln in lines})
        for g in groups:
            members = [replace(ln, rank=None, category=f"{attr}:{g}") for ln in lines
                       if (getattr(ln, attr) or "unknown") == g]
            out.extend(with_uncertainty(assign_ranks(members), draws))
    return out


def most_improved(lines: Sequence[OutletScore], previous: Sequence[OutletScore], year: int, draws: Draws,
                  before: Draws) -> list[OutletScore]:
    """Change of each ranked outlet's score on the previous year, with its 95 % interval. Only a change whose
    interval lies above zero is an improvement that can win; 'not enough data' without a previous score."""
    prev = {ln.outlet_id: ln for ln in previous if ln.status == "ranked"}
    out, changes = [], {}
    for ln in lines:
        if ln.status != "ranked":
            continue
        line = replace(ln, rank=None, rank_low=None, rank_high=None, p_first=None, category="most_improved")
        p = prev.get(ln.outlet_id)
        if p is None or ln.score is None or p.score is None:
            why = f"not enough data in {year - 1}" if prev else f"not enough data: no ranking for {year - 1}"
            out.append(replace(line, status=why))
            continue
        changes[ln.outlet_id] = change_draws(draws[ln.outlet_id], before[ln.outlet_id])
        low, high = interval(changes[ln.outlet_id])
        change = round(ln.score - p.score, 1)
        out.append(replace(line, change=change, change_low=low, change_high=high,
                           status=improvement_status(change, low)))
    return with_uncertainty(assign_ranks(out, key="change"), changes, key="change")


def improvement_status(change: float, low: float) -> str:
    """'ranked' for an improvement beyond the uncertainty, else why the outlet cannot win."""
    if low > 0:
        return "ranked"
    return "no improvement" if change <= 0 else "improvement within the uncertainty"


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
    lines, draws = overall(data.current, spec, data.outlets)
    previous, before = overall(data.previous, replace(spec, year=spec.year - 1), data.outlets)
    every = lines + categories(lines, draws) + most_improved(lines, previous, spec.year, draws, before)
    evidence = [award_row(row, verdicts.get(row["id"]), spec.rubric) for row in data.evidence]
    details = {"indicators": indicators(evidence),
               "previous": {"year": spec.year - 1, "ranked": sum(1 for ln in previous if ln.status == "ranked")}}
    snapshot = snapshot_of(spec.year, data.current.rows, every, spec.rubric.version, spec.model,
                           spec.min_articles, verdicts, details,
                           inputs=input_key(data.previous.rows, data.previous.verdicts), rules=RULES)
    return lines, snapshot


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
    rows_now = sorted(tuple(str(r.get(k)) for k in ROW_KEY) for r in now["rows"])
    rows_then = sorted(tuple(str(r.get(k)) for k in ROW_KEY) for r in stored["stored_rows"])
    changed = sorted(k for k in set(stored.get("verdicts", {})) | set(now["verdicts"])
                     if stored.get("verdicts", {}).get(k) != now["verdicts"].get(k))
    return {"snapshot": stored["id"], "recomputed": now["id"], "year": int(stored["year"]),
            "reproduced": now["id"] == stored["id"] and rows_now == rows_then,
            "rows_identical": rows_now == rows_then, "articles": len(before),
            "added_articles": sorted(after - before), "removed_articles": sorted(before - after),
            "verdicts_changed": changed}
