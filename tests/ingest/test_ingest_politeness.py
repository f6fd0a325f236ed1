"""Ingest over real loopback HTTP: robots.txt for article pages, per-host concurrency and politeness delay."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import Settings
from pipeline.core.outlets import Feed
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from tests.ingest.badfeeds import RSS_TYPE, item, query, quick, rss, run_with_good_feeds

# --- robots.txt ---------------------------------------------------------------------------------
# Policy (pipeline/crawl.py _read_feed): a feed is published to be polled, so robots.txt is applied to
# article pages, which the crawler fetches on its own initiative. AsyncFetcher.get applies it by default.

ROBOTS = "User-agent: *\nDisallow: /private/\n"
PAGE = (Path(__file__).resolve().parents[1] / "resources" / "page.html").read_text(encoding="utf-8")


def robots_case(http: Any) -> tuple[Feed, str, str]:
    """A feed (outside /private/) linking one page under /private/ and one outside it."""
    private, public = http.add("/private/story", PAGE, content_type="text/html"), \
        http.add("/public/story", PAGE, content_type="text/html")
    body = rss([item("Private story", private, "priv", description="Feed text of the private story."),
                item("Public story", public, "pub", description="Feed text of the public story.")])
    return Feed(url=http.add("/feeds/robots.xml", body, content_type=RSS_TYPE), outlet_id="r"), private, public


def extraction_of(db: Database, url: str) -> str:
    """How a stored article's text was obtained."""
    [(extraction,)] = query(db, "SELECT extraction FROM articles WHERE url = ?", [url])
    return str(extraction)


def test_robots_disallow_refuses_pages_with_reason(http, db: Database, db_path: Path) -> None:
    http.add("/robots.txt", ROBOTS, content_type="text/plain")
    feed, private, public = robots_case(http)
    out = run_with_good_feeds(http, db, quick(db_path, fetch_pages=True), [feed])
    out.ok(feed.url)
    assert http.hits.get("/private/story", 0) == 0
    assert extraction_of(db, private) == "feed-only"  # the feed text is kept
    assert extraction_of(db, public) == "page"
    [(reason,)] = query(db, "SELECT reason FROM rejected WHERE item = ?", [private])
    assert "robots.txt" in reason and "feed text kept" in reason
    assert http.hits["/robots.txt"] == 2  # once per host and run (seed run, run under test), not per page


def test_robots_disallow_in_the_fetcher(http, db_path: Path) -> None:
    import asyncio

    from pipeline.core.errors import FetchError
    from pipeline.ingest.fetch import AsyncFetcher

    http.add("/robots.txt", ROBOTS, content_type="text/plain")
    http.add("/private/feed.xml", rss([item("Secret", "http://priv.test/1", "p1")]))

    async def get(settings: Settings) -> bytes:
        url = http.base + "/private/feed.xml"  # a registered feed: its own loopback origin is allowed
        async with AsyncFetcher(settings, [url]) as fetcher:
            return (await fetcher.get(url, home=url)).body

    with pytest.raises(FetchError, match="robots.txt"):
        asyncio.run(get(quick(db_path)))
    assert http.hits.get("/private/feed.xml", 0) == 0
    assert b"Secret" in asyncio.run(get(quick(db_path, respect_robots=False)))


def test_robots_ignored_when_not_respected(http, db: Database, db_path: Path) -> None:
    http.add("/robots.txt", ROBOTS, content_type="text/plain")
    feed, private, public = robots_case(http)
    out = run_with_good_feeds(http, db, quick(db_path, fetch_pages=True, respect_robots=False), [feed])
    out.ok(feed.url)
    assert http.hits["/private/story"] == 1
    assert extraction_of(db, private) == extraction_of(db, public) == "page"
    assert http.hits.get("/robots.txt", 0) == 0


@pytest.mark.parametrize("status", [404, 500])
def test_missing_robots_allows_everything(http, db: Database, db_path: Path, status: int) -> None:
    http.add("/robots.txt", "nope", status=status)
    feed, private, public = robots_case(http)
    out = run_with_good_feeds(http, db, quick(db_path, fetch_pages=True), [feed])
    out.ok(feed.url)
    assert extraction_of(db, private) == extraction_of(db, public) == "page"
    assert http.hits["/robots.txt"] >= 1


# --- politeness -------------------------------------------------------------------------------------

def test_per_host_concurrency_never_exceeds_the_limit(http, db: Database, db_path: Path) -> None:
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def counted(body: bytes) -> Any:
        def handler(req: Any) -> tuple[int, dict[str, str], bytes]:
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            try:
                time.sleep(0.15)
            finally:
                with lock:
                    state["now"] -= 1
            return 200, {"Content-Type": RSS_TYPE}, body
        return handler

    feeds = []
    for n in range(9):
        http.table[f"/c{n}.xml"] = counted(rss([item(f"C{n}", f"http://conc.test/{n}", f"c{n}")]).encode())
        feeds.append(Feed(url=f"{http.base}/c{n}.xml", outlet_id=f"c{n}"))
    http.table["/robots.txt"] = counted(b"User-agent: *\nAllow: /\n")
    settings = quick(db_path, per_host=3)
    out = run_with_good_feeds(http, db, settings, feeds)
    for feed in feeds:
        out.ok(feed.url)
    assert state["peak"] <= settings.per_host
    assert state["peak"] == settings.per_host, "requests never overlapped: the test proves nothing"


def test_politeness_delay_between_requests_to_one_host(http, db: Database, db_path: Path) -> None:
    lock, starts = threading.Lock(), []

    def stamped(body: bytes) -> Any:
        def handler(req: Any) -> tuple[int, dict[str, str], bytes]:
            with lock:
                starts.append(time.monotonic())
            return 200, {"Content-Type": RSS_TYPE}, body
        return handler

    feeds = []
    for n in range(4):
        http.table[f"/p{n}.xml"] = stamped(rss([item(f"P{n}", f"http://polite.test/{n}", f"p{n}")]).encode())
        feeds.append(Feed(url=f"{http.base}/p{n}.xml", outlet_id=f"p{n}"))
    http.table["/robots.txt"] = stamped(b"User-agent: *\nAllow: /\n")
    settings = quick(db_path, politeness_s=0.25, per_host=4)
    seed = quick(db_path, per_host=4)
    out = run_with_good_feeds(http, db, seed, [])  # seed without delay, then the polite run alone
    assert out.summary.feeds_failed == 0
    starts.clear()
    summary = jobs.ingest_feeds(db, settings, feeds, "polite")
    assert summary.feeds_ok == len(feeds) and summary.new == len(feeds)
    assert len(starts) >= len(feeds)  # each feed (and robots.txt when the fetcher asks for it)
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:])]
    assert min(gaps) >= settings.politeness_s - 0.03, f"gaps between requests: {gaps}"
