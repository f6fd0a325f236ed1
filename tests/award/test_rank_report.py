"""Ranking (shrinkage, intervals, ties, minimum articles) and the static report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pipeline.award.rank import EXACT_MAX, bins_from_rows, bootstrap_ci, rank_outlets, snapshot_of
from pipeline.award.report import ranking_csv, render_html, render_methodology, write_report
from pipeline.award.report_data import build_context
from pipeline.core.errors import XenowatchError
from pipeline.core.outlets import Outlet
from pipeline.core.record import ScoredRow
from pipeline.rubric.score import load_rubric

OUTLETS = {o: Outlet(o, o.title(), "FR", "fr", "newspaper") for o in ("good", "bad", "tied", "tiny")}
OUTLETS["posts"] = Outlet("posts", "Posts", media_type="social")


def rows(outlet: str, scores: list[float]) -> list[ScoredRow]:
    when = datetime(2026, 5, 1, tzinfo=UTC)
    return [ScoredRow(f"{outlet}{i}", outlet, when, s, f"h{i}") for i, s in enumerate(scores)]


def sample_rows() -> list[ScoredRow]:
    return (rows("good", [90, 95, 85, 92]) + rows("bad", [30, 40, 20, 35]) + rows("tied", [95, 90, 92, 85])
            + rows("tiny", [100]) + rows("posts", [10, 10, 10]))


def test_ranking_order_ties_and_minimum() -> None:
    lines = rank_outlets(sample_rows(), OUTLETS, min_articles=3)
    ranked = [(ln.outlet_id, ln.rank) for ln in lines if ln.rank]
    assert ranked == [("good", 1), ("tied", 1), ("bad", 3)]
    tiny = next(ln for ln in lines if ln.outlet_id == "tiny")
    assert tiny.rank is None and tiny.score is None and "not enough data" in tiny.status
    assert all(ln.outlet_id != "posts" for ln in lines)


def test_shrinkage_and_intervals() -> None:
    lines = {ln.outlet_id: ln for ln in rank_outlets(sample_rows(), OUTLETS, min_articles=3)}
    good = lines["good"]
    assert good.score is not None and good.ci_low is not None and good.ci_high is not None
    assert good.score < 90.5  # raw mean 90.5, pulled toward the overall mean
    assert good.ci_low <= good.score <= good.ci_high


def test_snapshot_is_reproducible() -> None:
    data = sample_rows()
    lines = rank_outlets(data, OUTLETS, 3)
    a = snapshot_of(2026, data, lines, "r1", "m1", 3)
    b = snapshot_of(2026, list(reversed(data)), rank_outlets(data, OUTLETS, 3), "r1", "m1", 3)
    assert a["id"] == b["id"] and a["rows"] == b["rows"]
    assert snapshot_of(2026, data, lines, "r2", "m1", 3)["id"] != a["id"]


def test_csv_columns() -> None:
    text = ranking_csv(rank_outlets(sample_rows(), OUTLETS, 3))
    reader = csv.DictReader(io.StringIO(text))
    assert {"rank", "outlet", "country", "media_type", "score", "ci_low", "ci_high", "n_articles",
            "category"} <= set(reader.fieldnames or [])
    assert len(list(reader)) == 4


def _snapshot() -> dict:
    data = sample_rows()
    return snapshot_of(2026, data, rank_outlets(data, OUTLETS, 3), "r1", "m1", 3)


def _context(lines, snapshot, evidence) -> dict:
    return build_context(2026, lines, snapshot, evidence, load_rubric())


def test_report_escapes_hostile_content(tmp_path: Path) -> None:
    lines = rank_outlets(sample_rows(), OUTLETS, 3)
    evil = [{"id": "good0", "outlet_id": "good", "url": "javascript:alert(1)", "title": "<script>alert(1)</script>",
             "published": None, "score": 50.0,
             "criteria": [{"id": "terminology", "score": 0.5, "explanation": "<img src=x onerror=alert(2)>",
                           "evidence": [{"text": "<b>illegal</b>"}], "suggestions": []}]}]
    html = render_html(_context(lines, _snapshot(), evil))
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "<b>illegal</b>" not in html
    assert "<svg" in html and "Content-Security-Policy" in html
    evil_outlets = {"good": Outlet("good", "<script>x</script>", "FR", "fr", "newspaper")}
    lines = rank_outlets(rows("good", [50, 60, 70]), evil_outlets, 3)
    page = render_html(_context(lines, snapshot_of(2026, [], lines, "r1", "m1", 3), []))
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_write_report_keeps_previous_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report"
    lines = rank_outlets(sample_rows(), OUTLETS, 3)
    write_report(out, _context(lines, _snapshot(), []))
    before = (out / "index.html").read_text()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "rename", broken)
    with pytest.raises(XenowatchError, match="No space left on device"):
        write_report(out, _context(lines, _snapshot(), []))
    assert (out / "index.html").read_text() == before


def test_empty_year_report_says_not_enough_data(tmp_path: Path) -> None:
    snap = snapshot_of(2031, [], [], "r1", "m1", 3)
    index = write_report(tmp_path / "r", build_context(2031, [], snap, [], load_rubric()))
    assert "Not enough data" in index.read_text()
    assert (tmp_path / "r" / "methodology.html").exists()


def test_binned_rows_keep_exact_means() -> None:
    data = rows("good", [90.1, 90.3, 85.0, 92.0])
    (b,) = bins_from_rows(data, OUTLETS)
    assert b.n == 4 and b.sums.sum() == pytest.approx(sum(r.score for r in data))
    assert list(b.counts) == [1, 2, 1]


@pytest.mark.parametrize("dist", ["uniform", "skewed"])
def test_normal_limit_matches_exact_bootstrap(dist: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(30, 100, EXACT_MAX + 1) if dist == "uniform" else np.clip(
        100 - rng.exponential(15, EXACT_MAX + 1), 0, 100)
    (bins,) = bins_from_rows(rows("good", list(scores)), OUTLETS)
    normal = bootstrap_ci(bins, 70.0, 3, np.random.default_rng(5))
    monkeypatch.setattr("pipeline.award.rank.EXACT_MAX", 10**9)
    exact = bootstrap_ci(bins, 70.0, 3, np.random.default_rng(5), n=4000)
    assert normal == pytest.approx(exact, abs=0.25)


def test_methodology_is_generated_from_the_rubric() -> None:
    rubric = load_rubric()
    page = render_methodology(_context(rank_outlets(sample_rows(), OUTLETS, 3), _snapshot(), []))
    for spec in rubric.criteria:
        assert spec.title.replace("'", "&#39;") in page and str(spec.weight) in page
    assert rubric.version in page and "What a reviewer" in page and "Reject" in page
    assert "minimum" not in page.lower() or "3 or more" in page
