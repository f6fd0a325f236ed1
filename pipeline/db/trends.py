"""Trends: aggregate counts of relevant and flagged items over time (never a text or an author)."""

from __future__ import annotations

from typing import Any

from pipeline.core.errors import StoreError
from pipeline.db._rows import dicts
from pipeline.db.database import Database
from pipeline.db.review import WB_CTE

PERIODS = ("week", "month")


def trend_counts(db: Database, period: str) -> list[dict[str, Any]]:
    """Relevant and flagged counts per period (week or month) and outlet, country, language and target;
    a reviewer's verdict overrides the model's flag."""
    if period not in PERIODS:
        raise StoreError(f"period {period!r} is invalid; must be one of: week, month")
    sql = (WB_CTE.format(where="") + "SELECT CAST(date_trunc(?, seen_at) AS DATE) AS period, "
           "outlet, country, coalesce(lang, 'unknown') AS lang, coalesce(target, 'none') AS target, "
           "count(*) FILTER (WHERE gated) AS relevant, count(*) FILTER (WHERE coalesce(verdict = 'confirm', "
           "hate, false)) AS flagged FROM w GROUP BY ALL ORDER BY period")
    with db.connect() as con:
        return dicts(con.execute(sql, [period]))
