"""Rankings: the ranked articles, the per-outlet score histograms computed from them, and the snapshots
that freeze them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb

from pipeline.core.record import ScoredRow
from pipeline.db._rows import dicts, executemany
from pipeline.db.database import Database

Bins = list[tuple[str, list[int], list[int], list[float]]]

# The ranked articles of a year (rubric version, model, year, unranked media types): social media types
# and social posts (any feed kind) left out: they are monitored, never ranked.
RANKED = (
    "FROM articles a JOIN rubric_results r "
    "ON r.article_id = a.id AND r.rubric_version = ? AND r.model = ? AND r.content_hash = a.content_hash "
    "LEFT JOIN outlets o ON o.id = a.outlet_id WHERE year(coalesce(a.published, a.first_seen)) = ? "
    "AND coalesce(o.media_type, 'other') NOT IN (SELECT unnest(?)) AND coalesce(a.kind, 'article') <> 'post'")
# The ranking input: one (outlet_id, score) row per ranked article.
RANK_INPUT = f"SELECT a.outlet_id, r.score {RANKED}"
# A failing hate criterion in a stored criteria list.
HATE_FLAGGED = ("len(list_filter(from_json(r.criteria, '[{\"id\": \"VARCHAR\", \"score\": \"DOUBLE\"}]'), "
                "lambda c: c.id = 'hate_flag' AND c.score < 1)) > 0")
ROW_COLUMNS = ("category", "outlet_id", "rank", "score", "ci_low", "ci_high", "n_articles", "status", "change",
               "rank_low", "rank_high", "p_first", "change_low", "change_high")


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


def ranked_rows(db: Database, year: int, rubric_version: str, model: str, unranked: Sequence[str]) -> list[ScoredRow]:
    """The ranked articles of a year (the rows behind outlet_bins), by id."""
    with db.connect() as con:
        rows = con.execute(f"SELECT a.id, a.outlet_id, a.published, r.score, a.content_hash {RANKED} ORDER BY a.id",
                           [rubric_version, model, year, list(unranked)]).fetchall()
    return [ScoredRow(*r) for r in rows]


def hate_flagged(db: Database, year: int, rubric_version: str, model: str,
                 unranked: Sequence[str]) -> list[dict[str, Any]]:
    """Rubric results (id, outlet_id, score, criteria decoded) of the ranked articles of a year whose
    hate-speech criterion failed: the award decides which of those flags count."""
    sql = f"SELECT a.id, a.outlet_id, r.score, r.criteria {RANKED} AND {HATE_FLAGGED} ORDER BY a.id"
    with db.connect() as con:
        rows = dicts(con.execute(sql, [rubric_version, model, year, list(unranked)]))
    return [{**row, "criteria": json.loads(row["criteria"])} for row in rows]


def ranked_years(db: Database, rubric_version: str, model: str) -> list[int]:
    """Years with scored articles of this rubric version and model, oldest first."""
    sql = ("SELECT DISTINCT year(coalesce(a.published, a.first_seen)) AS y FROM articles a JOIN rubric_results r "
           "ON r.article_id = a.id AND r.rubric_version = ? AND r.model = ? AND r.content_hash = a.content_hash "
           "WHERE y IS NOT NULL ORDER BY y")
    with db.connect() as con:
        return [int(r[0]) for r in con.execute(sql, [rubric_version, model]).fetchall()]


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
    executemany(con, f"INSERT INTO ranking_rows (snapshot_id, {', '.join(ROW_COLUMNS)}) "
                f"VALUES (?{', ?' * len(ROW_COLUMNS)})",
                [[snapshot["id"], *(r.get(k) for k in ROW_COLUMNS)] for r in rows])
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
        rows = dicts(con.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM ranking_rows WHERE snapshot_id = ? "
                                 "ORDER BY category, outlet_id", [snapshot_id]))
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
