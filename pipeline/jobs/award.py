"""The award's reads: what a year's ranking, its audit and its report need, read from the database
and handed to the award stage as plain data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.award.categories import (
    AwardData,
    AwardInput,
    YearScores,
    audit_input,
    compare_snapshots,
    overall,
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
    """A year's ranked rows, per-outlet histograms (SQL aggregation), verdicts, reviewed and hate-flagged rows.
    Only ranked articles are read: a review of a social post changes nothing here."""
    rows = rankings.ranked_rows(db, year, rubric_version, model, UNRANKED_TYPES)
    verdicts = review.review_verdicts(db, [r.article_id for r in rows])
    reviewed = results.evidence(db, list(verdicts), rubric_version)
    bins = to_bins(rankings.outlet_bins(db, year, rubric_version, model, UNRANKED_TYPES, BIN_WIDTH))
    flagged = rankings.hate_flagged(db, year, rubric_version, model, UNRANKED_TYPES)
    return YearScores(rows, bins, verdicts, reviewed, flagged)


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
    return build_context(year, lines, snapshot, evidence, rubric, award_trend(db, lines, snapshot, rubric),
                         classifier_metrics(snapshot["models"]["classifier"]))


def award_trend(db: Database, lines: Sequence[OutletScore], snapshot: dict[str, Any],
                rubric: Rubric) -> dict[str, dict[int, tuple[float, int]]]:
    """Each outlet's award score and article count per year up to the snapshot's, computed as the ranking
    computes it: the year before's score is the one 'most improved' compares with."""
    year, model = int(snapshot["year"]), snapshot["models"]["classifier"]
    spec = AwardInput(year, rubric, model, int(snapshot["parameters"]["min_articles"]))
    names = {ln.outlet_id for ln in lines}
    if not names:
        return {}
    outlets = sources.outlets(db)
    out: dict[str, dict[int, tuple[float, int]]] = {}
    for y in (y for y in rankings.ranked_years(db, rubric.version, model) if y <= year):
        ranked = lines if y == year else overall(year_scores(db, y, rubric.version, model),
                                                 replace(spec, year=y), outlets)[0]
        for ln in ranked:
            if ln.outlet_id in names and ln.score is not None:
                out.setdefault(ln.outlet_id, {})[y] = (ln.score, ln.n_articles)
    return out


def classifier_metrics(model_tag: str, folders: Sequence[Path] | None = None) -> dict[str, Any] | None:
    """The hate model's measured test metrics (its meta.json) for the model a ranking names, pooled over its
    test sets; None when no shipped model folder holds that name and version."""
    hate = model_tag.split("+", 1)[0]
    for folder in folders if folders is not None else hate_model_folders():
        meta = _read_meta(folder / "meta.json")
        if meta and f"{meta.get('name', 'xenowatch-hate')}@{meta.get('version')}" == hate:
            tests = meta.get("test_metrics") or {}
            return {"model": hate, "tests": tests, "threshold": meta.get("threshold"), **pooled(tests)}
    return None


def hate_model_folders() -> list[Path]:
    """The shipped hate model folders: the fine-tuned default and the frozen-encoder head 1.2.0."""
    import models

    root = Path(models.__file__).resolve().parent / "hate"
    return [root / "finetuned", root]


def _read_meta(path: Path) -> dict[str, Any] | None:
    """A model's meta.json, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def pooled(tests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall over every test set together, from their confusion counts."""
    counts = [t.get("confusion") or {} for t in tests.values()]
    tp, fp, fn = (sum(int(c.get(k, 0)) for c in counts) for k in ("tp", "fp", "fn"))
    return {"precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "n": sum(int(t.get("n", 0)) for t in tests.values())}
