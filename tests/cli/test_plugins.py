"""Plugin commands: entry points of the "xenowatch.commands" group add their commands to the app."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
import typer
from typer.testing import CliRunner

import pipeline.cli as cli
from pipeline.cli import app


def test_bench_comes_from_the_entry_point() -> None:
    names = {e.name: e.value for e in cli.entry_points(group=cli.PLUGIN_GROUP)}
    assert names.get("bench") == "benchmarks.cli:register"
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    for command in ("rank", "rubric", "ingest", "classify", "relevance", "e2e", "serve"):
        assert command in result.output


def test_a_broken_plugin_is_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    broken = EntryPoint(name="broken", value="no_such_module_xw:register", group=cli.PLUGIN_GROUP)
    monkeypatch.setattr(cli, "entry_points", lambda group: [broken])
    target = typer.Typer()
    cli.load_plugins(target)
    err = capsys.readouterr().err
    assert "warning: plugin broken (no_such_module_xw:register) not loaded: ModuleNotFoundError" in err
    assert target.registered_groups == []
