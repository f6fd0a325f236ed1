"""The monitoring flow: ingest the feeds, classify new articles, score the relevant ones."""

from __future__ import annotations

import argparse
import json
from typing import Any

from prefect import flow, unmapped
from prefect.futures import as_completed, wait
from prefect.task_runners import ThreadPoolTaskRunner

import flows  # noqa: F401  (offline settings before Prefect loads)
from flows.dask_runner import cluster_address, task_runner
from flows.tasks import classify_chunk, fetch_batch, score_pending
from pipeline.classify.classifier import classifier_tag
from pipeline.core.config import Settings, load_settings
from pipeline.core.outlets import Feed
from pipeline.db import articles, results, sources
from pipeline.db.database import Database
from pipeline.ingest.feeds import FeedResult
from pipeline.jobs import steps as jobs

BATCH_SIZE = 50
# Batches run side by side, each fetching its feeds concurrently (feed_concurrency, per_host).
BATCHES_AT_ONCE = 4


@flow(name="xenowatch-ingest", task_runner=ThreadPoolTaskRunner(max_workers=BATCHES_AT_ONCE))  # type: ignore[arg-type]
def ingest_flow(settings: Settings, feeds: list[Feed]) -> dict[str, Any]:
    """Fetch batches of feeds concurrently; a batch whose task fails is recorded per feed, not fatal."""
    db = Database(settings.db)
    run_id = articles.start_run(db, "ingest")
    batches = [feeds[i:i + BATCH_SIZE] for i in range(0, len(feeds), BATCH_SIZE)]
    futures = fetch_batch.map(batches, settings=settings)
    wait(futures)
    summary, clusterer = jobs.IngestSummary(), jobs.clusterer_for(db)
    for batch, future in zip(batches, futures):
        state = future.state
        done = future.result() if state.is_completed() else [FeedResult(f, error=_reason(state)) for f in batch]
        for result in done:
            jobs.save_feed_result(db, result, run_id, summary, clusterer)
    articles.finish_run(db, run_id, summary.as_dict())
    return summary.as_dict()


def _reason(state: Any) -> str:
    """The error message of a failed task state (the exception's own words where there is one)."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception as error:  # the result itself may be unreadable; the message still helps
        exc = error
    return str(exc) if isinstance(exc, BaseException) else (state.message or "task failed")


@flow(name="xenowatch-classify", task_runner=ThreadPoolTaskRunner(max_workers=1))  # type: ignore[arg-type]
def classify_flow(settings: Settings) -> int:
    """Classify the stored articles the current models have not seen: workers compute (each with its
    own models, loaded once), and this flow alone writes, one transaction per chunk as it comes back
    (a crash loses only chunks in flight)."""
    db, tag = Database(settings.db), classifier_tag(settings)
    pending = results.pending_classification(db, tag)
    fallbacks = jobs.language_fallbacks(db)
    chunks = jobs.chunks(pending, settings.classify_chunk)
    futures = classify_chunk.map(chunks, settings=settings, fallbacks=unmapped(fallbacks))
    for future in as_completed(futures):
        results.save_classifications(db, future.result(), tag, settings.relevance_gate)
    return len(pending)


@flow(name="xenowatch-monitor", log_prints=False)
def monitor_flow(settings: Settings | None = None, feeds: list[Feed] | None = None) -> dict[str, Any]:
    """Ingest the registered (or given) feeds, classify what is new, score what is about migration;
    ingest and classify tasks run on threads here or on a Dask cluster (settings.runner). Without
    settings (a deployment's run), they come from the worker's environment (XENOWATCH_*)."""
    settings = settings or load_settings()
    db = Database.open(settings.db)
    with cluster_address(settings) as address:
        ingest = ingest_flow.with_options(task_runner=task_runner(address, BATCHES_AT_ONCE))(
            settings, feeds if feeds is not None else sources.feeds(db))
        classified = classify_flow.with_options(task_runner=task_runner(address, 1))(settings)
    scored = score_pending(settings)
    return {"ingest": ingest, "classified": classified, "scored": scored}


def main() -> None:
    """`python -m flows.monitor`: run once, or serve on a schedule with --cron."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--db", help="DuckDB file (default: XENOWATCH_DB or ./xenowatch.duckdb)")
    parser.add_argument("--cron", help="serve the flow on this cron schedule, e.g. '0 * * * *'")
    args = parser.parse_args()
    settings = load_settings(db=args.db)
    if args.cron:
        monitor_flow.serve(name="xenowatch-monitor", cron=args.cron, parameters={"settings": settings})
    else:
        print(json.dumps(monitor_flow(settings), indent=2, default=str))


if __name__ == "__main__":
    main()
