"""The main job's steps over a database: what flows and CLI commands call (plain Python, no Prefect)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.award.rank import OutletScore
from pipeline.award.report import write_report
from pipeline.classify.classifier import Classifier, classify_batch
from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.outlets import Feed
from pipeline.core.record import Article
from pipeline.db import articles as articles_db
from pipeline.db import rankings, results, sources
from pipeline.db.database import Database
from pipeline.ingest.crawl import crawl_results, crawl_sync
from pipeline.ingest.feedkinds import PAGED
from pipeline.ingest.feeds import FeedResult
from pipeline.ingest.neardup import WINDOW_DAYS, Clusterer
from pipeline.jobs.factchecks import refreshed
from pipeline.rubric import score as rubric_mod

Tick = Callable[[int], None]
BATCH = 256
# Classified articles are stored every WRITE_ITEMS or WRITE_S, whichever comes first: a crash loses at most that.
WRITE_ITEMS, WRITE_S = 1024, 5.0
# Pending articles are read a page at a time, so memory stays flat however many wait.
PAGE = 4096
# Results are written in small groups: a crash loses at most these (refetched next run). A group is counted
# in items, not feeds: each write is a transaction (and, every KEEP_S, a checkpoint of the file), so a 304 or a
# failure (a one-row health update, cheap to redo) waits for the next group.
FLUSH_ITEMS, FLUSH_S = 1000, 2.0


@dataclass
class IngestSummary:
    """Counts of one ingest run, and the reasons feeds failed. `kept`: new articles stored with their feed
    text because their page could not be fetched (not rejected: they are stored). `notes`: (what, item, why)
    for each rejected item and each kept feed text, shown by `ingest --verbose`."""

    feeds_ok: int = 0
    feeds_failed: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    kept: int = 0
    not_modified: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with the run (the notes stay out: one per item, they live in `rejected`)."""
        return {"feeds_ok": self.feeds_ok, "feeds_failed": self.feeds_failed, "new": self.new,
                "duplicate": self.duplicate, "rejected": self.rejected, "kept": self.kept,
                "not_modified": self.not_modified, "failures": self.failures}


def fetch_feed(feed: Feed, settings: Settings) -> FeedResult:
    """Ingest one feed (retries for retryable errors happen inside the fetcher)."""
    return crawl_results([feed], settings)[0]


def fetch_batch(feeds: Sequence[Feed], settings: Settings) -> list[FeedResult]:
    """Ingest a batch of feeds concurrently; one result per feed, in order."""
    return crawl_results(feeds, settings)


def clusterer_for(db: Database) -> Clusterer:
    """A near-duplicate clusterer that reads the recent stored signatures when it first needs them."""
    return Clusterer(lambda: articles_db.recent_signatures(db, WINDOW_DAYS))


def save_feed_results(db: Database, feed_results: Sequence[FeedResult], run_id: str | None, summary: IngestSummary,
                      clusterer: Clusterer | None = None) -> None:
    """Store feeds' articles (clustered with near duplicates), rejects and health in one transaction."""
    articles = [a for r in feed_results if not r.error for a in r.articles]
    with db.held():
        fresh = articles_db.new_articles(db, articles)
        known = {k: v for r in feed_results for k, v in r.signatures.items()}
        clusters = clusterer.assign(fresh, known) if clusterer else None
        # A page that failed matters only for an article stored now: a duplicate's text is already stored.
        fresh_urls = {a.url for a in fresh}
        kept = [(r.feed.url, url, why) for r in feed_results if not r.error for url, why in r.kept if url in fresh_urls]
        with db.transaction():
            new = articles_db.insert_fresh(db, fresh, run_id, clusters) if fresh else 0
            articles_db.reject_many(db, [(run_id, "ingest", r.feed.url, src, why)
                                         for r in feed_results for src, why in r.rejected])
            articles_db.reject_many(db, [(run_id, "ingest-page", feed, url, why) for feed, url, why in kept])
            # Items stored shortened: quarantine rows of their own stage, so what was cut can be found.
            articles_db.reject_many(db, [(run_id, "ingest-cut", r.feed.url, src, why)
                                         for r in feed_results if not r.error for src, why in r.cut])
            sources.record_feed_results(db, [(r.feed.url, r.error, r.etag, r.last_modified) for r in feed_results])
    summary.new, summary.duplicate = summary.new + new, summary.duplicate + len(articles) - new
    summary.kept += len(kept)
    summary.notes += [("kept feed text", url, why) for _, url, why in kept]
    _count_feeds(summary, feed_results)


def _count_feeds(summary: IngestSummary, feed_results: Sequence[FeedResult]) -> None:
    """Add the feeds' outcomes and rejected items to the summary."""
    for r in feed_results:
        summary.feeds_ok += r.error is None
        summary.not_modified += int(r.not_modified)
        summary.rejected += len(r.rejected)
        summary.notes += [("rejected", f"{r.feed.url} {src}", why) for src, why in r.rejected]
        if r.error:
            summary.feeds_failed += 1
            summary.failures.append((r.feed.url, r.error))


def save_feed_result(db: Database, result: FeedResult, run_id: str | None, summary: IngestSummary,
                     clusterer: Clusterer | None = None) -> None:
    """Store one feed's result."""
    save_feed_results(db, [result], run_id, summary, clusterer)


def ingest_feeds(db: Database, settings: Settings, feeds: Sequence[Feed], run_id: str | None,
                 tick: Tick | None = None) -> IngestSummary:
    """Ingest feeds concurrently, storing each feed's result as soon as it lands (a crash loses
    only feeds in flight); one failure never stops the rest."""
    summary, clusterer = IngestSummary(), clusterer_for(db)
    pending: list[FeedResult] = []
    last_flush, items = time.monotonic(), 0

    def flush() -> None:
        nonlocal last_flush, items
        save_feed_results(db, pending, run_id, summary, clusterer)
        if tick:
            tick(len(pending))
        pending.clear()
        last_flush, items = time.monotonic(), 0

    def save(result: FeedResult) -> None:
        nonlocal items
        pending.append(result)
        items += len(result.articles) + len(result.rejected)
        if items >= FLUSH_ITEMS or time.monotonic() - last_flush > FLUSH_S:
            flush()

    paged = [f.url for f in feeds if f.kind in PAGED]
    with db.kept():
        crawl_sync(feeds, settings, save, articles_db.recent_guids(db, paged))
        flush()
    return summary


def classify_pending(db: Database, settings: Settings, clf: Classifier, tick: Tick | None = None) -> int:
    """Classify every stored article that has no result from the current models, a page at a time."""
    fallbacks, done = language_fallbacks(db), 0
    with db.kept():
        page = results.pending_classification(db, clf.tag, limit=PAGE)
        clf = refreshed(clf, db.path) if page else clf
        while page:
            clf = _classify_page(db, page, clf, settings.relevance_gate, fallbacks, tick)
            done += len(page)
            page = results.pending_classification(db, clf.tag, after=page[-1].id, limit=PAGE)
    return done


def _classify_page(db: Database, page: Sequence[Article], clf: Classifier, gate: float,
                   fallbacks: dict[str, str | None], tick: Tick | None) -> Classifier:
    """Classify a page of pending articles by batches, storing them by groups (see WRITE_ITEMS)."""
    done: list[Article] = []
    written = time.monotonic()
    for start in range(0, len(page), BATCH):
        done += classify_batch(page[start:start + BATCH], clf, gate, fallbacks)
        if len(done) >= WRITE_ITEMS or time.monotonic() - written >= WRITE_S or start + BATCH >= len(page):
            clf = _store_classified(db, done, clf, gate)
            done, written = [], time.monotonic()
        if tick:
            tick(min(BATCH, len(page) - start))
    return clf


def _store_classified(db: Database, done: Sequence[Article], clf: Classifier, gate: float) -> Classifier:
    """Store classified articles in one transaction, then pick up fact-checks imported meanwhile (matched from
    the next batch)."""
    with db.held():
        results.save_classifications(db, done, clf.tag, gate)
        return refreshed(clf, db)


def language_fallbacks(db: Database) -> dict[str, str | None]:
    """Each outlet's language, used when an article is too short to tell its own."""
    return {oid: o.language for oid, o in sources.outlets(db).items()}


def chunks(items: Sequence[Article], size: int) -> list[list[Article]]:
    """Consecutive slices of at most `size` items."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def score_pending(db: Database, model_tag: str, rubric: rubric_mod.Rubric) -> int:
    """Apply the rubric to every relevant, classified article without a current result."""
    pending = results.pending_rubric(db, model_tag, rubric.version)
    with db.kept():
        for start in range(0, len(pending), BATCH):
            results.save_rubric(db, rubric_mod.score_batch(pending[start:start + BATCH], rubric), model_tag)
    return len(pending)


def rank_year(db: Database, settings: Settings, year: int, model_tag: str,
              rubric_version: str) -> tuple[list[OutletScore], dict[str, Any], bool]:
    """The year's ranking (every category, reviewers' verdicts applied), frozen as a snapshot
    (stored once: same inputs, same id)."""
    from pipeline.award.categories import AwardInput, rank_award
    from pipeline.jobs.award import award_data

    rubric = rubric_mod.load_rubric()
    if rubric.version != rubric_version:
        raise ConfigError(f"rubric version {rubric_version} is not the installed rubric ({rubric.version}); "
                          "rank with the installed rubric or install that version's rubric file")
    spec = AwardInput(year, rubric, model_tag, settings.min_articles)
    with db.held():
        lines, snapshot = rank_award(award_data(db, spec), spec)
        new = rankings.save_award_snapshot(db, snapshot) if snapshot["article_ids"] else False
    return lines, snapshot, new


def report_year(db: Database, out: Path, year: int, lines: Sequence[OutletScore],
                snapshot: dict[str, Any]) -> Path:
    """Write the static report of a ranking snapshot (evidence with the snapshot's verdicts applied)."""
    from pipeline.jobs.award import report_context

    context = report_context(db, year, lines, snapshot, rubric_mod.load_rubric())
    return write_report(out, context)
