"""Shared fixtures: a temporary database, a loopback HTTP server, the real models (loaded once)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import Settings, setup_offline_env
from pipeline.core.loopback import LoopbackServer, QuietHandler, running
from pipeline.db.database import Database

setup_offline_env()
RESOURCES = Path(__file__).parent / "resources"

Route = tuple[int, dict[str, str], bytes]


class Routes(LoopbackServer):
    """A loopback server answering from a table of canned responses (path -> status, headers, body)."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.table: dict[str, Route | Callable[[BaseHTTPRequestHandler], Route]] = {}
        self.hits: dict[str, int] = {}

    def add(self, path: str, body: bytes | str, status: int = 200, **headers: str) -> str:
        """Register a response and return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.table[path] = (status, {k.replace("_", "-"): v for k, v in headers.items()}, data)
        return self.base + path


class _Handler(QuietHandler):
    server: Routes

    def do_GET(self) -> None:  # noqa: N802
        """Answer from the table."""
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        entry = self.server.table.get(self.path, (404, {}, b"not found"))
        status, headers, body = entry(self) if callable(entry) else entry
        self.reply(status, body, headers)


@pytest.fixture
def http() -> Iterator[Routes]:
    """A loopback server with canned routes."""
    with running(Routes()) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a fresh DuckDB file."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def db(db_path: Path) -> Database:
    """A migrated temporary database."""
    return Database.open(db_path)


@pytest.fixture
def settings(db_path: Path) -> Settings:
    """Settings pointing at the temporary database."""
    return Settings(db=db_path, timeout_s=5.0)


@pytest.fixture(scope="session")
def classifier() -> Any:
    """The real shipped classifier, loaded once for the session."""
    from pipeline.jobs.factchecks import classifier_for

    return classifier_for(Settings())


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Playwright drives Debian's chromium (never a downloaded browser), headless."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}
