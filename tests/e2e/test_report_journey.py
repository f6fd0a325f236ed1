"""A council member's journey through the published annual report, in real headless chromium (Debian's,
driven by Playwright): the report is built from a real DuckDB file and served over HTTP from its folder, as
a web server publishes it. Outlets whose 95 % intervals overlap are shown as tied, in words too; the
methodology fits a 1280 px window and prints no raw placeholders; evidence packs say "nothing found".
The screenshot of the report goes to docs/screenshots/journey-report.png."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from pipeline.core.loopback import LoopbackServer, running
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from tests.award.support import TIED_2026, rank, seed

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "journey-report.png"
TIED = ("Alba Diario", "Brisa Radio", "Cima Press", "Duna Daily")


class _Static(SimpleHTTPRequestHandler):
    """Files of one folder, nothing logged (the folder is set on a subclass)."""

    root = "."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=self.root, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Two years ranked, the 2026 report written to a folder and served from it; yields its URL."""
    tmp = tmp_path_factory.mktemp("report")
    db = Database.open(tmp / "award.duckdb")
    seed(db, {2025: {**TIED_2026, "eco": 35.0}, 2026: TIED_2026})
    lines, snapshot = rank(db)
    jobs.report_year(db, tmp / "site" / "award-2026", 2026, lines, snapshot)
    handler = type("ReportFiles", (_Static,), {"root": str(tmp / "site")})
    with running(LoopbackServer(handler)) as server:
        yield f"{server.base}/award-2026/"


@pytest.fixture(scope="module")
def page(browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """A 1280 px wide page in Debian's chromium (Playwright started here, not by pytest-playwright)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(**browser_type_launch_args)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def test_council_member_sees_tied_outlets_as_tied(page: Any, report: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(report)
    assert page.title() == "Xenowatch fair migration reporting ranking 2026"
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 5
    tied = page.locator("table.ranking tbody tr.tied")
    assert sorted(tied.locator("td:nth-child(2)").all_inner_texts()) == sorted(TIED)
    assert set(tied.locator("td.rank").all_inner_texts()) == {"1–4 tied"}
    last = rows.nth(4)
    assert last.locator("td.rank").inner_text() == "5" and "tied" not in (last.get_attribute("class") or "")
    words = page.locator("div.ties").inner_text()
    assert "No outlet is first beyond the uncertainty" in words
    assert "The data cannot tell apart Alba Diario, Brisa Radio" in words and "ranks 1–4" in words
    assert page.locator("h3", has_text="Country: ES").count() == 1 and page.locator("text=country:ES").count() == 0
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert errors == []


def test_methodology_fits_the_window_and_shows_no_placeholders(page: Any, report: str) -> None:
    page.goto(report + "methodology.html")
    for width in (1280, 640):  # the window, and a narrow one (or a zoomed page) where wide cells show
        page.set_viewport_size({"width": width, "height": 900})
        fits = page.evaluate("""() => {
            const t = document.querySelector('table.criteria');
            return {table: [t.scrollWidth, t.clientWidth, t.parentElement.clientWidth],
                    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth]};
        }""")
        assert fits["table"][0] <= fits["table"][1] <= fits["table"][2], (width, fits)
        assert fits["page"][0] <= fits["page"][1], (width, fits)
    page.set_viewport_size({"width": 1280, "height": 900})
    text = page.locator("body").inner_text()
    assert "{" not in text and "}" not in text
    assert "Which hate-speech flags count" in text


def test_evidence_pack_says_nothing_found(page: Any, report: str) -> None:
    page.goto(report)
    page.locator("details summary").first.click()
    page.locator("details[open] a", has_text="evidence pack").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Evidence pack:")
    cells = page.locator("table tbody td:nth-child(3)").all_inner_texts()
    assert cells and "nothing found" in cells and "(missing content)" not in page.content()
