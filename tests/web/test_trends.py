"""Trends for authorities (FastAPI's TestClient on a real DuckDB file): flagged ÷ relevant per period with its
Wilson interval over a chosen date range, spike alerts on the chart, and CSV and JSON exports that hold exactly
what the chart shows."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, HateResult
from pipeline.db import articles, results, sources
from pipeline.db.database import Database
from pipeline.web.app import WebConfig, create_app
from pipeline.web.stats import wilson
from pipeline.web.trends import TrendInputError, next_start, window
from tests.web.support import accounts_and_snapshot, csrf

PASSWORD = "trend password long"
MODEL = "m@1"
MONDAY = date(2026, 1, 5)
WEEKS = 10
HOSTILE = "=HYPERLINK(\"http://x.test\")<script>alert(1)</script>"


def hate(target: str) -> HateResult:
    """A hateful flag against `target`."""
    return HateResult(True, 0.9, target, "derogatory", (), MODEL)


def week_items(outlet: str, week: int, relevant: int, flagged: int) -> list[Article]:
    """`relevant` relevant items of one outlet in one week, the first `flagged` of them hateful."""
    day = datetime.combine(MONDAY + timedelta(weeks=week, days=2), datetime.min.time(), UTC)
    return [Article(url=f"http://{outlet}.test/{week}/{n}", outlet=outlet, text=f"Text {outlet} {week} {n}",
                    published=day, relevance=0.9, hate=hate("migrants") if n < flagged else None)
            for n in range(relevant)]


def corpus() -> list[Article]:
    """Outlet A: 10 relevant a week, 1 flagged, 8 in week 9 (a spike). Outlet B: 5 relevant a week, none
    flagged, and one flagged item that is not relevant (it must not count). The hostile outlet: 1 of 2."""
    items = [a for w in range(WEEKS) for a in week_items("a", w, 10, 8 if w == 9 else 1)]
    items += [a for w in range(WEEKS) for a in week_items("b", w, 5, 0)]
    items += week_items("h", 9, 2, 1)
    stray = week_items("b", 9, 1, 1)[0]
    return items + [stray.evolve(url="http://b.test/stray", relevance=0.0)]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A signed-in authority on a database holding the corpus."""
    path: Path = tmp_path_factory.mktemp("trends") / "trends.duckdb"
    db = Database.open(path)
    sources.upsert_sources(db, [Outlet("a", "Outlet A", "GB", "en"), Outlet("b", "Outlet B", "FR", "fr"),
                                Outlet("h", HOSTILE, "ES", "es")], [])
    batch = corpus()
    articles.insert_articles(db, batch, None)
    results.save_classifications(db, batch, MODEL, 0.2)
    accounts_and_snapshot(db, {"ali": "authority"}, PASSWORD, [])
    with TestClient(create_app(WebConfig(db=path, secure_cookies=False)), follow_redirects=False) as client:
        reply = client.post("/login", data={"username": "ali", "password": PASSWORD,
                                            "csrf_token": csrf(client.get("/login").text)})
        assert reply.status_code == 303
        yield client


def chart_points(page: str) -> dict[str, list[tuple[str, int, int]]]:
    """Per panel (its key): the (period, flagged, relevant) of every point drawn."""
    out = {}
    for key, body in re.findall(r'<svg class="chart".*?data-key="([^"]*)".*?>(.*?)</svg>', page, re.S):
        out[html.unescape(key)] = [(p, int(f), int(r)) for p, f, r in re.findall(
            r'<g class="point" data-period="([^"]+)" data-flagged="(\d+)" data-relevant="(\d+)">', body)]
    return out


def test_wilson_interval_matches_published_values() -> None:
    low, high = wilson(5, 10) or (0, 0)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 10) or (1, 1)
    assert low == 0.0 and round(high, 4) == 0.2775  # not empty at 0, where the normal approximation is
    assert wilson(0, 0) is None


def test_window_whole_periods_defaults_and_errors() -> None:
    chosen = window("week", date(2026, 1, 7), date(2026, 2, 3), None)
    assert (chosen.start, chosen.end) == (date(2026, 1, 5), date(2026, 2, 2))
    assert len(window("week", None, None, date(2026, 3, 12)).starts()) == 12
    months = window("month", None, date(2026, 2, 10), None).starts()
    assert (months[0], months[-1], len(months)) == (date(2025, 3, 1), date(2026, 2, 1), 12)
    assert next_start(date(2025, 12, 1), "month") == date(2026, 1, 1)
    with pytest.raises(TrendInputError, match="from 2026-03-01 is after to 2026-02-01; choose a from date"):
        window("week", date(2026, 3, 1), date(2026, 2, 1), None)
    with pytest.raises(TrendInputError, match="more than 520 weeks; choose a shorter range or period=month"):
        window("week", date(2000, 1, 1), date(2026, 1, 1), None)


def test_chart_csv_and_json_show_the_same_rows(authority: TestClient) -> None:
    query = "period=week&by=outlet&from=2026-01-07&to=2026-03-12"
    page = authority.get(f"/trends?{query}")
    assert page.status_code == 200
    drawn = chart_points(page.text)
    assert list(drawn) == ["(all)", "Outlet A", HOSTILE, "Outlet B"]  # all first, then most flagged
    assert "<script>alert(1)</script>" not in page.text  # the outlet's name is text, in the chart and table
    rows = list(csv.DictReader(io.StringIO(authority.get(f"/trends.csv?{query}").text)))
    assert {r["key"] for r in rows} == {"(all)", "Outlet A", "'" + HOSTILE, "Outlet B"}  # spreadsheet-safe
    assert len(rows) == 4 * WEEKS and rows[0]["period"] == "2026-01-05" and rows[-1]["period_end"] == "2026-03-15"
    for key, points in drawn.items():
        mine = [r for r in rows if r["key"].removeprefix("'") == key and int(r["relevant"])]
        assert points == [(r["period"], int(r["flagged"]), int(r["relevant"])) for r in mine]
    data = authority.get(f"/trends.json?{query}").json()
    assert (data["from"], data["to"], data["interval"]) == ("2026-01-05", "2026-03-15", "Wilson score interval, 95 %")
    assert [(r["key"], r["period"], r["flagged"]) for r in data["rows"]] == [
        (r["key"].removeprefix("'"), r["period"], int(r["flagged"])) for r in rows]
    assert authority.get(f"/api/trends?{query}").json() == data


def test_rates_intervals_and_the_spike_on_the_chart(authority: TestClient) -> None:
    query = "period=week&by=outlet&from=2026-01-05&to=2026-03-15"
    rows = authority.get(f"/trends.json?{query}").json()["rows"]
    spike = next(r for r in rows if r["key"] == "Outlet A" and r["period"] == "2026-03-09")
    low, high = wilson(8, 10) or (0, 0)
    assert (spike["flagged"], spike["relevant"], spike["rate"]) == (8, 10, 0.8)
    assert (spike["ci_low"], spike["ci_high"]) == (round(low, 4), round(high, 4))
    assert spike["alert_week"] == "2026-03-09" and spike["alert_z"] >= 3.5
    quiet = next(r for r in rows if r["key"] == "Outlet B" and r["period"] == "2026-03-09")
    assert (quiet["flagged"], quiet["relevant"], quiet["alert_z"]) == (0, 5, None)  # the stray is not relevant
    assert [r["key"] for r in rows if r["alert_z"]] == ["Outlet A"]
    page = authority.get(f"/trends?{query}").text
    panel = re.search(r'data-key="Outlet A".*?</svg>', page, re.S)
    assert panel and 'class="alert" data-period="2026-03-09"' in panel.group(0)
    assert page.count('class="alert"') == 1


def test_targets_share_all_relevant_items_and_months(authority: TestClient) -> None:
    rows = authority.get("/trends.json?period=month&by=target&from=2026-01-01&to=2026-03-31").json()["rows"]
    march = {r["key"]: r for r in rows if r["period"] == "2026-03-01"}
    assert set(march) == {"(all)", "migrants"}
    assert march["migrants"]["relevant"] == march["(all)"]["relevant"] and march["migrants"]["flagged"] > 0


def test_default_range_is_the_last_twelve_periods(authority: TestClient) -> None:
    data = authority.get("/trends.json?by=language").json()
    assert (data["from"], data["to"]) == ("2025-12-22", "2026-03-15")  # 12 weeks up to the newest item
    page = authority.get("/trends?by=language").text
    assert 'name="from" value="2025-12-22"' in page and 'href="/trends.csv?period=week&amp;by=language&amp;' \
        'from=2025-12-22&amp;to=2026-03-15"' in page


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-13-01", "from '2026-13-01' is not a date; use YYYY-MM-DD"),
    ("from=2026-03-01&to=2026-01-01", "from 2026-03-01 is after to 2026-01-01"),
    ("period=day", "period 'day' is invalid; must be one of: week, month"),
    ("by=author", "by 'author' is invalid; must be one of: outlet, country, language, target"),
])
def test_bad_requests_say_what_to_change(authority: TestClient, query: str, message: str) -> None:
    for path in ("/trends", "/trends.csv", "/trends.json"):
        reply = authority.get(f"{path}?{query}")
        assert reply.status_code == 400 and message in html.unescape(reply.text), (path, reply.text[:300])


def test_export_needs_the_trends_role(authority: TestClient) -> None:
    anonymous = TestClient(authority.app, follow_redirects=False)
    assert anonymous.get("/trends.csv").status_code == 303 and anonymous.get("/api/trends").status_code == 401


def test_an_empty_database_shows_empty_axes(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "empty.duckdb")
    accounts_and_snapshot(db, {"ali": "authority"}, PASSWORD, [])
    with TestClient(create_app(WebConfig(db=db.path, secure_cookies=False))) as client:
        client.post("/login", data={"username": "ali", "password": PASSWORD,
                                    "csrf_token": csrf(client.get("/login").text)})
        page = client.get("/trends?period=month")
        rows = client.get("/trends.json?period=month").json()["rows"]
    assert page.status_code == 200 and chart_points(page.text) == {"(all)": []}
    assert len(rows) == 12 and {(r["key"], r["relevant"], r["rate"]) for r in rows} == {("(all)", 0, None)}
