"""Rankings: the per-outlet score histograms they are computed from, yearly means, and the snapshots
that freeze them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb

from pipeline.db._rows import dicts, executemany
from pipeline.db.database import Database

Bins = list[tuple[str, list[int], list[int], list[float]]]

# The ranking input: one (outlet_id, score) row per scored article of the year,
# social media types and social posts (any feed kind) left out: they are monitored, never ranked.
RANK_INPUT = (
    "SELECT a.outlet_id, r.score FROM articles a JOIN rubric_results r "
    "ON r.article_id = a.id AND r.rubric_version = ? AND r.model = ? AND r.content_hash = a.content_hash "
    "LEFT JOIN outlets o ON o.id = a.outlet_id WHERE year(coalesce(a.published, a.first_seen)) = ? "
    "AND coalesce(o.media_type, 'other') NOT IN (SELECT unnest(?)) AND coalesce(a.kind, 'article') <> 'post'")


def score_bins(con: duckdb.DuckDBPyConnection, source: str, params: list[Any], bin_width: float) -> Bins:
    """Per-outlet score histograms (outlet id, bin keys, counts, sums) of the (outlet_id, score) rows
    that the query `source` selects with `params`."""
    sql = (f"WITH binned AS (SELECT outlet_id, floor(score / ?)::BIGINT AS b, count(*) AS c, sum(score) AS s "
           f"FROM ({source}) GROUP BY ALL) SELECT outlet_id, list(b ORDER BY b), list(c ORDER BY b), "
           "list(s ORDER BY b) FROM binned GROUP BY outlet_id ORDER BY outlet_id")
    rows = con.execute(sql, [bin_width, *params]).fetchall()
    return [(r[0], list(r[1]), list(r[2]), list(r[3])) for r in rows]


def outlet_bins(db: Database, year: int, rubric_version: str, model: str, unranked: Sequence[str],
                bin_width: float) -> Bins:
    """Per outlet (media types in `unranked` left out), the histogram of a year's article scores
    (bin keys, counts, sums): the aggregation behind the ranking."""
    with db.connect() as con:
        return score_bins(con, RANK_INPUT, [rubric_version, model, year, list(unranked)], bin_width)


def yearly_outlet_means(db: Database, outlet_ids: Sequence[str], rubric_version: str,
                        model: str) -> dict[str, dict[int, tuple[float, int]]]:
    """Each outlet's mean article score and article count per year, for the trend chart."""
    if not outlet_ids:
        return {}
    sql = ("SELECT a.outlet_id, year(coalesce(a.published, a.first_seen)) AS y, avg(r.score), count(*) "
           "FROM articles a JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? "
           "AND r.model = ? AND r.content_hash = a.content_hash WHERE a.outlet_id IN (SELECT unnest(?)) "
           "GROUP BY ALL ORDER BY ALL")
    out: dict[str, dict[int, tuple[float, int]]] = {}
    with db.connect() as con:
        for oid, y, mean, n in con.execute(sql, [rubric_version, model, list(outlet_ids)]).fetchall():
            out.setdefault(oid, {})[int(y)] = (round(float(mean), 1), int(n))
    return out


def _insert_snapshot(con: duckdb.DuckDBPyConnection, snapshot: dict[str, Any], rows: Sequence[dict[str, Any]],
                     details: str | None) -> bool:
    """Insert a snapshot and its rows unless its id is stored already; True when new."""
    if con.execute("SELECT 1 FROM ranking_snapshots WHERE id = ?", [snapshot["id"]]).fetchall():
        return False
    con.execute("INSERT INTO ranking_snapshots (id, year, rubric_version, models, parameters, "
                "article_ids, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [snapshot["id"], snapshot["year"], snapshot["rubric_version"],
                 json.dumps(snapshot["models"]), json.dumps(snapshot["parameters"]),
                 json.dumps(snapshot["article_ids"]), details])
    executemany(con, "INSERT INTO ranking_rows (snapshot_id, category, outlet_id, rank, score, "
                "ci_low, ci_high, n_articles, status, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[snapshot["id"], r["category"], r["outlet_id"], r["rank"], r["score"], r["ci_low"],
                  r["ci_high"], r["n_articles"], r["status"], r.get("change")] for r in rows])
    return True


def save_snapshot(db: Database, snapshot: dict[str, Any], rows: Sequence[dict[str, Any]]) -> bool:
    """Store a bare ranking snapshot (no verdicts, indicators or changes) once; True when new."""
    with db.transaction() as con:
        return _insert_snapshot(con, snapshot, rows, None)


def save_award_snapshot(db: Database, snapshot: dict[str, Any]) -> bool:
    """Store a ranking snapshot with every category's rows once (id = hash of inputs); True when new."""
    details = {k: snapshot[k] for k in ("verdicts", "indicators", "previous") if k in snapshot}
    with db.transaction() as con:
        return _insert_snapshot(con, snapshot, snapshot["rows"], json.dumps(details, default=str))


def award_snapshot(db: Database, snapshot_id: str) -> dict[str, Any] | None:
    """A stored snapshot with its rows (as saved, under `stored_rows`), or None."""
    with db.connect() as con:
        head = con.execute("SELECT id, year, rubric_version, models, parameters, article_ids, details "
                           "FROM ranking_snapshots WHERE id = ?", [snapshot_id]).fetchall()
        if not head:
            return None
        rows = dicts(con.execute("SELECT category, outlet_id, rank, score, ci_low, ci_high, n_articles, status, "
                                 "change FROM ranking_rows WHERE snapshot_id = ? ORDER BY category, outlet_id",
                                 [snapshot_id]))
    sid, year, version, models, params, ids, details = head[0]
    return {"id": sid, "year": year, "rubric_version": version, "models": json.loads(models),
            "parameters": json.loads(params), "article_ids": json.loads(ids),
            **json.loads(details or "{}"), "stored_rows": rows}


def snapshot_years(db: Database) -> list[int]:
    """Years with a stored ranking snapshot, newest first."""
    with db.connect() as con:
        return [int(r[0]) for r in con.execute("SELECT DISTINCT year FROM ranking_snapshots "
                                               "ORDER BY year DESC").fetchall()]


def latest_ranking(db: Database, year: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The newest snapshot of a year (article ids decoded) and its rows with outlet names."""
    with db.connect() as con:
        snaps = dicts(con.execute("SELECT * FROM ranking_snapshots WHERE year = ? "
                                  "ORDER BY created_at DESC LIMIT 1", [year]))
        if not snaps:
            return None, []
        rows = dicts(con.execute(
            "SELECT r.*, coalesce(o.name, r.outlet_id) AS outlet, o.country, o.media_type FROM ranking_rows r "
            "LEFT JOIN outlets o ON o.id = r.outlet_id WHERE r.snapshot_id = ? "
            "ORDER BY r.category, r.rank NULLS LAST, outlet", [snaps[0]["id"]]))
    snap = snaps[0]
    for key in ("article_ids", "models", "parameters"):
        snap[key] = json.loads(snap[key])
    return snap, rows
