"""Social streams are monitored, never ranked or published; every CSV cell that could run as a formula is escaped."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.classify.classifier import classifier_tag
from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.csvsafe import csv_text, safe_cell
from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, HateResult
from pipeline.db import articles, results, sources, trends
from pipeline.db.database import Database
from pipeline.ingest.feedkinds import local_feed
from pipeline.jobs import steps as jobs
from pipeline.rubric.score import load_rubric, score_batch

KINDS = Path(__file__).resolve().parents[1] / "resources" / "kinds"
FORMULA = '=HYPERLINK("http://x")'
FAIR = ('"I work 14 hours a day and still owe recruitment fees," said Amina, a migrant worker; she '
        "added that the law protects her. According to UNHCR, 3,000 people arrived fleeing war.")
POOR = "A flood of illegal immigrants swarmed the host country, said the minister."
HATE = HateResult(True, 0.9, "migrants", "dehumanising", (), "m")
# A Mastodon account registered without a media type (so "other"), and a local export's outlet.
OUTLETS = [Outlet("fair", FORMULA, "GB", "en", "newspaper"), Outlet("poor", "@SUM(1)", "GB", "en", "newspaper"),
           Outlet("toots", "Harbour toots", "GB", "en")]


def _posts_and_articles(model: str) -> list[Article]:
    """Two years of articles of the two newspapers, and hateful posts of two social streams."""
    arts = []
    for year in (2025, 2026):
        for i in range(5):
            arts.append(Article(url=f"https://fair.example/{year}/{i}", outlet="fair", title=f"Fair {i}",
                                text=f"{FAIR} ({i})", published=datetime(year, 3, 1 + i, tzinfo=UTC), lang="en"))
            arts.append(Article(url=f"https://poor.example/{year}/{i}", outlet="poor", title=f"Poor {i}",
                                text=f"{POOR if year == 2026 else FAIR} ({i})", lang="en",
                                published=datetime(year, 3, 1 + i, tzinfo=UTC)))
    for outlet in ("toots", "export-stream"):
        arts += [Article(url=f"https://social.example/@handle_{outlet}/{i}", outlet=outlet, text=f"{POOR} ({i})",
                         kind="post", author="author:00", lang="en", published=datetime(2026, 4, 1 + i, tzinfo=UTC),
                         hate=HATE) for i in range(6)]
    return arts


@pytest.fixture
def scored(tmp_path: Path) -> Database:
    """A database with the outlets (the export's made by local_feed, as `ingest FILE` does) and scored items."""
    export = tmp_path / "export-stream.jsonl"
    export.write_bytes((KINDS / "social_export.jsonl").read_bytes())
    _, made = local_feed(export, {})
    assert made is not None and made.id == "export-stream" and made.media_type == "social"
    db = Database.open(tmp_path / "award.duckdb")
    model = classifier_tag(Settings())
    sources.upsert_sources(db, OUTLETS + [made], [])
    arts = _posts_and_articles(model)
    articles.insert_articles(db, arts, None)
    results.save_classifications(db, [a.evolve(relevance=0.9) for a in arts], model, 0.2)
    results.save_rubric(db, score_batch(arts, load_rubric()), model)
    return db


def test_social_streams_are_never_ranked_nor_published(scored: Database, tmp_path: Path) -> None:
    model = classifier_tag(Settings())
    lines, snapshot, _ = jobs.rank_year(scored, Settings(db=scored.path, min_articles=3), 2026, model,
                                        load_rubric().version)
    assert {ln.outlet_id for ln in lines} == {"fair", "poor"}
    assert {r["outlet_id"] for r in snapshot["rows"]} <= {"fair", "poor"}
    assert set(snapshot["indicators"]) == {"fair", "poor"}
    out = tmp_path / "report"
    jobs.report_year(scored, out, 2026, lines, snapshot)
    for page in out.iterdir():
        text = page.read_text(encoding="utf-8")
        assert "handle_" not in text and "Harbour toots" not in text and "export-stream" not in text, page.name
    seen = {r["outlet"] for r in trends.trend_counts(scored, "month")}
    assert {"Harbour toots", "export-stream"} <= seen  # still monitored in the trends


def test_every_csv_cell_that_could_run_is_escaped(scored: Database, tmp_path: Path) -> None:
    model = classifier_tag(Settings())
    lines, snapshot, _ = jobs.rank_year(scored, Settings(db=scored.path, min_articles=3), 2026, model,
                                        load_rubric().version)
    out = tmp_path / "report"
    jobs.report_year(scored, out, 2026, lines, snapshot)
    cli = CliRunner().invoke(app, ["--db", str(scored.path), "rank", "--year", "2026", "--format", "csv"])
    assert cli.exit_code == 0, cli.output
    for text in ((out / "ranking.csv").read_text(), (out / "categories.csv").read_text(), cli.stdout):
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert f"'{FORMULA}" in cells and "'@SUM(1)" in cells
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
        assert not [c for c in cells if c.startswith("-") and not _number(c)]
    changes = [r["change"] for r in csv.DictReader(io.StringIO((out / "categories.csv").read_text()))
               if r["change"]]
    assert changes and all(_number(c) for c in changes) and any(c.startswith("-") for c in changes)


def _number(cell: str) -> bool:
    """True for a numeric cell (a negative change such as -12.3 stays a number)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_safe_cell_escapes_text_only() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-x", "@SUM(1)", "\tx", "\rx", "plain", -0.6, 3, None)] == [
        "'=1+1", "'+1", "'-x", "'@SUM(1)", "'\tx", "'\rx", "plain", -0.6, 3, None]
    assert csv_text(("a", "b"), [{"a": "=2", "b": -1.5, "c": "ignored"}]) == "a,b\n'=2,-1.5\n"


def test_alerts_csv_uses_the_same_escaping() -> None:
    from pipeline.web.stats import Alert
    from pipeline.web.trends import alerts_csv

    alert = Alert(week=date(2026, 6, 1), dimension="outlet", key="=cmd|' /C calc'!A0", count=5, median=1.0,
                  mad=0.5, z=-3.2)
    assert alerts_csv([alert]).splitlines()[1] == "2026-06-01,outlet,'=cmd|' /C calc'!A0,5,1.0,0.5,-3.2"


def test_harmless_cells_are_unchanged() -> None:
    assert csv_text(("outlet", "change", "rank"), [{"outlet": "L'Écho", "change": -0.6, "rank": None}]) == \
        "outlet,change,rank\nL'Écho,-0.6,\n"


def test_csv_is_written_in_one_place() -> None:
    root = Path(__file__).resolve().parents[2]
    writers = [p.relative_to(root).as_posix() for folder in ("pipeline", "flows", "models", "benchmarks")
               for p in (root / folder).rglob("*.py")
               if "csv.writer(" in p.read_text(encoding="utf-8") or "csv.DictWriter(" in p.read_text(encoding="utf-8")]
    assert writers == ["pipeline/core/csvsafe.py"]
