"""Fact-check import with hostile records: one deeply nested, huge-number, oversized or undecodable
record is reported with its position and every other record is imported (issue 14, finding 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.misinfo.factchecks import parse_file
from tests.misinfo.test_factchecks import review

runner = CliRunner()
DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5_000


def good(n: int) -> dict[str, Any]:
    """A valid ClaimReview with its own URL."""
    return review(url=f"https://check.example.org/{n}")


def test_json_list_with_deep_and_huge_records_imports_the_rest(tmp_path: Path) -> None:
    deep = json.dumps(review(url="https://check.example.org/deep")).replace('"en"', DEEP, 1)
    huge = json.dumps(review(url="https://check.example.org/huge",
                             reviewRating={"ratingValue": 0, "bestRating": 5})).replace("0", HUGE, 1)
    path = tmp_path / "hostile.json"
    path.write_text(f"[{json.dumps(good(1))}, {deep}, {huge}, {json.dumps(good(2))}]", encoding="utf-8")
    parsed = parse_file(path)
    assert [p for p, _ in parsed.records] == ["[0]", "[3]"]
    assert parsed.problems == ["[1]: nested deeper than 64 levels",
                               "[2]: a number with 5000 digits is out of range"]


def test_jsonl_bad_lines_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    lines = [json.dumps(good(1)).encode(), b'{"claim": ' + DEEP.encode() + b"}", b'{"url": ' + HUGE.encode() + b"}",
             b'{"claim": "caf\xe9"}', b"{broken", json.dumps(good(2)).encode()]
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    parsed = parse_file(path)
    assert [p for p, _ in parsed.records] == ["line 1", "line 6"]
    assert parsed.problems[0] == "line 2: nested deeper than 64 levels"
    assert parsed.problems[1] == "line 3: a number with 5000 digits is out of range"
    assert parsed.problems[2].startswith("line 4: invalid UTF-8 at byte 14")
    assert parsed.problems[3].startswith("line 5: malformed JSON")


def test_csv_record_over_the_field_limit_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("claim,rating,publisher,url,language\n"
                    "Migrants get free cars.,False,Check Org,https://c.example.org/1,en\n"
                    f"{'x' * 200_000},False,Check Org,https://c.example.org/2,en\n"
                    "Migrants get free houses.,False,Check Org,https://c.example.org/3,en\n", encoding="utf-8")
    parsed = parse_file(path)
    assert [fc.url for _, fc in parsed.records] == ["https://c.example.org/1", "https://c.example.org/3"]
    assert len(parsed.problems) == 1 and "unreadable CSV record (field larger than field limit" in parsed.problems[0]


def test_cli_import_of_a_hostile_file_exits_0_and_reports_positions(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonld"
    deep = '{"@type": "ClaimReview", "itemReviewed": ' + DEEP + "}"
    path.write_text(json.dumps({"@graph": [good(1), good(2)]}).replace("]}", f", {deep}]}}"), encoding="utf-8")
    result = runner.invoke(app, ["--db", str(tmp_path / "fc.duckdb"), "factchecks", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 2 fact-checks" in result.stdout and "1 invalid records skipped" in result.stdout
    assert "@graph[2]: nested deeper than 64 levels; record skipped" in result.stderr
