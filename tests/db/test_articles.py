"""Articles: idempotent inserts keyed by URL and feed GUID, clusters and signatures, purges, runs, rejects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pipeline.core.record import Article
from pipeline.db import articles, results
from pipeline.db.database import Database


def _article(n: int, text: str = "Migrants arrived.", **fields: object) -> Article:
    return Article(url=f"http://x.test/{n}", outlet="o", title=f"T{n}", text=text,
                   published=datetime(2026, 3, n % 28 + 1, 12, tzinfo=UTC), **fields)  # type: ignore[arg-type]


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    with db.connect() as con:
        return con.execute(sql).fetchall()


def test_insert_articles_is_idempotent(db: Database) -> None:
    batch = [_article(i) for i in range(5)]
    assert articles.insert_articles(db, batch, "r1") == (5, 0)
    assert articles.insert_articles(db, batch + [_article(9)], "r2") == (1, 5)
    assert results.counts(db)["articles"] == 6
    assert articles.insert_articles(db, [], "r3") == (0, 0)


def test_published_round_trips_as_utc(db: Database) -> None:
    articles.insert_articles(db, [_article(3)], None)
    (back,) = results.pending_classification(db, "m")
    assert back.published == datetime(2026, 3, 4, 12, tzinfo=UTC)


def test_new_articles_skips_known_urls_and_guids_seen_in_the_same_feed(db: Database) -> None:
    feed = "http://x.test/rss"
    stored = _article(1, feed_url=feed, guid="g1")
    articles.insert_articles(db, [stored], None)
    moved = Article(url="http://x.test/moved", outlet="o", text="Edited", feed_url=feed, guid="g1")
    other_feed = Article(url="http://y.test/1", outlet="o", text="Same guid elsewhere", feed_url="http://y.test/rss",
                         guid="g1")
    twice = [_article(2, feed_url=feed, guid="g2"), Article(url="http://x.test/2b", outlet="o", feed_url=feed,
                                                             guid="g2")]
    fresh = articles.new_articles(db, [stored, moved, other_feed, *twice, _article(2, feed_url=feed, guid="g2")])
    assert [a.url for a in fresh] == ["http://y.test/1", "http://x.test/2"]
    assert articles.new_articles(db, []) == []


def test_insert_fresh_stores_clusters_and_signatures(db: Database) -> None:
    a, b, c = _article(1), _article(2), _article(3)
    clusters = {a.id: (a.id, b"sig-a"), b.id: (a.id, b"sig-b")}
    assert articles.insert_fresh(db, [a, b, c], "run", clusters) == 3
    assert articles.insert_fresh(db, [a], "run", clusters) == 0
    assert dict(_rows(db, "SELECT id, cluster_id FROM articles")) == {a.id: a.id, b.id: a.id, c.id: c.id}
    assert {r[0]: bytes(r[1]) for r in _rows(db, "SELECT article_id, signature FROM article_signatures")} == {
        a.id: b"sig-a", b.id: b"sig-b"}


def test_recent_signatures_are_those_of_the_window(db: Database) -> None:
    a, b = _article(1), _article(2)
    articles.insert_fresh(db, [a, b], None, {a.id: (a.id, b"one"), b.id: (a.id, b"two")})
    # One transaction: the same first_seen, so the order is by id.
    assert articles.recent_signatures(db, 14) == sorted([(a.id, a.id, b"one"), (b.id, a.id, b"two")])
    with db.connect() as con:
        con.execute("UPDATE articles SET first_seen = now() - INTERVAL 30 DAY WHERE id = ?", [a.id])
    assert articles.recent_signatures(db, 14) == [(b.id, a.id, b"two")]


def test_article_exists(db: Database) -> None:
    articles.insert_articles(db, [_article(1)], None)
    assert articles.article_exists(db, _article(1).id)
    assert not articles.article_exists(db, _article(2).id)


def test_purge_erases_old_posts_only(db: Database) -> None:
    old = Article(url="http://s.test/1", outlet="s", text="A post by someone", kind="post", author="author:abc",
                  published=datetime(2025, 1, 1, tzinfo=UTC))
    new = Article(url="http://s.test/2", outlet="s", text="A recent post", kind="post", author="author:def",
                  published=datetime(2026, 11, 1, tzinfo=UTC))
    news = Article(url="http://n.test/1", outlet="n", text="An old article", published=datetime(2025, 1, 1, tzinfo=UTC))
    articles.insert_fresh(db, [old, new, news], None, {old.id: (old.id, b"sig")})
    assert articles.purge_posts(db, datetime(2026, 1, 1)) == 1
    assert articles.purge_posts(db, datetime(2026, 1, 1)) == 0
    texts = {r[0]: r[1:] for r in _rows(db, "SELECT id, text, author, extraction FROM articles")}
    assert texts[old.id] == ("", None, "purged")
    assert texts[new.id][0] == "A recent post" and texts[news.id][0] == "An old article"
    assert [a.id for a in results.pending_classification(db, "m")] == sorted([new.id, news.id])  # text gone
    assert _rows(db, "SELECT count(*) FROM article_signatures") == [(0,)]


def test_runs_record_start_counts_and_end(db: Database) -> None:
    run_id = articles.start_run(db, "ingest")
    assert len(run_id) == 16 and run_id != articles.start_run(db, "ingest")
    articles.finish_run(db, run_id, {"feeds_ok": 2, "feeds_failed": 1, "new": 5, "duplicate": 3, "rejected": 1,
                                     "failures": [("u", "boom")]})
    (row,) = _rows(db, f"SELECT kind, feeds_ok, feeds_failed, items_new, items_duplicate, items_rejected, summary, "
                       f"finished_at IS NOT NULL FROM runs WHERE id = '{run_id}'")
    assert row[:6] == ("ingest", 2, 1, 5, 3, 1) and row[7] is True
    assert json.loads(str(row[6]))["failures"] == [["u", "boom"]]


def test_reject_keeps_one_row_per_item_and_reason(db: Database) -> None:
    for _ in range(2):
        articles.reject(db, "r", "ingest", "feed", "entry 3", "no link")
    articles.reject(db, "r", "ingest", "feed", "entry 4", "no link")
    assert results.counts(db)["rejected"] == 2


def test_reject_many_cuts_long_items(db: Database) -> None:
    articles.reject_many(db, [("r", "ingest", "feed", "x" * 5000, "too long"), (None, "ingest", "feed", "y", "bad")])
    assert sorted(len(r[0]) for r in _rows(db, "SELECT item FROM rejected")) == [1, 2000]
    articles.reject_many(db, [])
    assert results.counts(db)["rejected"] == 2
