"""The CLI contracts: classify and score JSONL line for line, errors as one line, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

RES = Path(__file__).resolve().parents[1] / "resources"
runner = CliRunner()

LINES = [
    json.dumps({"id": "a", "text": "Migrants are vermin and parasites, throw them all out!", "lang": "en"}),
    json.dumps({"id": "b", "title": "Derby", "text": "The home side won the derby 2-1 on Saturday."}),
    json.dumps({"id": "c", "note": "no text here"}),
    "{not json",
    json.dumps({"id": "d", "text": "Les clandestins déferlent : une véritable vague migratoire, selon le maire."}),
    json.dumps({"id": "e", "text": ""}),
]


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "f", "text": "caf\xe9"}\n')
    return path


@pytest.mark.slow
def test_classify_contract(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), "classify", "--jsonl",
                                 str(_write(tmp_path, LINES)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 7
    good = [r for r in rows if "error" not in r]
    assert [r["id"] for r in good] == ["a", "b", "d", "e"]
    for r in good:
        assert {"lang", "migration_relevance", "hate", "hate_score", "target", "severity", "evidence",
                "misinformation", "model"} <= set(r)
        assert 0 <= r["migration_relevance"] <= 1 and 0 <= r["hate_score"] <= 1
        assert r["model"]["name"] and r["model"]["version"]
    a, b = good[0], good[1]
    assert a["hate"] is True and a["target"] == "migrants" and a["evidence"]
    assert a["migration_relevance"] > b["migration_relevance"] and b["hate"] is False
    assert good[2]["lang"] == "fr"
    errors = {r["line"]: r["error"] for r in rows if "error" in r}
    assert "missing 'text' field" in errors[3] and "invalid JSON" in errors[4]
    assert "invalid UTF-8" in errors[7]


@pytest.mark.slow
def test_score_contract_reuses_classify_output(tmp_path: Path) -> None:
    classified = tmp_path / "c.jsonl"
    runner.invoke(app, ["classify", "--jsonl", str(_write(tmp_path, LINES)), "--out", str(classified)])
    scored = tmp_path / "s.jsonl"
    result = runner.invoke(app, ["score", "--jsonl", str(classified), "--out", str(scored)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in scored.read_text().splitlines()]
    assert len(rows) == 7
    french = next(r for r in rows if r.get("id") == "d")
    assert 0 <= french["ilo_score"] < 100
    crit = {c["id"]: c for c in french["criteria"]}
    term = crit["terminology"]
    assert term["score"] < 1 and term["evidence"] and term["suggestions"] and term["reference"]
    derby = next(r for r in rows if r.get("id") == "b")
    assert derby["ilo_score"] > french["ilo_score"]


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--db", str(tmp_path / "x.duckdb"),
                           "sources", "import", str(RES / "sources_bad.yaml")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and "sources_bad.yaml:5" in proc.stderr


def test_rank_bad_format(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--db", str(tmp_path / "x.duckdb"),
                           "rank", "--year", "2026", "--format", "pdf"], capture_output=True, text=True)
    assert proc.returncode == 1 and "must be one of: csv, json, html" in proc.stderr


def test_sources_import_list_and_status(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    result = runner.invoke(app, ["--db", db, "sources", "import", str(RES / "sources.yaml")])
    assert result.exit_code == 0 and "imported 2 outlets and 2 feeds" in result.output
    listed = runner.invoke(app, ["--db", db, "sources", "list"]).output
    assert "Test Gazette" in listed and "http://127.0.0.1:9/wire.xml" in listed
    status = runner.invoke(app, ["--db", db, "sources", "status"]).output
    assert "failures=0" in status


def test_ingest_local_file_and_strict(tmp_path: Path, http) -> None:
    db = str(tmp_path / "x.duckdb")
    feed = tmp_path / "feed.xml"
    feed.write_text((RES / "atom_basic.xml").read_text().replace("{base}", http.base))
    ok = runner.invoke(app, ["--db", db, "ingest", str(feed)])
    assert ok.exit_code == 0 and "1 new" in ok.output
    again = runner.invoke(app, ["--db", db, "ingest", str(feed)])
    assert "0 new, 1 duplicate" in again.output
    http.add("/down.xml", "", status=500)
    strict = runner.invoke(app, ["--db", db, "ingest", "--strict", str(feed), http.base + "/down.xml"])
    assert strict.exit_code == 1 and "failed" in strict.output and "HTTP 500" in strict.output


def test_db_migrate(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "x.duckdb"), "db", "migrate"])
    from pipeline.db.database import migrations

    assert result.exit_code == 0 and f"schema version {migrations()[-1][0]}" in result.output


def test_not_a_database_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    proc = subprocess.run([sys.executable, "-m", "pipeline", "--db", str(bad), "db", "migrate"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "not a valid DuckDB database file" in proc.stderr and "--db" in proc.stderr


def test_purge_needs_a_period(tmp_path: Path) -> None:
    db = str(tmp_path / "x.duckdb")
    result = runner.invoke(app, ["--db", db, "purge"])
    assert result.exit_code != 0 and "no retention period" in str(result.exception)
    ok = runner.invoke(app, ["--db", db, "purge", "--older-than", "30"])
    assert ok.exit_code == 0 and "purged 0 social posts older than 30 days" in ok.output


def test_db_backup(tmp_path: Path) -> None:
    db, copy = str(tmp_path / "x.duckdb"), tmp_path / "b.duckdb"
    runner.invoke(app, ["--db", db, "sources", "import", str(RES / "sources.yaml")])
    result = runner.invoke(app, ["--db", db, "db", "backup", str(copy)])
    assert result.exit_code == 0 and copy.exists()
    assert "Test Gazette" in runner.invoke(app, ["--db", str(copy), "sources", "list"]).output
