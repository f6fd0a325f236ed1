"""A monitor's journey in real headless chromium (Debian's, driven by Playwright), keyboard only: sign in, open
the queue, review ten items with auto-advance, severity and target keys, a corrected evidence span, a note saved
with Ctrl+Enter, the guideline, and one undo. A lead's final adjudication takes a deliberate confirmation, and a
bulk action covers a selection. Screenshots go to docs/screenshots/journey-*.png."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.serve_bench import MODEL, free_port, seed, start_server, stop
from pipeline.core.record import Article, HateResult, Span
from pipeline.db import articles, results, review
from pipeline.db.database import Database
from pipeline.web.auth import hash_password

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "journey password"
POST = ("They should all be sent back on the next boat, every one of them, before they take over the town. "
        "Posted under a local news story.")


def _post() -> Article:
    """An untitled social post, flagged with the highest priority (so it leads the queue)."""
    start = POST.index("sent back")
    return Article(url="https://social.example/@someone/9", outlet="outlet-2", title="", text=POST, kind="post",
                   published=datetime(2026, 2, 1, tzinfo=UTC), lang="en", relevance=0.9,
                   hate=HateResult(True, 0.99, "migrants", "incitement", (Span(start, start + 9, "sent back", "hate"),),
                                   MODEL))


def _dispute(database: Database, item: str) -> None:
    """Double review of `item` by two monitors who disagree."""
    ops: list[dict[str, Any]] = [{"op_id": "j-assign", "at": "2026-05-01T10:00:00", "kind": "assign", "actor": "lea",
                                  "article_id": item, "reviewers": ["mo1", "mo2"]}]
    for n, (name, decision) in enumerate((("mo1", "confirm"), ("mo2", "reject"))):
        ops.append({"op_id": f"j-{name}", "at": f"2026-05-01T11:0{n}:00", "kind": "decision", "actor": name,
                    "article_id": item, "decision": decision, "round": 1})
    review.record_ops(database, ops)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """30 synthetic articles (15 flagged) and an untitled post, accounts, a disputed item, and a running server
    with Secure cookies (chromium sends them to http://127.0.0.1, a secure context)."""
    db = tmp_path_factory.mktemp("journey") / "journey.duckdb"
    database = Database.open(db)
    seed(database, 30)
    post = _post()
    with database.held():
        articles.insert_articles(database, [post], None)
        results.save_classifications(database, [post], MODEL, 0.2)
    digest = hash_password(PASSWORD)
    for name, role in (("mona", "monitor"), ("mo1", "monitor"), ("mo2", "monitor"), ("lea", "lead")):
        review.create_user(database, name, role, digest)
    order = review.queue_ids(database, {})
    assert order[0] == post.id and len(order) == 16
    _dispute(database, order[-1])
    port = free_port()
    server = start_server(db, port, secure_cookies=True)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "db": db, "order": order}
    finally:
        stop(server)



@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh context and page, failing the test on any page error, console error or dialog."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(str(exc)))
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    tab.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()
    assert problems == []


def keyboard_sign_in(page: Any, base: str, user: str) -> None:
    """The login form, typed (the user name field has the focus)."""
    page.goto(base + "/login")
    # autofocus may land after "load" on a busy machine: keys typed before it would be lost (CI saw a 401)
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    assert page.input_value("input[name=username]") == user
    assert page.input_value("input[name=password]") == PASSWORD
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith("/queue"))


def arrive(page: Any, item: str, flag: str) -> None:
    """Wait until the page is the item, with the flag (saved=1, undone=1) in its address."""
    page.wait_for_url(lambda url: f"/items/{item}?" in url and flag in url)
    page.wait_for_load_state("load")


def shot(page: Any, name: str) -> None:
    """A full-page screenshot under docs/screenshots."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def read(db: Path, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
    """Rows from the server's database (the server lends its lock out between requests)."""
    with Database(db).connect() as con:
        return con.execute(sql, args).fetchall()


def test_a_monitor_reviews_ten_items_with_the_keyboard_only(page: Any, site: dict[str, Any]) -> None:
    base, order = site["base"], site["order"]
    keyboard_sign_in(page, base, "mona")
    excerpt = page.locator("tr.row").first.locator("span.excerpt")
    assert excerpt.inner_text().startswith("They should all be sent back on the next boat")
    shot(page, "journey-queue")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: f"/items/{order[0]}" in url)
    for k in range(10):
        if k == 0:  # severity 3 (dehumanising), target Shift+5 (religion)
            page.keyboard.press("3")
            page.keyboard.press("Shift+Digit5")
            assert page.input_value("#severity") == "dehumanising" and page.input_value("#target") == "religion"
        if k == 1:  # e: the evidence field (nothing selected), typed, Escape back to the page's keys
            page.keyboard.press("e")
            page.keyboard.type("vermin")
            page.keyboard.press("Escape")
        if k == 2:  # g opens the guideline; the Undo of the last decision is on the page
            page.keyboard.press("g")
            assert page.locator("#guideline").get_attribute("open") is not None
            assert page.locator("#guideline table.guide").is_visible() and page.locator("#btn-undo").is_visible()
            shot(page, "journey-item")
        if k == 5:  # n: a note, saved with Ctrl+Enter, and the page stays
            page.keyboard.press("n")
            page.keyboard.type("reads as a quote of a politician")
            with page.expect_navigation():  # the address stays the same: wait for the reload itself
                page.keyboard.press("Control+Enter")
            assert page.locator("tr.review td.decision", has_text="note").count() == 1
        page.keyboard.press("c" if k % 2 == 0 else "r")
        arrive(page, order[k + 1], "saved=1")
        if k == 3:  # u: the decision on item 3 is withdrawn and the page goes back to it; decided again
            page.keyboard.press("u")
            arrive(page, order[3], "undone=1")
            assert page.locator("#undone").is_visible()
            page.keyboard.press("c")
            arrive(page, order[4], "saved=1")
    rows = read(site["db"], "SELECT article_id, decision, severity, target, evidence, note FROM reviews "
                            "WHERE reviewer = 'mona' ORDER BY created_at, id", [])
    decisions = [r for r in rows if r[1] != "note"]
    assert [r[0] for r in decisions] == order[:10]  # ten items, each decided once
    assert [r[1] for r in decisions] == ["confirm", "reject", "confirm", "confirm", "confirm", "reject", "confirm",
                                         "reject", "confirm", "reject"]
    assert decisions[0][2:4] == ("dehumanising", "religion")
    assert json.loads(decisions[1][4])[0]["text"] == "vermin"
    assert [(r[0], r[5]) for r in rows if r[1] == "note"] == [(order[5], "reads as a quote of a politician")]
    undo = read(site["db"], "SELECT article_id, detail FROM audit_log WHERE action = 'undo'", [])
    assert [(a, json.loads(d)["decision"]) for a, d in undo] == [(order[3], "reject")]


def test_a_final_adjudication_is_deliberate_and_bulk_actions_cover_a_selection(page: Any, site: dict[str, Any]) -> None:
    base, disputed = site["base"], site["order"][-1]
    keyboard_sign_in(page, base, "lea")
    page.goto(f"{base}/items/{disputed}")
    assert page.locator("#adjudicate").is_checked()  # disputed: the lead's decision would be final
    page.keyboard.press("c")
    page.wait_for_selector("#btn-final")
    for key in ("c", "r", "u", "Enter", "j"):  # no stray key settles it
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert page.locator("#btn-final").is_visible()
    assert read(site["db"], "SELECT count(*) FROM reviews WHERE reviewer = 'lea'", []) == [(0,)]
    page.click("#btn-final")
    page.wait_for_url(lambda url: "saved=1" in url)
    assert read(site["db"], "SELECT decision, round, final FROM reviews WHERE reviewer = 'lea'", []) == [
        ("confirm", 2, True)]
    page.goto(f"{base}/queue?from=2026-01-25&to=2026-02-03")
    picked = [page.locator("tr.row").nth(n).locator("input.pick").get_attribute("value") for n in (0, 1)]
    for key in ("j", "x", "j", "x"):
        page.keyboard.press(key)
    page.click("#bulk-reject")
    page.wait_for_url(lambda url: "bulk=2" in url)
    assert "2 decisions saved" in page.locator("p.saved").inner_text()
    rows = read(site["db"], "SELECT article_id, round FROM reviews WHERE reviewer = 'lea' AND decision = 'reject'", [])
    assert sorted(rows) == sorted((p, 1) for p in picked)
