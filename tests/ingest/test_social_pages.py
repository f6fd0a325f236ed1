"""Mastodon (max_id) and Bluesky (cursor) paging over loopback HTTP: page limit, end of pages, stored posts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.core.outlets import Feed, Outlet
from pipeline.db import sources
from pipeline.db.database import Database
from pipeline.ingest.feedkinds import next_page
from pipeline.jobs import steps as jobs

SECRET = "social-pages-test-pseudonym-key"
TAG = "/api/v1/timelines/tag/refugees?limit=10"
AUTHOR = "/xrpc/app.bsky.feed.getAuthorFeed?actor=did%3Aplc%3Aferry&limit=2"


def status(n: int) -> dict[str, Any]:
    """A Mastodon status with id n (larger is newer)."""
    return {"id": str(n), "uri": f"https://m.example/users/amal/statuses/{n}", "url": f"https://m.example/@amal/{n}",
            "content": f"<p>Harbour post number {n}</p>", "created_at": f"2026-03-01T10:{n % 60:02d}:00Z",
            "account": {"acct": "amal"}, "language": "en"}


def statuses(newest: int, count: int) -> bytes:
    """A page of statuses, newest first."""
    return json.dumps([status(n) for n in range(newest, newest - count, -1)]).encode()


def serve_tag(http: Any, pages: dict[str, bytes]) -> str:
    """Serve Mastodon pages: the query after TAG ('' for the first page) -> body; returns the feed URL."""
    for query, body in pages.items():
        http.add(TAG + query, body, content_type="application/json")
    return http.base + TAG


def settings(tmp_path: Path, pages: int = 3) -> Settings:
    """Settings for a test crawl."""
    return Settings(db=tmp_path / "x.duckdb", fetch_pages=False, pseudonym_secret=SECRET, social_pages=pages)


def post_ids(articles: list[Any]) -> list[int]:
    """The status numbers of the posts, as their texts name them."""
    return [int(a.text.rsplit(" ", 1)[-1]) for a in articles]


def test_mastodon_reads_older_pages_up_to_the_limit(http, tmp_path: Path) -> None:
    url = serve_tag(http, {"": statuses(30, 10), "&max_id=21": statuses(20, 10), "&max_id=11": statuses(10, 10),
                           "&max_id=1": b"[]"})
    result = jobs.fetch_feed(Feed(url=url, outlet_id="m", kind="mastodon"), settings(tmp_path, pages=2))
    assert result.error is None and post_ids(result.articles) == list(range(30, 10, -1))
    assert TAG + "&max_id=11" not in http.hits  # the third page is over the limit
    result = jobs.fetch_feed(Feed(url=url, outlet_id="m", kind="mastodon"), settings(tmp_path, pages=9))
    assert post_ids(result.articles) == list(range(30, 0, -1)) and result.rejected == []
    assert http.hits[TAG + "&max_id=1"] == 1 and len(result.signatures) == 30  # an empty page ends the walk


def test_mastodon_stops_at_a_page_holding_a_stored_post(http, tmp_path: Path) -> None:
    url = serve_tag(http, {"": statuses(30, 10), "&max_id=21": statuses(20, 10), "&max_id=11": statuses(10, 10)})
    db = Database.open(tmp_path / "x.duckdb")
    feed = Feed(url=url, outlet_id="m", kind="mastodon")
    sources.upsert_sources(db, [Outlet("m", "M", media_type="social")], [feed])
    assert jobs.ingest_feeds(db, settings(tmp_path), sources.feeds(db), None).new == 30
    # Five new posts: the first page now ends with posts 30..26, already stored, so page two is not asked for.
    serve_tag(http, {"": statuses(35, 10), "&max_id=26": statuses(25, 10)})
    summary = jobs.ingest_feeds(db, settings(tmp_path), sources.feeds(db), None)
    assert (summary.new, summary.duplicate, summary.feeds_failed) == (5, 5, 0)
    assert TAG + "&max_id=26" not in http.hits


def test_a_page_that_fails_keeps_the_posts_before_it(http, tmp_path: Path) -> None:
    url = serve_tag(http, {"": statuses(30, 10)})  # the second page answers 404
    result = jobs.fetch_feed(Feed(url=url, outlet_id="m", kind="mastodon"), settings(tmp_path))
    assert result.error is None and post_ids(result.articles) == list(range(30, 20, -1))
    [(label, why)] = result.rejected
    assert label == "page 2" and "HTTP 404" in why and "kept" in why


def bluesky_page(first: int, cursor: str | None) -> bytes:
    """Two posts of an author feed, with the cursor of the next page when there is one."""
    feed = [{"post": {"uri": f"at://did:plc:ferry/app.bsky.feed.post/3kpost{n}", "author": {"did": "did:plc:ferry"},
                      "record": {"text": f"Ferry update number {n}", "createdAt": "2026-03-01T10:00:00Z"}}}
            for n in (first, first - 1)]
    return json.dumps({"feed": feed} | ({"cursor": cursor} if cursor else {})).encode()


def test_bluesky_follows_the_cursor_until_there_is_none(http, tmp_path: Path) -> None:
    for query, body in {"": bluesky_page(6, "c:2026-03-01T10:00:00Z"),
                        "&cursor=c%3A2026-03-01T10%3A00%3A00Z": bluesky_page(4, "c2"),
                        "&cursor=c2": bluesky_page(2, None)}.items():
        http.add(AUTHOR + query, body, content_type="application/json")
    feed = Feed(url=http.base + AUTHOR, outlet_id="b", kind="bluesky")
    result = jobs.fetch_feed(feed, settings(tmp_path, pages=5))
    assert result.error is None and post_ids(result.articles) == [6, 5, 4, 3, 2, 1]
    assert all(a.author == result.articles[0].author and "did:plc" not in a.url for a in result.articles)
    assert sum(http.hits.values()) == 3  # no cursor on the third page: the end
    assert [post_ids(jobs.fetch_feed(feed, settings(tmp_path, pages=1)).articles)] == [[6, 5]]


@pytest.mark.parametrize(("kind", "body", "url", "expected"), [
    ("mastodon", statuses(9, 3), "https://m.example/api/v1/accounts/1/statuses?max_id=99&limit=3",
     "https://m.example/api/v1/accounts/1/statuses?limit=3&max_id=7"),
    ("mastodon", json.dumps([{"id": "5", "reblog": {"id": "77"}}]).encode(), "https://m.example/t", "https://m.example/t?max_id=5"),
    ("mastodon", b"[]", "https://m.example/t", None),
    ("mastodon", json.dumps([{"id": None}]).encode(), "https://m.example/t", None),
    ("mastodon", json.dumps([{"id": True}]).encode(), "https://m.example/t", None),
    ("mastodon", statuses(9, 3), "https://m.example/t?max_id=7", None),  # the page names itself: no loop
    ("bluesky", bluesky_page(2, "next one"), "https://b.example/x?cursor=old", "https://b.example/x?cursor=next+one"),
    ("bluesky", bluesky_page(2, None), "https://b.example/x", None),
    ("bluesky", json.dumps({"feed": [], "cursor": "c"}).encode(), "https://b.example/x", None),
    ("rss", statuses(9, 3), "https://m.example/t", None),
    ("mastodon", b"not json", "https://m.example/t", None),
])
def test_next_page(kind: str, body: bytes, url: str, expected: str | None) -> None:
    assert next_page(body, url, kind) == expected


def test_social_pages_is_validated() -> None:
    with pytest.raises(ConfigError, match="social_pages 0 must be at least 1"):
        Settings(social_pages=0)
    assert Settings().with_values({"social_pages": "5"}).social_pages == 5
