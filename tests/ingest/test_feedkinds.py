"""Feed kinds: JSON Feed, Mastodon, Bluesky, social exports, Reddit, RSS 0.91 and RDF, over loopback HTTP and files."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.errors import FetchError, InputError
from pipeline.core.outlets import FEED_KINDS, Feed
from pipeline.core.record import Article
from pipeline.db import sources
from pipeline.db.database import Database
from pipeline.ingest.feedkinds import KINDS, local_feed, parse_document, parse_time
from pipeline.ingest.feeds import FeedResult, pseudonymize, pseudonymous_guid
from pipeline.ingest.sources import load_sources
from pipeline.jobs import steps as jobs

KINDS_DIR = Path(__file__).resolve().parents[1] / "resources" / "kinds"
SECRET = "feedkinds-test-pseudonym-key"
runner = CliRunner()


def fetch(http, tmp_path: Path, name: str, kind: str) -> FeedResult:
    """Serve a fixture over loopback HTTP and ingest it as the given kind (its first page only: paging has
    tests of its own in test_social_pages.py)."""
    url = http.add(f"/{name}", (KINDS_DIR / name).read_bytes(), content_type="application/octet-stream")
    return jobs.fetch_feed(Feed(url=url, outlet_id="outlet", kind=kind),
                           Settings(db=tmp_path / "x.duckdb", fetch_pages=False, pseudonym_secret=SECRET,
                                    social_pages=1))


def articles_of(result: FeedResult) -> list[Article]:
    """The result's articles, after checking the feed did not fail."""
    assert result.error is None, result.error
    return result.articles


def token(handle: str) -> str:
    """The pseudonym's hex part, as post addresses carry it."""
    return str(pseudonymize(handle, SECRET)).removeprefix("author:")


def utc(*parts: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*parts, tzinfo=UTC)


def assert_private(articles: list[Article], handles: list[str], skip: tuple[str, ...] = ()) -> None:
    """Every author is a pseudonym and no raw handle appears in any (unskipped) field."""
    for article in articles:
        assert article.author is None or article.author.startswith("author:")
        values = " ".join(str(getattr(article, f.name)) for f in dataclasses.fields(article) if f.name not in skip)
        for handle in handles:
            assert handle.lower() not in values.lower(), (handle, article)


def test_kind_registry_is_shared_and_validated(tmp_path: Path) -> None:
    assert FEED_KINDS == KINDS
    good = tmp_path / "s.yaml"
    good.write_text("- name: Harbour Help Desk\n  feeds: [{url: 'https://t.example/feed', kind: mastodon}]\n")
    assert load_sources(good)[1][0].kind == "mastodon"
    bad = tmp_path / "b.yaml"
    bad.write_text("- name: X\n  feeds: [{url: 'https://t.example/feed', kind: gopher}]\n")
    with pytest.raises(InputError, match="gopher.*bluesky, export"):
        load_sources(bad)


def test_jsonfeed(http, tmp_path: Path) -> None:
    result = fetch(http, tmp_path, "jsonfeed.json", "jsonfeed")
    cafe, stats, festival = articles_of(result)
    assert [a.title for a in (cafe, stats, festival)] == [
        "Language café helps new arrivals find work", "Statistikamt veröffentlicht Zuwanderungszahlen",
        "Harbour festival returns"]
    assert cafe.url == "https://courier.example/2026/03/language-cafe"  # tracking parameters and slash gone
    assert cafe.text.startswith("Every Thursday evening") and "<p>" not in cafe.text and "\n\n“I practise" in cafe.text
    assert cafe.published == utc(2026, 3, 5, 7, 30) and cafe.author == "Mira Lindqvist, Tom Achebe"
    assert stats.url == "https://statistik.example/berichte/zuwanderung-2026"  # external_url when no url
    assert stats.published == utc(2026, 4, 10, 12) and stats.author == "Jonas Weber" and stats.lang == "de"
    assert festival.published is None and festival.text.startswith("Music and food")  # invalid date, summary
    assert festival.author == "Courier Desk" and festival.lang == "en" and festival.guid == "3"
    assert {a.kind for a in result.articles} == {"article"} and {a.outlet for a in result.articles} == {"outlet"}
    assert result.rejected == [("item 3", "item 'Draft without a link' has no url (http or https URL)")]


def test_mastodon_hashtag_timeline(http, tmp_path: Path) -> None:
    result = fetch(http, tmp_path, "mastodon_tag.json", "mastodon")
    local, remote = articles_of(result)
    assert local.url == f"https://mastodon.example/@{token('amal_k')}/113000000000000001"
    assert local.text == "Our town welcomed three families this week. The #refugees choir sang at the market " \
                         "& everyone stayed for tea!"
    assert local.published == utc(2026, 2, 14, 8, 15, 30) and local.lang == "en" and local.title == ""
    assert local.author == pseudonymize("amal_k", SECRET)
    assert remote.url == f"https://social.example/@{token('jo_baker@social.example')}/998877"  # no url: the uri
    assert remote.lang == "de" and remote.author == pseudonymize("jo_baker@social.example", SECRET)
    assert {a.kind for a in result.articles} == {"post"}
    assert [label for label, _ in result.rejected] == ["status 113000000000000003"]
    assert "no text" in result.rejected[0][1] and "@" not in result.rejected[0][1]  # no address, no handle
    assert local.guid == pseudonymous_guid("https://mastodon.example/users/amal_k/statuses/113000000000000001", SECRET)
    assert_private(result.articles, ["amal_k", "jo_baker", "Amal"])  # the address and guid name pseudonyms


def test_mastodon_account_reblog_and_spoiler(http, tmp_path: Path) -> None:
    novel, reblog, thread = articles_of(fetch(http, tmp_path, "mastodon_account.json", "mastodon"))
    assert novel.author == thread.author == pseudonymize("nadia_reads", SECRET)
    assert reblog.url == f"https://news.example/@{token('ferry_news@news.example')}/5550001"
    assert reblog.text.startswith("The new ferry timetable") and reblog.published == utc(2026, 3, 1, 16, 20)
    assert reblog.author == pseudonymize("ferry_news@news.example", SECRET)
    assert thread.text.startswith("Long thread about asylum hearings\n\nSat in the public gallery")
    assert thread.published == utc(2026, 3, 3, 8)  # +01:00 normalised
    assert_private([novel, reblog, thread], ["nadia_reads", "ferry_news", "Nadia"])


def test_bluesky_author_feed(http, tmp_path: Path) -> None:
    result = fetch(http, tmp_path, "bluesky_author_feed.json", "bluesky")
    own, repost = articles_of(result)
    assert own.url == f"https://bsky.app/profile/{token('did:plc:abc123xyz')}/post/3lbqz2xk4ak2a"
    assert own.text.startswith("The volunteer ferry crew") and own.lang == "en" and own.kind == "post"
    assert own.published == utc(2026, 3, 1, 18, 45, 12, 345000)
    assert repost.url == f"https://bsky.app/profile/{token('did:plc:def456uvw')}/post/3lbpy7aa2bc3d"
    assert repost.lang == "fr" and repost.published == utc(2026, 2, 28, 8)
    assert own.author != repost.author and own.author == pseudonymize("did:plc:abc123xyz", SECRET)
    assert result.rejected == [("post 2", "uri 'https://bsky.app/not-an-at-uri' is not an app.bsky.feed.post URI")]
    assert_private(result.articles, ["harbourwatcher", "ferrylines", "Harbour Watcher", "did:plc"])


def test_telegram_export(http, tmp_path: Path) -> None:
    result = fetch(http, tmp_path, "telegram_result.json", "export")
    advice, classes, food = articles_of(result)
    assert [a.url for a in (advice, classes, food)] == [f"https://t.me/harbour-help-desk/{n}" for n in (2, 3, 4)]
    assert advice.published == utc(2026, 1, 2, 10)  # date_unixtime wins over the local-time date (11:00)
    assert classes.text == "Language classes start on Monday 12 January. Register at https://helpdesk.example/classes."
    assert food.published == utc(2026, 1, 7, 8)  # no date_unixtime: the date is taken as UTC
    assert {a.author for a in result.articles} == {pseudonymize("Harbour Help Desk", SECRET)}
    assert result.rejected == [("message 5", "message 5 has no text (media only?)")]  # service message 1 skipped
    assert_private(result.articles, ["Harbour Help Desk"])


def test_jsonl_export_rejects_bad_lines_and_keeps_the_rest(http, tmp_path: Path) -> None:
    result = fetch(http, tmp_path, "social_export.jsonl", "export")
    evening, cours, bus = articles_of(result)
    assert evening.url == "https://forum.example/t/welcome-evening/10" and evening.title == "Welcome evening"
    assert evening.published == utc(2026, 2, 20, 9) and evening.lang == "en"
    assert cours.lang == "fr" and cours.author == pseudonymize("marc_d", SECRET) and cours.title == ""
    assert bus.author is None and bus.published == utc(2026, 2, 22, 12)  # no offset: UTC
    assert [label for label, _ in result.rejected] == ["line 3", "line 4"]
    assert "invalid JSON" in result.rejected[0][1] and result.rejected[1][1] == "missing 'url'"
    assert {a.kind for a in result.articles} == {"post"}
    assert_private(result.articles, ["lena_h", "marc_d"])


def test_csv_export_rejects_row_without_text(http, tmp_path: Path) -> None:
    result = fetch(http, tmp_path, "social_export.csv", "export")
    week, bus = articles_of(result)
    assert week.text == "Welcome week for new students, many of them from abroad, starts on Monday."
    assert week.published == utc(2026, 3, 2, 9) and week.title == "Welcome week"
    assert bus.text == "New bus routes to the hospital.\nTimetables at the stations."
    assert bus.published == utc(2026, 3, 3)
    assert result.rejected == [("line 3", "missing 'text'")]
    assert_private(result.articles, ["sam_k", "ana_p"])


def test_reddit_atom_is_pseudonymised_posts(http, tmp_path: Path) -> None:
    bakery, ferry = articles_of(fetch(http, tmp_path, "reddit.xml", "reddit"))
    assert bakery.url == "https://www.reddit.com/r/harbourtown/comments/1abcde/new_bakery_on_quay_street"
    assert bakery.title == "New bakery on Quay Street run by a family from Syria"
    assert bakery.text == ("Our new neighbours from Syria opened a bakery on Quay Street. "
                           "The flatbread is excellent and they are hiring.")  # no "submitted by" line
    assert bakery.published == utc(2026, 3, 9, 17, 20, 5) and ferry.published == utc(2026, 3, 8, 6, 5)
    assert bakery.kind == ferry.kind == "post" and bakery.author == pseudonymize("/u/harbour_walker", SECRET)
    assert_private([bakery, ferry], ["harbour_walker", "ferry_fan"])


def test_rss091(http, tmp_path: Path) -> None:
    cafe, choir = articles_of(fetch(http, tmp_path, "rss091.xml", "rss"))
    assert cafe.title == "Café owners offer jobs to refugees from Ukraine"  # ISO-8859-1 decoded
    assert cafe.url == "https://valley-weekly.example/news/cafe-jobs" and cafe.text.startswith("Two café owners")
    assert choir.url == "https://valley-weekly.example/news/choir-prize"  # utm_campaign dropped
    assert cafe.published is None and cafe.kind == "article"  # RSS 0.91 items carry no date


def test_rdf10(http, tmp_path: Path) -> None:
    council, market = articles_of(fetch(http, tmp_path, "rdf10.xml", "rss"))
    assert council.title == "Integration council elects its first chair born abroad"
    assert council.url == "https://lakeside-post.example/2026/04/integration-council"
    assert council.published == utc(2026, 4, 2, 6) and market.published == utc(2026, 4, 3, 15, 30)
    assert council.author == "Petra Nilsson" and "Ayşe Demir" in council.text and council.kind == "article"


@pytest.mark.parametrize("name, kind, expected", [
    ("mastodon_tag.json", "jsonfeed", "not a JSON Feed (missing 'items')"),
    ("jsonfeed.json", "mastodon", "not a Mastodon status list (expected a JSON array of statuses, got a JSON object)"),
    ("telegram_result.json", "bluesky", "not a Bluesky author feed (missing 'feed')"),
    ("bluesky_author_feed.json", "export", "not a social export (a JSON object that is not a Telegram export"),
    ("mastodon_tag.json", "export", "not a social export (a JSON array"),
    ("rss091.xml", "jsonfeed", "not a JSON Feed (invalid JSON"),
    ("rdf10.xml", "export", "not a social export: expected a Telegram result.json, JSONL or CSV"),
    ("jsonfeed.json", "rss", "the document is JSON"),
])
def test_wrong_kind_is_a_clear_error(http, tmp_path: Path, name: str, kind: str, expected: str) -> None:
    result = fetch(http, tmp_path, name, kind)
    assert result.error and expected in result.error, result.error
    assert result.error.startswith(http.base + "/" + name) and "check the feed kind" in result.error
    assert not result.articles and result.retryable is False


def test_unknown_kind_lists_the_choices_and_json_is_an_alias() -> None:
    data = (KINDS_DIR / "jsonfeed.json").read_bytes()
    with pytest.raises(FetchError, match=r"unknown feed kind 'gopher'; must be one of: rss, atom, reddit"):
        parse_document(data, Feed(url="https://x.example/f", outlet_id="o", kind="gopher"), "k")
    articles, _ = parse_document(data, Feed(url="https://x.example/f", outlet_id="o", kind="json"), "k")
    assert len(articles) == 3


def _parse(kind: str, doc: object) -> tuple[list[Article], list[tuple[str, str]]]:
    """Parse a JSON value, or lines of text for exports given as a list of strings."""
    raw = "\n".join(doc) if kind == "export" and isinstance(doc, list) else json.dumps(doc)
    return parse_document(raw.encode(), Feed(url="https://x.example/f", outlet_id="o", kind=kind), "k")


def test_one_bad_item_never_fails_the_document() -> None:
    good = {"url": "https://m.example/@a/1", "content": "<p>Hello</p>", "account": {"acct": "a"}}
    articles, rejected = _parse("mastodon", [42, {"url": "https://m.example/@a/2", "content": {"html": 1}},
                                             {"reblog": good, "account": "oops"}])
    assert [a.text for a in articles] == ["Hello"] and [r[0] for r in rejected] == ["status 0", "status 1"]
    assert "expected an object, got int" in rejected[0][1]
    telegram = {"name": "Ch", "messages": [{"id": "x", "type": "message", "text": "a"},
                                           {"id": 2, "type": "message", "text": "b", "date_unixtime": "9" * 30},
                                           {"id": 3, "type": "message", "text": "ok", "date": "2026-01-01T00:00:00"}]}
    articles, rejected = _parse("export", telegram)
    assert [a.url for a in articles] == ["https://t.me/ch/3"] and [r[0] for r in rejected] == ["message x", "message 2"]
    assert "malformed item" in rejected[1][1]
    lines = [json.dumps({"url": "https://f.example/1", "text": 5}),
             json.dumps({"url": "https://f.example/2", "text": "t", "published": "soon"}),
             json.dumps({"url": "ftp://f.example/3", "text": "t"}),
             json.dumps({"url": "https://f.example/4", "text": "fine"})]
    articles, rejected = _parse("export", lines)
    assert [a.url for a in articles] == ["https://f.example/4"]
    assert rejected == [("line 1", "'text' must be text"), ("line 2", "'published' 'soon' is not an ISO 8601 time"),
                        ("line 3", "'url' 'ftp://f.example/3' is not an http or https URL")]
    articles, rejected = _parse("bluesky", {"feed": [{"post": {"uri": "at://did:plc:a/app.bsky.feed.post/1",
                                                               "record": "oops"}}, "junk"]})
    assert not articles and [r[0] for r in rejected] == ["post 0", "post 1"]


def test_semicolon_csv_with_capitalised_header() -> None:
    data = "\ufeffURL;Text;Author\nhttps://f.example/1;Hallo, Nachbarn;@x\n".encode()
    articles, rejected = parse_document(data, Feed(url="file:///e.csv", outlet_id="o", kind="export"), "k")
    assert [(a.url, a.text) for a in articles] == [("https://f.example/1", "Hallo, Nachbarn")] and not rejected


@pytest.mark.parametrize("value, expected", [
    ("2026-01-02T10:00:00Z", utc(2026, 1, 2, 10)),
    ("2026-01-02T12:00:00.500+02:00", utc(2026, 1, 2, 10, 0, 0, 500000)),
    ("2026-01-02T10:00:00", utc(2026, 1, 2, 10)),
    ("2026-13-02T10:00:00Z", None),
    ("Mon, 02 Jan 2026", None),
    ("", None),
    (1767348000, None),
])
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize("name, kind, outlet", [
    ("rss091.xml", "rss", "valley-weekly"),
    ("rdf10.xml", "rss", "lakeside-post"),
    ("../atom_basic.xml", "rss", None),
    ("reddit.xml", "reddit", "harbourtown-community"),
    ("jsonfeed.json", "jsonfeed", "riverside-courier"),
    ("mastodon_account.json", "mastodon", "mastodon-account"),
    ("bluesky_author_feed.json", "bluesky", "bluesky-author-feed"),
    ("telegram_result.json", "export", "harbour-help-desk"),
    ("social_export.jsonl", "export", "social-export"),
    ("social_export.csv", "export", "social-export"),
])
def test_local_feed_detects_the_kind(name: str, kind: str, outlet: str | None) -> None:
    feed, new_outlet = local_feed(KINDS_DIR / name, {})
    assert feed.kind == kind and feed.url.startswith("file:///")
    assert new_outlet is not None and new_outlet.id == feed.outlet_id
    if outlet:
        assert feed.outlet_id == outlet


def test_cli_ingests_exports_and_reports_rejected_lines(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    files = [str(KINDS_DIR / n) for n in ("social_export.jsonl", "social_export.csv", "telegram_result.json")]
    result = runner.invoke(app, ["--db", str(db), "ingest", *files])
    assert result.exit_code == 0, result.output
    assert "feeds: 3 ok, 0 failed; items: 8 new, 0 duplicate, 4 rejected" in result.output
    again = runner.invoke(app, ["--db", str(db), "ingest", files[0]])
    assert "items: 0 new, 3 duplicate, 2 rejected" in again.output
    database = Database(db)
    assert sources.outlets(database)["harbour-help-desk"].name == "Harbour Help Desk"
    assert {f.kind for f in sources.feeds(database)} == {"export"}
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT source, item, reason FROM rejected ORDER BY source, item").fetchall()
        authors = {r[0] for r in con.execute("SELECT author FROM articles").fetchall()}
    rejected = {(Path(s.removeprefix("file://")).name, item): reason for s, item, reason in rows}
    assert rejected[("social_export.jsonl", "line 4")] == "missing 'url'"
    assert "invalid JSON" in rejected[("social_export.jsonl", "line 3")]
    assert rejected[("social_export.csv", "line 3")] == "missing 'text'"
    assert ("telegram_result.json", "message 5") in rejected and len(rejected) == 4
    assert None in authors and all(a is None or a.startswith("author:") for a in authors)
