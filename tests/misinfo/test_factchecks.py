"""Fact-check import: ClaimReview variants, exports, bad records with positions, idempotent re-import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.errors import InputError
from pipeline.core.factcheck import FactCheck
from pipeline.db import factchecks
from pipeline.db.database import Database
from pipeline.misinfo.factchecks import is_confirmed, parse_file, record_from

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "pipeline" / "misinfo" / "data" / "factchecks_sample.jsonld"


def review(**changes: Any) -> dict[str, Any]:
    """A complete ClaimReview with some fields changed (None removes one)."""
    base: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "ClaimReview",
        "url": "https://check.example.org/1", "claimReviewed": "Migrants get free cars from the state.",
        "author": {"@type": "Organization", "name": "Check Org"},
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "inLanguage": "en", "datePublished": "2025-01-02"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def write(tmp_path: Path, name: str, data: Any) -> Path:
    """A file holding JSON data (or text as given)."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_single_claimreview_keeps_every_field(tmp_path: Path) -> None:
    parsed = parse_file(write(tmp_path, "one.jsonld", review()))
    assert parsed.problems == []
    [(position, fc)] = parsed.records
    assert position == "record 1"
    assert fc == FactCheck(claim="Migrants get free cars from the state.", rating="False",
                           publisher="Check Org", url="https://check.example.org/1", lang="en",
                           date="2025-01-02", matchable=True, note="")


@pytest.mark.parametrize("changes, field, expected", [
    ({"claimReviewed": None, "itemReviewed": {"@type": "Claim", "name": "Los migrantes no pagan el autobús."}},
     "claim", "Los migrantes no pagan el autobús."),
    ({"reviewRating": {"ratingValue": 2, "bestRating": 5, "worstRating": 1}}, "rating", "2/5: mostly false"),
    ({"reviewRating": {"ratingValue": "5", "bestRating": "5", "worstRating": "1"}}, "rating", "5/5: true"),
    ({"author": "Vérif Express"}, "publisher", "Vérif Express"),
    ({"author": None, "publisher": [{"name": "First"}, {"name": "Second"}]}, "publisher", "First"),
    ({"inLanguage": {"@type": "Language", "name": "Español"}}, "lang", "es"),
    ({"inLanguage": "fr-FR"}, "lang", "fr"),
    ({"inLanguage": None}, "lang", "en"),  # detected from the claim text
    ({"@type": ["ClaimReview", "CreativeWork"]}, "rating", "False"),
])
def test_claimreview_variants(changes: dict[str, Any], field: str, expected: str) -> None:
    parsed = parse_file_data(review(**changes))
    assert parsed.problems == [] and getattr(parsed.records[0][1], field) == expected


def parse_file_data(data: Any) -> Any:
    """Parse JSON data through a temporary file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return parse_file(write(Path(tmp), "data.json", data))


def test_lists_and_graphs_report_bad_records_by_position(tmp_path: Path) -> None:
    data = [review(url="https://c.example.org/a"),
            {"@graph": [review(url="https://c.example.org/b"), review(reviewRating=None)]},
            "not an object",
            review(url=None),
            {"@type": "NewsArticle", "url": "https://c.example.org/x"}]
    parsed = parse_file(write(tmp_path, "list.json", data))
    assert [p for p, _ in parsed.records] == ["[0]", "[1].@graph[0]"]
    assert parsed.problems[0].startswith("[1].@graph[1]: no rating")
    assert parsed.problems[1] == "[2]: not an object but str"
    assert parsed.problems[2] == "[3]: no url"
    assert "not ClaimReview" in parsed.problems[3]


def test_google_fact_check_export_is_flattened(tmp_path: Path) -> None:
    data = {"claims": [{"text": "Refugees receive 2,000 euros a month.", "claimant": "a post",
                        "claimReview": [{"publisher": {"name": "Fact Team", "site": "fact.example"},
                                         "url": "https://fact.example/r1", "textualRating": "False",
                                         "languageCode": "en", "reviewDate": "2024-05-01T00:00:00Z"}]},
                       {"text": "No review here."}]}
    parsed = parse_file(write(tmp_path, "google.json", data))
    [(position, fc)] = parsed.records
    assert position == "claims[0].claimReview[0]"
    assert (fc.publisher, fc.rating, fc.lang, fc.date) == ("Fact Team", "False", "en", "2024-05-01T00:00:00Z")
    assert parsed.problems == ["claims[1]: no claimReview list"]


def test_csv_export_with_line_numbers(tmp_path: Path) -> None:
    text = ("claim,rating,publisher,url,language,date\n"
            "Migrants get free houses.,False,Check Org,https://c.example.org/1,en,2025-01-01\n"
            "Les migrants ont tous un iPhone offert.,,Vérif,https://v.example.org/2,fr,\n"
            "Los refugiados cobran el doble que los jubilados.,Falso,Verifica,https://v.example.org/3,es,\n")
    parsed = parse_file(write(tmp_path, "export.csv", text))
    assert [(p, fc.lang) for p, fc in parsed.records] == [("line 2", "en"), ("line 4", "es")]
    assert parsed.problems == ["line 3: no rating (give reviewRating.alternateName, or ratingValue with "
                               "bestRating/worstRating, or a rating column)"]


def test_csv_without_required_columns_names_them(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"lacks rating, url; expected columns: claim, rating"):
        parse_file(write(tmp_path, "bad.csv", "claim,publisher\nx,y\n"))


def test_jsonl_reports_a_malformed_line_and_keeps_the_rest(tmp_path: Path) -> None:
    text = json.dumps(review()) + "\n{broken\n" + json.dumps(review(url="https://c.example.org/2")) + "\n"
    parsed = parse_file(write(tmp_path, "rows.jsonl", text))
    assert [p for p, _ in parsed.records] == ["line 1", "line 3"]
    assert parsed.problems[0].startswith("line 2: malformed JSON")


def test_malformed_json_names_the_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.jsonld", '{"@type": "ClaimReview",\n  "url": }')
    with pytest.raises(InputError, match=r"broken.jsonld: malformed JSON at line 2 column 10"):
        parse_file(path)


def test_unsupported_language_and_true_verdicts_are_kept_but_not_matchable() -> None:
    german = record_from(review(claimReviewed="Flüchtlinge bekommen alles gratis.", inLanguage="de"))
    assert german.lang == "de"
    parsed = parse_file(SAMPLE)
    notes = {fc.url.rsplit("/", 1)[1]: fc for _, fc in parsed.records}
    assert not notes["fuehrerschein"].matchable and "not supported" in notes["fuehrerschein"].note
    assert not notes["net-migration-fell"].matchable and "never flagged" in notes["net-migration-fell"].note
    assert sum(fc.matchable for fc in notes.values()) == 6
    assert is_confirmed("Mostly True") and is_confirmed("Vrai") and not is_confirmed("Faux")
    assert not is_confirmed("Half true")


def test_ids_ignore_case_accents_and_spacing_of_the_claim() -> None:
    a = record_from(review(claimReviewed="Migrants get  FREE cars."))
    b = record_from(review(claimReviewed="migrants get free cars."))
    c = record_from(review(claimReviewed="migrants get free cars.", url="https://other.example.org/"))
    assert a.id == b.id != c.id


def test_store_import_is_idempotent(db: Database) -> None:
    records = [fc for _, fc in parse_file(SAMPLE).records]
    assert factchecks.add_factchecks(db, records, "sample") == []
    assert factchecks.add_factchecks(db, records, "sample") == [fc.id for fc in records]
    assert len(factchecks.list_factchecks(db)) == 8 and len(factchecks.list_factchecks(db, matchable_only=True)) == 6
    factchecks.save_embeddings(db, "enc@1", {records[0].id: b"\x00" * 8})
    assert factchecks.embeddings(db, "enc@1") == {records[0].id: b"\x00" * 8}
    assert factchecks.embeddings(db, "enc@2") == {}


def test_cli_import_reports_positions_duplicates_and_language(tmp_path: Path) -> None:
    data = {"@graph": [review(), review(), review(url="https://c.example.org/de", inLanguage="de"),
                       review(url="https://c.example.org/nr", reviewRating=None)]}
    path = write(tmp_path, "mixed.jsonld", data)
    db = str(tmp_path / "fc.duckdb")
    first = runner.invoke(app, ["--db", db, "factchecks", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "imported 2 fact-checks" in first.stdout and "1 duplicates skipped, 1 invalid" in first.stdout
    assert "@graph[1]: duplicate of an imported fact-check" in first.stderr
    assert "@graph[2]: language 'de' is not supported" in first.stderr
    assert "@graph[3]: no rating" in first.stderr
    again = runner.invoke(app, ["--db", db, "factchecks", "import", str(path)])
    assert "imported 0 fact-checks" in again.stdout and "3 duplicates skipped" in again.stdout
    listed = runner.invoke(app, ["--db", db, "factchecks", "list", "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted((r["language"], r["matchable"]) for r in rows) == [("de", False), ("en", True)]


def test_cli_malformed_file_is_one_error_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '[{"@type": "ClaimReview"},')
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--db", str(tmp_path / "x.duckdb"),
                           "factchecks", "import", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {path}: malformed JSON at line 1 column 27: Expecting value; "
        "nothing was imported, fix the file and import it again"]


def test_a_claim_too_short_to_detect_needs_a_language() -> None:
    fc = parse_file_data(review(claimReviewed="Migrants: no.", inLanguage=None)).records[0][1]
    assert not fc.matchable and fc.lang is None and "language unknown" in fc.note
