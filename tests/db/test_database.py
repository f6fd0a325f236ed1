"""Database: numbered migrations recorded once, opened and migrated once, transactions, lock waits, backups."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.core.errors import StoreError
from pipeline.core.record import Article
from pipeline.db import articles, results
from pipeline.db.database import Database, migrations


def _article(n: int, text: str = "Migrants arrived.") -> Article:
    return Article(url=f"http://x.test/{n}", outlet="o", title=f"T{n}", text=text,
                   published=datetime(2026, 3, n % 28 + 1, 12, tzinfo=UTC))


def test_migrations_are_numbered_and_recorded(db_path: Path) -> None:
    db = Database(db_path)
    names = [name for _, name, _ in migrations()]
    assert names and names[0].startswith("0001_")
    assert [v for v, _, _ in migrations()] == sorted({v for v, _, _ in migrations()})
    assert db.schema_version() == 0
    assert db.migrate() == names
    assert db.migrate() == []
    assert db.schema_version() == migrations()[-1][0]
    with duckdb.connect(str(db_path)) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"outlets", "feeds", "articles", "classifications", "rubric_results", "reviews",
            "ranking_snapshots", "runs", "rejected", "schema_migrations"} <= tables


def test_open_creates_and_migrates_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "x.duckdb"
    db = Database.open(path)
    assert path.is_file() and db.path == path
    assert db.schema_version() == migrations()[-1][0]


def test_open_migrates_a_file_that_is_behind(db_path: Path) -> None:
    with duckdb.connect(str(db_path)) as con:
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP DEFAULT current_timestamp)")
        first = migrations()[0]
        con.execute(first[2])
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [first[0], first[1]])
    Database.open(db_path)
    assert Database(db_path).schema_version() == migrations()[-1][0]
    assert Database(db_path).migrate() == []


def test_open_leaves_a_current_file_alone(db: Database) -> None:
    with db.connect() as con:
        before = con.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
    again = Database.open(db.path)
    with again.connect() as con:
        assert con.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall() == before


def test_read_only_connection_of_a_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    db = Database(tmp_path / "missing.duckdb")
    with pytest.raises(StoreError, match="does not exist; run 'xenowatch db migrate' or an ingest first"):
        with db.connect(read_only=True):
            pass


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    with pytest.raises(StoreError, match="cannot open database .*check the path given with --db or XENOWATCH_DB"):
        Database.open(bad)


def test_transaction_rolls_back_all_of_it(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as con:
        con.execute("INSERT INTO outlets (id, name) VALUES ('a', 'A')")
        raise RuntimeError("half-way")
    assert results.counts(db)["outlets"] == 0


def test_inner_transaction_joins_the_outer_one(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        articles.insert_articles(db, [_article(1)], None)  # its own transaction joins this one
        raise RuntimeError("after the inner commit point")
    assert results.counts(db)["articles"] == 0
    with db.transaction():
        articles.insert_articles(db, [_article(1)], None)
    assert results.counts(db)["articles"] == 1


def test_held_keeps_one_connection_and_using_borrows_one(db: Database) -> None:
    with db.held(), db.connect() as first, db.connect() as second:
        assert first is second
    con = db.open_connection()
    try:
        with db.using(con), db.connect() as used:
            assert used is con
        with db.connect() as other:
            assert other is not con
    finally:
        con.close()


def test_kept_shares_one_connection_between_write_groups_for_a_while(db: Database) -> None:
    with db.kept(keep_s=60.0):
        with db.held(), db.connect() as first:
            pass
        with db.held(), db.connect() as second:
            assert second is first  # not closed (and checkpointed) between the groups
        with db.kept(keep_s=60.0), db.held(), db.connect() as inner:
            assert inner is first
        with db.held(), db.connect() as after_inner:
            assert after_inner is first  # an inner block leaves the connection to the outer one
        articles.insert_articles(db, [_article(1)], None)
        with pytest.raises(StoreError, match="kept"):
            db.compact()
    with db.held(), db.connect() as third:
        assert third is not first  # closed when the block ends
    assert results.counts(db)["articles"] == 1
    with db.kept(keep_s=0.0):
        with db.held(), db.connect() as first:
            pass
        with db.held(), db.connect() as second:
            assert second is not first  # old enough: closed after its group


def test_kept_lets_another_process_write_once_it_is_old(db_path: Path) -> None:
    db = Database.open(db_path)
    with db.kept(keep_s=0.5):
        articles.insert_articles(db, [_article(1)], None)
        time.sleep(0.6)
        articles.insert_articles(db, [_article(2)], None)  # the group that finds it old closes it
        proc = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(str(db_path), 0.1))
        proc.start()
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert results.counts(db)["articles"] == 2


def _hold_lock(path: str, seconds: float) -> None:
    con = duckdb.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS holder (x INTEGER)")
    time.sleep(seconds)
    con.close()


def test_waits_for_another_writer(db_path: Path) -> None:
    Database(db_path).migrate()
    proc = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(str(db_path), 2.0))
    proc.start()
    time.sleep(1.0)
    try:
        assert articles.insert_articles(Database(db_path), [_article(1)], None) == (1, 0)
    finally:
        proc.join()


def test_gives_up_on_a_lock_after_the_wait(db_path: Path) -> None:
    Database(db_path).migrate()
    proc = multiprocessing.get_context("spawn").Process(target=_hold_lock, args=(str(db_path), 3.0))
    proc.start()
    time.sleep(1.0)
    try:
        with pytest.raises(StoreError, match="cannot open database .*lock"):
            results.counts(Database(db_path, lock_wait_s=0.2))
    finally:
        proc.join()


def test_backup_is_a_consistent_copy(db: Database, tmp_path: Path) -> None:
    articles.insert_articles(db, [_article(i) for i in range(3)], None)
    target = db.backup(tmp_path / "copy.duckdb")
    copy = Database(target)
    assert copy.schema_version() == db.schema_version()
    assert results.counts(copy)["articles"] == 3
    assert not target.with_name(target.name + ".partial").exists()
    with pytest.raises(StoreError, match="already exists"):
        db.backup(target)


def _keep_writing(path: str, batches: int) -> None:
    db = Database(path)
    for b in range(batches):
        articles.insert_articles(db, [_article(1000 + b * 10 + i) for i in range(10)], f"run{b}")


def test_backup_while_another_process_writes(db: Database, tmp_path: Path) -> None:
    writer = multiprocessing.get_context("spawn").Process(target=_keep_writing, args=(str(db.path), 30))
    writer.start()
    try:
        time.sleep(1.5)
        target = db.backup(tmp_path / "during.duckdb")
    finally:
        writer.join(timeout=120)
    copied = results.counts(Database(target))["articles"]
    assert copied % 10 == 0  # whole transactions only
    assert results.counts(Database(db.path))["articles"] == 300


def test_write_connections_checkpoint_on_a_larger_log(db: Database) -> None:
    with db.connect() as con:
        setting = con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
    assert setting == ("244.1 MiB",)  # 256 MB, where DuckDB's default is 16 MB
