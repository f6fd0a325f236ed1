"""A real DuckDB file with articles whose award scores the test chooses: outlets whose 95 % intervals
overlap (tied), one far behind, two years for the most improved, and a social account that is never ranked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import duckdb

from pipeline.core.config import Settings
from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, Criterion, RubricResult, Span
from pipeline.db import articles, results, sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.rubric.score import Rubric, load_rubric

MODEL = "xenowatch-hate@0.0-test+claims@test"  # no shipped model folder holds this version
SPREAD = (-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, -5.0, 5.0, -1.0, 1.0, 0.0)  # mean 0: an outlet's mean is its base
OUTLETS = [Outlet("alba", "Alba Diario", "ES", "es", "newspaper"), Outlet("brisa", "Brisa Radio", "ES", "es", "radio"),
           Outlet("cima", "Cima Press", "FR", "fr", "newspaper"), Outlet("duna", "Duna Daily", "GB", "en", "newspaper"),
           Outlet("eco", "Eco Tabloid", "GB", "en", "tabloid"), Outlet("feed", "Feed Account", None, "en", "social")]
# Four outlets within a few points of each other (their intervals overlap) and one far behind.
TIED_2026 = {"alba": 91.0, "brisa": 90.0, "cima": 88.4, "duna": 87.8, "eco": 60.0, "feed": 20.0}


@cache
def rubric() -> Rubric:
    """The installed rubric, read once."""
    return load_rubric()


def article(outlet: str, year: int, i: int, score: float, url_base: str = "https://news.test",
            kind: str = "article") -> Article:
    """An article whose one criterion (migrant voices, no passage: something missing) gives it `score`."""
    a = Article(url=f"{url_base}/{outlet}/{year}/{i}", outlet=outlet, title=f"{outlet} story {i} of {year}",
                text=f"Story {i} about migration at {outlet} in {year}.", kind=kind,
                published=datetime(year, 4, 1 + i % 27, tzinfo=UTC), lang="en")
    crit = Criterion("migrant_voices", round(score / 100, 4), 1.0, "Quotes no one, so migrants' own voices are "
                     "missing (EJN).", "EJN")
    return a.evolve(rubric=RubricResult(round(score, 2), rubric().version, (crit,)))


def flagged(outlet: str, year: int, i: int, confidence: float, term: bool = False) -> Article:
    """An article with a hate-speech flag of `confidence` on its title, and optionally 'illegals' in that title
    penalised by the terminology criterion as well."""
    title = "Illegals flood the town, say residents"
    a = Article(url=f"https://news.test/{outlet}/{year}/flag{i}", outlet=outlet, title=title,
                text=f"Residents spoke at a meeting ({i}).", published=datetime(year, 5, 1 + i, tzinfo=UTC), lang="en")
    weight = {c.id: c.weight for c in rubric().criteria}
    passage = Span(0, len(title), title, "hate", "title")
    hate = Criterion("hate_flag", round(1 - confidence, 4), weight["hate_flag"],
                     f"The hate-speech classifier flagged derogatory hate speech (score {confidence:.2f}).", "EJN",
                     (passage,))
    terminology = (Criterion("terminology", 0.75, weight["terminology"], "Uses 'Illegals'.", "ILO",
                             (Span(0, 8, "Illegals", "illegal_immigrant", "title"),), ("undocumented",))
                   if term else Criterion("terminology", 1.0, weight["terminology"], "Uses none.", "ILO"))
    crits = (terminology, hate)
    total = 100 * sum(c.weight * c.score for c in crits) / sum(c.weight for c in crits)
    return a.evolve(rubric=RubricResult(round(total, 2), rubric().version, crits))


def seed(db: Database, bases: Mapping[int, Mapping[str, float]], url_base: str = "https://news.test",
         extra: Sequence[Article] = ()) -> list[Article]:
    """Outlets, and for each year and outlet twelve articles around the outlet's base score."""
    batch = [article(o, year, i, min(100.0, max(0.0, base + d)), url_base)
             for year, by_outlet in bases.items() for o, base in by_outlet.items() for i, d in enumerate(SPREAD)]
    batch += list(extra)
    sources.upsert_sources(db, OUTLETS, [])
    articles.insert_articles(db, batch, None)
    results.save_rubric(db, batch, MODEL)
    return batch


def rank(db: Database, year: int = 2026) -> tuple[list[Any], dict[str, Any]]:
    """The year's ranking as `xenowatch rank` computes and stores it."""
    lines, snapshot, _ = jobs.rank_year(db, Settings(db=db.path), year, MODEL, rubric().version)
    return lines, snapshot


def by(snapshot: Mapping[str, Any], category: str) -> dict[str, dict[str, Any]]:
    """A category's rows by outlet."""
    return {r["outlet_id"]: r for r in snapshot["rows"] if r["category"] == category}


def add_review(db: Database, article_id: str, decision: str, severity: str | None = None) -> None:
    """A reviewer's decision, written as the workbench writes it."""
    with duckdb.connect(str(db.path)) as con:
        con.execute("INSERT INTO reviews (article_id, reviewer, decision, severity) VALUES (?, 'rev', ?, ?)",
                    [article_id, decision, severity])
