"""Rankings: ranked articles and their per-outlet score histograms in SQL, snapshots stored once and read back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, Criterion, RubricResult
from pipeline.db import articles, rankings, results, sources
from pipeline.db.database import Database

MODEL = "m@1"


def _scored(outlet: str, n: int, score: float, year: int = 2026, hate: float = 1.0, kind: str = "article") -> Article:
    a = Article(url=f"http://{outlet}.test/{year}/{n}", outlet=outlet, title=f"T{n}", text=f"Text {n}",
                published=datetime(year, 5, 1, tzinfo=UTC), kind=kind)
    return a.evolve(rubric=RubricResult(score, "r1", (Criterion("hate_flag", hate, 1.0, "None.", "EJN"),)))


@pytest.fixture
def scored(db: Database) -> Database:
    """Outlets a (newspaper), b (radio) and s (social), with scored articles in 2025 and 2026."""
    sources.upsert_sources(db, [Outlet("a", "A", media_type="newspaper"), Outlet("b", "B", media_type="radio"),
                                Outlet("s", "S", media_type="social")], [])
    batch = [_scored("a", i, s) for i, s in enumerate((10.0, 10.2, 80.0))]
    batch += [_scored("b", 0, 55.5, hate=0.4), _scored("s", 0, 5.0, hate=0.1), _scored("a", 9, 30.0, year=2025)]
    batch += [_scored("b", 7, 20.0, hate=0.2, kind="post")]
    articles.insert_articles(db, batch, None)
    results.save_rubric(db, batch, MODEL)
    return db


def test_outlet_bins_leave_unranked_types_out(scored: Database) -> None:
    bins = rankings.outlet_bins(scored, 2026, "r1", MODEL, ("social",), 0.5)
    assert [b[0] for b in bins] == ["a", "b"]
    keys, counts, sums = bins[0][1:]
    assert keys == [20, 160] and counts == [2, 1] and sums == pytest.approx([20.2, 80.0])
    assert bins[1][1:] == ([111], [1], [55.5])
    assert [b[0] for b in rankings.outlet_bins(scored, 2026, "r1", MODEL, (), 0.5)] == ["a", "b", "s"]
    assert rankings.outlet_bins(scored, 2026, "r1", "other@1", (), 0.5) == []


def test_score_bins_of_any_source(scored: Database) -> None:
    with scored.connect() as con:
        bins = rankings.score_bins(con, "SELECT 'x' AS outlet_id, unnest([1.0, 1.2, 3.0]::DOUBLE[]) AS score", [], 1.0)
    assert bins == [("x", [1, 3], [2, 1], pytest.approx([2.2, 3.0]))]


def test_ranked_rows_flags_and_years_leave_unranked_items_out(scored: Database) -> None:
    rows = rankings.ranked_rows(scored, 2026, "r1", MODEL, ("social",))
    assert sorted((r.outlet_id, r.score) for r in rows) == [("a", 10.0), ("a", 10.2), ("a", 80.0), ("b", 55.5)]
    assert len(rankings.ranked_rows(scored, 2026, "r1", MODEL, ())) == 5  # the social outlet; never the post
    flagged = rankings.hate_flagged(scored, 2026, "r1", MODEL, ("social",))
    assert [(f["outlet_id"], f["criteria"][0]["score"]) for f in flagged] == [("b", 0.4)]
    assert rankings.ranked_years(scored, "r1", MODEL) == [2025, 2026]
    assert rankings.ranked_years(scored, "r2", MODEL) == []


def _snapshot(sid: str, year: int = 2026, **extra: Any) -> dict[str, Any]:
    row = {"category": "overall", "outlet_id": "a", "rank": 1, "score": 40.0, "ci_low": 30.0, "ci_high": 50.0,
           "n_articles": 3, "status": "ranked", "change": None}
    return {"id": sid, "year": year, "rubric_version": "r1", "models": {"classifier": MODEL},
            "parameters": {"min_articles": 3}, "article_ids": ["x", "y"], "rows": [row], **extra}


def test_award_snapshot_is_stored_once_and_read_back(scored: Database) -> None:
    snap = _snapshot("s1", verdicts={"x": {"decision": "reject"}}, indicators={"a": {"articles": 3}},
                     previous={"year": 2025, "ranked": 0}, ignored="not stored")
    assert rankings.save_award_snapshot(scored, snap)
    assert not rankings.save_award_snapshot(scored, snap)
    back = rankings.award_snapshot(scored, "s1")
    assert back is not None
    assert {k: back[k] for k in ("id", "year", "rubric_version", "models", "parameters", "article_ids")} == {
        k: snap[k] for k in ("id", "year", "rubric_version", "models", "parameters", "article_ids")}
    assert back["verdicts"] == snap["verdicts"] and back["indicators"] == snap["indicators"]
    assert back["previous"] == snap["previous"] and "ignored" not in back
    assert back["stored_rows"] == [{**dict.fromkeys(rankings.ROW_COLUMNS), **r} for r in snap["rows"]]
    assert rankings.award_snapshot(scored, "nope") is None


def test_bare_snapshots_and_the_latest_ranking(scored: Database) -> None:
    assert rankings.snapshot_years(scored) == [] and rankings.latest_ranking(scored, 2026) == (None, [])
    assert rankings.save_snapshot(scored, _snapshot("old", 2025), _snapshot("old", 2025)["rows"])
    assert not rankings.save_snapshot(scored, _snapshot("old", 2025), [])
    rankings.save_award_snapshot(scored, _snapshot("new"))
    assert rankings.snapshot_years(scored) == [2026, 2025]
    snap, rows = rankings.latest_ranking(scored, 2026)
    assert snap is not None and snap["id"] == "new" and snap["article_ids"] == ["x", "y"]
    assert snap["models"] == {"classifier": MODEL} and snap["parameters"] == {"min_articles": 3}
    assert [(r["outlet_id"], r["outlet"], r["rank"], r["media_type"]) for r in rows] == [("a", "A", 1, "newspaper")]
    bare = rankings.award_snapshot(scored, "old")
    assert bare is not None and "verdicts" not in bare and bare["stored_rows"][0]["change"] is None
