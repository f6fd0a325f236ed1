"""The workbench in real headless chromium (Debian's, driven by Playwright): sign in, review with the keyboard,
see the decision after a reload, and render items from hostile feeds without running anything they carry.
Screenshots of the main pages go to test-artifacts/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from benchmarks.serve_bench import free_port, seed, start_server, stop
from pipeline.core.config import Settings
from pipeline.core.loopback import LoopbackServer, QuietHandler, running
from pipeline.core.outlets import Feed, Outlet
from pipeline.core.record import Article, ClaimMatch, Criterion, HateResult, RubricResult, Span
from pipeline.db import rankings, results, review, sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.web.auth import hash_password

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "browser password"
# Each payload sets a flag or opens a dialog if it ever runs.
XSS = [
    "<script>window.__xw_pwned = 1</script>",
    "<img src=x onerror=\"window.__xw_pwned = 2\">",
    "<svg onload=\"alert('svg')\"></svg>",
    "<a href=\"javascript:alert('js')\">click</a>",
    "<iframe src=\"data:text/html,<script>parent.__xw_pwned = 3</script>\"></iframe>",
    "<div style=\"background:url(javascript:alert('css'));width:expression(alert('ie'))\">css</div>",
    "\"><script>alert('attr')</script>",
    "<style>@import 'http://127.0.0.1:1/x.css';</style>",
]
HOSTILE_TEXT = "Migrants are vermin, throw them out. " + " ".join(XSS)
HATE = "Migrants are vermin, throw them out."


def hostile_feed(base: str) -> bytes:
    """A JSON Feed whose title, text, author and link carry the payloads (JSON Feed text is taken verbatim)."""
    escaped = "&lt;script&gt;alert('title')&lt;/script&gt;"  # tags in a title are stripped; entities come back
    items = [{"id": f"x{i}", "url": f"{base}/post/{i}", "title": f"{XSS[i]} {escaped} Hostile {i}",
              "content_text": HOSTILE_TEXT, "authors": [{"name": XSS[(i + 1) % len(XSS)]}],
              "date_published": f"2026-03-0{i % 9 + 1}T10:00:00Z"} for i in range(3)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": XSS[0], "items": items}).encode()


class _Feed(QuietHandler):
    server: LoopbackServer

    def do_GET(self) -> None:  # noqa: N802
        """The hostile feed at any path."""
        self.reply(200, hostile_feed(self.server.base), {"Content-Type": "application/feed+json"})


def classify_hostile(database: Database) -> list[str]:
    """A deterministic stand-in for the classifier: flag every ingested item with evidence on the hateful
    sentence and on the payloads, a myth with hostile fact-check links, and a rubric finding."""
    articles = [a for a in results.pending_classification(database, "browser-model") if "Hostile" in a.title]
    out = []
    for a in articles:
        start = a.text.find(HATE)
        spans = (Span(start, start + len(HATE), HATE, "hate"), Span(start + len(HATE) + 1, len(a.text),
                                                                    a.text[start + len(HATE) + 1:], "hate"))
        title_span = (Span(0, len(a.title), a.title, "hate", "title"),)
        myths = (ClaimMatch("m1", XSS[1], XSS[2], XSS[4], "javascript:alert('myth')", 0.9, spans[0]),
                 ClaimMatch("m2", "claim two", "false", "checker", "data:text/html,<script>alert(1)</script>", 0.8,
                            spans[0]))
        crit = Criterion("hate_flag", 0.1, 1.0, XSS[3], XSS[5], spans[1:], (XSS[6],))
        out.append(Article(**{f: getattr(a, f) for f in ("url", "outlet", "title", "text", "kind", "published",
                                                         "author", "feed_url", "guid", "extraction", "lang")},
                           relevance=0.9, hate=HateResult(True, 0.99, "migrants", "incitement", spans + title_span,
                                                          "browser-model"), misinformation=myths,
                           rubric=RubricResult(10.0, "browser-rubric", (crit,))))
    results.save_classifications(database, out, "browser-model", 0.2)
    results.save_rubric(database, out, "browser-model")
    return [a.id for a in out]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Hostile items ingested through the real ingest path, synthetic ones, accounts, a ranking, and a running
    server with Secure cookies (chromium sends them to http://127.0.0.1, a secure context)."""
    db = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    database = Database.open(db)
    ids = seed(database, 40)
    with running(LoopbackServer(_Feed)) as feeds:
        sources.upsert_sources(database, [Outlet(id="hostile", name=XSS[1] + " Outlet", country="GB")],
                               [Feed(url=feeds.base + "/feed.json", outlet_id="hostile", kind="jsonfeed")])
        settings = Settings(db=db, fetch_pages=False, timeout_s=5)
        with ThreadPoolExecutor(1) as pool:  # the ingest runs its own event loop; Playwright's runs here
            summary = pool.submit(jobs.ingest_feeds, database, settings, sources.feeds(database), None).result()
    assert summary.as_dict()["new"] == 3
    hostile = classify_hostile(database)
    with database.connect() as con:
        stored = con.execute("SELECT title, text, author FROM articles WHERE id = ?", [hostile[0]]).fetchall()[0]
    # the payloads reached the database (tags in titles are stripped by ingest, escaped ones come back as text)
    assert "<script>" in stored[1] and "onerror" in stored[1] and "<script>" in stored[0], stored
    digest = hash_password(PASSWORD)
    for name, role in (("mona", "monitor"), ("root", "admin")):
        review.create_user(database, name, role, digest)
    rankings.save_snapshot(database, {"id": "snap-b", "year": 2026, "rubric_version": "bench-rubric", "models": {},
                                      "parameters": {}, "article_ids": ids},
                           [{"category": "overall", "outlet_id": f"outlet-{k}", "rank": k + 1, "score": 90.0 - k,
                             "ci_low": 80.0 - k, "ci_high": 95.0 - k, "n_articles": 8, "status": "ranked"}
                            for k in range(3)])
    port = free_port()
    server = start_server(db, port, secure_cookies=True)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "hostile": hostile, "ids": ids, "db": db}
    finally:
        stop(server)



@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh context (no cookies) and page for each test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def watched(page: Any) -> Iterator[dict[str, list[str]]]:
    """Every dialog, page error and console error of the page."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "console": []}

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("console", lambda msg: seen["console"].append(msg.text) if msg.type == "error" else None)
    yield seen


def sign_in(page: Any, base: str, user: str) -> None:
    """Use the login form."""
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_review_with_keyboard_and_decision_survives_reload(page: Any, site: dict[str, Any],
                                                           watched: dict[str, list[str]]) -> None:
    sign_in(page, site["base"], "mona")
    assert page.url.endswith("/queue")
    shot(page, "queue")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/items/**")
    decided = page.url
    page.select_option("#severity", "dehumanising")
    page.keyboard.press("c")
    page.wait_for_url("**saved=1**")  # on to the next item
    page.goto(decided)
    row = page.locator("tr.review").first
    assert row.locator("td.decision").inner_text() == "confirm" and "dehumanising" in row.inner_text()
    assert "mona" in row.inner_text()
    shot(page, "item")
    assert watched == {"dialogs": [], "errors": [], "console": []}


def test_hostile_items_render_as_text_and_run_nothing(page: Any, site: dict[str, Any],
                                                      watched: dict[str, list[str]]) -> None:
    sign_in(page, site["base"], "mona")
    for item in site["hostile"]:
        page.goto(f"{site['base']}/items/{item}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xw_pwned") is None
        text = page.locator("div.text").inner_text()
        assert "<script>window.__xw_pwned = 1</script>" in text and "onerror=" in text
        assert page.locator("div.text mark.ev").count() >= 1
        assert page.locator("script").count() == 1 and page.locator("iframe, svg, img, style").count() == 0
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in hrefs if not h.startswith(("/", "http://127.0.0.1"))], hrefs
    page.goto(site["base"] + "/queue?outlet=hostile")
    assert page.locator("tr.row").count() == 3 and page.evaluate("window.__xw_pwned") is None
    shot(page, "hostile-item-queue")
    assert watched == {"dialogs": [], "errors": [], "console": []}


def test_trends_and_ranking_pages(page: Any, site: dict[str, Any], watched: dict[str, list[str]]) -> None:
    sign_in(page, site["base"], "root")
    page.goto(site["base"] + "/trends?period=month&by=outlet")
    assert page.locator("svg.chart g.point").count() >= 1 and page.locator("table.trends tr").count() > 2
    shot(page, "trends")
    page.goto(site["base"] + "/ranking")
    assert page.locator("table.ranking tr").count() == 4
    shot(page, "ranking")
    page.goto(site["base"] + "/alerts")
    shot(page, "alerts")
    page.goto(site["base"] + "/users")
    assert page.locator("text=mona").count() >= 1
    assert watched == {"dialogs": [], "errors": [], "console": []}
