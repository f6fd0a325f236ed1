"""Imported fact-checks matched in classify output, embeddings cached, and the evaluation command.

These run the real multilingual USE encoder and the shipped hate model against a temporary DuckDB.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from models.encoders.base import Encoder
from models.encoders.use import load_multilingual_encoder
from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.record import Article
from pipeline.db import articles, factchecks, results
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.jobs.factchecks import encoder_key, matcher_with_store, stored_claims
from pipeline.misinfo.factchecks import parse_file
from pipeline.misinfo.matcher import ClaimMatcher, load_claims

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "pipeline" / "misinfo" / "data" / "factchecks_sample.jsonld"
PHONE = "https://factcheck.example.org/2025/free-smartphones"
LINES = [
    {"id": "en", "lang": "en", "text": "Local news. Apparently the government gives every asylum seeker "
     "a free smartphone, a viral post says."},
    {"id": "es", "lang": "es", "text": "Cada solicitante de asilo recibe un teléfono móvil gratis del Gobierno."},
    {"id": "neutral", "lang": "en", "text": "Asylum seekers wait an average of nine months for an interview, "
     "according to the Home Office."},
    {"id": "true-rated", "lang": "en", "text": "Net migration to the country fell last year compared with "
     "the year before, according to a post on migrants."},
    {"id": "debunk", "lang": "en", "text": "Contrary to the rumour, asylum seekers are not given free smartphones."},
]


class CountingEncoder:
    """Wraps an encoder and counts the texts it embeds."""

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.texts = inner, 0
        self.name, self.version, self.dim = inner.name, inner.version, inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed through the wrapped encoder, counting."""
        self.texts += len(texts)
        return self.inner.encode(texts)


def classify(tmp_path: Path, db: Path) -> dict[str, dict[str, object]]:
    """Run `xenowatch --db DB classify` over LINES; output rows by id."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in LINES) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(db), "classify", "--jsonl", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


@pytest.mark.slow
def test_imported_factcheck_flows_into_classify_output(tmp_path: Path) -> None:
    db = tmp_path / "fc.duckdb"
    myths_only = ClaimMatcher(load_claims(), load_multilingual_encoder())  # no fact-check: no flag
    assert all(not found for found in myths_only.match([str(line["text"]) for line in LINES]))
    imported = runner.invoke(app, ["--db", str(db), "factchecks", "import", str(SAMPLE)])
    assert imported.exit_code == 0 and "imported 8 fact-checks" in imported.stdout
    rows = classify(tmp_path, db)
    [flag] = rows["en"]["misinformation"]
    assert flag["kind"] == "factcheck" and flag["url"] == PHONE and flag["rating"] == "False"
    assert flag["publisher"] == flag["source"] == "Example Fact Check (fictional, evaluation only)"
    assert flag["claim"] == "Every asylum seeker is given a free smartphone by the government."
    assert 0.47 <= flag["similarity"] <= 1.0 and flag["language"] == "en"
    text = LINES[0]["text"]
    assert isinstance(text, str) and text[flag["evidence"]["start"]:flag["evidence"]["end"]].startswith("Apparently")
    assert [m["url"] for m in rows["es"]["misinformation"]] == [PHONE]  # across languages
    for quiet in ("neutral", "true-rated", "debunk"):
        assert rows[quiet]["misinformation"] == [], quiet
    assert "check_worthy" in rows["neutral"] and isinstance(rows["neutral"]["check_worthy"], list)


@pytest.mark.slow
def test_embeddings_are_computed_once_and_cached(db: Database) -> None:
    factchecks.add_factchecks(db, [fc for _, fc in parse_file(SAMPLE).records], "sample")
    encoder = CountingEncoder(load_multilingual_encoder())
    claims, vectors = stored_claims(db, encoder)
    assert encoder.texts == 6 and len(claims) == 6 and vectors.shape == (6, encoder.dim)
    again, cached = stored_claims(db, encoder)
    assert encoder.texts == 6 and np.allclose(vectors, cached)
    assert [c.url for c in again] == [c.url for c in claims]
    assert set(factchecks.embeddings(db, encoder_key(encoder))) == {
        fc.id for fc in factchecks.list_factchecks(db, True)}


@pytest.mark.slow
def test_eval_command_reports_per_language_on_test() -> None:
    result = runner.invoke(app, ["factchecks", "eval", "--split", "test", "--json", "--calibrate"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    langs = report["matching"]["languages"]
    assert set(langs) == {"en", "fr", "es", "all"} and report["matching"]["split"] == "test"
    # Floors pinned a little under the measured values (test: P 0.903, R 0.650; README).
    assert langs["all"]["precision"] >= 0.85 and langs["all"]["recall"] >= 0.6
    assert all(langs[lang]["precision"] >= 0.7 and langs[lang]["recall"] >= 0.45 for lang in ("en", "fr", "es"))
    assert report["calibration"]["threshold"] == pytest.approx(0.53)
    assert report["calibration_factchecks"]["threshold"] == pytest.approx(0.50)  # the shipped ones
    cross = report["crosslingual"]["languages"]  # English fact-checks against EN/FR/ES sentences
    assert set(cross) == {"en", "fr", "es", "all"} and cross["all"]["tp"] + cross["all"]["fn"] == 48
    assert cross["all"]["precision"] >= 0.75 and cross["all"]["recall"] >= 0.85  # measured 0.811 / 0.896
    assert set(report["check_worthy"]["languages"]) == {"en", "fr", "es", "all"}


def test_eval_rejects_an_unknown_split() -> None:
    result = runner.invoke(app, ["factchecks", "eval", "--split", "train"])
    assert result.exit_code != 0 and "must be one of: dev, test, all" in str(result.exception)


@pytest.mark.slow
def test_flow_job_stores_factcheck_matches(classifier: Any, db: Database, settings: Settings) -> None:
    from models.encoders.registry import MULTILINGUAL, load_encoder

    factchecks.add_factchecks(db, [fc for _, fc in parse_file(SAMPLE).records], "sample")
    # What classifier_for(settings) builds for the flows, reusing the session's hate model.
    clf = replace(classifier, claims=matcher_with_store(load_claims(), load_encoder(MULTILINGUAL), settings.db))
    text = str(LINES[0]["text"])
    articles.insert_articles(db, [Article(url="https://news.example/1", outlet="o", title="Asylum seekers",
                                          text=text, lang="en")], None)
    assert jobs.classify_pending(db, settings, clf) == 1
    [stored] = results.pending_rubric(db, clf.tag, "no-rubric-yet")
    [match] = stored.misinformation
    assert (match.kind, match.url, match.rating) == ("factcheck", PHONE, "False")
    assert match.publisher == "Example Fact Check (fictional, evaluation only)"
    assert text[match.evidence.start:match.evidence.end] == match.evidence.text


@pytest.mark.slow
def test_myth_and_factcheck_on_the_same_claim_are_both_returned_best_first(tmp_path: Path) -> None:
    from pipeline.core.factcheck import FactCheck

    db = Database.open(tmp_path / "both.duckdb")
    check = FactCheck(claim="Most people claiming asylum are really economic migrants.", rating="Misleading",
                      publisher="Crosscheck Desk", url="https://factcheck.example/economic-migrants", lang="en")
    factchecks.add_factchecks(db, [check], "one.csv")
    matcher = matcher_with_store(load_claims(), load_multilingual_encoder(), db.path)
    texts = ["Most people claiming asylum are really just economic migrants, he said.",
             "La plupart des demandeurs d'asile sont en réalité des migrants économiques, a-t-il dit."]
    for found in matcher.match(texts, ["en", "fr"]):
        assert {m.kind for m in found} == {"myth", "factcheck"}, found
        assert [m.similarity for m in found] == sorted((m.similarity for m in found), reverse=True)
        [fc] = [m for m in found if m.kind == "factcheck"]
        assert (fc.source, fc.url, fc.rating) == ("Crosscheck Desk", check.url, "Misleading")
        assert [m.claim_id for m in found if m.kind == "myth"] == ["asylum-seekers-economic-migrants"]
