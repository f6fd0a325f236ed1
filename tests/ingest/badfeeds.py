"""Helpers for the loopback ingest tests: RSS documents, fast settings, and a run between good feeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.outlets import Feed
from pipeline.db import sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs

RSS_TYPE = "application/rss+xml; charset=utf-8"


def item(title: str, link: str, guid: str | None = None, date: str | None = "Tue, 03 Mar 2026 10:00:00 +0000",
         description: str = "Some text.") -> str:
    """One RSS <item> (title and description escaped)."""
    parts = [f"<title>{escape(title)}</title>", f"<link>{escape(link)}</link>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{escape(guid)}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{escape(date)}</pubDate>")
    parts.append(f"<description>{escape(description)}</description>")
    return "<item>" + "".join(parts) + "</item>"


def rss(items: Sequence[str], encoding: str | None = "utf-8", title: str = "Feed") -> str:
    """An RSS 2.0 document; encoding=None leaves the prolog without an encoding declaration."""
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    return (f'{prolog}\n<rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>http://example.test/</link><description>d</description>{''.join(items)}</channel></rss>")


def quick(db_path: Path, **values: Any) -> Settings:
    """Fast settings for loopback tests: no politeness delay, no page fetches, short timeout, no retries."""
    base: dict[str, Any] = {"db": db_path, "timeout_s": 2.0, "politeness_s": 0.0, "fetch_pages": False,
                            "retries": 0, "per_host": 4}
    base.update(values)
    return Settings(**base)


def stored_urls(db: Database, feed_url: str | None = None) -> set[str]:
    """URLs of stored articles, of one feed or of all."""
    with db.connect() as con:
        if feed_url is None:
            return {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
        return {r[0] for r in con.execute("SELECT url FROM articles WHERE feed_url = ?", [feed_url]).fetchall()}


def query(db: Database, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query on the database."""
    with db.connect() as con:
        return con.execute(sql, list(params)).fetchall()


@dataclass
class Outcome:
    """What the run with the bad feeds did."""

    summary: jobs.IngestSummary
    reasons: dict[str, str]
    health: dict[str, dict[str, Any]]
    before: set[str]

    def failed(self, url: str) -> str:
        """The recorded reason a feed failed (in the summary and in its health record)."""
        assert url in self.reasons, f"{url} did not fail; failures: {self.reasons}"
        assert self.health[url]["last_error"] == self.reasons[url]
        assert self.health[url]["consecutive_failures"] >= 1
        return self.reasons[url]

    def ok(self, url: str) -> None:
        """The feed succeeded."""
        assert url not in self.reasons, f"{url} failed: {self.reasons[url]}"
        assert self.health[url]["last_success"] is not None


def run_with_good_feeds(http: Any, db: Database, settings: Settings, bad: Sequence[Feed],
                        polls: int = 1) -> Outcome:
    """Ingest a good feed, then (polls times) one run of it, the bad feeds and a fresh good feed;
    check the run went on and that nothing stored before was lost."""
    good_items = [item(f"Good {n}", f"{http.base}/good/{n}", f"good-{n}") for n in range(3)]
    good = Feed(url=http.add("/good.xml", rss(good_items), content_type=RSS_TYPE), outlet_id="good")
    fresh_items = [item(f"Fresh {n}", f"{http.base}/fresh/{n}", f"fresh-{n}") for n in range(2)]
    fresh = Feed(url=http.add("/fresh.xml", rss(fresh_items), content_type=RSS_TYPE), outlet_id="fresh")
    sources.upsert_sources(db, [], [good, fresh, *bad])

    first = jobs.ingest_feeds(db, settings, [good], "seed")
    assert (first.feeds_ok, first.new) == (1, 3)
    before = stored_urls(db)
    assert len(before) == 3

    feeds = [good, *bad, fresh]
    for poll in range(polls):
        summary = jobs.ingest_feeds(db, settings, feeds, f"run-{poll}")
        assert summary.feeds_ok + summary.feeds_failed == len(feeds)
    after = stored_urls(db)
    assert before <= after, f"stored articles lost: {before - after}"
    assert stored_urls(db, good.url) == before
    assert len(stored_urls(db, fresh.url)) == 2, "the run stopped before the fresh feed"
    reasons = dict(summary.failures)
    assert good.url not in reasons and fresh.url not in reasons
    assert all(isinstance(r, str) and r.strip() and "Traceback" not in r for r in reasons.values())
    health = {row["url"]: row for row in sources.feed_status(db)}
    return Outcome(summary, reasons, health, before)
