"""The sources registry: outlets, their feeds and each feed's health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.core.outlets import Feed, Outlet
from pipeline.db._rows import dicts, executemany, groups
from pipeline.db.database import Database


def upsert_sources(db: Database, outlets: Sequence[Outlet], feeds: Sequence[Feed]) -> None:
    """Register outlets and feeds in one transaction; existing ones are updated."""
    with db.transaction() as con:
        executemany(con,
            "INSERT INTO outlets (id, name, country, language, media_type, owner, website) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "country = excluded.country, language = excluded.language, media_type = excluded.media_type, "
            "owner = excluded.owner, website = excluded.website",
            [[o.id, o.name, o.country, o.language, o.media_type, o.owner, o.website] for o in outlets])
        executemany(con,
            "INSERT INTO feeds (url, outlet_id, kind) VALUES (?, ?, ?) ON CONFLICT (url) "
            "DO UPDATE SET outlet_id = excluded.outlet_id, kind = excluded.kind",
            [[f.url, f.outlet_id, f.kind] for f in feeds])


def feeds(db: Database) -> list[Feed]:
    """Every registered feed, by URL."""
    with db.connect() as con:
        rows = con.execute("SELECT url, outlet_id, kind, etag, last_modified FROM feeds ORDER BY url").fetchall()
    return [Feed(url=r[0], outlet_id=r[1], kind=r[2], etag=r[3], last_modified=r[4]) for r in rows]


def outlets(db: Database) -> dict[str, Outlet]:
    """Every registered outlet, by id."""
    with db.connect() as con:
        rows = con.execute("SELECT id, name, country, language, media_type, owner, website "
                           "FROM outlets ORDER BY id").fetchall()
    return {r[0]: Outlet(*r) for r in rows}


def feed_status(db: Database) -> list[dict[str, Any]]:
    """Per-feed health for `sources status`: url, outlet, last success and error, failures, items in 7 days."""
    with db.connect() as con:
        return dicts(con.execute(
            "SELECT f.url, f.outlet_id, f.last_success, f.last_error, f.consecutive_failures, "
            "(SELECT count(*) FROM articles a WHERE a.feed_url = f.url "
            " AND a.first_seen > now() - INTERVAL 7 DAY) AS items_7d FROM feeds f ORDER BY f.url"))


def record_feed_results(db: Database, rows: Sequence[tuple[str, str | None, str | None, str | None]]) -> None:
    """Remember each feed's last success (and its validators) or its last error:
    rows of (url, error or None, etag, last_modified)."""
    ok = [[url, etag, lm] for url, error, etag, lm in rows if error is None]
    failed = [[url, error] for url, error, _, _ in rows if error is not None]
    with db.connect() as con:
        if ok:
            con.execute("UPDATE feeds SET last_success = now(), consecutive_failures = 0, "
                        "etag = coalesce(v.etag, feeds.etag), last_modified = coalesce(v.lm, feeds.last_modified) "
                        f"FROM (VALUES {groups(3, len(ok))}) v(url, etag, lm) WHERE feeds.url = v.url",
                        [x for row in ok for x in row])
        if failed:
            con.execute("UPDATE feeds SET last_error = v.error, last_error_at = now(), "
                        "consecutive_failures = consecutive_failures + 1 "
                        f"FROM (VALUES {groups(2, len(failed))}) v(url, error) WHERE feeds.url = v.url",
                        [x for row in failed for x in row])
