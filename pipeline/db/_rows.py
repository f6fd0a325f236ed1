"""Shared helpers of the SQL modules: bulk inserts, counts, and conversions between rows and records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from pipeline.core.record import Article

ARTICLE_COLUMNS = ("a.url, a.outlet_id, a.title, a.text, a.kind, a.published, a.author, a.feed_url, "
                   "a.guid, a.extraction, a.lang, a.content_hash, a.id")


def utc_naive(value: datetime | None) -> datetime | None:
    """A datetime as DuckDB's TIMESTAMP holds it: naive UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def groups(width: int, count: int) -> str:
    """`count` placeholder groups of `width` values, for a multi-row VALUES list."""
    return ", ".join(["(" + ", ".join(["?"] * width) + ")"] * count)


def executemany(con: duckdb.DuckDBPyConnection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows in one statement from columns registered as a view (DuckDB's executemany
    runs one statement per row: about 70 ms for 20 rows); accepts an empty batch."""
    if not rows:
        return
    head, tail = sql.split(" VALUES ", 1)
    suffix = tail[tail.index(")") + 1:]
    width = len(rows[0])
    columns = {f"c{i}": np.array([row[i] for row in rows], dtype=object) for i in range(width)}
    con.register("_xw_rows", columns)
    try:
        con.execute(f"{head} SELECT {', '.join(columns)} FROM _xw_rows{suffix}").fetchall()
    finally:
        con.unregister("_xw_rows")


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in a table (names come from code, never from input)."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(row[0][0]) if row else 0


def dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of an executed query as dicts keyed by column name."""
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def article_row(a: Article, run_id: str | None) -> list[Any]:
    """Values for an articles INSERT."""
    return [a.id, a.url, a.outlet, a.feed_url, a.guid, a.kind, a.title, a.text, a.author,
            utc_naive(a.published), a.lang, a.extraction, a.content_hash, run_id]


def article_from_row(row: Sequence[Any]) -> Article:
    """An Article from the columns in ARTICLE_COLUMNS."""
    published = row[5].replace(tzinfo=UTC) if row[5] is not None else None
    return Article(url=row[0], outlet=row[1], title=row[2] or "", text=row[3] or "", kind=row[4],
                   published=published, author=row[6], feed_url=row[7], guid=row[8],
                   extraction=row[9] or "feed", lang=row[10])


def classification_row(a: Article, model: str, gate: float) -> list[Any]:
    """Values for a classifications INSERT."""
    h = a.hate
    relevance = a.relevance or 0.0
    evidence = json.dumps([s.to_dict() for s in h.evidence], ensure_ascii=False) if h else None
    misinfo = json.dumps([m.to_dict() for m in a.misinformation], ensure_ascii=False)
    return [a.id, model, a.content_hash, relevance, relevance >= gate,
            h.hate if h else None, h.score if h else None, h.target if h else None,
            h.severity if h else None, evidence, misinfo,
            json.dumps([c.to_dict() for c in a.check_worthy], ensure_ascii=False)]
