"""A hostile run (issue 14, "Done when"): a JSON feed nested 100,000 levels deep, a feed linking to an
internal service on another loopback port and to the metadata address, and a feed titled
`=HYPERLINK("http://x")`, beside good feeds. Every good item is stored, nothing private is fetched,
the run exits 0, and every CSV cell the award writes is escaped.

Real parts throughout: the sample corpus server for the good feeds (their pages are fetched, from
their own origin), loopback servers for the hostile ones, `xenowatch ingest`, `rank` and `report`
through the CLI, the shipped models for classification.
"""

from __future__ import annotations

import csv
import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.loopback import running
from pipeline.core.outlets import Feed, Outlet
from pipeline.db import sources
from pipeline.db.database import Database
from pipeline.ingest.sources import load_sources
from pipeline.jobs import steps as jobs
from pipeline.rubric.score import load_rubric
from pipeline.sample.server import sample_items, serve_sample, write_sources
from tests.conftest import Routes
from tests.ingest.badfeeds import RSS_TYPE, item, query, rss

GOOD = ("harbour-gazette", "daily-clarion")
TITLE = '=HYPERLINK("http://x")'
ENV = {"XENOWATCH_POLITENESS_S": "0", "XENOWATCH_RETRIES": "0", "XENOWATCH_TIMEOUT_S": "10"}
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inner() -> Iterator[Routes]:
    """An internal service on another loopback port: nothing may ever be fetched from it."""
    with running(Routes()) as server:
        server.add("/secret", "<html><body><p>internal secret hunter2</p></body></html>", content_type="text/html")
        yield server


def hyperlink_feed(path: Path, inner: Routes) -> Path:
    """A local RSS file titled like a spreadsheet formula, its items (real migration reporting of an
    outlet not otherwise ingested) linking to the internal service."""
    items = [it for it in sample_items() if it["outlet"] == "metro-wire"]
    entries = [item(it["title"], f"{inner.base}/secret?{it['id']}", it["id"], description=it["text"],
                    date=it["published"]) for it in items]
    path.write_text(rss(entries, title=TITLE), encoding="utf-8")
    return path


def csv_cells(text: str) -> list[str]:
    """Every cell of a CSV text."""
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_escaped(text: str) -> None:
    """No cell would run as a spreadsheet formula (numbers such as -0.6 are not formulas)."""
    for cell in csv_cells(text):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not cell.startswith("-") or is_number(cell), cell


def test_hostile_run(http: Routes, inner: Routes, tmp_path: Path, classifier: Any) -> None:
    db_path = tmp_path / "hostile.duckdb"
    db = Database.open(db_path)
    with serve_sample(free_port()) as sample:
        outlets, feeds = load_sources(write_sources(sample.base, tmp_path / "sources.yaml"))
        good = [f for f in feeds if f.outlet_id in GOOD]
        deep = Feed(url=http.add("/deep.json", b'{"items":' + b"[" * 100_000, content_type="application/json"),
                    outlet_id="deep", kind="jsonfeed")
        ssrf_items = [item("Inner", f"{inner.base}/secret", "in"), item("Meta", "http://169.254.169.254/", "md")]
        ssrf = Feed(url=http.add("/ssrf.xml", rss(ssrf_items), content_type=RSS_TYPE), outlet_id="ssrf")
        sources.upsert_sources(db, [o for o in outlets if o.id in GOOD] + [Outlet(id="deep", name="Deep"),
                                                                          Outlet(id="ssrf", name="SSRF")],
                               [*good, deep, ssrf])
        targets = [f.url for f in (*good, deep, ssrf)] + [str(hyperlink_feed(tmp_path / "hyperlink.xml", inner))]
        ingested = runner.invoke(app, ["--db", str(db_path), "ingest", *targets], env=ENV)
    assert ingested.exit_code == 0, (ingested.output, ingested.exception)
    assert "feeds: 4 ok, 1 failed" in ingested.stdout
    assert f"failed {deep.url}: JSON nested 100001 levels deep" in ingested.stdout

    # every good item stored, its page fetched from its own (loopback) origin
    for feed in good:
        expected = sum(1 for it in sample_items() if it["outlet"] == feed.outlet_id)
        rows = query(db, "SELECT extraction FROM articles WHERE feed_url = ?", [feed.url])
        assert len(rows) == expected and {r[0] for r in rows} == {"page"}, feed.url
    # nothing private fetched: the internal service saw no request, hostile items kept their feed text
    assert inner.hits == {}
    assert query(db, "SELECT count(*) FROM articles WHERE text LIKE '%hunter2%'") == [(0,)]
    refused = query(db, "SELECT count(*) FROM rejected WHERE reason LIKE '%refused%'")[0][0]
    assert refused == 2 + sum(1 for it in sample_items() if it["outlet"] == "metro-wire")

    jobs.classify_pending(db, Settings(db=db_path), classifier)
    jobs.score_pending(db, classifier.tag, load_rubric())
    ranked = runner.invoke(app, ["--db", str(db_path), "rank", "--year", "2026", "--format", "csv"], env=ENV)
    assert ranked.exit_code == 0, ranked.output
    reported = runner.invoke(app, ["--db", str(db_path), "report", "--year", "2026", "--out", str(tmp_path / "r")],
                             env=ENV)
    assert reported.exit_code == 0, reported.output
    ranking = (tmp_path / "r" / "ranking.csv").read_text(encoding="utf-8")
    assert "'" + TITLE in csv_cells(ranking), "the formula-titled outlet is ranked, escaped"
    for text in (ranked.stdout, ranking, (tmp_path / "r" / "categories.csv").read_text(encoding="utf-8")):
        assert_escaped(text)
