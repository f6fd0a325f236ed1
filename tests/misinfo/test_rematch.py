"""Fact-checks imported after articles were classified (issue 15): `factchecks import` re-matches the stored
articles against only the new fact-checks, a running classifier picks them up at its next batch, and
check-worthy sentences are stored. Real DuckDB files, the real models and the real CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from models.encoders.registry import MULTILINGUAL, load_encoder
from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.record import Article
from pipeline.db import articles, factchecks, results
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.jobs.factchecks import refreshed
from pipeline.misinfo.factchecks import parse_file
from pipeline.misinfo.matcher import ClaimMatcher, load_claims
from pipeline.rubric.score import load_rubric

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "pipeline" / "misinfo" / "data" / "factchecks_sample.jsonld"
PHONE = "https://factcheck.example.org/2025/free-smartphones"
CARS = "https://factcheck.example/free-cars"
PHONE_TEXT = "Local news. Apparently the government gives every asylum seeker a free smartphone, a viral post says."
CAR_TEXT = ("Refugees are given a brand new car by the council, neighbours claim. "
            "Asylum seekers cost the town 3 million euros a year, the councillor said.")


def myths_only(classifier: Any) -> Any:
    """The session's classifier as it was before any fact-check was imported: the bundled myths only."""
    return replace(classifier, claims=ClaimMatcher(load_claims(), load_encoder(MULTILINGUAL)), factchecks="")


def stored(db: Database, url: str) -> dict[str, Any]:
    """The stored misinformation and check-worthy sentences of an article."""
    with db.connect() as con:
        row = con.execute("SELECT c.misinformation, c.check_worthy FROM classifications c JOIN articles a "
                          "ON a.id = c.article_id WHERE a.url = ?", [url]).fetchone()
    assert row is not None, url
    return {"urls": [m["url"] for m in json.loads(row[0])], "check_worthy": json.loads(row[1])}


def scored_urls(db: Database) -> set[str]:
    """URLs of the articles with a rubric result."""
    with db.connect() as con:
        rows = con.execute("SELECT a.url FROM rubric_results r JOIN articles a ON a.id = r.article_id").fetchall()
    return {r[0] for r in rows}


@pytest.mark.slow
def test_import_rematches_stored_articles_against_only_new_factchecks(classifier: Any, db: Database,
                                                                      settings: Settings, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    clf = myths_only(classifier)
    monkeypatch.setattr(jobs, "PAGE", 1)  # one article per page: classify_pending reads every page
    articles.insert_articles(db, [Article(url="https://news.example/phone", outlet="o", title="Asylum seekers",
                                          text=PHONE_TEXT, lang="en"),
                                  Article(url="https://news.example/car", outlet="o", title="Refugees",
                                          text=CAR_TEXT, lang="en")], None)
    assert jobs.classify_pending(db, settings, clf) == 2
    assert jobs.score_pending(db, clf.tag, load_rubric()) == 2
    assert stored(db, "https://news.example/phone")["urls"] == []
    [worthy] = stored(db, "https://news.example/car")["check_worthy"]  # stored with the classification
    assert worthy["text"].startswith("Asylum seekers cost the town") and worthy["score"] >= 0.6

    first = runner.invoke(app, ["--db", str(db.path), "factchecks", "import", str(SAMPLE)])
    assert first.exit_code == 0, first.output
    assert "matched 6 new fact-checks against the stored articles: 1 articles gained a match" in first.stdout
    assert stored(db, "https://news.example/phone")["urls"] == [PHONE]
    assert scored_urls(db) == {"https://news.example/car"}  # the gainer's rubric result waits to be rescored

    again = runner.invoke(app, ["--db", str(db.path), "factchecks", "import", str(SAMPLE)])
    assert "matched 0 new fact-checks against the stored articles: 0 articles gained a match" in again.stdout
    cars = tmp_path / "cars.csv"
    cars.write_text("claim,rating,publisher,url,language\n"
                    f"Refugees get a free car from the council.,False,Car Check,{CARS},en\n", encoding="utf-8")
    second = runner.invoke(app, ["--db", str(db.path), "factchecks", "import", str(cars)])
    assert "matched 1 new fact-checks against the stored articles: 1 articles gained a match" in second.stdout
    assert stored(db, "https://news.example/car")["urls"] == [CARS]
    assert stored(db, "https://news.example/phone")["urls"] == [PHONE]  # kept, not matched twice
    assert factchecks.not_rematched(db) == set()


@pytest.mark.slow
def test_running_classifier_picks_up_factchecks_imported_meanwhile(classifier: Any, db: Database,
                                                                   settings: Settings) -> None:
    clf = myths_only(classifier)  # loaded before the import, as a running worker's is
    assert refreshed(clf, db.path) is clf  # nothing imported: the same matcher
    factchecks.add_factchecks(db, [fc for _, fc in parse_file(SAMPLE).records], "sample")
    articles.insert_articles(db, [Article(url="https://news.example/late", outlet="o", title="Asylum seekers",
                                          text=PHONE_TEXT, lang="en")], None)
    assert jobs.classify_pending(db, settings, clf) == 1
    assert stored(db, "https://news.example/late")["urls"] == [PHONE]
    fresh = refreshed(clf, db.path)
    assert fresh.factchecks == factchecks.version(db) != "" and refreshed(fresh, db.path) is fresh
    assert results.pending_classification(db, clf.tag) == []
