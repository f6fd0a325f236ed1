"""Settings: defaults, TOML file, environment, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import ConfigError


def test_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "x.toml"
    cfg.write_text('[xenowatch]\nbatch_size = 8\nrelevance_gate = 0.5\ndevice = "cpu"\n')
    s = load_settings(cfg, env={"XENOWATCH_BATCH_SIZE": "16", "XENOWATCH_DB": "/tmp/a.duckdb"}, db=None)
    assert (s.batch_size, s.relevance_gate, s.db) == (16, 0.5, Path("/tmp/a.duckdb"))
    assert load_settings(env={}, db=Path("b.duckdb")).db == Path("b.duckdb")


@pytest.mark.parametrize("values, message", [
    ({"device": "tpu"}, "device 'tpu' is invalid; must be one of: cpu, cuda"),
    ({"relevance_gate": "2"}, "between 0 and 1"),
    ({"batch_size": "many"}, "is not a valid int"),
    ({"colour": "red"}, "unknown setting 'colour'; must be one of"),
])
def test_bad_values_are_named(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings().with_values(values)


def test_bad_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[xenowatch\n")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(cfg, env={})
