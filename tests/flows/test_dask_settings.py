"""Choosing the task runner: settings, the demo's --runner option, and what keys the per-worker model cache."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask.task_runners import DaskTaskRunner
from typer.testing import CliRunner

from flows.dask_runner import cluster_address, task_runner
from flows.tasks import model_settings
from pipeline.cli import main
from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import ConfigError


def test_runner_and_scheduler_come_from_the_environment() -> None:
    settings = load_settings(env={"XENOWATCH_RUNNER": "dask", "XENOWATCH_DASK_ADDRESS": "tcp://10.0.0.5:8786",
                                  "XENOWATCH_CLASSIFY_CHUNK": "64"})
    assert (settings.runner, settings.dask_address, settings.classify_chunk) == ("dask", "tcp://10.0.0.5:8786", 64)
    assert load_settings(env={"XENOWATCH_DASK_ADDRESS": ""}).dask_address is None
    with pytest.raises(ConfigError, match="runner 'spark' is invalid; must be one of: threads, dask"):
        load_settings(env={"XENOWATCH_RUNNER": "spark"})
    with pytest.raises(ConfigError, match="classify_chunk 0 must be at least 1"):
        Settings(classify_chunk=0)


def test_threads_need_no_cluster_and_an_address_is_used_as_given() -> None:
    with cluster_address(Settings()) as address:
        assert address is None
        assert isinstance(task_runner(address, 4), ThreadPoolTaskRunner)
    with cluster_address(Settings(runner="dask", dask_address="tcp://10.0.0.5:8786")) as address:
        assert address == "tcp://10.0.0.5:8786"
        runner = task_runner(address, 4)
        assert isinstance(runner, DaskTaskRunner) and runner.address == address


def test_the_model_cache_ignores_settings_that_do_not_change_the_models(tmp_path: Path) -> None:
    base = Settings(db=tmp_path / "a.duckdb")
    same = replace(base, relevance_gate=0.5, runner="dask", dask_address="tcp://x:1", classify_chunk=8,
                   fetch_pages=False, min_articles=9)
    assert model_settings(same) == model_settings(base)
    assert model_settings(replace(base, batch_size=8)) != model_settings(base)
    assert model_settings(replace(base, db=tmp_path / "b.duckdb")) != model_settings(base)  # its fact-checks


def test_demo_refuses_an_unknown_runner(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["xenowatch", "--db", str(tmp_path / "x.duckdb"), "demo", "--runner", "spark"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "error: runner 'spark' is invalid; must be one of: threads, dask\n"
    assert not (tmp_path / "x.duckdb").exists()


def test_demo_lists_the_runner_option() -> None:
    from pipeline.cli import app

    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0 and "--runner" in result.output
