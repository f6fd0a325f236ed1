"""An authority's journey in real headless chromium (Debian's, driven by Playwright) against `xenowatch serve`:
sign in, pick a period, a dimension and a date range, read the chart (dates, axis, shares with intervals, the
spike alert), and export it; the downloaded CSV and JSON hold exactly the points the chart draws."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from benchmarks.serve_bench import MODEL, free_port, seed, start_server, stop, synthetic
from pipeline.db import articles, results, review
from pipeline.db.database import Database
from pipeline.web.auth import hash_password

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "journey-trends.png"
PASSWORD = "authority password"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """600 synthetic items over 2026 in five outlets, a spike of 20 hateful items of Outlet 2 in the week of
    1 June, an authority, and the workbench serving them."""
    db = tmp_path_factory.mktemp("journey") / "trends.duckdb"
    database = Database.open(db)
    seed(database, 600)
    rng = random.Random(7)
    spike = [replace(synthetic(i, rng, ["outlet-2"]), url=f"https://spike.example/{i}",
                     published=datetime(2026, 6, 3, tzinfo=UTC)) for i in range(0, 40, 2)]
    with database.held():
        articles.insert_articles(database, spike, None)
        results.save_classifications(database, spike, MODEL, 0.2)
    review.create_user(database, "aurora", "authority", hash_password(PASSWORD))
    port = free_port()
    server = start_server(db, port, secure_cookies=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


@pytest.fixture(scope="module")
def page(browser_type_launch_args: dict[str, Any]) -> Iterator[Any]:
    """A page of a fresh browser context that accepts downloads (Playwright started here, not by a session
    fixture whose event loop would break later asyncio.run calls)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(**browser_type_launch_args)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        yield context.new_page()
        context.close()
        browser.close()


def drawn(page: Any) -> list[dict[str, Any]]:
    """Every point the chart draws: its panel, period, flagged and relevant counts, and its tooltip."""
    return list(page.eval_on_selector_all("svg.chart g.point", """els => els.map(g => ({
        key: g.closest('svg').dataset.key, period: g.dataset.period, flagged: +g.dataset.flagged,
        relevant: +g.dataset.relevant, tip: g.querySelector('title').textContent}))"""))


def download(page: Any, link: str, folder: Path) -> Path:
    """Click an export link and keep the file."""
    with page.expect_download() as info:
        page.click(link)
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


def test_authority_picks_a_range_reads_the_chart_and_exports_it(page: Any, site: str, tmp_path: Path) -> None:
    seen: list[str] = []
    page.on("pageerror", lambda exc: seen.append(str(exc)))
    page.on("console", lambda msg: seen.append(msg.text) if msg.type == "error" else None)
    page.goto(site + "/login")
    page.fill("input[name=username]", "aurora")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/trends")
    page.select_option("select[name=by]", "outlet")
    page.fill("input[name=from]", "2026-04-01")
    page.fill("input[name=to]", "2026-07-31")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**from=2026-04-01**")
    assert "2026-03-30 to 2026-08-02" in page.locator("h1").inner_text()  # whole weeks around the range
    assert page.locator("svg.chart").count() == 6  # all items, then the five outlets
    assert "2026-07-27" in page.locator("svg.chart").first.locator("text.xlabel").all_text_contents()
    points = drawn(page)
    assert {p["period"] for p in points} <= {f"2026-{m:02d}-{d:02d}" for m in range(3, 9) for d in range(1, 32)}
    alert = page.locator("svg.chart[data-key='Outlet 2'] g.alert")
    assert alert.count() == 1 and alert.get_attribute("data-period") == "2026-06-01"
    assert "Spike alert: week of 2026-06-01" in alert.locator("title").text_content()
    assert "95 % interval" in points[0]["tip"]
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    rows = list(csv.DictReader(download(page, "#export-csv", tmp_path).open(encoding="utf-8")))
    exported = [{"key": r["key"], "period": r["period"], "flagged": int(r["flagged"]), "relevant": int(r["relevant"])}
                for r in rows if int(r["relevant"])]
    assert exported == [{k: p[k] for k in ("key", "period", "flagged", "relevant")} for p in points]
    assert len(rows) == 6 * 18 and {r["period"] for r in rows if r["alert_z"]} == {"2026-06-01"}
    data = json.loads(download(page, "#export-json", tmp_path).read_text(encoding="utf-8"))
    assert (data["from"], data["to"]) == ("2026-03-30", "2026-08-02")
    assert [{k: r[k] for k in ("key", "period", "flagged", "relevant", "rate")} for r in data["rows"]] == [
        {"key": r["key"], "period": r["period"], "flagged": int(r["flagged"]), "relevant": int(r["relevant"]),
         "rate": float(r["rate"]) if r["rate"] else None} for r in rows]
    assert seen == []
