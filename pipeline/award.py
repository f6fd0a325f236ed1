"""A year's award: overall ranking with reviewers' verdicts applied, categories (country, media
type, most improved), sex-disaggregated indicators, and the snapshot that freezes it all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pipeline.rank import (
    BIN_WIDTH,
    UNRANKED_TYPES,
    OutletBins,
    OutletScore,
    assign_ranks,
    rank_bins,
    snapshot_of,
    with_changes,
)
from pipeline.rubric import Rubric, apply_verdict
from pipeline.sources import Outlet
from pipeline.store import ScoredRow, Store


@dataclass(frozen=True, slots=True)
class AwardInput:
    """What a ranking is computed from (the snapshot's inputs)."""

    year: int
    rubric: Rubric
    model: str
    min_articles: int


def overall(store: Store, spec: AwardInput, outlets: dict[str, Outlet],
            changes: Sequence[tuple[str, float, float]]) -> list[OutletScore]:
    """The overall ranking of a year from the store's per-outlet histograms (SQL aggregation),
    with reviewed articles' scores changed."""
    raw = store.outlet_bins(spec.year, spec.rubric.version, spec.model, UNRANKED_TYPES, BIN_WIDTH)
    return rank_bins(with_changes(to_bins(raw), changes), outlets, spec.min_articles)


def to_bins(raw: Iterable[tuple[str, list[int], list[int], list[float]]]) -> list[OutletBins]:
    """OutletBins from the store's rows."""
    return [OutletBins(oid, np.array(k, dtype=np.int64), np.array(c, dtype=np.int64), np.array(s, dtype=float))
            for oid, k, c, s in raw]


def verdict_changes(store: Store, rows: Sequence[ScoredRow],
                    rubric: Rubric) -> tuple[dict[str, dict[str, Any]], list[tuple[str, float, float]]]:
    """Reviewers' verdicts on these articles, and (outlet, old score, new score) for each."""
    verdicts = store.review_verdicts([r.article_id for r in rows])
    old = {r.article_id: r for r in rows}
    stored = store.evidence(list(verdicts), rubric.version)
    return verdicts, [(old[r["id"]].outlet_id, old[r["id"]].score,
                       apply_verdict(r["criteria"], verdicts[r["id"]], rubric)[0]) for r in stored]


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


def rank_award(store: Store, spec: AwardInput) -> tuple[list[OutletScore], dict[str, Any]]:
    """The overall ranking and the snapshot with every category, verdicts and indicators."""
    rows = store.scored_rows(spec.year, spec.rubric.version, spec.model)
    outlets = store.outlets()
    ids = [r.article_id for r in rows]
    verdicts, changes = verdict_changes(store, rows, spec.rubric)
    lines = overall(store, spec, outlets, changes)
    prev_spec = replace(spec, year=spec.year - 1)
    prev_rows = store.scored_rows(prev_spec.year, spec.rubric.version, spec.model)
    previous = overall(store, prev_spec, outlets, verdict_changes(store, prev_rows, spec.rubric)[1])
    every = lines + categories(lines) + most_improved(lines, previous, spec.year)
    evidence = store.evidence(ids, spec.rubric.version)
    for row in evidence:
        if row["id"] in verdicts:
            row["score"], row["criteria"] = apply_verdict(row["criteria"], verdicts[row["id"]], spec.rubric)
    details = {"indicators": indicators(evidence),
               "previous": {"year": spec.year - 1, "ranked": sum(1 for ln in previous if ln.status == "ranked")}}
    snapshot = snapshot_of(spec.year, rows, every, spec.rubric.version, spec.model, spec.min_articles,
                           verdicts, details)
    return lines, snapshot


def audit_snapshot(store: Store, snapshot_id: str, rubric: Rubric) -> dict[str, Any]:
    """Recompute a stored snapshot from the database and say whether it is reproduced exactly."""
    from pipeline.errors import InputError

    stored = store.award_snapshot(snapshot_id)
    if stored is None:
        raise InputError(f"snapshot {snapshot_id!r} not found in {store.path}; "
                         "the report and 'rank --format json' print snapshot ids")
    if stored["rubric_version"] != rubric.version:
        raise InputError(f"snapshot {snapshot_id} used rubric {stored['rubric_version']}, but the installed "
                         f"rubric is {rubric.version}; install that rubric version to audit it")
    spec = AwardInput(int(stored["year"]), rubric, stored["models"]["classifier"],
                      int(stored["parameters"]["min_articles"]))
    _, now = rank_award(store, spec)
    before, after = set(stored["article_ids"]), set(now["article_ids"])
    key = ("category", "outlet_id", "rank", "score", "ci_low", "ci_high", "n_articles", "status", "change")
    rows_now = sorted(tuple(r[k] for k in key) for r in now["rows"])
    rows_then = sorted(tuple(r[k] for k in key) for r in stored["stored_rows"])
    changed = sorted(k for k in set(stored.get("verdicts", {})) | set(now["verdicts"])
                     if stored.get("verdicts", {}).get(k) != now["verdicts"].get(k))
    return {"snapshot": snapshot_id, "recomputed": now["id"], "year": spec.year,
            "reproduced": now["id"] == snapshot_id and rows_now == rows_then,
            "rows_identical": rows_now == rows_then, "articles": len(before),
            "added_articles": sorted(after - before), "removed_articles": sorted(before - after),
            "verdicts_changed": changed}
