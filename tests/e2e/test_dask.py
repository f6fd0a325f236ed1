"""The flows on a Dask cluster (prefect-dask, a LocalCluster of worker processes): the same ranking as
the default runner, the models loaded once per worker, and a worker lost mid-run costs nothing."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline.core.config import Settings

pytestmark = pytest.mark.slow
CHUNK = 16  # small classify tasks, so that every worker runs several


@pytest.fixture(scope="module")
def harness() -> Iterator[None]:
    """One Prefect test harness (an ephemeral API) for the module."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes of one thread each, kept for the module (their models stay loaded)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample ingested once (no model needed), copied by each test."""
    from pipeline.db.database import Database
    from pipeline.db.sources import upsert_sources
    from pipeline.ingest.sources import load_sources
    from pipeline.jobs import steps as jobs
    from pipeline.sample.server import serve_sample, write_sources

    folder = tmp_path_factory.mktemp("ingested")
    db = Database.open(folder / "sample.duckdb")
    with serve_sample(0) as server:
        outlets, feeds = load_sources(write_sources(server.base, folder / "sources.yaml"))
        upsert_sources(db, outlets, feeds)
        summary = jobs.ingest_feeds(db, Settings(db=db.path), feeds, None)
    assert summary.feeds_failed == 0 and summary.new >= 150
    return db.path


def on_dask(cluster: Any) -> Settings:
    """Settings for the module's cluster, in small classify tasks."""
    return Settings(runner="dask", dask_address=cluster.scheduler_address, classify_chunk=CHUNK)


def run_copy(ingested: Path, folder: Path, settings: Settings) -> Settings:
    """Settings for a fresh copy of the ingested sample at a fixed path in `folder` (the models are
    keyed by the database: one path per runner keeps them loaded across tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "run.duckdb"
    target.unlink(missing_ok=True)
    shutil.copy(ingested, target)
    return Settings(db=target, runner=settings.runner, dask_address=settings.dask_address,
                    classify_chunk=settings.classify_chunk)


def classify_on_dask(settings: Settings) -> int:
    """The classify flow on the settings' Dask cluster."""
    from flows.dask_runner import cluster_address, task_runner
    from flows.monitor import classify_flow

    with cluster_address(settings) as address:
        return int(classify_flow.with_options(task_runner=task_runner(address, 1))(settings))


def score_and_rank(settings: Settings, model_tag: str) -> tuple[Any, Any]:
    """Score the classified articles and rank 2026 (the award's first step)."""
    from pipeline.db.database import Database
    from pipeline.jobs import steps as jobs
    from pipeline.rubric.score import load_rubric

    db = Database(settings.db)
    jobs.score_pending(db, model_tag, load_rubric())
    lines, snapshot, _ = jobs.rank_year(db, settings, 2026, model_tag, load_rubric().version)
    return lines, snapshot


def classified_once(db: Path) -> tuple[int, int, int]:
    """(articles, classification rows, distinct classified articles)."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT (SELECT count(*) FROM articles), count(*), count(DISTINCT article_id) "
                          "FROM classifications").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_dask_runner_gives_the_default_runners_ranking_and_loads_models_once_per_worker(
        harness: None, cluster: Any, classifier: Any, ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from distributed import Client, get_task_stream

    from flows import tasks
    from pipeline.db.database import Database
    from pipeline.jobs import steps as jobs

    base = tmp_path_factory.getbasetemp()
    here = run_copy(ingested, base / "threads", Settings())
    dask = run_copy(ingested, base / "dask", on_dask(cluster))
    n_here = jobs.classify_pending(Database(here.db), here, classifier)  # what the threads runner computes
    lines_here, snap_here = score_and_rank(here, classifier.tag)
    with Client(cluster.scheduler_address) as client, get_task_stream(client) as stream:
        n_dask = classify_on_dask(dask)
        loads = client.run(lambda: dict(tasks.LOADS))
    lines_dask, snap_dask = score_and_rank(dask, classifier.tag)
    assert n_dask == n_here == classified_once(dask.db)[0]
    assert classified_once(dask.db) == classified_once(here.db)
    assert snap_dask["id"] == snap_here["id"] and lines_dask == lines_here
    assert len(lines_dask) >= 5
    chunks_per_worker: dict[str, int] = {}
    for entry in stream.data:
        if "classify" in entry["key"]:
            chunks_per_worker[entry["worker"]] = chunks_per_worker.get(entry["worker"], 0) + 1
    assert sum(chunks_per_worker.values()) >= n_dask // CHUNK
    assert any(count >= 3 for count in chunks_per_worker.values()), chunks_per_worker
    for address, count in chunks_per_worker.items():
        assert sum(loads[address].values()) == 1, f"{address} ran {count} chunks, loaded {loads[address]} times"


def test_a_lost_dask_worker_costs_nothing(harness: None, cluster: Any, ingested: Path,
                                          tmp_path_factory: pytest.TempPathFactory) -> None:
    """SIGKILL one worker process while it classifies: the run completes, every article classified once."""
    from distributed import Client

    settings = run_copy(ingested, tmp_path_factory.getbasetemp() / "dask", on_dask(cluster))
    result: dict[str, Any] = {}
    with Client(cluster.scheduler_address) as client:
        pids = client.run(os.getpid)
        run = threading.Thread(target=lambda: result.update(n=classify_on_dask(settings)))
        run.start()
        victim = wait_for_busy_worker(client, run)
        os.kill(pids[victim], signal.SIGKILL)
        run.join(timeout=600)
        assert not run.is_alive()
        after = client.run(os.getpid)
    assert pids[victim] not in after.values(), "the killed worker is still listed"
    articles, rows, distinct = classified_once(settings.db)
    assert result["n"] == articles and rows == distinct == articles


def wait_for_busy_worker(client: Any, run: threading.Thread) -> str:
    """The address of a worker busy with a classify task, once a few chunks have passed through the
    workers (the scheduler's view: polling the database from this process would race the flow)."""
    deadline, seen = time.monotonic() + 600, set()
    while time.monotonic() < deadline and run.is_alive():
        busy = []
        for worker, keys in client.processing().items():
            chunks = {str(k) for k in keys if "classify" in str(k)}
            seen |= chunks
            busy += [worker] if chunks else []
        if busy and len(seen) >= 6:  # two queued per worker at most: at least two chunks are done
            return str(busy[0])
        time.sleep(0.02)
    raise AssertionError(f"no worker was classifying (chunks seen: {len(seen)}, run alive: {run.is_alive()})")
