"""`xenowatch bench rank`: ranking time on synthetic scored articles generated inside DuckDB.

It runs the product's ranking code (the database's aggregation SQL -> per-outlet histograms -> shrinkage and
multinomial bootstrap in pipeline.award.rank) at two sizes, ten times apart, and reports the growth of
the time. The baseline, at the small size in the same process, is the per-article approach of
rubric 1.0: fetch every score into Python and resample articles (n x 1000 draws per outlet)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import peak_rss_mb
from benchmarks.sql import bench_bins, bench_rows, synthetic_scores
from pipeline.award.categories import to_bins
from pipeline.award.rank import BIN_WIDTH, BOOTSTRAP, SEED, rank_bins
from pipeline.db.database import Database

OUTLETS = 200
MIN_ARTICLES = 3


def ranked_time(db: Database) -> tuple[float, int]:
    """Seconds for the product's ranking over bench_scores, and the number of ranked outlets."""
    start = time.perf_counter()
    lines = rank_bins(to_bins(bench_bins(db, BIN_WIDTH)), {}, MIN_ARTICLES)
    return time.perf_counter() - start, sum(1 for ln in lines if ln.rank is not None)


def baseline_time(db: Database) -> float:
    """Seconds for the per-article baseline: every score in Python, article resampling per outlet."""
    start = time.perf_counter()
    ids, scores = bench_rows(db)
    prior = float(scores.mean())
    rng = np.random.default_rng(SEED)
    bounds = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        s = scores[a:b]
        idx = rng.integers(0, len(s), size=(BOOTSTRAP, len(s)))
        samples = (s[idx].sum(axis=1) + MIN_ARTICLES * prior) / (len(s) + MIN_ARTICLES)
        np.percentile(samples, [2.5, 97.5])
    return time.perf_counter() - start


def run_benchmark(quick: bool = False, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Time the ranking at two sizes (1M and 10M rows; quick: 100k and 1M) and the baseline."""
    sizes = (100_000, 1_000_000) if quick else (1_000_000, 10_000_000)
    seconds, ranked = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "bench.duckdb")
        for rows in sizes:
            say(f"bench rank: generating {rows:,} scored articles of {OUTLETS} outlets in DuckDB")
            synthetic_scores(db, rows, OUTLETS, SEED)
            if rows == sizes[0]:
                base = baseline_time(db)
            t, ranked = min(ranked_time(db) for _ in range(2))
            seconds.append(t)
            say(f"bench rank: {rows:,} rows ranked in {t:.3f} s")
    return {"rows": list(sizes), "seconds": [round(t, 3) for t in seconds],
            "growth_ratio": round(seconds[1] / seconds[0], 2), "outlets": OUTLETS, "ranked_outlets": ranked,
            "rows_per_s": round(sizes[1] / seconds[1]), "baseline_s": round(base, 3),
            "speedup_vs_per_article": round(base / seconds[0], 2), "peak_rss_mb": peak_rss_mb()}


def format_table(result: dict[str, Any]) -> str:
    """The result as lines of text."""
    lines = [f"{'rows':>12}  {'seconds':>8}"]
    lines += [f"{r:>12,}  {s:>8.3f}" for r, s in zip(result["rows"], result["seconds"])]
    lines.append(f"growth ratio (10x rows): {result['growth_ratio']}  ·  {result['rows_per_s']:,} rows/s")
    lines.append(f"per-article baseline at {result['rows'][0]:,} rows: {result['baseline_s']} s "
                 f"({result['speedup_vs_per_article']}x slower than ours)  ·  peak RSS {result['peak_rss_mb']} MiB")
    return "\n".join(lines)
