"""Review integrity: a lead's adjudication wins until a lead reopens it, and double review stays blind."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from benchmarks.serve_bench import seed
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.app import WebConfig, create_app
from pipeline.web.auth import hash_password
from pipeline.web.db import Landing
from pipeline.web.ops import decision_op

PASSWORD = "correct horse battery staple"
USERS = {"mia": "monitor", "max": "monitor", "lea": "lead"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str], dict[str, TestClient]]]:
    """The workbench on 20 synthetic articles (even ones flagged), one signed-in client per user."""
    path = tmp_path_factory.mktemp("integrity") / "wb.duckdb"
    database = Database.open(path)
    ids = seed(database, 20)
    for name, role in USERS.items():
        assert review.create_user(database, name, role, hash_password(PASSWORD))
    app = create_app(WebConfig(db=path, secure_cookies=False))
    with TestClient(app):
        yield path, ids, {name: _signed_in(app, name) for name in USERS}


def _signed_in(app: Any, name: str) -> TestClient:
    """A client signed in as `name`."""
    client = TestClient(app, follow_redirects=False)
    reply = client.post("/login", data={"username": name, "password": PASSWORD,
                                        "csrf_token": _csrf(client.get("/login").text)})
    assert reply.status_code == 303, reply.text[:300]
    return client


def _csrf(html: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def _decide(client: TestClient, item: str, decision: str, **fields: str) -> None:
    """Post a decision through the item page's form (and a final adjudication through its confirmation page)."""
    token = _csrf(client.get(f"/items/{item}").text)
    reply = client.post(f"/items/{item}/decision", data={"csrf_token": token, "decision": decision, **fields})
    if fields.get("adjudicate"):
        assert reply.status_code == 200 and 'name="final_confirmed" value="yes"' in reply.text, reply.text[:300]
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', reply.text)
        reply = client.post(f"/items/{item}/decision", data={k: html.unescape(v) for k, v in hidden})
    assert reply.status_code == 303, reply.text[:300]


def _assign(lead: TestClient, item: str, *reviewers: str) -> None:
    """Assign an item for double review."""
    token = _csrf(lead.get(f"/items/{item}").text)
    assert lead.post(f"/items/{item}/assign", data={"csrf_token": token,
                                                    "reviewer": list(reviewers)}).status_code == 303


def _queue_row(client: TestClient, item: str) -> dict[str, Any]:
    """The item's row in /api/queue as this client sees it."""
    rows = client.get("/api/queue?page=1").json()["items"] + client.get("/api/queue?page=2").json()["items"]
    return next(r for r in rows if r["id"] == item)


def test_adjudication_wins_over_a_later_decision_until_a_lead_reopens(bench: Any) -> None:
    path, ids, c = bench
    item = ids[2]
    _assign(c["lea"], item, "mia", "max")
    _decide(c["mia"], item, "confirm", severity="incitement")
    _decide(c["max"], item, "reject")
    _decide(c["lea"], item, "reject", adjudicate="1")
    _decide(c["mia"], item, "confirm", severity="incitement")  # a monitor's later decision changes nothing
    db = Database(path)
    assert review.review_verdicts(db, [item])[item]["decision"] == "reject"
    assert c["lea"].get(f"/api/items/{item}").json()["status"] == "rejected"
    assert _queue_row(c["lea"], item)["status"] == "rejected"
    assert item in review.queue_ids(db, {"status": "rejected"})
    token = c["mia"].get("/api/me").json()["csrf_token"]
    assert c["mia"].post(f"/api/items/{item}/reopen", json={}, headers={"X-CSRF-Token": token}).status_code == 403
    assert c["mia"].post(f"/items/{item}/reopen", data={"csrf_token": token}).status_code == 403
    assert review.review_verdicts(db, [item])[item]["decision"] == "reject"
    page = c["lea"].get(f"/items/{item}").text
    assert "btn-reopen" in page
    reopened = c["lea"].post(f"/items/{item}/reopen", data={"csrf_token": _csrf(page), "note": "new evidence"})
    assert reopened.status_code == 303
    assert review.review_verdicts(db, [item])[item]["decision"] == "confirm"  # the latest decision counts again
    assert c["lea"].get(f"/api/items/{item}").json()["status"] == "disputed"
    with db.connect() as con:
        audit = con.execute("SELECT actor, action, detail FROM audit_log WHERE article_id = ? AND action = 'reopen'",
                            [item]).fetchall()
    assert [(a, b, json.loads(d)["note"]) for a, b, d in audit] == [("lea", "reopen", "new evidence")]
    _decide(c["lea"], item, "confirm", adjudicate="1", severity="offensive")
    assert review.review_verdicts(db, [item])[item]["severity"] == "offensive"


def test_double_review_is_blind_in_the_queue_the_item_and_the_landing_file(bench: Any) -> None:
    path, ids, c = bench
    item, waiting = ids[4], ids[6]
    _assign(c["lea"], item, "mia", "max")
    _assign(c["lea"], waiting, "mia", "max")
    model = c["lea"].get(f"/api/items/{item}").json()
    severity, target = ("incitement", "religion") if model["severity"] != "incitement" else ("offensive", "other")
    _decide(c["mia"], item, "confirm", severity=severity, target=target, note="mia-private-note")
    landing = Landing(path.with_name(path.name + ".landing.jsonl"))
    landing.append(decision_op("mia", waiting, "confirm", severity, target, "mia-pending-note", False))
    try:
        row = _queue_row(c["max"], item)
        assert (row["status"], row["severity"], row["target"]) == ("unreviewed", model["severity"], model["target"])
        assert item not in [r["id"] for r in c["max"].get("/api/queue?status=confirmed").json()["items"]]
        assert item not in c["max"].get(f"/queue?severity={severity}&target={target}").text
        for seen in (c["max"].get(f"/api/items/{item}").text, c["max"].get(f"/items/{item}").text,
                     c["max"].get(f"/api/items/{waiting}").text, c["max"].get(f"/items/{waiting}").text):
            assert "mia-private-note" not in seen and "mia-pending-note" not in seen
            assert '"reviewer":"mia"' not in seen and "<td>mia</td>" not in seen
        assert c["max"].get(f"/api/items/{item}").json()["status"] == "unreviewed"
        assert "mia-pending-note" in c["lea"].get(f"/api/items/{waiting}").text  # leads see everything
        lead_row = _queue_row(c["lea"], item)
        assert (lead_row["status"], lead_row["severity"], lead_row["target"]) == ("confirmed", severity, target)
        assert "mia-private-note" in c["lea"].get(f"/items/{item}").text
    finally:
        landing.path.unlink(missing_ok=True)
    _decide(c["max"], item, "reject")  # once decided, the other decisions show
    assert "mia-private-note" in c["max"].get(f"/api/items/{item}").text
    assert _queue_row(c["max"], item)["status"] == "disputed"
