"""Sources: outlets and feeds registered and updated in place, feed health and validators."""

from __future__ import annotations

import pytest

from pipeline.core.errors import InputError
from pipeline.core.outlets import Feed, Outlet
from pipeline.core.record import Article
from pipeline.db import articles, sources
from pipeline.db.database import Database

OUTLET = Outlet("o", "Outlet", "GB", "en", "newspaper", "Owner Ltd", "https://o.test")


def test_upsert_registers_and_updates(db: Database) -> None:
    sources.upsert_sources(db, [OUTLET, Outlet("p", "Posts", media_type="social")],
                           [Feed("http://o.test/rss", "o"), Feed("http://p.test/feed", "p", kind="mastodon")])
    assert sources.outlets(db) == {"o": OUTLET, "p": Outlet("p", "Posts", media_type="social")}
    assert sources.feeds(db) == [Feed("http://o.test/rss", "o"), Feed("http://p.test/feed", "p", kind="mastodon")]
    sources.upsert_sources(db, [Outlet("o", "Renamed", "FR")], [Feed("http://o.test/rss", "p", kind="atom")])
    assert sources.outlets(db)["o"] == Outlet("o", "Renamed", "FR")
    assert sources.feeds(db)[0] == Feed("http://o.test/rss", "p", kind="atom")


def test_feed_results_keep_validators_and_count_failures(db: Database) -> None:
    sources.upsert_sources(db, [OUTLET], [Feed("http://o.test/a", "o"), Feed("http://o.test/b", "o")])
    sources.record_feed_results(db, [("http://o.test/a", None, '"v1"', "Mon, 01 Jan 2026 00:00:00 GMT"),
                                     ("http://o.test/b", "HTTP 500", None, None)])
    sources.record_feed_results(db, [("http://o.test/a", None, None, None), ("http://o.test/b", "timeout", None, None)])
    a, b = sources.feeds(db)
    assert (a.etag, a.last_modified) == ('"v1"', "Mon, 01 Jan 2026 00:00:00 GMT")  # kept when the answer has none
    status = {row["url"]: row for row in sources.feed_status(db)}
    assert status["http://o.test/a"]["last_success"] is not None and status["http://o.test/a"]["last_error"] is None
    failing = status["http://o.test/b"]
    assert failing["last_error"] == "timeout" and failing["consecutive_failures"] == 2
    sources.record_feed_results(db, [("http://o.test/b", None, None, None)])
    assert {r["url"]: r for r in sources.feed_status(db)}["http://o.test/b"]["consecutive_failures"] == 0
    sources.record_feed_results(db, [])


def test_feed_status_counts_the_last_weeks_items(db: Database) -> None:
    sources.upsert_sources(db, [OUTLET], [Feed("http://o.test/rss", "o")])
    articles.insert_articles(db, [Article(url=f"http://o.test/{i}", outlet="o", feed_url="http://o.test/rss")
                                  for i in range(3)], None)
    (row,) = sources.feed_status(db)
    assert set(row) == {"url", "outlet_id", "disabled", "last_success", "last_error", "consecutive_failures",
                        "items_7d"}
    assert row["items_7d"] == 3 and row["outlet_id"] == "o"


def test_disabled_feeds_are_left_out_of_the_feeds_to_fetch(db: Database) -> None:
    sources.upsert_sources(db, [OUTLET, Outlet("p", "Outlet")],
                           [Feed("http://o.test/a", "o"), Feed("http://o.test/b", "o")])
    chosen = sources.select(db, "o")
    assert chosen == sources.Selection("outlet o", "o", ("http://o.test/a", "http://o.test/b"))
    assert sources.set_disabled(db, sources.select(db, "http://o.test/b"), True) == 1
    assert sources.set_disabled(db, chosen, True) == 1  # only a was still enabled
    assert sources.feeds(db) == [] and sources.disabled_feeds(db) == {"http://o.test/a", "http://o.test/b"}
    assert len(sources.feeds(db, include_disabled=True)) == 2
    sources.upsert_sources(db, [], [Feed("http://o.test/a", "o", kind="atom")])  # a re-import keeps it disabled
    assert sources.feeds(db) == []
    assert sources.set_disabled(db, chosen, False) == 2 and len(sources.feeds(db)) == 2
    with pytest.raises(InputError, match="names 2 outlets \\(o, p\\); give the outlet's id"):
        sources.select(db, "OUTLET")


def test_remove_keeps_sources_with_stored_articles(db: Database) -> None:
    sources.upsert_sources(db, [OUTLET], [Feed("http://o.test/a", "o"), Feed("http://o.test/b", "o")])
    articles.insert_articles(db, [Article(url="http://o.test/1", outlet="o", feed_url="http://o.test/a")], None)
    assert sources.remove(db, sources.select(db, "o")) == 1
    assert sources.remove(db, sources.select(db, "http://o.test/a")) == 1
    assert sources.remove(db, sources.select(db, "http://o.test/b")) == 0
    assert [f.url for f in sources.feeds(db)] == ["http://o.test/a"] and "o" in sources.outlets(db)
