"""The Parquet archive: partitioned by year/month/outlet, and a ranking from it equal to the database's."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from benchmarks import corpus
from pipeline.classify.classifier import classifier_tag
from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.outlets import Feed, Outlet
from pipeline.core.record import Article
from pipeline.db import articles as articles_db
from pipeline.db import results, sources
from pipeline.db.archive import load_archive
from pipeline.db.database import Database
from pipeline.jobs import archive
from pipeline.jobs import steps as jobs
from pipeline.rubric.score import load_rubric, score_batch

ROOT = Path(__file__).resolve().parents[2]
OUTLETS = 6


def article(outlet: int, n: int, year: int) -> Article:
    """A migration article of the synthetic corpus (a third of them hateful), dated in `year`."""
    item = corpus.item(outlet, n)
    text = (corpus.HATEFUL if n % 3 == 0 else corpus.MIGRATION)[corpus.lang_of(outlet)] + " " + item.text
    return Article(url=f"http://outlet{outlet}.test/{year}/{n}", outlet=f"o{outlet}", title=item.title, text=text,
                   published=item.published.replace(year=year), lang=corpus.lang_of(outlet), kind="article")


@pytest.fixture
def scored(db: Database) -> Database:
    """Two years of classified and scored articles from six outlets (rubric only: no model needed)."""
    sources.upsert_sources(db, [Outlet(f"o{i}", f"Outlet {i}", language=corpus.lang_of(i), media_type="newspaper")
                                for i in range(OUTLETS)], [Feed(f"http://outlet{i}.test/rss", f"o{i}")
                                                           for i in range(OUTLETS)])
    articles = [article(o, n, year) for year in (2025, 2026) for o in range(OUTLETS) for n in range(4 + o)]
    articles_db.insert_articles(db, articles, None)
    tag = classifier_tag(Settings())
    results.save_classifications(db, [a.evolve(relevance=0.9) for a in articles], tag, 0.2)
    rubric = load_rubric()
    results.save_rubric(db, score_batch(results.pending_rubric(db, tag, rubric.version), rubric), tag)
    with duckdb.connect(str(db.path)) as con:  # a reviewer's verdict, which the ranking applies
        con.execute("INSERT INTO reviews (article_id, reviewer, decision) VALUES (?, 'ana', 'reject')",
                    [article(0, 0, 2026).id])
    return db


def test_export_is_partitioned_by_year_month_outlet(scored: Database, tmp_path: Path) -> None:
    stats = archive.export(scored, tmp_path / "arch").as_dict()
    n = sum(4 + o for o in range(OUTLETS)) * 2
    assert stats["rows"] == {"articles": n, "classifications": n, "rubric_results": n, "reviews": 1}
    files = sorted((tmp_path / "arch" / "articles").rglob("*.parquet"))
    assert files and stats["files"]["articles"] == len(files)
    parts = {f.relative_to(tmp_path / "arch" / "articles").parts[:3] for f in files}
    assert {p[0] for p in parts} == {"year=2025", "year=2026"}
    assert {p[2] for p in parts} == {f"outlet_id=o{i}" for i in range(OUTLETS)}
    assert all(p[1].startswith("month=") for p in parts)
    assert (tmp_path / "arch" / "outlets.parquet").is_file()
    assert 0 < stats["bytes_per_row"]["articles"] < 5000


def test_ranking_from_the_archive_equals_the_database_ranking(scored: Database, settings: Settings,
                                                               tmp_path: Path) -> None:
    tag, version = classifier_tag(settings), load_rubric().version
    archive.export(scored, tmp_path / "arch")
    for year in (2025, 2026):
        lines, snapshot, _ = jobs.rank_year(scored, settings, year, tag, version)
        from_parquet, snap = archive.rank(tmp_path / "arch", year, settings, tag, version)
        assert len(lines) == OUTLETS and from_parquet == lines
        assert snap["id"] == snapshot["id"] and snap["article_ids"] == snapshot["article_ids"]


def test_exporting_one_year_replaces_only_its_partitions(scored: Database, settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "arch"
    archive.export(scored, out)
    before = {p.relative_to(out) for p in out.rglob("*.parquet")}
    articles_db.purge_posts(scored, datetime(2100, 1, 1))  # touches no article (none is a post): a no-op change
    stats = archive.export(scored, out, year=2026).as_dict()
    assert stats["rows"]["articles"] == sum(4 + o for o in range(OUTLETS))
    assert {p.relative_to(out) for p in out.rglob("*.parquet")} == before
    tag, version = classifier_tag(settings), load_rubric().version
    assert archive.rank(out, 2025, settings, tag, version)[0] == jobs.rank_year(scored, settings, 2025, tag,
                                                                                version)[0]


def test_cli_archive_rank_prints_the_rank_commands_snapshot(scored: Database, tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(scored.path)]
    exported = runner.invoke(app, [*db, "archive", "export", "--out", str(tmp_path / "arch")])
    assert exported.exit_code == 0, exported.output
    assert "rubric_results: " in exported.output and "bytes/row" in exported.output
    from_db = runner.invoke(app, [*db, "rank", "--year", "2026", "--format", "json"])
    from_parquet = runner.invoke(app, [*db, "archive", "rank", "--from", str(tmp_path / "arch"), "--year", "2026",
                                       "--format", "json"])
    assert from_parquet.exit_code == 0, from_parquet.output
    archived, stored = json.loads(from_parquet.output), json.loads(from_db.output)
    assert {"snapshot", "ranking", "indicators"} <= set(archived) and archived["snapshot"]
    assert archived == {k: v for k, v in stored.items() if k in archived}
    csv_db = runner.invoke(app, [*db, "rank", "--year", "2026"])
    csv_parquet = runner.invoke(app, [*db, "archive", "rank", "--from", str(tmp_path / "arch"), "--year", "2026"])
    assert csv_parquet.output == csv_db.output and csv_db.output.count("\n") > OUTLETS


def test_archive_rank_without_an_archive_is_one_clear_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", "--db", str(tmp_path / "x.duckdb"), "archive", "rank",
                             "--from", str(tmp_path / "nothing"), "--year", "2026"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: {tmp_path / 'nothing'}: no Parquet archive there; run "
                                     f"'xenowatch archive export --out {tmp_path / 'nothing'}' first")


def test_archive_export_to_a_file_is_refused(scored: Database, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    with pytest.raises(Exception, match="is a file; --out must be a folder"):
        archive.export(scored, target)
    assert target.read_text() == "keep me"


def test_a_year_loaded_back_from_the_archive_has_the_same_scored_rows(scored: Database, tmp_path: Path) -> None:
    news = Article(url="http://outlet1.test/news", outlet="o1", title="Derby", text="The home side won.",
                   published=datetime(2026, 5, 1), lang="en", kind="article")
    articles_db.insert_articles(scored, [news], None)
    results.save_classifications(scored, [news.evolve(relevance=0.0)], classifier_tag(Settings()), 0.2)
    archive.export(scored, tmp_path / "arch")
    back = Database.open(tmp_path / "back.duckdb")
    loaded = load_archive(back, tmp_path / "arch", [2026])
    assert loaded["outlets"] == OUTLETS and loaded["articles"] == sum(4 + o for o in range(OUTLETS))
    version, tag = load_rubric().version, classifier_tag(Settings())
    assert results.scored_rows(back, 2026, version, tag) == results.scored_rows(scored, 2026, version, tag)
    assert results.scored_rows(back, 2025, version, tag) == []
    assert results.counts(back)["classifications"] == loaded["articles"]  # the unscored news stays in the files
