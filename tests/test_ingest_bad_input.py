"""Ingest over real loopback HTTP with hostile or broken input.

Every case follows the same shape: a good feed is ingested first, then one run ingests that good feed
again, the bad feed(s) and a fresh good feed. Each bad feed must end as parsed items or as a readable
reason (in the summary and in the feed's health record), the run must go on to the fresh feed, and
nothing stored before may be lost.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pytest

from pipeline import fetch, jobs
from pipeline.config import Settings
from pipeline.sources import Feed
from pipeline.store import Store

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


def stored_urls(store: Store, feed_url: str | None = None) -> set[str]:
    """URLs of stored articles, of one feed or of all."""
    with store.connect() as con:
        if feed_url is None:
            return {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
        return {r[0] for r in con.execute("SELECT url FROM articles WHERE feed_url = ?", [feed_url]).fetchall()}


def query(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query on the store."""
    with store.connect() as con:
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


def run_with_good_feeds(http: Any, store: Store, settings: Settings, bad: Sequence[Feed],
                        polls: int = 1) -> Outcome:
    """Ingest a good feed, then (polls times) one run of it, the bad feeds and a fresh good feed;
    check the run went on and that nothing stored before was lost."""
    good_items = [item(f"Good {n}", f"{http.base}/good/{n}", f"good-{n}") for n in range(3)]
    good = Feed(url=http.add("/good.xml", rss(good_items), content_type=RSS_TYPE), outlet_id="good")
    fresh_items = [item(f"Fresh {n}", f"{http.base}/fresh/{n}", f"fresh-{n}") for n in range(2)]
    fresh = Feed(url=http.add("/fresh.xml", rss(fresh_items), content_type=RSS_TYPE), outlet_id="fresh")
    store.upsert_sources([], [good, fresh, *bad])

    first = jobs.ingest_feeds(store, settings, [good], "seed")
    assert (first.feeds_ok, first.new) == (1, 3)
    before = stored_urls(store)
    assert len(before) == 3

    feeds = [good, *bad, fresh]
    for poll in range(polls):
        summary = jobs.ingest_feeds(store, settings, feeds, f"run-{poll}")
        assert summary.feeds_ok + summary.feeds_failed == len(feeds)
    after = stored_urls(store)
    assert before <= after, f"stored articles lost: {before - after}"
    assert stored_urls(store, good.url) == before
    assert len(stored_urls(store, fresh.url)) == 2, "the run stopped before the fresh feed"
    reasons = dict(summary.failures)
    assert good.url not in reasons and fresh.url not in reasons
    assert all(isinstance(r, str) and r.strip() and "Traceback" not in r for r in reasons.values())
    health = {row["url"]: row for row in store.feed_status()}
    return Outcome(summary, reasons, health, before)


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


def stored_title(store: Store, feed: Feed) -> str:
    """The title of a feed's only stored article."""
    [(title,)] = query(store, "SELECT title FROM articles WHERE feed_url = ?", [feed.url])
    return str(title)


def test_wrong_or_missing_charset_still_parses(http, store: Store, db_path: Path) -> None:
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
    out = run_with_good_feeds(http, store, quick(db_path), [feed for feed, _ in feeds.values()])
    for name, (feed, expected) in feeds.items():
        out.ok(feed.url)
        assert stored_title(store, feed) == expected, f"{name}: decoded as {stored_title(store, feed)!r}"


def test_utf8_feed_declared_windows1252_is_not_mojibake(http, store: Store, db_path: Path) -> None:
    body = rss([item(TITLE, "http://cs.test/3", "cs3")], encoding="windows-1252").encode("utf-8")
    body.decode("utf-8")  # valid UTF-8 with multibyte sequences: the declaration is wrong
    feed = charset_feed(http, "utf8-declared-cp1252", body, "application/rss+xml")
    out = run_with_good_feeds(http, store, quick(db_path), [feed])
    out.ok(feed.url)
    title = stored_title(store, feed)
    assert title == TITLE, f"stored as mojibake: {title!r}"


# --- slow servers, retries ----------------------------------------------------------------------

def test_slow_server_times_out_after_retries(http, store: Store, db_path: Path, fast_backoff: None) -> None:
    def slow(req: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, rss([item("Late", "http://slow.test/1")]).encode()

    http.table["/slow.xml"] = slow
    feed = Feed(url=http.base + "/slow.xml", outlet_id="slow")
    settings = quick(db_path, timeout_s=0.3, retries=2)
    out = run_with_good_feeds(http, store, settings, [feed])
    assert "timed out" in out.failed(feed.url)
    assert http.hits["/slow.xml"] == settings.retries + 1


def test_http_429_is_retried(http, store: Store, db_path: Path, fast_backoff: None) -> None:
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
    out = run_with_good_feeds(http, store, quick(db_path, retries=2), [once, always])
    out.ok(once.url)
    assert stored_urls(store, once.url) == {"http://busy.test/1"}
    assert http.hits["/busy.xml"] == 2
    assert "HTTP 429" in out.failed(always.url)
    assert http.hits["/busier.xml"] == 3


def test_redirect_to_the_real_feed_is_followed(http, store: Store, db_path: Path) -> None:
    http.add("/real.xml", rss([item("Moved", "http://moved.test/1", "m1")]), content_type=RSS_TYPE)
    http.add("/old.xml", b"moved", status=301, location="/real.xml")
    feed = Feed(url=http.base + "/old.xml", outlet_id="moved")
    out = run_with_good_feeds(http, store, quick(db_path), [feed])
    out.ok(feed.url)
    assert stored_urls(store, feed.url) == {"http://moved.test/1"}  # stored under the registered address
    assert http.hits["/old.xml"] == 1 and http.hits["/real.xml"] == 1


# --- size limits --------------------------------------------------------------------------------

def test_gzip_bomb_is_refused_after_decompression(http, store: Store, db_path: Path) -> None:
    inflated = rss([item("Bomb", "http://bomb.test/1", "bomb", description="A" * 3_000_000)]).encode()
    bomb = gzip.compress(inflated, compresslevel=9)
    assert len(bomb) < 20_000 < 1_000_000 < len(inflated)
    # conftest sends Content-Length of the compressed body only: nothing announces the inflated size.
    feed = Feed(url=http.add("/bomb.xml", bomb, content_type=RSS_TYPE, content_encoding="gzip"), outlet_id="bomb")
    small = rss([item("Zipped", "http://zip.test/1", "zip")]).encode()
    zipped = Feed(url=http.add("/zipped.xml", gzip.compress(small), content_type=RSS_TYPE,
                               content_encoding="gzip"), outlet_id="zip")
    out = run_with_good_feeds(http, store, quick(db_path, max_body_bytes=1_000_000), [feed, zipped])
    reason = out.failed(feed.url)
    assert "after decompression" in reason and "1000000" in reason
    assert http.hits["/bomb.xml"] == 1  # not retryable
    out.ok(zipped.url)
    assert stored_urls(store, zipped.url) == {"http://zip.test/1"}


# --- duplicates and dates -------------------------------------------------------------------------

def test_duplicate_guids_within_one_feed_are_stored_once(http, store: Store, db_path: Path) -> None:
    body = rss([
        item("First version", "http://dup.test/a", "dup-1", description="first"),
        item("Second version", "http://dup.test/a", "dup-1", description="second, other content"),
        item("Third version", "http://dup.test/b", "dup-1", description="third, other URL"),
        item("Other item", "http://dup.test/c", "dup-2"),
    ])
    feed = Feed(url=http.add("/dup.xml", body, content_type=RSS_TYPE), outlet_id="dup")
    out = run_with_good_feeds(http, store, quick(db_path), [feed])
    out.ok(feed.url)
    rows = query(store, "SELECT guid, count(*) FROM articles WHERE feed_url = ? GROUP BY guid ORDER BY guid",
                 [feed.url])
    assert rows == [("dup-1", 1), ("dup-2", 1)]


def test_duplicate_guids_across_polls_are_stored_once(http, store: Store, db_path: Path) -> None:
    def changing(req: Any) -> tuple[int, dict[str, str], bytes]:
        poll = http.hits["/poll.xml"]
        items = [item(f"Title of poll {poll}", f"http://poll.test/story-v{poll}", "story",
                      description=f"content of poll {poll}"),
                 item(f"Stable, retitled in poll {poll}", "http://poll.test/stable", "stable")]
        return 200, {"Content-Type": RSS_TYPE}, rss(items).encode()

    http.table["/poll.xml"] = changing
    feed = Feed(url=http.base + "/poll.xml", outlet_id="poll")
    out = run_with_good_feeds(http, store, quick(db_path), [feed], polls=2)
    out.ok(feed.url)
    assert http.hits["/poll.xml"] == 2
    rows = query(store, "SELECT guid, url, title FROM articles WHERE feed_url = ? ORDER BY guid", [feed.url])
    assert rows == [("stable", "http://poll.test/stable", "Stable, retitled in poll 1"),
                    ("story", "http://poll.test/story-v1", "Title of poll 1")]
    assert out.summary.new == 0 and out.summary.duplicate >= 2


INVALID_DATES = ["not a date", "Mon, 30 Feb 2026 10:00:00 GMT", "Tue, 03 Mar 99999 10:00:00 GMT",
                 "Tue, 03 Mar 0000 10:00:00 GMT", "Tue, 03 Mar 2026 25:61:61 +9999", "", "\ufffd\ufffd",
                 "-1", "2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "2026-04-31"]


def test_invalid_dates_store_items_without_published(http, store: Store, db_path: Path) -> None:
    items = [item(f"Undated {n}", f"http://date.test/bad/{n}", f"bad-{n}", date=date)
             for n, date in enumerate(INVALID_DATES)]
    items.append(item("Dated", "http://date.test/good", "good-date", date="Tue, 03 Mar 2026 10:00:00 +0100"))
    feed = Feed(url=http.add("/date.xml", rss(items), content_type=RSS_TYPE), outlet_id="date")
    out = run_with_good_feeds(http, store, quick(db_path), [feed])
    out.ok(feed.url)
    published = dict(query(store, "SELECT url, published FROM articles WHERE feed_url = ?", [feed.url]))
    assert len(published) == len(INVALID_DATES) + 1
    wrong = {date: published[f"http://date.test/bad/{n}"] for n, date in enumerate(INVALID_DATES)
             if published[f"http://date.test/bad/{n}"] is not None}
    assert not wrong, f"invalid dates stored as real times: {wrong}"
    assert published["http://date.test/good"] is not None and published["http://date.test/good"].hour == 9  # UTC


# --- robots.txt ---------------------------------------------------------------------------------
# Policy (pipeline/crawl.py _read_feed): a feed is published to be polled, so robots.txt is applied to
# article pages, which the crawler fetches on its own initiative. AsyncFetcher.get applies it by default.

ROBOTS = "User-agent: *\nDisallow: /private/\n"
PAGE = (Path(__file__).parent / "resources" / "page.html").read_text(encoding="utf-8")


def robots_case(http: Any) -> tuple[Feed, str, str]:
    """A feed (outside /private/) linking one page under /private/ and one outside it."""
    private, public = http.add("/private/story", PAGE, content_type="text/html"), \
        http.add("/public/story", PAGE, content_type="text/html")
    body = rss([item("Private story", private, "priv", description="Feed text of the private story."),
                item("Public story", public, "pub", description="Feed text of the public story.")])
    return Feed(url=http.add("/feeds/robots.xml", body, content_type=RSS_TYPE), outlet_id="r"), private, public


def extraction_of(store: Store, url: str) -> str:
    """How a stored article's text was obtained."""
    [(extraction,)] = query(store, "SELECT extraction FROM articles WHERE url = ?", [url])
    return str(extraction)


def test_robots_disallow_refuses_pages_with_reason(http, store: Store, db_path: Path) -> None:
    http.add("/robots.txt", ROBOTS, content_type="text/plain")
    feed, private, public = robots_case(http)
    out = run_with_good_feeds(http, store, quick(db_path, fetch_pages=True), [feed])
    out.ok(feed.url)
    assert http.hits.get("/private/story", 0) == 0
    assert extraction_of(store, private) == "feed-only"  # the feed text is kept
    assert extraction_of(store, public) == "page"
    [(reason,)] = query(store, "SELECT reason FROM rejected WHERE item = ?", [private])
    assert "robots.txt" in reason and "feed text kept" in reason
    assert http.hits["/robots.txt"] == 2  # once per host and run (seed run, run under test), not per page


def test_robots_disallow_in_the_fetcher(http, db_path: Path) -> None:
    import asyncio

    from pipeline.errors import FetchError
    from pipeline.fetch import AsyncFetcher

    http.add("/robots.txt", ROBOTS, content_type="text/plain")
    http.add("/private/feed.xml", rss([item("Secret", "http://priv.test/1", "p1")]))

    async def get(settings: Settings) -> bytes:
        async with AsyncFetcher(settings) as fetcher:
            return (await fetcher.get(http.base + "/private/feed.xml")).body

    with pytest.raises(FetchError, match="robots.txt"):
        asyncio.run(get(quick(db_path)))
    assert http.hits.get("/private/feed.xml", 0) == 0
    assert b"Secret" in asyncio.run(get(quick(db_path, respect_robots=False)))


def test_robots_ignored_when_not_respected(http, store: Store, db_path: Path) -> None:
    http.add("/robots.txt", ROBOTS, content_type="text/plain")
    feed, private, public = robots_case(http)
    out = run_with_good_feeds(http, store, quick(db_path, fetch_pages=True, respect_robots=False), [feed])
    out.ok(feed.url)
    assert http.hits["/private/story"] == 1
    assert extraction_of(store, private) == extraction_of(store, public) == "page"
    assert http.hits.get("/robots.txt", 0) == 0


@pytest.mark.parametrize("status", [404, 500])
def test_missing_robots_allows_everything(http, store: Store, db_path: Path, status: int) -> None:
    http.add("/robots.txt", "nope", status=status)
    feed, private, public = robots_case(http)
    out = run_with_good_feeds(http, store, quick(db_path, fetch_pages=True), [feed])
    out.ok(feed.url)
    assert extraction_of(store, private) == extraction_of(store, public) == "page"
    assert http.hits["/robots.txt"] >= 1


# --- politeness -------------------------------------------------------------------------------------

def test_per_host_concurrency_never_exceeds_the_limit(http, store: Store, db_path: Path) -> None:
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
    out = run_with_good_feeds(http, store, settings, feeds)
    for feed in feeds:
        out.ok(feed.url)
    assert state["peak"] <= settings.per_host
    assert state["peak"] == settings.per_host, "requests never overlapped: the test proves nothing"


def test_politeness_delay_between_requests_to_one_host(http, store: Store, db_path: Path) -> None:
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
    out = run_with_good_feeds(http, store, seed, [])  # seed without delay, then the polite run alone
    assert out.summary.feeds_failed == 0
    starts.clear()
    summary = jobs.ingest_feeds(store, settings, feeds, "polite")
    assert summary.feeds_ok == len(feeds) and summary.new == len(feeds)
    assert len(starts) >= len(feeds)  # each feed (and robots.txt when the fetcher asks for it)
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:])]
    assert min(gaps) >= settings.politeness_s - 0.03, f"gaps between requests: {gaps}"
