"""Ingest over real loopback HTTP with hostile or broken input.

Every case follows the same shape: a good feed is ingested first, then one run ingests that good feed
again, the bad feed(s) and a fresh good feed. Each bad feed must end as parsed items or as a readable
reason (in the summary and in the feed's health record), the run must go on to the fresh feed, and
nothing stored before may be lost. Robots.txt and politeness are in test_ingest_politeness.py.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.outlets import Feed
from pipeline.db.database import Database
from pipeline.ingest import fetch
from tests.ingest.badfeeds import RSS_TYPE, item, query, quick, rss, run_with_good_feeds, stored_urls


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries back off for milliseconds instead of seconds (the retry count is what is tested)."""
    monkeypatch.setattr(fetch, "BACKOFF_S", 0.01)


# --- character sets -----------------------------------------------------------------------------

TITLE = "Café à Genève: accueil des réfugiés, « 5 € » ß"


def charset_feed(http: Any, name: str, body: bytes, content_type: str | None) -> Feed:
    """A feed served with the given Content-Type (None: no Content-Type header at all)."""
    headers = {"content_type": content_type} if content_type is not None else {}
    return Feed(url=http.add(f"/{name}.xml", body, **headers), outlet_id=name)


def stored_title(db: Database, feed: Feed) -> str:
    """The title of a feed's only stored article."""
    [(title,)] = query(db, "SELECT title FROM articles WHERE feed_url = ?", [feed.url])
    return str(title)


def test_wrong_or_missing_charset_still_parses(http, db: Database, db_path: Path) -> None:
    def doc(n: int, encoding: str | None = None) -> str:
        return rss([item(TITLE, f"http://cs.test/{n}", f"cs{n}")], encoding=encoding)

    latin1 = TITLE.replace("€", "?")  # iso-8859-1 has no euro sign: it became '?' in those bytes
    feeds = {name: (charset_feed(http, name, body, content_type), expected) for name, body, content_type, expected in [
        ("latin1-bytes-http-says-utf8", doc(1).encode("iso-8859-1", "replace"),
         "application/rss+xml; charset=utf-8", latin1),
        ("latin1-prolog-http-says-utf8", doc(2, "iso-8859-1").encode("iso-8859-1", "replace"),
         "text/xml; charset=utf-8", latin1),
        ("utf8-no-charset", doc(3).encode(), "application/rss+xml", TITLE),
        ("utf8-no-content-type", doc(4).encode(), None, TITLE),
    ]}
    out = run_with_good_feeds(http, db, quick(db_path), [feed for feed, _ in feeds.values()])
    for name, (feed, expected) in feeds.items():
        out.ok(feed.url)
        assert stored_title(db, feed) == expected, f"{name}: decoded as {stored_title(db, feed)!r}"


def test_utf8_feed_declared_windows1252_is_not_mojibake(http, db: Database, db_path: Path) -> None:
    body = rss([item(TITLE, "http://cs.test/3", "cs3")], encoding="windows-1252").encode("utf-8")
    body.decode("utf-8")  # valid UTF-8 with multibyte sequences: the declaration is wrong
    feed = charset_feed(http, "utf8-declared-cp1252", body, "application/rss+xml")
    out = run_with_good_feeds(http, db, quick(db_path), [feed])
    out.ok(feed.url)
    title = stored_title(db, feed)
    assert title == TITLE, f"stored as mojibake: {title!r}"


# --- slow servers, retries ----------------------------------------------------------------------

def test_slow_server_times_out_after_retries(http, db: Database, db_path: Path, fast_backoff: None) -> None:
    def slow(req: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, rss([item("Late", "http://slow.test/1")]).encode()

    http.table["/slow.xml"] = slow
    feed = Feed(url=http.base + "/slow.xml", outlet_id="slow")
    settings = quick(db_path, timeout_s=0.3, retries=2)
    out = run_with_good_feeds(http, db, settings, [feed])
    assert "timed out" in out.failed(feed.url)
    assert http.hits["/slow.xml"] == settings.retries + 1


def test_http_429_is_retried(http, db: Database, db_path: Path, fast_backoff: None) -> None:
    def busy_once(req: Any) -> tuple[int, dict[str, str], bytes]:
        if http.hits["/busy.xml"] == 1:
            return 429, {"Retry-After": "0"}, b"slow down"
        return 200, {"Content-Type": RSS_TYPE}, rss([item("After 429", "http://busy.test/1", "b1")]).encode()

    def busy_always(req: Any) -> tuple[int, dict[str, str], bytes]:
        return 429, {"Retry-After": "0"}, b"slow down"

    http.table["/busy.xml"] = busy_once
    http.table["/busier.xml"] = busy_always
    once = Feed(url=http.base + "/busy.xml", outlet_id="busy")
    always = Feed(url=http.base + "/busier.xml", outlet_id="busier")
    out = run_with_good_feeds(http, db, quick(db_path, retries=2), [once, always])
    out.ok(once.url)
    assert stored_urls(db, once.url) == {"http://busy.test/1"}
    assert http.hits["/busy.xml"] == 2
    assert "HTTP 429" in out.failed(always.url)
    assert http.hits["/busier.xml"] == 3


def test_redirect_to_the_real_feed_is_followed(http, db: Database, db_path: Path) -> None:
    http.add("/real.xml", rss([item("Moved", "http://moved.test/1", "m1")]), content_type=RSS_TYPE)
    http.add("/old.xml", b"moved", status=301, location="/real.xml")
    feed = Feed(url=http.base + "/old.xml", outlet_id="moved")
    out = run_with_good_feeds(http, db, quick(db_path), [feed])
    out.ok(feed.url)
    assert stored_urls(db, feed.url) == {"http://moved.test/1"}  # stored under the registered address
    assert http.hits["/old.xml"] == 1 and http.hits["/real.xml"] == 1


# --- size limits --------------------------------------------------------------------------------

def test_gzip_bomb_is_refused_after_decompression(http, db: Database, db_path: Path) -> None:
    inflated = rss([item("Bomb", "http://bomb.test/1", "bomb", description="A" * 3_000_000)]).encode()
    bomb = gzip.compress(inflated, compresslevel=9)
    assert len(bomb) < 20_000 < 1_000_000 < len(inflated)
    # conftest sends Content-Length of the compressed body only: nothing announces the inflated size.
    feed = Feed(url=http.add("/bomb.xml", bomb, content_type=RSS_TYPE, content_encoding="gzip"), outlet_id="bomb")
    small = rss([item("Zipped", "http://zip.test/1", "zip")]).encode()
    zipped = Feed(url=http.add("/zipped.xml", gzip.compress(small), content_type=RSS_TYPE,
                               content_encoding="gzip"), outlet_id="zip")
    out = run_with_good_feeds(http, db, quick(db_path, max_body_bytes=1_000_000), [feed, zipped])
    reason = out.failed(feed.url)
    assert "after decompression" in reason and "1000000" in reason
    assert http.hits["/bomb.xml"] == 1  # not retryable
    out.ok(zipped.url)
    assert stored_urls(db, zipped.url) == {"http://zip.test/1"}


# --- duplicates and dates -------------------------------------------------------------------------

def test_duplicate_guids_within_one_feed_are_stored_once(http, db: Database, db_path: Path) -> None:
    body = rss([
        item("First version", "http://dup.test/a", "dup-1", description="first"),
        item("Second version", "http://dup.test/a", "dup-1", description="second, other content"),
        item("Third version", "http://dup.test/b", "dup-1", description="third, other URL"),
        item("Other item", "http://dup.test/c", "dup-2"),
    ])
    feed = Feed(url=http.add("/dup.xml", body, content_type=RSS_TYPE), outlet_id="dup")
    out = run_with_good_feeds(http, db, quick(db_path), [feed])
    out.ok(feed.url)
    rows = query(db, "SELECT guid, count(*) FROM articles WHERE feed_url = ? GROUP BY guid ORDER BY guid",
                 [feed.url])
    assert rows == [("dup-1", 1), ("dup-2", 1)]


def test_duplicate_guids_across_polls_are_stored_once(http, db: Database, db_path: Path) -> None:
    def changing(req: Any) -> tuple[int, dict[str, str], bytes]:
        poll = http.hits["/poll.xml"]
        items = [item(f"Title of poll {poll}", f"http://poll.test/story-v{poll}", "story",
                      description=f"content of poll {poll}"),
                 item(f"Stable, retitled in poll {poll}", "http://poll.test/stable", "stable")]
        return 200, {"Content-Type": RSS_TYPE}, rss(items).encode()

    http.table["/poll.xml"] = changing
    feed = Feed(url=http.base + "/poll.xml", outlet_id="poll")
    out = run_with_good_feeds(http, db, quick(db_path), [feed], polls=2)
    out.ok(feed.url)
    assert http.hits["/poll.xml"] == 2
    rows = query(db, "SELECT guid, url, title FROM articles WHERE feed_url = ? ORDER BY guid", [feed.url])
    assert rows == [("stable", "http://poll.test/stable", "Stable, retitled in poll 1"),
                    ("story", "http://poll.test/story-v1", "Title of poll 1")]
    assert out.summary.new == 0 and out.summary.duplicate >= 2


INVALID_DATES = ["not a date", "Mon, 30 Feb 2026 10:00:00 GMT", "Tue, 03 Mar 99999 10:00:00 GMT",
                 "Tue, 03 Mar 0000 10:00:00 GMT", "Tue, 03 Mar 2026 25:61:61 +9999", "", "\ufffd\ufffd",
                 "-1", "2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "2026-04-31"]


def test_invalid_dates_store_items_without_published(http, db: Database, db_path: Path) -> None:
    items = [item(f"Undated {n}", f"http://date.test/bad/{n}", f"bad-{n}", date=date)
             for n, date in enumerate(INVALID_DATES)]
    items.append(item("Dated", "http://date.test/good", "good-date", date="Tue, 03 Mar 2026 10:00:00 +0100"))
    feed = Feed(url=http.add("/date.xml", rss(items), content_type=RSS_TYPE), outlet_id="date")
    out = run_with_good_feeds(http, db, quick(db_path), [feed])
    out.ok(feed.url)
    published = dict(query(db, "SELECT url, published FROM articles WHERE feed_url = ?", [feed.url]))
    assert len(published) == len(INVALID_DATES) + 1
    wrong = {date: published[f"http://date.test/bad/{n}"] for n, date in enumerate(INVALID_DATES)
             if published[f"http://date.test/bad/{n}"] is not None}
    assert not wrong, f"invalid dates stored as real times: {wrong}"
    assert published["http://date.test/good"] is not None and published["http://date.test/good"].hour == 9  # UTC
