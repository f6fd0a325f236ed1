"""The award's reads: what a year's ranking, its audit and its report need, read from the database
and handed to the award stage as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.award.categories import (
    AwardData,
    AwardInput,
    YearScores,
    audit_input,
    compare_snapshots,
    rank_award,
    to_bins,
)
from pipeline.award.rank import BIN_WIDTH, UNRANKED_TYPES, OutletScore
from pipeline.award.report_data import build_context
from pipeline.core.errors import InputError
from pipeline.db import rankings, results, review, sources
from pipeline.db.database import Database
from pipeline.rubric.score import Rubric


def year_scores(db: Database, year: int, rubric_version: str, model: str) -> YearScores:
    """A year's scored rows, per-outlet histograms (SQL aggregation), verdicts and reviewed rows."""
    rows = results.scored_rows(db, year, rubric_version, model)
    verdicts = review.review_verdicts(db, [r.article_id for r in rows])
    reviewed = results.evidence(db, list(verdicts), rubric_version)
    bins = to_bins(rankings.outlet_bins(db, year, rubric_version, model, UNRANKED_TYPES, BIN_WIDTH))
    return YearScores(rows, bins, verdicts, reviewed)


def award_data(db: Database, spec: AwardInput) -> AwardData:
    """Everything rank_award reads for a year (and the year before, for the most improved)."""
    current = year_scores(db, spec.year, spec.rubric.version, spec.model)
    previous = year_scores(db, spec.year - 1, spec.rubric.version, spec.model)
    evidence = results.evidence(db, [r.article_id for r in current.rows], spec.rubric.version)
    return AwardData(sources.outlets(db), current, previous, evidence)


def audit_snapshot(db: Database, snapshot_id: str, rubric: Rubric) -> dict[str, Any]:
    """Recompute a stored snapshot from the database and say whether it is reproduced exactly."""
    stored = rankings.award_snapshot(db, snapshot_id)
    if stored is None:
        raise InputError(f"snapshot {snapshot_id!r} not found in {db.path}; "
                         "the report and 'rank --format json' print snapshot ids")
    spec = audit_input(stored, rubric)
    _, now = rank_award(award_data(db, spec), spec)
    return compare_snapshots(stored, now)


def report_context(db: Database, year: int, lines: Sequence[OutletScore], snapshot: dict[str, Any],
                   rubric: Rubric) -> dict[str, Any]:
    """Everything the report templates need for a snapshot, with its evidence and trend read from `db`."""
    evidence = results.evidence(db, snapshot["article_ids"], snapshot["rubric_version"])
    trend = rankings.yearly_outlet_means(db, [ln.outlet_id for ln in lines], snapshot["rubric_version"],
                                         snapshot["models"]["classifier"])
    return build_context(year, lines, snapshot, evidence, rubric, trend)
