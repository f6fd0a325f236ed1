"""Results: classifications and rubric results per model and content, what waits for them, scored rows,
evidence and counts."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.core.record import Article, Criterion, HateResult, RubricResult, ScoredRow, Span
from pipeline.db import articles, results
from pipeline.db.database import Database

MODEL = "m@1"
HATE = HateResult(True, 0.91, "migrants", "dehumanising", (Span(0, 5, "Vermin", "hate"),), MODEL)


def _article(n: int, year: int = 2026, text: str = "Migrants arrived.") -> Article:
    return Article(url=f"http://x.test/{n}", outlet=f"o{n % 2}", title=f"T{n}", text=text,
                   published=datetime(year, 3, 1, 12, tzinfo=UTC))


def _scored(a: Article, score: float, version: str = "r1") -> Article:
    crit = Criterion("hate_flag", 0.2, 1.0, "Hateful sentence.", "EJN", (Span(0, 5, "Vermin", "hate"),))
    return a.evolve(rubric=RubricResult(score, version, (crit,)))


def test_pending_classification_is_per_model_and_content(db: Database) -> None:
    batch = [_article(i) for i in range(4)]
    articles.insert_articles(db, batch, None)
    assert [a.id for a in results.pending_classification(db, MODEL)] == sorted(a.id for a in batch)
    results.save_classifications(db, [a.evolve(relevance=0.5) for a in batch[:3]], MODEL, 0.2)
    assert [a.id for a in results.pending_classification(db, MODEL)] == [batch[3].id]
    assert len(results.pending_classification(db, "other@1")) == 4
    with db.connect() as con:
        con.execute("UPDATE articles SET text = 'Edited.', content_hash = 'changed' WHERE id = ?", [batch[0].id])
    assert {a.id for a in results.pending_classification(db, MODEL)} == {batch[0].id, batch[3].id}


def test_pending_classification_pages_by_id(db: Database) -> None:
    batch = [_article(i) for i in range(5)]
    articles.insert_articles(db, batch, None)
    ids = sorted(a.id for a in batch)
    first = results.pending_classification(db, MODEL, limit=2)
    rest = results.pending_classification(db, MODEL, after=first[-1].id, limit=10)
    assert [a.id for a in first + rest] == ids
    assert results.pending_classification(db, MODEL, after=ids[-1]) == []


def test_saved_classifications_come_back_with_the_pending_rubric(db: Database) -> None:
    relevant, off_topic = _article(1), _article(2)
    articles.insert_articles(db, [relevant, off_topic], None)
    results.save_classifications(db, [relevant.evolve(relevance=0.9, hate=HATE), off_topic.evolve(relevance=0.1)],
                                 MODEL, 0.2)
    (back,) = results.pending_rubric(db, MODEL, "r1")  # gated only
    assert back.id == relevant.id and back.relevance == 0.9
    assert back.hate is not None and (back.hate.hate, back.hate.target, back.hate.severity) == (
        True, "migrants", "dehumanising")
    assert back.hate.evidence == HATE.evidence
    results.save_classifications(db, [relevant.evolve(relevance=0.1)], MODEL, 0.2)  # replaces the older result
    assert results.pending_rubric(db, MODEL, "r1") == []


def test_save_rubric_replaces_per_version(db: Database) -> None:
    a = _article(1)
    articles.insert_articles(db, [a], None)
    results.save_classifications(db, [a.evolve(relevance=0.9)], MODEL, 0.2)
    results.save_rubric(db, [_scored(a, 40.0), a], MODEL)  # an article without a result is skipped
    assert results.pending_rubric(db, MODEL, "r1") == []
    assert [p.id for p in results.pending_rubric(db, MODEL, "r2")] == [a.id]  # another rubric version
    results.save_rubric(db, [_scored(a, 55.0)], MODEL)
    assert results.counts(db)["rubric_results"] == 1
    assert [r.score for r in results.scored_rows(db, 2026, "r1", MODEL)] == [55.0]


def test_scored_rows_of_a_year_model_and_version(db: Database) -> None:
    now, before = [_article(i) for i in range(3)], [_article(10, year=2025)]
    articles.insert_articles(db, now + before, None)
    results.save_rubric(db, [_scored(a, 50.0 + i) for i, a in enumerate(now + before)], MODEL)
    rows = results.scored_rows(db, 2026, "r1", MODEL)
    assert rows == sorted(rows, key=lambda r: r.article_id) and len(rows) == 3
    first = next(r for r in rows if r.article_id == now[0].id)
    assert first == ScoredRow(now[0].id, "o0", datetime(2026, 3, 1, 12), 50.0, now[0].content_hash)
    assert [r.article_id for r in results.scored_rows(db, 2025, "r1", MODEL)] == [before[0].id]
    assert results.scored_rows(db, 2026, "r1", "other@1") == [] and results.scored_rows(db, 2026, "r2", MODEL) == []


def test_evidence_decodes_criteria(db: Database) -> None:
    a, b = _article(1), _article(2)
    articles.insert_articles(db, [a, b], None)
    results.save_rubric(db, [_scored(a, 40.0), _scored(b, 30.0)], MODEL)
    rows = results.evidence(db, [a.id, b.id], "r1")
    assert [r["id"] for r in rows] == [b.id, a.id]  # by outlet, then score
    assert set(rows[0]) == {"id", "outlet_id", "url", "title", "published", "score", "criteria"}
    assert rows[0]["criteria"][0]["id"] == "hate_flag" and rows[0]["criteria"][0]["evidence"][0]["text"] == "Vermin"
    assert results.evidence(db, [], "r1") == [] and results.evidence(db, [a.id], "r2") == []


def test_counts_and_stage_counts(db: Database) -> None:
    batch = [_article(i) for i in range(4)]
    articles.insert_articles(db, batch, None)
    results.save_classifications(db, [batch[0].evolve(relevance=0.9, hate=HATE), batch[1].evolve(relevance=0.9),
                                      batch[2].evolve(relevance=0.0)], MODEL, 0.2)
    results.save_rubric(db, [_scored(batch[0], 20.0)], MODEL)
    counts = results.counts(db)
    assert counts["articles"] == 4 and counts["classifications"] == 3 and counts["rubric_results"] == 1
    assert set(counts) == set(results.TABLES)
    assert results.stage_counts(db, MODEL, "r1") == {"articles": 4, "classified": 3, "relevant": 2,
                                                     "hate_flagged": 1, "scored": 1}
