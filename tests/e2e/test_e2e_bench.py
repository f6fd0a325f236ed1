"""`bench e2e` at a tiny size: the synthetic corpus goes through every stage and the figures add up."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from benchmarks import corpus
from benchmarks.e2e_bench import STAGES, format_table, run_benchmark
from pipeline.cli import app
from pipeline.core.config import Settings


def test_the_corpus_is_seeded_mixed_and_about_five_percent_migration() -> None:
    counts = corpus.topics(40)
    total = sum(counts.values())
    assert total == 40 * corpus.ITEMS_PER_FEED
    assert 0.035 < (counts["migration"] + counts["hateful"]) / total < 0.065 and counts["hateful"] > 0
    assert {corpus.lang_of(f) for f in range(40)} == set(corpus.LANGS)
    assert corpus.feed_xml(3) == corpus.feed_xml(3) and corpus.item(3, 7) != corpus.item(3, 8)


@pytest.mark.slow
def test_every_article_goes_through_every_stage(tmp_path: pytest.TempPathFactory) -> None:
    result = run_benchmark(Settings(), sizes=(200, 400), say=lambda s: None)
    assert set(result) >= {"articles", "articles_per_s", "stage_seconds", "stage_growth", "peak_rss_mb"}
    assert result["articles"] == 400 and set(result["stage_seconds"]) == set(STAGES)
    for run in result["runs"]:
        n = run["articles"]
        assert run["failed_feeds"] == 0 and run["stored"] == run["classified"] == n
        # the relevance gate lets every migration article through, and stops most of the rest
        assert run["expected_migration"] <= run["relevant"] < n // 2
        assert run["scored"] == run["relevant"] and run["hate_flagged"] <= run["relevant"]
        assert run["articles_per_s"] > 0 and run["ranked_outlets"] >= 1
    assert result["stage_growth"]["ingest"] > 0
    assert "growth x2.0 articles" in format_table(result)
    json.dumps(result)


def test_bench_e2e_is_a_command() -> None:
    result = CliRunner().invoke(app, ["bench", "e2e", "--help"])
    assert result.exit_code == 0 and "--quick" in result.output and "--json" in result.output
