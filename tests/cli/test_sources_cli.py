"""`sources disable | enable | remove`: a real DuckDB file, feeds served on loopback, the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Xenowatch
from tests.ingest.badfeeds import RSS_TYPE, item, rss


@pytest.fixture
def registry(http, tmp_path: Path, xenowatch: Xenowatch, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """Two outlets with one served feed each, registered from a YAML file; returns (db, feed a, feed b)."""
    for key in ("POLITENESS_S", "RETRIES", "FETCH_PAGES"):
        monkeypatch.setenv(f"XENOWATCH_{key}", "0")
    a = http.add("/a.xml", rss([item("Alpha", f"{http.base}/a/1", "a1")]), content_type=RSS_TYPE)
    b = http.add("/b.xml", rss([item("Beta", f"{http.base}/b/1", "b1")]), content_type=RSS_TYPE)
    yaml = tmp_path / "sources.yaml"
    yaml.write_text(f"outlets:\n  - {{id: alpha, name: Alpha Daily, feeds: ['{a}']}}\n"
                    f"  - {{id: beta, name: Beta News, feeds: ['{b}']}}\n")
    db = str(tmp_path / "x.duckdb")
    assert xenowatch("--db", db, "sources", "import", str(yaml)).code == 0
    return db, a, b


def test_a_disabled_outlet_is_skipped_by_ingest_until_enabled(http, registry: tuple[str, str, str],
                                                              xenowatch: Xenowatch) -> None:
    db, a, b = registry
    off = xenowatch("--db", db, "sources", "disable", "beta news")  # the outlet's name, any case
    assert off.code == 0 and "disabled 1 of 1 feeds of outlet beta" in off.out and "stored articles stay" in off.out
    assert f"{b}\tdisabled" in xenowatch("--db", db, "sources", "list").out
    assert f"{b}\tdisabled\tok=never" in xenowatch("--db", db, "sources", "status").out
    ingested = xenowatch("--db", db, "ingest")
    assert ingested.code == 0 and "feeds: 1 ok, 0 failed; items: 1 new" in ingested.out
    assert "skipping 1 disabled feeds" in ingested.err
    assert http.hits.get("/b.xml", 0) == 0 and http.hits["/a.xml"] == 1

    on = xenowatch("--db", db, "sources", "enable", b)  # the feed's URL
    assert on.code == 0 and f"enabled 1 of 1 feeds of feed {b}" in on.out
    assert "disabled" not in xenowatch("--db", db, "sources", "list").out
    again = xenowatch("--db", db, "ingest")
    assert "feeds: 2 ok, 0 failed; items: 1 new, 1 duplicate" in again.out and http.hits["/b.xml"] == 1


def test_every_feed_disabled_is_a_clear_error(registry: tuple[str, str, str], xenowatch: Xenowatch) -> None:
    db, _, _ = registry
    xenowatch("--db", db, "sources", "disable", "alpha")
    xenowatch("--db", db, "sources", "disable", "beta")
    result = xenowatch("--db", db, "ingest")
    assert result.code == 1
    assert result.err.splitlines()[-1] == ("error: no enabled feeds (2 disabled); "
                                           "run 'xenowatch sources enable NAME_OR_URL'")


def test_remove_refuses_a_source_with_stored_articles(registry: tuple[str, str, str], xenowatch: Xenowatch) -> None:
    db, a, _ = registry
    xenowatch("--db", db, "ingest", a)
    for name, shown in (("alpha", "alpha"), (a, a), ("Alpha Daily", "'Alpha Daily'")):
        refused = xenowatch("--db", db, "sources", "remove", name)
        assert refused.code == 1 and refused.err.count("\n") == 1, refused.err
        assert refused.err.startswith("error: ") and "has 1 stored articles" in refused.err
        assert refused.err.endswith(f"to stop fetching it run: xenowatch sources disable {shown}\n")
    assert a in xenowatch("--db", db, "sources", "list").out


def test_remove_unregisters_a_source_with_nothing_stored(registry: tuple[str, str, str],
                                                         xenowatch: Xenowatch) -> None:
    db, a, b = registry
    assert xenowatch("--db", db, "sources", "remove", a).out == f"removed feed {a}\n"
    assert xenowatch("--db", db, "sources", "remove", "Beta News").out == "removed outlet beta and its 1 feeds\n"
    listed = xenowatch("--db", db, "sources", "list").out
    assert listed.startswith("alpha\tAlpha Daily") and a not in listed and "beta" not in listed and b not in listed
    unknown = xenowatch("--db", db, "sources", "disable", "beta")
    assert unknown.code == 1 and unknown.err == ("error: 'beta' is no registered feed URL, outlet id or outlet name; "
                                                 "see 'xenowatch sources list'\n")
