"""End-to-end tests: real servers, real browsers, Dask clusters and killed processes (tens of seconds each)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in tests/e2e as `e2e`, so `-m "not e2e"` gives the fast unit layer."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def chromium(browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """One browser per module. Playwright is started here, not by pytest-playwright's session fixture:
    its event loop would stay running in the main thread and break every later test that calls
    asyncio.run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**browser_type_launch_args)
        yield browser
        browser.close()
