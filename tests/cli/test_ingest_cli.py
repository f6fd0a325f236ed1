"""`ingest` counts: pages that failed but whose feed text was kept are counted apart from rejected items,
`--verbose` says why, and `--strict` exits 1 when a feed cannot be read. Real loopback HTTP, a DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Xenowatch
from tests.ingest.badfeeds import RSS_TYPE, item, query, rss

PAGE = (Path(__file__).resolve().parents[1] / "resources" / "page.html").read_text()


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """No politeness delay and no retries: the pages on loopback answer at once."""
    monkeypatch.setenv("XENOWATCH_POLITENESS_S", "0")
    monkeypatch.setenv("XENOWATCH_RETRIES", "0")


def test_kept_feed_text_is_counted_apart_and_explained(http, tmp_path: Path, xenowatch: Xenowatch) -> None:
    from pipeline.db.database import Database

    missing = [f"{http.base}/gone/{n}" for n in range(3)]  # answered 404: the feed text is kept
    http.add("/ok", PAGE, content_type="text/html")
    entries = [item(f"Story {n}", url, f"g{n}") for n, url in enumerate(missing)]
    entries += [item("Found", f"{http.base}/ok", "ok"),
                "<item><title>No link</title><description>x</description></item>"]
    feed = http.add("/feed.xml", rss(entries), content_type=RSS_TYPE)
    db = str(tmp_path / "x.duckdb")

    first = xenowatch("--db", db, "ingest", "--verbose", feed)
    assert first.code == 0, first.err
    summary, *notes = first.out.splitlines()
    assert summary == ("feeds: 1 ok, 0 failed; items: 4 new, 0 duplicate, 1 rejected; "
                       "kept feed text for 3 of the new (page not fetched)")
    kept = sorted(n for n in notes if n.startswith("  kept feed text "))
    assert [n[:n.index(": page not fetched")] for n in kept] == [f"  kept feed text {url}" for url in missing]
    assert all("page not fetched, feed text kept" in n and "404" in n for n in kept), kept
    assert [n for n in notes if n.startswith("  rejected ")] == [
        f"  rejected {feed} entry 4: entry 'No link' has no link (http or https URL)"]
    stages = dict(query(Database(db), "SELECT stage, count(*) FROM rejected GROUP BY stage"))
    assert stages == {"ingest": 1, "ingest-page": 3}

    second = xenowatch("--db", db, "ingest", feed)  # duplicates: their pages matter no more
    assert second.out == "feeds: 1 ok, 0 failed; items: 0 new, 4 duplicate, 1 rejected\n"


def test_strict_exits_1_when_a_feed_cannot_be_read(http, tmp_path: Path, xenowatch: Xenowatch) -> None:
    good = http.add("/good.xml", rss([item("Good", f"{http.base}/good/1", "g")]), content_type=RSS_TYPE)
    broken = http.add("/page.xml", "<html><body>not a feed</body></html>", content_type="text/html")
    db = str(tmp_path / "x.duckdb")
    lenient = xenowatch("--db", db, "ingest", good, broken)
    assert lenient.code == 0 and "feeds: 1 ok, 1 failed" in lenient.out
    strict = xenowatch("--db", db, "ingest", "--strict", good, broken)
    assert strict.code == 1 and strict.err == "error: 1 feeds could not be read (--strict)\n"
    [failed] = [line for line in strict.out.splitlines() if line.startswith("  failed ")]
    assert failed.startswith(f"  failed {broken}: not a readable feed") and failed.count(broken) == 1
