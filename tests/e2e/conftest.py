"""End-to-end tests: real servers, real browsers, Dask clusters and killed processes (tens of seconds each)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in tests/e2e as `e2e`, so `-m "not e2e"` gives the fast unit layer."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
