"""Stored articles with their near-duplicate signatures, the runs that fetched them, and quarantined items."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipeline.core.record import Article, sha1
from pipeline.db._rows import article_row, count, executemany
from pipeline.db.database import Database

REDACTED = "[redacted: the post was purged]"


def new_articles(db: Database, articles: Sequence[Article]) -> list[Article]:
    """The articles not stored yet: unknown canonical URL, and no stored item of the same feed has
    their GUID (a GUID seen again with other content or URL is the same item, kept once)."""
    unique = list({a.id: a for a in articles}.values())
    if not unique:
        return []
    with db.connect() as con:
        known = {r[0] for r in con.execute("SELECT id FROM articles WHERE id IN (SELECT unnest(?))",
                                           [[a.id for a in unique]]).fetchall()}
        guids = {(r[0], r[1]) for r in con.execute(
            "SELECT feed_url, guid FROM articles WHERE guid IN (SELECT unnest(?))",
            [[a.guid for a in unique if a.guid]]).fetchall()}
    fresh, seen = [], set(guids)
    for a in unique:
        key = (a.feed_url, a.guid)
        if a.id not in known and not (a.guid and key in seen):
            fresh.append(a)
            seen.add(key)
    return fresh


def recent_guids(db: Database, feed_urls: Sequence[str], per_feed: int = 200) -> dict[str, set[str]]:
    """The GUIDs of each feed's most recently stored items (a paged social feed stops at a page holding one)."""
    if not feed_urls:
        return {}
    with db.connect() as con:
        rows = con.execute(
            "SELECT feed_url, guid FROM (SELECT feed_url, guid, row_number() OVER (PARTITION BY feed_url "
            "ORDER BY first_seen DESC, published DESC NULLS LAST) AS n FROM articles "
            "WHERE feed_url IN (SELECT unnest(?)) AND guid IS NOT NULL) WHERE n <= ?",
            [list(feed_urls), per_feed]).fetchall()
    known: dict[str, set[str]] = {}
    for url, guid in rows:
        known.setdefault(url, set()).add(guid)
    return known


def insert_articles(db: Database, articles: Sequence[Article], run_id: str | None,
                    clusters: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, int]:
    """Store new articles (with their near-duplicate cluster and signature); return (new, duplicate).
    Keyed by canonical URL and feed GUID, so reruns add nothing."""
    if not articles:
        return 0, 0
    new = insert_fresh(db, new_articles(db, articles), run_id, clusters)
    return new, len(articles) - new


def insert_fresh(db: Database, fresh: Sequence[Article], run_id: str | None,
                 clusters: dict[str, tuple[str, bytes]] | None = None) -> int:
    """Insert articles already filtered by new_articles(), with their (cluster id, signature) by
    article id; return how many landed."""
    clusters = clusters or {}
    with db.transaction() as con:
        before = count(con, "articles")
        executemany(con,
            "INSERT INTO articles (id, url, outlet_id, feed_url, guid, kind, title, text, author, "
            "published, lang, extraction, content_hash, run_id, cluster_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [article_row(a, run_id) + [clusters.get(a.id, (a.id, b""))[0]] for a in fresh])
        executemany(con, "INSERT INTO article_signatures (article_id, signature) VALUES (?, ?) "
                    "ON CONFLICT (article_id) DO NOTHING",
                    [[a.id, clusters[a.id][1]] for a in fresh if a.id in clusters])
        return count(con, "articles") - before


def article_exists(db: Database, article_id: str) -> bool:
    """True when an article has this id."""
    with db.connect() as con:
        return bool(con.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchall())


def existing_ids(db: Database, article_ids: Sequence[str]) -> set[str]:
    """The ids among `article_ids` that name an article."""
    with db.connect() as con:
        return {r[0] for r in con.execute("SELECT id FROM articles WHERE id IN (SELECT unnest(?))",
                                          [list(article_ids)]).fetchall()}


def purge_posts(db: Database, before: datetime) -> int:
    """Erase the text, title, author, address, guid and evidence of social posts published (or first seen)
    before a time, and redact reviewers' notes on them; their scores stay for aggregate trends. Then the
    file is rewritten, so that none of the erased text is left in freed blocks. Returns the number purged."""
    where = ("kind = 'post' AND extraction <> 'purged' AND coalesce(published, first_seen) < ?")
    with db.transaction() as con:
        ids = [r[0] for r in con.execute(f"SELECT id FROM articles WHERE {where}", [before]).fetchall()]
        if ids:
            con.execute("UPDATE articles SET text = '', title = '', author = NULL, guid = NULL, "
                        "url = 'purged:' || id, extraction = 'purged' WHERE id IN (SELECT unnest(?))", [ids])
            con.execute("UPDATE classifications SET evidence = '[]', misinformation = '[]', check_worthy = '[]' "
                        "WHERE article_id IN (SELECT unnest(?))", [ids])
            con.execute("DELETE FROM rubric_results WHERE article_id IN (SELECT unnest(?))", [ids])
            con.execute("DELETE FROM article_signatures WHERE article_id IN (SELECT unnest(?))", [ids])
            redact_notes(con, ids)
    if ids:
        db.compact()
    return len(ids)


def redact_notes(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Replace reviewers' notes and corrected evidence spans on purged posts, in the reviews and in the audit log
    (which may quote them), and the sentences sent to the fact-check list (a quote of the post)."""
    con.execute("UPDATE reviews SET note = ? WHERE note IS NOT NULL AND article_id IN (SELECT unnest(?))",
                [REDACTED, list(ids)])
    con.execute("UPDATE reviews SET evidence = NULL WHERE evidence IS NOT NULL AND article_id IN (SELECT unnest(?))",
                [list(ids)])
    rows = con.execute("SELECT id, detail FROM audit_log WHERE article_id IN (SELECT unnest(?)) "
                       "AND (json_extract_string(detail, '$.note') IS NOT NULL "
                       "OR json_extract_string(detail, '$.sentence') IS NOT NULL "
                       "OR json_extract_string(detail, '$.evidence') IS NOT NULL)", [list(ids)]).fetchall()
    for audit_id, detail in rows:
        data = json.loads(detail)
        data.update({key: REDACTED for key in ("note", "sentence", "evidence") if data.get(key) is not None})
        con.execute("UPDATE audit_log SET detail = ? WHERE id = ?", [json.dumps(data, ensure_ascii=False), audit_id])
    con.execute("UPDATE factcheck_requests SET sentence = ? WHERE article_id IN (SELECT unnest(?))",
                [REDACTED, list(ids)])


def recent_signatures(db: Database, days: int) -> list[tuple[str, str, bytes]]:
    """(article id, cluster id, MinHash signature) of articles first seen in the last `days` days."""
    with db.connect() as con:
        return [(r[0], r[1], bytes(r[2])) for r in con.execute(
            "SELECT a.id, coalesce(a.cluster_id, a.id), s.signature FROM articles a "
            "JOIN article_signatures s ON s.article_id = a.id "
            f"WHERE a.first_seen > now() - INTERVAL {int(days)} DAY ORDER BY a.first_seen, a.id").fetchall()]


def start_run(db: Database, kind: str) -> str:
    """Record the start of a run of a kind (ingest); return its id."""
    started = datetime.now(UTC).replace(tzinfo=None)
    run_id = sha1(f"{kind}:{started.isoformat()}:{random.random()}")[:16]
    with db.connect() as con:
        con.execute("INSERT INTO runs (id, kind, started_at) VALUES (?, ?, ?)", [run_id, kind, started])
    return run_id


def finish_run(db: Database, run_id: str, summary: dict[str, Any]) -> None:
    """Record a run's counts (an ingest summary) and end time."""
    with db.connect() as con:
        con.execute(
            "UPDATE runs SET finished_at = now(), feeds_ok = ?, feeds_failed = ?, items_new = ?, "
            "items_duplicate = ?, items_rejected = ?, summary = ? WHERE id = ?",
            [summary.get("feeds_ok", 0), summary.get("feeds_failed", 0), summary.get("new", 0),
             summary.get("duplicate", 0), summary.get("rejected", 0),
             json.dumps(summary, default=str), run_id])


def reject(db: Database, run_id: str | None, stage: str, source: str, item: str, reason: str) -> None:
    """Quarantine one bad item with its reason; the same item and reason are kept once."""
    reject_many(db, [(run_id, stage, source, item, reason)])


def reject_many(db: Database, rows: Sequence[tuple[str | None, str, str, str, str]]) -> None:
    """Quarantine bad items: rows of (run_id, stage, source, item, reason)."""
    unique = {sha1(f"{st}|{src}|{item}|{why}"): [run, st, src, item[:2000], why]
              for run, st, src, item, why in rows}
    with db.connect() as con:
        executemany(con, "INSERT INTO rejected (id, run_id, stage, source, item, reason) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    [[key, *values] for key, values in unique.items()])
