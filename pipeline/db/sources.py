"""The sources registry: outlets, their feeds and each feed's health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.core.errors import InputError
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


def feeds(db: Database, include_disabled: bool = False) -> list[Feed]:
    """The registered feeds to fetch (every one with include_disabled), by URL."""
    where = "" if include_disabled else " WHERE disabled_at IS NULL"
    with db.connect() as con:
        rows = con.execute(f"SELECT url, outlet_id, kind, etag, last_modified FROM feeds{where} "
                           "ORDER BY url").fetchall()
    return [Feed(url=r[0], outlet_id=r[1], kind=r[2], etag=r[3], last_modified=r[4]) for r in rows]


def disabled_feeds(db: Database) -> set[str]:
    """URLs of the feeds disabled by `sources disable`."""
    with db.connect() as con:
        return {r[0] for r in con.execute("SELECT url FROM feeds WHERE disabled_at IS NOT NULL").fetchall()}


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
            "SELECT f.url, f.outlet_id, f.disabled_at IS NOT NULL AS disabled, f.last_success, f.last_error, "
            "f.consecutive_failures, "
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


@dataclass(frozen=True, slots=True)
class Selection:
    """What `sources disable|enable|remove` acts on: one feed, or an outlet with all its feeds."""

    label: str
    outlet_id: str | None
    urls: tuple[str, ...]


def select(db: Database, name_or_url: str) -> Selection:
    """The feed with this URL, else the outlet with this id, else the outlet with this name (any case)."""
    with db.connect() as con:
        if con.execute("SELECT 1 FROM feeds WHERE url = ?", [name_or_url]).fetchall():
            return Selection(f"feed {name_or_url}", None, (name_or_url,))
        ids = [r[0] for r in con.execute("SELECT id FROM outlets WHERE id = ?", [name_or_url]).fetchall()] or [
            r[0] for r in con.execute("SELECT id FROM outlets WHERE lower(name) = lower(?) ORDER BY id",
                                      [name_or_url]).fetchall()]
        if len(ids) != 1:
            raise InputError(f"{name_or_url!r} names {len(ids)} outlets ({', '.join(ids)}); give the outlet's id"
                             if ids else f"{name_or_url!r} is no registered feed URL, outlet id or outlet name; "
                             "see 'xenowatch sources list'")
        urls = tuple(r[0] for r in con.execute("SELECT url FROM feeds WHERE outlet_id = ? ORDER BY url",
                                                [ids[0]]).fetchall())
    return Selection(f"outlet {ids[0]}", ids[0], urls)


def set_disabled(db: Database, selection: Selection, disabled: bool) -> int:
    """Disable (or enable) the selected feeds; how many changed."""
    if not selection.urls:
        return 0
    change = "disabled_at = now() WHERE disabled_at IS NULL" if disabled else \
        "disabled_at = NULL WHERE disabled_at IS NOT NULL"
    with db.connect() as con:
        row = con.execute(f"UPDATE feeds SET {change} AND url IN (SELECT unnest(?))",
                          [list(selection.urls)]).fetchone()
    return int(row[0]) if row else 0


def remove(db: Database, selection: Selection) -> int:
    """Unregister the selected feeds (and the outlet, when it was selected) unless articles were stored from
    them: rankings and snapshots cite stored articles. Returns how many were stored (0: removed)."""
    key: list[Any] = [selection.outlet_id] if selection.outlet_id is not None else [list(selection.urls)]
    where = "outlet_id = ?" if selection.outlet_id is not None else "feed_url IN (SELECT unnest(?))"
    with db.transaction() as con:
        row = con.execute(f"SELECT count(*) FROM articles WHERE {where}", key).fetchone()
        stored = int(row[0]) if row else 0
        if stored:
            return stored
        con.execute("DELETE FROM feeds WHERE url IN (SELECT unnest(?))", [list(selection.urls)])
        if selection.outlet_id is not None:
            con.execute("DELETE FROM outlets WHERE id = ?", [selection.outlet_id])
    return 0
