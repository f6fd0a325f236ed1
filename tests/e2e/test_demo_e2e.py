"""End to end: the demo through Prefect's test harness against the loopback sample server."""

from __future__ import annotations

import csv
import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.core.config import Settings
from pipeline.sample.server import sample_items

pytestmark = pytest.mark.slow
TABLES = ("outlets", "feeds", "articles", "classifications", "rubric_results", "ranking_snapshots",
          "ranking_rows", "rejected")


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    """One Prefect test harness (an ephemeral API) for the module: it takes seconds to start."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_demo_twice(harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.cli.demo import run_demo

    monkeypatch.setenv("XENOWATCH_DEMO_PORT", str(free_port()))
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.duckdb"
    monkeypatch.setenv("XENOWATCH_DB", str(mine))  # the user's database: the demo must leave it alone
    shown = CliRunner().invoke(app, ["demo", "--out", "report", "--year", "2026"])
    assert shown.exit_code == 0, (shown.output, shown.exception)
    demo_db = tmp_path / "xenowatch-demo.duckdb"
    assert f"demo database: {demo_db.resolve()} (kept apart from your own database" in shown.stdout
    assert "feeds: 10 ok, 0 failed" in shown.stdout and "score: 0-100, higher is fairer" in shown.stdout
    assert not mine.exists()
    after_first = counts(demo_db)
    assert after_first["articles"] == len(sample_items()) >= 150
    assert after_first["outlets"] >= 5 and after_first["classifications"] == after_first["articles"]
    assert after_first["rubric_results"] > 50 and after_first["ranking_snapshots"] == 1

    index = (tmp_path / "report" / "index.html").read_text()
    assert "<svg" in index and "Evidence packs" in index
    with open(tmp_path / "report" / "ranking.csv") as fh:
        ranking = list(csv.DictReader(fh))
    ranks = {row["outlet_id"]: int(row["rank"]) for row in ranking if row["rank"]}
    assert len(ranks) >= 5
    assert ranks["harbour-gazette"] < ranks["daily-clarion"]
    assert ranks["courrier-littoral"] < ranks["echo-frontieres"]
    assert ranks["diario-estrecho"] < ranks["voz-frontera"]

    # The user's own database has none of the demo's feeds: a plain ingest finds nothing registered.
    user = CliRunner().invoke(app, ["ingest"])
    assert user.exit_code != 0 and "no feeds registered" in str(user.exception)

    second = run_demo(Settings(db=demo_db), tmp_path / "report", 2026, lambda s: None)
    assert counts(demo_db) == after_first
    assert second["ingest"]["new"] == 0 and second["classified"] == 0
    assert f"(snapshot {second['snapshot']['id']})" in shown.stdout
    ranked = [ln for ln in second["lines"] if ln.status == "ranked"]
    assert {ln.outlet_id: ln.rank for ln in ranked} == ranks
    assert (f"the 2026 ranking counts {sum(ln.n_articles for ln in second['lines'])} scored migration articles"
            in shown.stdout)
    assert f"{sum(ln.n_articles for ln in ranked)} of them are in the {len(ranked)} outlets" in shown.stdout


def test_ingest_flow_retries_only_retryable_errors(harness: None, http, tmp_path: Path) -> None:
    from flows.monitor import ingest_flow
    from pipeline.core.outlets import Feed
    from pipeline.db.database import Database

    atom = (Path(__file__).resolve().parents[1] / "resources" / "atom_basic.xml").read_text()
    http.add("/ok.xml", atom.replace("{base}", http.base))
    http.add("/busy.xml", "busy", status=503)
    http.add("/gone.xml", "gone", status=404)
    settings = Settings(db=tmp_path / "f.duckdb", fetch_pages=False)
    Database.open(settings.db)
    feeds = [Feed(url=f"{http.base}/{n}.xml", outlet_id=n) for n in ("ok", "busy", "gone")]
    summary = ingest_flow(settings, feeds)
    assert (summary["feeds_ok"], summary["feeds_failed"], summary["new"]) == (1, 2, 1)
    assert http.hits["/busy.xml"] == 3 and http.hits["/gone.xml"] == 1
    reasons = dict(summary["failures"])
    assert reasons[f"{http.base}/busy.xml"].endswith("HTTP 503")
