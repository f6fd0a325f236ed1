"""Hostile feeds (issue 14, findings 2 and 13): a JSON feed nested 100,000 levels deep fails alone, with a
reason, through the real `xenowatch ingest` over loopback HTTP; an oversized item is cut and the cut recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.outlets import Feed, Outlet
from pipeline.db import sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from tests.conftest import Routes
from tests.ingest.badfeeds import RSS_TYPE, item, query, quick, rss, stored_urls

DEEP = b'{"items":' + b"[" * 100_000  # 100 KB of brackets, never closed, as in the report
runner = CliRunner()


def register(db: Database, http: Routes) -> tuple[Feed, list[Feed]]:
    """A good RSS feed and two deep JSON feeds (declared JSON Feed, and left as the default rss kind)."""
    good = Feed(url=http.add("/good.xml", rss([item(f"Good {n}", f"http://good.example/{n}", f"g{n}")
                                               for n in range(3)]), content_type=RSS_TYPE), outlet_id="good")
    bad = [Feed(url=http.add("/deep.json", DEEP, content_type="application/feed+json"), outlet_id="deep",
                kind="jsonfeed"),
           Feed(url=http.add("/deep-as-rss", DEEP, content_type="application/json"), outlet_id="deep")]
    sources.upsert_sources(db, [Outlet(id="good", name="Good"), Outlet(id="deep", name="Deep")], [good, *bad])
    return good, bad


@pytest.mark.parametrize("strict, code", [(False, 0), (True, 1)])
def test_cli_ingest_survives_a_deeply_nested_json_feed(http: Routes, db: Database, db_path: Path,
                                                       strict: bool, code: int) -> None:
    good, bad = register(db, http)
    args = ["--db", str(db_path), "ingest", *(["--strict"] if strict else [])]
    result = runner.invoke(app, args, env={"XENOWATCH_FETCH_PAGES": "0", "XENOWATCH_POLITENESS_S": "0"})
    assert result.exit_code == code, (result.output, result.exception)
    assert "feeds: 1 ok, 2 failed; items: 3 new" in result.stdout
    assert stored_urls(db, good.url) == {f"http://good.example/{n}" for n in range(3)}
    health = {row["url"]: row for row in sources.feed_status(db)}
    assert "nested 100001 levels deep, over the limit of 256" in health[bad[0].url]["last_error"]
    assert "not a readable feed" in health[bad[1].url]["last_error"]
    for feed in bad:
        assert health[feed.url]["consecutive_failures"] == 1
        assert f"failed {feed.url}: " in result.stdout
    assert "Traceback" not in result.output


def test_a_deep_line_of_a_jsonl_export_is_rejected_alone(http: Routes, db: Database, db_path: Path) -> None:
    lines = [json.dumps({"url": "http://p.example/1", "text": "A post."}).encode(), b'{"text": ' + b"[" * 50_000]
    export = Feed(url=http.add("/export.jsonl", b"\n".join(lines), content_type="application/x-ndjson"),
                  outlet_id="export", kind="export")
    good = Feed(url=http.add("/good.xml", rss([item("Good", "http://good.example/1", "g")]), content_type=RSS_TYPE),
                outlet_id="good")
    summary = jobs.ingest_feeds(db, quick(db_path), [export, good], "run")
    assert summary.feeds_failed == 0 and summary.new == 2
    [(reason,)] = query(db, "SELECT reason FROM rejected WHERE source = ?", [export.url])
    assert reason == "invalid JSON: nested 50001 levels deep, over the limit of 256"


def test_an_oversized_item_is_cut_and_the_cut_recorded(http: Routes, db: Database, db_path: Path) -> None:
    big = "word " * 300_000  # 1.5 MB of text in one item
    body = rss([item("Huge", "http://big.example/1", "big", description=big),
                item("Small", "http://big.example/2", "small", description="Small text.")])
    feed = Feed(url=http.add("/big.xml", body, content_type=RSS_TYPE), outlet_id="big")
    summary = jobs.ingest_feeds(db, quick(db_path), [feed], "run")
    assert summary.new == 2 and summary.rejected == 0
    lengths = dict(query(db, "SELECT url, length(text) FROM articles"))
    assert lengths == {"http://big.example/1": 200_000, "http://big.example/2": len("Small text.")}
    [(stage, item_url, reason)] = query(db, "SELECT stage, item, reason FROM rejected")
    assert (stage, item_url) == ("ingest-cut", "http://big.example/1")
    assert reason == ("text cut from 1499999 to 200000 characters (max_item_chars); stored with the first 200000")
