"""The benchmarks' own SQL: synthetic scored articles generated inside DuckDB (table bench_scores)
and the two ways `bench rank` reads them."""

from __future__ import annotations

import numpy as np

from pipeline.db.database import Database
from pipeline.db.rankings import Bins, score_bins


def synthetic_scores(db: Database, rows: int, outlets: int, seed: int) -> None:
    """Fill table bench_scores with `rows` synthetic scored articles of `outlets` outlets, inside DuckDB."""
    with db.connect() as con:
        con.execute("DROP TABLE IF EXISTS bench_scores")
        con.execute(f"SELECT setseed({(seed % 1000) / 1000.0})")
        con.execute(
            "CREATE TABLE bench_scores AS SELECT md5(i::VARCHAR) AS article_id, "
            f"'outlet-' || lpad((i % {int(outlets)})::VARCHAR, 5, '0') AS outlet_id, "
            f"round(least(100, greatest(0, 40 + (i % {int(outlets)}) * 40.0 / {int(outlets)} "
            "+ 20 * (random() + random() + random() - 1.5))), 2) AS score "
            f"FROM range({int(rows)}) t(i)")


def bench_bins(db: Database, bin_width: float) -> Bins:
    """Per-outlet histograms of bench_scores: the same aggregation SQL as the product's outlet_bins."""
    with db.connect() as con:
        return score_bins(con, "SELECT outlet_id, score FROM bench_scores", [], bin_width)


def bench_rows(db: Database) -> tuple[np.ndarray, np.ndarray]:
    """(outlet ids, scores) of bench_scores as arrays: the per-article baseline's input."""
    with db.connect() as con:
        cols = con.execute("SELECT outlet_id, score FROM bench_scores ORDER BY outlet_id").fetchnumpy()
    return np.asarray(cols["outlet_id"]), np.asarray(cols["score"], dtype=float)
