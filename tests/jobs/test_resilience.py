"""Crash safety of the whole job: a flow process killed mid-classify, a backup taken while it writes, and
a report that cannot be written (the disk refuses) leaving the previous report intact."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline.core.config import Settings
from pipeline.db import results, sources
from pipeline.db.database import Database

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHUNK = 8


@pytest.fixture(scope="module")
def sample() -> Iterator[str]:
    """The bundled sample served on loopback for the module; yields its base URL."""
    from pipeline.sample.server import serve_sample

    with serve_sample(0) as server:
        yield server.base


def child_env() -> dict[str, str]:
    """The environment of a flow process: small classify chunks, no page fetches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENOWATCH_")}
    env.update(XENOWATCH_CLASSIFY_CHUNK=str(CHUNK), XENOWATCH_FETCH_PAGES="false", PYTHONUNBUFFERED="1")
    return env


def start_flow(db: Path, log: Path) -> subprocess.Popen[bytes]:
    """`python -m flows.monitor --db DB` (ingest -> classify -> score) in its own process group."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flows.monitor", "--db", str(db)], cwd=ROOT, env=child_env(),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def end_group(pgid: int) -> None:
    """SIGKILL what is left of a process group this test started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def rows(db: Path, sql: str) -> tuple[int, ...]:
    """One row of integers from the database."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(int(v) for v in row)


def classified_rows(database: Database) -> int:
    """Classification rows stored so far (waits on the flow's lock like any reader)."""
    return results.counts(database)["classifications"]


def registered_sample(db: Path, base: str, tmp: Path) -> int:
    """A new database with the sample's outlets and feeds registered; the number of items served."""
    from pipeline.ingest.sources import load_sources
    from pipeline.sample.server import sample_items, write_sources

    sources.upsert_sources(Database.open(db), *load_sources(write_sources(base, tmp / "sources.yaml")))
    return len(sample_items())


def test_flow_killed_mid_classify_then_rerun_loses_nothing_and_scores_nothing_twice(
        sample: str, tmp_path: Path) -> None:
    db, log = tmp_path / "kill.duckdb", tmp_path / "flow.log"
    items = registered_sample(db, sample, tmp_path)
    database = Database(db)
    proc = start_flow(db, log)
    try:
        deadline, done = time.monotonic() + 300, 0
        while proc.poll() is None and time.monotonic() < deadline:
            done = classified_rows(database)
            if done >= 2 * CHUNK:
                break
            time.sleep(0.1)
        backup = database.backup(tmp_path / "during.duckdb")  # while the flow writes
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        end_group(proc.pid)
    before = classified_rows(database)
    assert 0 < before < items, f"the kill came at {before} of {items} rows: {log.read_text()[-2000:]}"
    copied = rows(backup, "SELECT count(*) FROM classifications")[0]
    assert copied % CHUNK == 0 and copied <= before  # whole chunks only: one transaction each

    proc = start_flow(db, log)
    try:
        assert proc.wait(timeout=600) == 0, log.read_text()[-3000:]
    finally:
        end_group(proc.pid)
    assert f'"classified": {items - before}' in log.read_text(), "the rerun classified more than the rest"
    articles, classified, distinct, gated = rows(
        db, "SELECT (SELECT count(*) FROM articles), count(*), count(DISTINCT article_id), "
            "count(*) FILTER (WHERE gated AND a.kind <> 'post') FROM classifications "
            "JOIN articles a ON a.id = article_id")
    assert articles == classified == distinct == items
    # Every gated article is scored once; social posts are gated for hate but never scored by the rubric.
    scored, scored_distinct = rows(db, "SELECT count(*), count(DISTINCT article_id) FROM rubric_results")
    assert scored == scored_distinct == gated


def limited_report(db: Path, out: Path, limit: int) -> subprocess.CompletedProcess[str]:
    """`xenowatch report` in a process whose files may not grow past `limit` bytes (RLIMIT_FSIZE, as a
    full disk would refuse them; SIGXFSZ ignored, so that write() fails with an error instead)."""
    def refuse_big_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "pipeline", "--db", str(db), "report", "--year", "2026",
                           "--out", str(out)], cwd=ROOT, env=child_env(), capture_output=True, text=True,
                          timeout=300, preexec_fn=refuse_big_files if limit else None)


def test_full_disk_while_writing_the_report_keeps_the_previous_one(sample: str, tmp_path: Path) -> None:
    from pipeline.jobs import steps as jobs

    db, out = tmp_path / "report.duckdb", tmp_path / "site" / "report"
    registered_sample(db, sample, tmp_path)
    settings = Settings(db=db, fetch_pages=False)
    database = Database(db)
    jobs.ingest_feeds(database, settings, sources.feeds(database), None)
    scored_sample(database, settings)
    first = limited_report(db, out, 0)
    assert first.returncode == 0, first.stderr
    previous = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(previous["index.html"]) > 4096

    refused = limited_report(db, out, 4096)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: cannot write the report to {out}:"), refused.stderr
    assert "free some space or choose another --out" in refused.stderr and "intact" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous
    assert [p.name for p in out.parent.iterdir()] == ["report"]  # no half-written folder left behind


def scored_sample(database: Database, settings: Settings) -> None:
    """Classify and score the stored sample with the session's models (no flow needed here)."""
    from flows.tasks import classifier, rubric
    from pipeline.jobs import steps as jobs

    clf = classifier(settings)
    jobs.classify_pending(database, settings, clf)
    jobs.score_pending(database, clf.tag, rubric())
