"""Stage results: classifications and rubric results, the articles still waiting for them, the scored
rows a ranking reads, evidence, and row counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.core.record import Article, ScoredRow
from pipeline.core.serialize import classified_article
from pipeline.db._rows import ARTICLE_COLUMNS, article_from_row, classification_row, count, dicts, executemany
from pipeline.db.database import Database

TABLES = ("outlets", "feeds", "articles", "classifications", "rubric_results",
          "ranking_snapshots", "ranking_rows", "runs", "rejected", "reviews")


def pending_classification(db: Database, model: str, after: str = "", limit: int | None = None) -> list[Article]:
    """Articles with no classification by this model for their current content, by id (purged posts,
    whose text is gone, never); only ids after `after`, at most `limit` of them (a page)."""
    sql = (f"SELECT {ARTICLE_COLUMNS} FROM articles a LEFT JOIN classifications c "
           "ON c.article_id = a.id AND c.model = ? WHERE (c.article_id IS NULL "
           "OR c.content_hash <> a.content_hash) AND coalesce(a.extraction, '') <> 'purged' AND a.id > ? "
           "ORDER BY a.id" + (" LIMIT ?" if limit else ""))
    with db.connect() as con:
        rows = con.execute(sql, [model, after] + ([limit] if limit else [])).fetchall()
    return [article_from_row(r) for r in rows]


def save_classifications(db: Database, articles: Sequence[Article], model: str, gate: float) -> None:
    """Store relevance and classifier outputs (gated at `gate`), replacing older ones for the same model."""
    rows = [classification_row(a, model, gate) for a in articles]
    with db.transaction() as con:
        executemany(con,
            "INSERT OR REPLACE INTO classifications (article_id, model, content_hash, relevance, gated, "
            "hate, hate_score, target, severity, evidence, misinformation, check_worthy) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def pending_rubric(db: Database, model: str, rubric_version: str) -> list[Article]:
    """Relevant, classified articles (with their classification) with no result for this rubric version
    (posts never: they are not journalism and the rubric does not score them)."""
    sql = (f"SELECT {ARTICLE_COLUMNS}, c.relevance, c.hate, c.hate_score, c.target, c.severity, "
           "c.evidence, c.misinformation FROM articles a JOIN classifications c "
           "ON c.article_id = a.id AND c.model = ? AND c.content_hash = a.content_hash "
           "LEFT JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? "
           "WHERE c.gated AND (r.article_id IS NULL OR r.content_hash <> a.content_hash) "
           "AND coalesce(a.extraction, '') <> 'purged' AND coalesce(a.kind, 'article') <> 'post' ORDER BY a.id")
    with db.connect() as con:
        rows = con.execute(sql, [model, rubric_version]).fetchall()
    return [classified_article(article_from_row(r[:13]), r[13:], model) for r in rows]


def save_rubric(db: Database, articles: Sequence[Article], model: str) -> None:
    """Store rubric results (criteria as JSON), replacing older ones for the same version."""
    rows = [[a.id, a.rubric.version, model, a.content_hash, a.rubric.score,
             json.dumps([c.to_dict() for c in a.rubric.criteria], ensure_ascii=False)]
            for a in articles if a.rubric is not None]
    with db.transaction() as con:
        executemany(con, "INSERT OR REPLACE INTO rubric_results (article_id, rubric_version, model, "
                    "content_hash, score, criteria) VALUES (?, ?, ?, ?, ?, ?)", rows)


def scored_rows(db: Database, year: int, rubric_version: str, model: str) -> list[ScoredRow]:
    """Scored articles of a year, with their outlet, for the ranking."""
    sql = ("SELECT a.id, a.outlet_id, a.published, r.score, a.content_hash FROM articles a "
           "JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? AND r.model = ? "
           "AND r.content_hash = a.content_hash WHERE year(coalesce(a.published, a.first_seen)) = ? "
           "ORDER BY a.id")
    with db.connect() as con:
        rows = con.execute(sql, [rubric_version, model, year]).fetchall()
    return [ScoredRow(*r) for r in rows]


def evidence(db: Database, article_ids: Sequence[str], rubric_version: str) -> list[dict[str, Any]]:
    """Rubric results (criteria decoded) of the given articles, for an outlet's evidence pack; social posts
    are left out (never ranked, never published)."""
    if not article_ids:
        return []
    sql = ("SELECT a.id, a.outlet_id, a.url, a.title, a.published, r.score, r.criteria "
           "FROM articles a JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? "
           "WHERE a.id IN (SELECT unnest(?)) AND coalesce(a.kind, 'article') <> 'post' "
           "ORDER BY a.outlet_id, r.score, a.id")
    with db.connect() as con:
        rows = dicts(con.execute(sql, [rubric_version, list(article_ids)]))
    for row in rows:
        row["criteria"] = json.loads(row["criteria"])
    return rows


def counts(db: Database) -> dict[str, int]:
    """Row counts of the main tables, by table name."""
    with db.connect() as con:
        return {t: count(con, t) for t in TABLES}


def stage_counts(db: Database, model: str, rubric_version: str) -> dict[str, int]:
    """How far the stages got: articles, classified (current content), relevant, flagged, scored."""
    sql = ("SELECT (SELECT count(*) FROM articles), count(c.article_id), count(*) FILTER (WHERE c.gated), "
           "count(*) FILTER (WHERE c.hate), (SELECT count(*) FROM rubric_results r WHERE r.rubric_version = ? "
           "AND r.model = ?) FROM classifications c JOIN articles a ON a.id = c.article_id "
           "AND a.content_hash = c.content_hash WHERE c.model = ?")
    with db.connect() as con:
        row = con.execute(sql, [rubric_version, model, model]).fetchall()[0]
    return dict(zip(("articles", "classified", "relevant", "hate_flagged", "scored"), map(int, row)))
