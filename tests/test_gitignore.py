"""Secrets written beside a database never reach a commit."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

import pytest

GITIGNORE = Path(__file__).resolve().parents[1] / ".gitignore"


@pytest.mark.parametrize("name", ["xenowatch.duckdb.secret", "demo.duckdb.secret", "xenowatch.duckdb.pseudonym-key",
                                  "xenowatch-demo.duckdb"])
def test_database_files_and_their_secrets_are_ignored(name: str) -> None:
    patterns = [p.strip() for p in GITIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")]
    assert any(fnmatch(name, p) for p in patterns), f"{name} is not in .gitignore"
