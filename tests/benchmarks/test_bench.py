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
    # The default fine-tuned model runs in torch only (the ONNX backend serves head 1.2.0).
    assert data["backend"] == "torch" and data["backends"] == ["torch"]
    assert data["functional"]["cases"] == 659 and set(data["functional"]["by_lang"]) == {"en", "fr", "es", "de", "it"}
    for corpus in data["corpora"].values():
        assert set(corpus["by_backend"]) == {"torch"}
        for row in corpus["by_backend"].values():
            for key in ("texts_per_s", "bare_encoder_texts_per_s", "ratio_to_bare_encoder", "speedup_vs_naive",
                        "speedup_vs_torch"):
                assert row[key] > 0
        assert corpus["texts_per_s"] == corpus["by_backend"]["torch"]["texts_per_s"]


def test_bench_ingest_quick_json(tmp_path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "b.duckdb"), "bench", "ingest", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("speedup_vs_sequential", "repoll_speedup", "items_per_s", "peak_rss_mb"):
        assert isinstance(data[key], (int, float)) and data[key] > 0
    assert data["items"] == data["sequential_items"] == 40 * 20
    assert data["repoll_not_modified"] == 40 and data["failed_feeds"] == 0
