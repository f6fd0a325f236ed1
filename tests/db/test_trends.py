"""Trends: relevant and flagged counts per period and outlet, a reviewer's verdict over the model's flag."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.core.errors import StoreError
from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, HateResult
from pipeline.db import articles, results, review, sources
from pipeline.db.database import Database
from pipeline.db.trends import trend_counts

MODEL = "m@1"
HATE = HateResult(True, 0.8, "migrants", "derogatory", (), MODEL)


def test_trend_counts_per_week_and_month(db: Database) -> None:
    sources.upsert_sources(db, [Outlet("o", "Outlet", "GB", "en")], [])
    batch = [Article(url=f"http://o.test/{n}", outlet="o", text=f"Text {n}",
                     published=datetime(2026, 5, 4 + 7 * (n // 2), tzinfo=UTC)) for n in range(4)]
    articles.insert_articles(db, batch, None)
    results.save_classifications(db, [batch[0].evolve(relevance=0.9, hate=HATE), batch[1].evolve(relevance=0.9),
                                      batch[2].evolve(relevance=0.9, hate=HATE), batch[3].evolve(relevance=0.0)],
                                 MODEL, 0.2)
    review.record_ops(db, [{"op_id": "1", "at": "2026-06-01T00:00:00", "kind": "decision", "actor": "ana",
                            "article_id": batch[2].id, "decision": "reject"}])
    weeks = trend_counts(db, "week")
    assert [(r["period"], r["relevant"], r["flagged"]) for r in weeks if r["target"] == "migrants"] == [
        (date(2026, 5, 4), 1, 1), (date(2026, 5, 11), 1, 0)]  # the reviewer rejected the second flag
    assert {(r["outlet"], r["country"], r["lang"]) for r in weeks} == {("Outlet", "GB", "en")}
    assert "text" not in weeks[0] and "author" not in weeks[0]
    week = trend_counts(db, "week", date(2026, 5, 11), date(2026, 5, 17))  # both days included, nothing outside
    assert {r["period"] for r in week} == {date(2026, 5, 11)} and sum(r["relevant"] for r in week) == 1
    assert trend_counts(db, "week", date(2026, 5, 19), None) == []
    months = trend_counts(db, "month")
    assert sum(r["relevant"] for r in months) == 3 and {r["period"] for r in months} == {date(2026, 5, 1)}
    with pytest.raises(StoreError, match="period 'day' is invalid; must be one of: week, month"):
        trend_counts(db, "day")
