"""The award on a real DuckDB file: verdicts over model flags, categories, most improved,
indicators, snapshots that can be audited, 'not enough data', and the report folder."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipeline.award.categories import AwardInput, to_bins
from pipeline.award.rank import BIN_WIDTH, UNRANKED_TYPES, bins_from_rows, with_changes
from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.errors import InputError
from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, HateResult
from pipeline.db import articles, rankings, results, sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.jobs.award import audit_snapshot
from pipeline.rubric.score import load_rubric, score_batch

MODEL = "test-model"
FAIR = ('"I work 14 hours a day and still owe recruitment fees," said Amina, a migrant worker; she '
        "added that the law protects her. According to UNHCR, 3,000 people arrived fleeing war.")
POOR = "A flood of illegal immigrants swarmed the host country, said the minister."
HATE = HateResult(True, 0.9, "migrants", "dehumanising", (), MODEL)
OUTLETS = [Outlet("fair", "Fair Times", "GB", "en", "newspaper"), Outlet("poor", "Poor Daily", "GB", "en", "tabloid"),
           Outlet("mid", "Mid Post", "FR", "fr", "newspaper"), Outlet("tiny", "<b>Tiny</b>", "ES", "es", "radio"),
           Outlet("posts", "Posts", None, "en", "social")]


def article(outlet: str, year: int, i: int, text: str, hate: HateResult | None = None,
            title: str = "") -> Article:
    return Article(url=f"https://x.test/{outlet}/{year}/{i}", outlet=outlet, title=title or f"Story {i}",
                   text=f"{text} ({i})", published=datetime(year, 3, 1 + i, tzinfo=UTC), lang="en", hate=hate)


def corpus() -> list[Article]:
    arts = []
    for year in (2025, 2026):
        for i in range(6):
            arts.append(article("fair", year, i, FAIR))
            arts.append(article("poor", year, i, POOR, HATE if i % 2 else None))
            arts.append(article("posts", year, i, POOR))
            if year == 2026:
                arts.append(article("mid", year, i, FAIR if i % 2 else POOR))
    arts.append(article("tiny", 2026, 0, FAIR, title="<script>alert(1)</script>"))
    return arts


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with outlets and two years of scored articles, built once for the module."""
    db = Database.open(tmp_path_factory.mktemp("award") / "template.duckdb")
    sources.upsert_sources(db, OUTLETS, [])
    arts = corpus()
    articles.insert_articles(db, arts, None)
    results.save_rubric(db, score_batch(arts, load_rubric()), MODEL)
    return db.path


@pytest.fixture
def filled(template: Path, tmp_path: Path) -> Database:
    """A fresh copy of the template database (no reviews) for one test."""
    return Database(Path(shutil.copy(template, tmp_path / "award.duckdb")))


def review(db: Database, article_id: str, decision: str, severity: str | None = None) -> None:
    with duckdb.connect(str(db.path)) as con:
        con.execute("INSERT INTO reviews (article_id, reviewer, decision, severity) VALUES (?, 'rev', ?, ?)",
                    [article_id, decision, severity])


def rank(db: Database, year: int = 2026) -> tuple[list, dict]:
    lines, snapshot, _ = jobs.rank_year(db, Settings(db=db.path), year, MODEL, load_rubric().version)
    return lines, snapshot


def by(snapshot: dict, category: str) -> dict[str, dict]:
    return {r["outlet_id"]: r for r in snapshot["rows"] if r["category"] == category}


def flagged_2026(outlet: str = "poor") -> list[str]:
    return [a.id for a in corpus() if a.outlet == outlet and a.hate and a.published and a.published.year == 2026]


def test_sql_histograms_match_in_memory_ones(filled: Database) -> None:
    rows = results.scored_rows(filled, 2026, load_rubric().version, MODEL)
    sql = to_bins(rankings.outlet_bins(filled, 2026, load_rubric().version, MODEL, UNRANKED_TYPES, BIN_WIDTH))
    mem = bins_from_rows(rows, sources.outlets(filled))
    assert [b.outlet_id for b in sql] == [b.outlet_id for b in mem] == ["fair", "mid", "poor", "tiny"]
    for a, b in zip(sql, mem):
        assert list(a.keys) == list(b.keys) and list(a.counts) == list(b.counts)
        assert a.sums == pytest.approx(b.sums)


def test_changed_scores_move_between_bins(filled: Database) -> None:
    rows = results.scored_rows(filled, 2026, load_rubric().version, MODEL)
    bins = bins_from_rows(rows, sources.outlets(filled))
    target = next(r for r in rows if r.outlet_id == "poor")
    moved = with_changes(bins, [(target.outlet_id, target.score, 99.0), ("posts", 1.0, 2.0)])
    edited = [r if r is not target else replace(r, score=99.0) for r in rows]
    for a, b in zip(moved, bins_from_rows(edited, sources.outlets(filled))):
        assert list(a.keys) == list(b.keys) and list(a.counts) == list(b.counts)
        assert a.sums == pytest.approx(b.sums)


def test_verdicts_override_model_flags(filled: Database) -> None:
    base = by(rank(filled)[1], "overall")["poor"]["score"]
    reject, confirm = flagged_2026()[:2]
    review(filled, reject, "reject")
    review(filled, confirm, "note")  # a note changes nothing
    lines, snap = rank(filled)
    raised = by(snap, "overall")["poor"]["score"]
    assert raised > base and snap["verdicts"] == {reject: {"decision": "reject", "severity": None, "target": None}}
    review(filled, confirm, "confirm", "incitement")
    _, snap2 = rank(filled)
    assert by(snap2, "overall")["poor"]["score"] < raised
    assert snap2["id"] != snap["id"] and set(snap2["verdicts"]) == {reject, confirm}
    review(filled, reject, "confirm")  # the latest decision is the verdict
    assert rank(filled)[1]["verdicts"][reject]["decision"] == "confirm"


def test_categories_most_improved_and_not_enough_data(filled: Database) -> None:
    lines, snap = rank(filled)
    overall = by(snap, "overall")
    assert "posts" not in overall and overall["tiny"]["rank"] is None
    assert "not enough data (1 < 3 articles)" in overall["tiny"]["status"]
    gb = by(snap, "country:GB")
    assert gb["fair"]["rank"] == 1 and gb["poor"]["rank"] == 2 and by(snap, "country:FR")["mid"]["rank"] == 1
    assert by(snap, "media_type:tabloid")["poor"]["rank"] == 1
    improved = by(snap, "most_improved")
    assert improved["mid"]["rank"] is None and improved["mid"]["status"] == "not enough data in 2025"
    assert improved["fair"]["change"] is not None and improved["poor"]["change"] is not None
    first = rank(filled, 2025)[1]
    assert all(r["status"] == "not enough data: no ranking for 2024" for r in by(first, "most_improved").values())


def test_sex_disaggregated_indicators(filled: Database) -> None:
    ind = rank(filled)[1]["indicators"]
    assert ind["fair"]["women_quoted_share"] == 1.0 and ind["fair"]["women_coverage_share"] == 1.0
    assert ind["poor"]["women_quoted_share"] is None and ind["poor"]["women_coverage_share"] == 0.0


def test_empty_year_is_not_enough_data(filled: Database, tmp_path: Path) -> None:
    lines, snap = rank(filled, 2031)
    assert lines == [] and snap["rows"] == [] and rankings.award_snapshot(filled, snap["id"]) is None
    index = jobs.report_year(filled, tmp_path / "r", 2031, lines, snap)
    assert "Not enough data" in index.read_text()


def test_snapshot_audit(filled: Database) -> None:
    _, snap = rank(filled)
    audit = audit_snapshot(filled, snap["id"], load_rubric())
    assert audit["reproduced"] and audit["rows_identical"] and audit["articles"] == len(snap["article_ids"])
    review(filled, flagged_2026()[0], "reject")
    audit = audit_snapshot(filled, snap["id"], load_rubric())
    assert not audit["reproduced"] and audit["verdicts_changed"] == [flagged_2026()[0]]
    with pytest.raises(InputError, match="snapshot 'nope' not found"):
        audit_snapshot(filled, "nope", load_rubric())


def test_rank_snapshot_cli(filled: Database) -> None:
    _, snap = rank(filled)
    runner = CliRunner()
    ok = runner.invoke(app, ["--db", str(filled.path), "rank", "--year", "2026", "--snapshot", snap["id"]])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["reproduced"] is True
    review(filled, flagged_2026()[0], "reject")
    bad = runner.invoke(app, ["--db", str(filled.path), "rank", "--year", "2026", "--snapshot", snap["id"]])
    assert bad.exit_code == 1 and "is not reproduced" in bad.output and "1 verdicts changed" in bad.output
    wrong = runner.invoke(app, ["--db", str(filled.path), "rank", "--year", "2025", "--snapshot", snap["id"]])
    assert wrong.exit_code != 0 and "pass --year 2026" in str(wrong.exception) + wrong.output


def test_report_folder(filled: Database, tmp_path: Path) -> None:
    lines, snap = rank(filled)
    out = tmp_path / "report"
    index = jobs.report_year(filled, out, 2026, lines, snap)
    html = index.read_text()
    for part in ("<svg", "Award categories", "Most improved", "Sex-disaggregated indicators", "Trend per outlet",
                 "Criteria breakdown", "Evidence packs", "methodology.html"):
        assert part in html
    assert "<b>Tiny</b>" not in html and "&lt;b&gt;Tiny&lt;/b&gt;" in html
    pages = sorted(p.name for p in out.iterdir())
    assert {"index.html", "methodology.html", "ranking.csv", "categories.csv"} <= set(pages)
    poor = next(p for p in pages if p.startswith("outlet-poor-"))
    pack = (out / poor).read_text()
    assert "Poor Daily" in pack and "illegal immigrants" in pack and "Terminology" in pack
    tiny = [p for p in pages if p.startswith("outlet-tiny-")]
    for name in tiny:
        assert "<script>alert(1)" not in (out / name).read_text()
    ranking = list(csv.DictReader(io.StringIO((out / "ranking.csv").read_text())))
    assert {r["category"] for r in ranking} == {"overall"}
    cats = {r["category"] for r in csv.DictReader(io.StringIO((out / "categories.csv").read_text()))}
    assert {"overall", "country:GB", "media_type:newspaper", "most_improved"} <= cats
    assert "2025" in html and "2026" in html  # the trend spans both years


def test_rubric_version_mismatch_is_a_clear_error(filled: Database) -> None:
    with pytest.raises(Exception, match="is not the installed rubric"):
        jobs.rank_year(filled, Settings(db=filled.path), 2026, MODEL, "ilo-rubric-0.9")


def test_award_input_is_frozen() -> None:
    spec = AwardInput(2026, load_rubric(), MODEL, 3)
    with pytest.raises(AttributeError):
        spec.year = 2027  # type: ignore[misc]


def test_rank_cli_formats(template: Path, tmp_path: Path) -> None:
    from pipeline.classify.classifier import classifier_tag

    db = Database(Path(shutil.copy(template, tmp_path / "cli.duckdb")))
    with duckdb.connect(str(db.path)) as con:  # the CLI ranks the installed models' results
        con.execute("UPDATE rubric_results SET model = ?", [classifier_tag(Settings())])
    runner = CliRunner()
    out = runner.invoke(app, ["--db", str(db.path), "rank", "--year", "2026", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {"rank", "outlet", "country", "media_type", "score", "ci_low", "ci_high", "n_articles",
            "category"} <= set(rows[0])
    assert rows[0]["category"] == "overall" and {r["category"] for r in rows} >= {"country:GB", "most_improved"}
    data = json.loads(runner.invoke(app, ["--db", str(db.path), "rank", "--year", "2026", "--format",
                                          "json"]).stdout)
    assert data["status"] == "ranked" and data["indicators"]["fair"]["women_quoted_share"] == 1.0
    empty = runner.invoke(app, ["--db", str(db.path), "rank", "--year", "2031", "--format", "json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout)["status"] == "not enough data"
    html = runner.invoke(app, ["--db", str(db.path), "rank", "--year", "2026", "--format", "html"]).stdout
    assert "<svg" in html and "&lt;b&gt;Tiny" in html
    bad = runner.invoke(app, ["--db", str(db.path), "rank", "--year", "2026", "--format", "xml"])
    assert bad.exit_code != 0 and "must be one of: csv, json, html" in str(bad.exception)
