"""`xenowatch bench ingest`: concurrent ingest against a sequential feedparser loop, and the 304 re-poll."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser

from benchmarks.feedserver import serve_feeds
from benchmarks.measure import peak_rss_mb
from pipeline.core.config import Settings
from pipeline.core.outlets import Feed, Outlet
from pipeline.db import sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs

ITEMS = 20
# A news site's feed answers in a few hundred milliseconds (DNS, TLS, server time); 200 ms is simulated.
LATENCY_S = 0.2


def sequential(urls: list[str]) -> tuple[float, int]:
    """The baseline: feedparser.parse(url), one feed after another."""
    start = time.perf_counter()
    items = sum(len(feedparser.parse(url).entries) for url in urls)
    return time.perf_counter() - start, items


def ours(db: Database, settings: Settings) -> tuple[float, jobs.IngestSummary]:
    """The project's ingest over every registered feed (validators from the last poll included)."""
    start = time.perf_counter()
    summary = jobs.ingest_feeds(db, settings, sources.feeds(db), None)
    return time.perf_counter() - start, summary


def run_benchmark(settings: Settings, quick: bool = False, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Serve N feeds of 20 items on loopback hosts; time the baseline, a first poll and a re-poll."""
    n_feeds, hosts = (40, 20) if quick else (200, 100)  # two feeds per outlet host, as news sites have
    with serve_feeds(n_feeds, ITEMS, hosts, LATENCY_S) as urls, tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "bench.duckdb")
        sources.upsert_sources(db, [Outlet("bench", "Bench")], [Feed(url=u, outlet_id="bench") for u in urls])
        conf = replace(settings, db=db.path, fetch_pages=False)
        say(f"bench ingest: {n_feeds} feeds x {ITEMS} items on {hosts} loopback hosts, "
            f"{LATENCY_S * 1000:.0f} ms latency")
        t_seq, seq_items = sequential(urls)
        t_first, first = ours(db, conf)
        t_second, second = ours(db, conf)
    return {"feeds": n_feeds, "items": first.new, "hosts": hosts, "latency_ms": LATENCY_S * 1000,
            "sequential_s": round(t_seq, 3), "sequential_items": seq_items, "first_poll_s": round(t_first, 3),
            "repoll_s": round(t_second, 3), "items_per_s": round(first.new / t_first, 1),
            "sequential_items_per_s": round(seq_items / t_seq, 1),
            "speedup_vs_sequential": round(t_seq / t_first, 2), "repoll_speedup": round(t_first / t_second, 2),
            "repoll_not_modified": second.not_modified, "failed_feeds": first.feeds_failed,
            "peak_rss_mb": peak_rss_mb()}


def format_table(r: dict[str, Any]) -> str:
    """A human-readable summary."""
    return (f"{r['feeds']} feeds x {ITEMS} items, {r['hosts']} hosts, {r['latency_ms']:.0f} ms latency\n"
            f"sequential feedparser: {r['sequential_s']} s ({r['sequential_items_per_s']} items/s)\n"
            f"xenowatch first poll:  {r['first_poll_s']} s ({r['items_per_s']} items/s) "
            f"-> {r['speedup_vs_sequential']}x\n"
            f"xenowatch re-poll:     {r['repoll_s']} s ({r['repoll_not_modified']} feeds not modified) "
            f"-> {r['repoll_speedup']}x faster than the first poll\n"
            f"peak RSS {r['peak_rss_mb']} MiB")
