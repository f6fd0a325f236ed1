"""`xenowatch bench classify --quick --json` runs and reports the contract's keys."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

pytestmark = pytest.mark.slow


def test_bench_classify_quick_json() -> None:
    result = CliRunner().invoke(app, ["bench", "classify", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("speedup_vs_naive", "ratio_to_bare_encoder", "texts_per_s", "peak_rss_mb"):
        assert isinstance(data[key], (int, float)) and data[key] > 0
    assert set(data["corpora"]) == {"short", "long"}


def test_bench_ingest_quick_json(tmp_path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "b.duckdb"), "bench", "ingest", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("speedup_vs_sequential", "repoll_speedup", "items_per_s", "peak_rss_mb"):
        assert isinstance(data[key], (int, float)) and data[key] > 0
    assert data["items"] == data["sequential_items"] == 40 * 20
    assert data["repoll_not_modified"] == 40 and data["failed_feeds"] == 0
