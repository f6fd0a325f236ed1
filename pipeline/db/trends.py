"""Trends: aggregate counts of relevant and flagged items over time (never a text or an author)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pipeline.core.errors import StoreError
from pipeline.db._rows import dicts
from pipeline.db.database import Database
from pipeline.db.review import WB_CTE

PERIODS = ("week", "month")


def trend_counts(db: Database, period: str, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
    """Relevant and flagged counts per period (week or month) and outlet, country, language and target, for
    items seen from `start` to `end` (both days included; None: no bound). A reviewer's verdict overrides
    the model's flag, and only relevant items count as flagged, so that flagged ÷ relevant is a share."""
    if period not in PERIODS:
        raise StoreError(f"period {period!r} is invalid; must be one of: week, month")
    sql = (WB_CTE.format(where="") + "SELECT CAST(date_trunc(?, seen_at) AS DATE) AS period, "
           "outlet, country, coalesce(lang, 'unknown') AS lang, coalesce(target, 'none') AS target, "
           "count(*) FILTER (WHERE gated) AS relevant, count(*) FILTER (WHERE gated AND coalesce(verdict = "
           "'confirm', hate, false)) AS flagged FROM w WHERE (?::DATE IS NULL OR seen_at >= ?::DATE) "
           "AND (?::DATE IS NULL OR seen_at < ?::DATE) GROUP BY ALL ORDER BY period")
    until = end + timedelta(days=1) if end is not None else None
    with db.connect() as con:
        return dicts(con.execute(sql, [period, start, start, until, until]))


def trend_span(db: Database) -> tuple[date, date] | None:
    """The first and last day an item with a classification was seen, or None when there is none."""
    sql = ("SELECT CAST(min(coalesce(a.published, a.first_seen)) AS DATE), "
           "CAST(max(coalesce(a.published, a.first_seen)) AS DATE) FROM articles a "
           "WHERE a.id IN (SELECT article_id FROM classifications)")
    with db.connect() as con:
        first, last = con.execute(sql).fetchone() or (None, None)
    return (first, last) if first is not None and last is not None else None
