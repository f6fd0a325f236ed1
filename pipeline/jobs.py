"""The main job's steps over a store: what flows and CLI commands call (plain Python, no Prefect)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline import rubric as rubric_mod
from pipeline.classify import Classifier, classify_batch
from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch import make_client
from pipeline.ingest import FeedResult, ingest_feed
from pipeline.rank import OutletScore, rank_outlets, snapshot_of
from pipeline.report import write_report
from pipeline.sources import Feed
from pipeline.store import Store

Tick = Callable[[int], None]
BATCH = 256


@dataclass
class IngestSummary:
    """Counts of one ingest run, and the reasons feeds failed."""

    feeds_ok: int = 0
    feeds_failed: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    not_modified: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with the run."""
        return {"feeds_ok": self.feeds_ok, "feeds_failed": self.feeds_failed, "new": self.new,
                "duplicate": self.duplicate, "rejected": self.rejected,
                "not_modified": self.not_modified, "failures": self.failures}


def fetch_feed(feed: Feed, settings: Settings, raise_retryable: bool = False) -> FeedResult:
    """Ingest one feed with its own client; optionally raise retryable errors (for Prefect retries)."""
    with make_client(settings) as client:
        result = ingest_feed(feed, client, settings)
    if raise_retryable and result.retryable:
        raise FetchError(result.error or "retryable fetch error", retryable=True)
    return result


def save_feed_result(store: Store, result: FeedResult, run_id: str | None, summary: IngestSummary) -> None:
    """Store one feed's articles, rejects and health; add its counts to the summary."""
    for source, reason in result.rejected:
        store.reject(run_id, "ingest", result.feed.url, source, reason)
    summary.rejected += len(result.rejected)
    if result.error:
        store.record_feed_result(result.feed.url, result.error)
        summary.feeds_failed += 1
        summary.failures.append((result.feed.url, result.error))
        return
    new, duplicate = store.insert_articles(result.articles, run_id)
    store.record_feed_result(result.feed.url, None, result.etag, result.last_modified)
    summary.feeds_ok += 1
    summary.not_modified += int(result.not_modified)
    summary.new, summary.duplicate = summary.new + new, summary.duplicate + duplicate


def ingest_feeds(store: Store, settings: Settings, feeds: Sequence[Feed], run_id: str | None,
                 tick: Tick | None = None) -> IngestSummary:
    """Ingest feeds one after another (flows run them concurrently); one failure never stops the rest."""
    summary = IngestSummary()
    for feed in feeds:
        save_feed_result(store, fetch_feed(feed, settings), run_id, summary)
        if tick:
            tick(1)
    return summary


def classify_pending(store: Store, settings: Settings, clf: Classifier, tick: Tick | None = None) -> int:
    """Classify every stored article that has no result from the current models."""
    pending = store.pending_classification(clf.tag)
    fallbacks = {oid: o.language for oid, o in store.outlets().items()}
    for start in range(0, len(pending), BATCH):
        batch = classify_batch(pending[start:start + BATCH], clf, settings.relevance_gate, fallbacks)
        store.save_classifications(batch, clf.tag, settings.relevance_gate)
        if tick:
            tick(len(batch))
    return len(pending)


def score_pending(store: Store, model_tag: str, rubric: rubric_mod.Rubric) -> int:
    """Apply the rubric to every relevant, classified article without a current result."""
    pending = store.pending_rubric(model_tag, rubric.version)
    for start in range(0, len(pending), BATCH):
        store.save_rubric(rubric_mod.score_batch(pending[start:start + BATCH], rubric), model_tag)
    return len(pending)


def rank_year(store: Store, settings: Settings, year: int, model_tag: str,
              rubric_version: str) -> tuple[list[OutletScore], dict[str, Any], bool]:
    """The year's ranking, frozen as a snapshot (stored once: same inputs, same id)."""
    rows = store.scored_rows(year, rubric_version, model_tag)
    lines = rank_outlets(rows, store.outlets(), settings.min_articles)
    snapshot = snapshot_of(year, rows, lines, rubric_version, model_tag, settings.min_articles)
    new = store.save_snapshot(snapshot, [asdict(line) for line in lines]) if rows else False
    return lines, snapshot, new


def report_year(store: Store, out: Path, year: int, lines: Sequence[OutletScore],
                snapshot: dict[str, Any]) -> Path:
    """Write the static report of a ranking snapshot."""
    evidence = store.evidence(snapshot["article_ids"], snapshot["rubric_version"])
    return write_report(out, year, lines, snapshot, evidence)
