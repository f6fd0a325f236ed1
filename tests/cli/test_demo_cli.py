"""What the demo prints: what each number counts and what a score means (the full run is in tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.award.rank import OutletScore
from pipeline.cli.demo import DEMO_DB, print_result
from pipeline.core.config import Settings


def line(rank: int | None, outlet: str, score: float | None, n: int) -> OutletScore:
    """One overall ranking line."""
    status = "ranked" if score is not None else f"not enough data ({n} < 3 articles)"
    return OutletScore(rank, outlet, outlet.title(), "GB", "newspaper", score, score and score - 2,
                       score and score + 2, n, "overall", status)


def test_the_demo_says_what_each_number_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = {"ingest": {"feeds_ok": 10, "feeds_failed": 0, "new": 210, "duplicate": 0, "rejected": 0, "kept": 0,
                         "failures": []},
              "classified": 210, "scored": 144, "snapshot": {"id": "abc123"}, "report": str(tmp_path / "index.html"),
              "lines": [line(1, "harbour", 91.0, 40), line(2, "clarion", 60.5, 35), line(None, "tiny", None, 2)]}
    print_result(result, 2026, Settings(db=tmp_path / DEMO_DB))
    out = capsys.readouterr().out
    assert "classified 210 new items" in out and "144 of them are about migration and were scored" in out
    assert "score: 0-100, higher is fairer" in out
    assert ("the 2026 ranking counts 77 scored migration articles published in 2026 by 3 news outlets (social "
            "posts are never ranked); 75 of them are in the 2 outlets with enough articles to rank (at least 3)") in out
    assert f"demo database: {(tmp_path / 'xenowatch-demo.duckdb').resolve()} (kept apart from your own" in out
    assert f"report:   {(tmp_path / 'index.html').resolve()}" in out


def test_the_demo_table_shows_overlapping_outlets_as_tied(capsys: pytest.CaptureFixture[str]) -> None:
    from dataclasses import replace

    from pipeline.cli.demo import print_ranking

    lines = [replace(line(1, "harbour", 91.0, 40), rank_low=1, rank_high=2),
             replace(line(2, "clarion", 90.5, 35), rank_low=1, rank_high=2),
             replace(line(3, "gazette", 60.0, 30), rank_low=3, rank_high=3)]
    print_ranking(lines)
    rows = capsys.readouterr().out.splitlines()[1:]
    assert rows[0].lstrip().startswith("1–2") and rows[0].endswith("tied (intervals overlap)")
    assert rows[1].lstrip().startswith("1–2") and rows[2].lstrip().startswith("3 ") and "tied" not in rows[2]
