"""`xenowatch bench rank --quick --json` runs the product's ranking at two sizes and reports growth."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import app


def test_bench_rank_quick_json() -> None:
    result = CliRunner().invoke(app, ["bench", "rank", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"] == [100_000, 1_000_000] and len(data["seconds"]) == 2
    assert all(s > 0 for s in data["seconds"]) and data["growth_ratio"] > 0
    assert data["ranked_outlets"] == data["outlets"] == 200
    assert data["peak_rss_mb"] > 0 and data["speedup_vs_per_article"] > 0
