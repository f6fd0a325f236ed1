"""Store: numbered migrations recorded once, idempotent writes, lock waits, snapshots."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import StoreError
from pipeline.record import Article
from pipeline.store import Store, migrations


def _article(n: int, text: str = "Migrants arrived.") -> Article:
    return Article(url=f"http://x.test/{n}", outlet="o", title=f"T{n}", text=text,
                   published=datetime(2026, 3, n % 28 + 1, 12, tzinfo=UTC))


def test_migrations_are_numbered_and_recorded(db_path: Path) -> None:
    store = Store(db_path)
    names = [name for _, name, _ in migrations()]
    assert names and names[0].startswith("0001_")
    assert store.migrate() == names
    assert store.migrate() == []
    assert store.schema_version() == migrations()[-1][0]
    with duckdb.connect(str(db_path)) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"outlets", "feeds", "articles", "classifications", "rubric_results", "reviews",
            "ranking_snapshots", "runs", "rejected", "schema_migrations"} <= tables


def test_insert_articles_is_idempotent(store: Store) -> None:
    batch = [_article(i) for i in range(5)]
    assert store.insert_articles(batch, "r1") == (5, 0)
    assert store.insert_articles(batch + [_article(9)], "r2") == (1, 5)
    assert store.counts()["articles"] == 6


def test_published_round_trips_as_utc(store: Store) -> None:
    store.insert_articles([_article(3)], None)
    (back,) = store.pending_classification("m")
    assert back.published == datetime(2026, 3, 4, 12, tzinfo=UTC)


def test_reject_keeps_one_row_per_item_and_reason(store: Store) -> None:
    for _ in range(2):
        store.reject("r", "ingest", "feed", "entry 3", "no link")
    store.reject("r", "ingest", "feed", "entry 4", "no link")
    assert store.counts()["rejected"] == 2


def _hold_lock(path: str, seconds: float) -> None:
    con = duckdb.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS holder (x INTEGER)")
    time.sleep(seconds)
    con.close()


def test_waits_for_another_writer(db_path: Path) -> None:
    Store(db_path).migrate()
    proc = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(str(db_path), 2.0))
    proc.start()
    time.sleep(1.0)
    try:
        assert Store(db_path).insert_articles([_article(1)], None) == (1, 0)
    finally:
        proc.join()


def test_purge_erases_old_posts_only(store: Store) -> None:
    old = Article(url="http://s.test/1", outlet="s", text="A post by someone", kind="post", author="author:abc",
                  published=datetime(2025, 1, 1, tzinfo=UTC))
    new = Article(url="http://s.test/2", outlet="s", text="A recent post", kind="post", author="author:def",
                  published=datetime(2026, 11, 1, tzinfo=UTC))
    news = Article(url="http://n.test/1", outlet="n", text="An old article", published=datetime(2025, 1, 1, tzinfo=UTC))
    store.insert_articles([old, new, news], None)
    assert store.purge_posts(datetime(2026, 1, 1)) == 1
    assert store.purge_posts(datetime(2026, 1, 1)) == 0
    texts = {a.url: (a.text, a.author, a.extraction) for a in store.pending_classification("m")}
    assert texts["http://s.test/1"] == ("", None, "purged")
    assert texts["http://s.test/2"][0] == "A recent post" and texts["http://n.test/1"][0] == "An old article"


def test_backup_is_a_consistent_copy(store: Store, tmp_path: Path) -> None:
    store.insert_articles([_article(i) for i in range(3)], None)
    target = store.backup(tmp_path / "copy.duckdb")
    copy = Store(target)
    assert copy.schema_version() == store.schema_version()
    assert copy.counts()["articles"] == 3
    with pytest.raises(StoreError, match="already exists"):
        store.backup(target)


def _keep_writing(path: str, batches: int) -> None:
    store = Store(path)
    for b in range(batches):
        store.insert_articles([_article(1000 + b * 10 + i) for i in range(10)], f"run{b}")


def test_backup_while_another_process_writes(store: Store, tmp_path: Path) -> None:
    writer = multiprocessing.get_context("spawn").Process(target=_keep_writing, args=(str(store.path), 30))
    writer.start()
    try:
        time.sleep(1.5)
        target = store.backup(tmp_path / "during.duckdb")
    finally:
        writer.join(timeout=120)
    copied = Store(target).counts()["articles"]
    assert copied % 10 == 0  # whole transactions only
    assert Store(store.path).counts()["articles"] == 300
