"""Ingest: feeds over loopback HTTP, parsing, pages, pseudonyms and every failure recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.outlets import Feed
from pipeline.db import results, sources
from pipeline.db.database import Database
from pipeline.ingest.extract import canonical_url, strip_html
from pipeline.ingest.feeds import parse_feed, pseudonymize
from pipeline.jobs import steps as jobs

RES = Path(__file__).resolve().parents[1] / "resources"


def feed_text(name: str, base: str) -> str:
    """A fixture feed with {base} filled in."""
    return (RES / name).read_text(encoding="utf-8").replace("{base}", base)


def test_canonical_url_strips_tracking_and_normalises() -> None:
    assert canonical_url("HTTP://Example.COM:80/a/b/?utm_source=x&id=3#top") == "http://example.com/a/b?id=3"
    assert canonical_url("https://example.com/") == "https://example.com"
    assert canonical_url("http://127.0.0.1:8765/x/") == "http://127.0.0.1:8765/x"


def test_strip_html_keeps_paragraphs_and_unescapes() -> None:
    assert strip_html("<p>One &amp; two</p><p>Three<br>four</p>") == "One & two\n\nThree\n\nfour"


def test_pseudonym_is_keyed_and_stable() -> None:
    a = pseudonymize("@Someone", "k1")
    assert a == pseudonymize("@someone ", "k1") and a != pseudonymize("@someone", "k2")
    assert a is not None and "someone" not in a


def test_rss_over_http_with_pages(http, db: Database, settings: Settings) -> None:
    http.add("/feed.xml", feed_text("rss_basic.xml", http.base), content_type="application/rss+xml")
    http.add("/a/1?utm_source=rss&id=7", (RES / "page.html").read_text())
    http.add("/a/1?id=7", (RES / "page.html").read_text(), content_type="text/html")
    feed = Feed(url=http.base + "/feed.xml", outlet_id="gazette")
    result = jobs.fetch_feed(feed, settings)
    assert result.error is None
    assert [a.title for a in result.articles] == ["Refugees open a bakery", "Football results"]
    bakery, football = result.articles
    assert bakery.url == http.base + "/a/1?id=7"
    assert bakery.extraction == "page" and "said Rana" in bakery.text and "Harbour Street" in bakery.text
    assert bakery.published is not None and bakery.published.hour == 9  # +0100 normalised to UTC
    assert football.published is None and football.extraction == "feed-only"  # page 404: feed text kept
    assert result.rejected and "no link" in result.rejected[0][1]


def test_ingest_twice_adds_nothing(http, db: Database, settings: Settings) -> None:
    http.add("/feed.xml", feed_text("atom_basic.xml", http.base))
    feed = Feed(url=http.base + "/feed.xml", outlet_id="wire", kind="atom")
    first = jobs.ingest_feeds(db, settings.with_values({"fetch_pages": False}), [feed], None)
    second = jobs.ingest_feeds(db, settings.with_values({"fetch_pages": False}), [feed], None)
    assert (first.new, first.duplicate) == (1, 0)
    assert (second.new, second.duplicate) == (0, 1)
    assert results.counts(db)["articles"] == 1


def test_social_authors_are_pseudonymised(http, settings: Settings) -> None:
    http.add("/social.xml", feed_text("social.xml", http.base))
    result = jobs.fetch_feed(Feed(url=http.base + "/social.xml", outlet_id="s", kind="social"), settings)
    post = result.articles[0]
    assert post.kind == "post" and post.author and post.author.startswith("author:")
    assert "real_person" not in post.author and "nursing licence" in post.text


@pytest.mark.parametrize("status, retryable", [(503, True), (404, False), (500, True)])
def test_http_errors_are_recorded_with_reason(http, settings: Settings, status: int, retryable: bool) -> None:
    http.add("/x.xml", "error", status=status)
    result = jobs.fetch_feed(Feed(url=http.base + "/x.xml", outlet_id="o"), settings)
    assert result.error and f"HTTP {status}" in result.error and result.retryable is retryable


def test_bad_feeds_fail_alone(http, db: Database, settings: Settings) -> None:
    http.add("/good.xml", feed_text("atom_basic.xml", http.base))
    http.add("/broken.xml", (RES / "malformed.xml").read_bytes())
    http.add("/html.xml", "<html><body><p>Not a feed</p></body></html>", content_type="text/html")
    http.add("/empty.xml", b"")
    http.add("/junk.xml", bytes(range(256)) * 20)
    http.add("/loop.xml", b"", status=302, location="/loop.xml")
    http.add("/huge.xml", b"<rss>" + b"x" * 3_000_000)
    names = ["broken", "html", "empty", "junk", "loop", "huge", "good"]
    feeds = [Feed(url=f"{http.base}/{n}.xml", outlet_id=n) for n in names]
    sources.upsert_sources(db, [], feeds)
    small = settings.with_values({"max_body_bytes": 1_000_000, "fetch_pages": False})
    summary = jobs.ingest_feeds(db, small, feeds, None)
    assert summary.feeds_ok + summary.feeds_failed == len(names)
    assert summary.new == 1
    reasons = dict(summary.failures)
    assert "too many redirects" in reasons[f"{http.base}/loop.xml"]
    assert "over the 1000000-byte limit" in reasons[f"{http.base}/huge.xml"]
    assert "not a readable feed" in reasons[f"{http.base}/html.xml"]
    status = {row["url"]: row for row in sources.feed_status(db)}
    assert status[f"{http.base}/loop.xml"]["consecutive_failures"] == 1


def test_conditional_get_uses_etag(http, db: Database, settings: Settings) -> None:
    body = feed_text("atom_basic.xml", http.base)

    def handler(req):
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"ETag": '"v1"'}, body.encode()

    http.table["/etag.xml"] = handler
    sources.upsert_sources(db, [], [Feed(url=http.base + "/etag.xml", outlet_id="o")])
    quiet = settings.with_values({"fetch_pages": False})
    first = jobs.ingest_feeds(db, quiet, sources.feeds(db), None)
    second = jobs.ingest_feeds(db, quiet, sources.feeds(db), None)
    assert first.new == 1 and second.not_modified == 1 and second.new == 0


def test_local_file_feed(tmp_path: Path) -> None:
    data = feed_text("atom_basic.xml", "http://x.test").encode()
    articles, rejected = parse_feed(data, Feed(url="file:///f.xml", outlet_id="o", kind="atom"), "k")
    assert len(articles) == 1 and not rejected and articles[0].url == "http://x.test/b/1"


def test_interleave_hosts_round_robin() -> None:
    from pipeline.ingest.crawl import interleave_hosts

    feeds = [Feed(url=f"http://{h}.test/{i}", outlet_id=h) for h in ("a", "b") for i in range(3)]
    feeds.append(Feed(url="http://c.test/0", outlet_id="c"))
    order = [f.url for f in interleave_hosts(feeds)]
    assert order[:3] == ["http://a.test/0", "http://b.test/0", "http://c.test/0"]
    assert sorted(order) == sorted(f.url for f in feeds)


def test_page_date_fills_a_missing_feed_date() -> None:
    from pipeline.core.record import Article
    from pipeline.ingest.extract import extract_page, page_date

    page = (RES / "page.html").read_text().replace(
        "<head>", '<head><meta property="article:published_time" content="2026-03-04T10:00:00+01:00">')
    article = extract_page(Article(url="http://x.test/a", outlet="o"), page)
    assert article.published is not None and article.published.year == 2026 and article.published.month == 3
    assert page_date("not a date") is None and page_date("2026-05-01").tzinfo is not None
