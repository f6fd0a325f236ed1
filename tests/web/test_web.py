"""The workbench over HTTP (FastAPI's TestClient on a real DuckDB file): every route for every role, login,
CSRF, headers, decisions, double review, trends and alerts, export, and decisions landing while locked."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchmarks.serve_bench import MODEL, seed, synthetic
from pipeline.cli import app as cli_app
from pipeline.db import articles, results, review
from pipeline.db.database import Database
from pipeline.web.app import WebConfig, create_app
from pipeline.web.export import label_of
from pipeline.web.highlight import safe_url, segments
from pipeline.web.stats import agreement, cohen_kappa, robust_z, spikes
from tests.web.support import accounts_and_snapshot, csrf

ROLES = ("monitor", "lead", "council", "authority", "admin")
PASSWORD = "correct horse battery"
USERS = {"mia": "monitor", "max": "monitor", "lea": "lead", "cora": "council", "ali": "authority", "ada": "admin"}


@pytest.fixture(scope="module")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A database with 60 synthetic articles (every other one flagged) and one account per role."""
    db = tmp_path_factory.mktemp("web") / "web.duckdb"
    database = Database.open(db)
    ids = seed(database, 60)
    rng = random.Random(7)  # a spike: 20 hateful items of Outlet 2 in the week of 1 June, none before
    spike = [replace(synthetic(i, rng, ["outlet-2"]), url=f"https://spike.example/{i}",
                     published=datetime(2026, 6, 3, tzinfo=UTC)) for i in range(0, 40, 2)]
    with database.held():
        articles.insert_articles(database, spike, None)
        results.save_classifications(database, spike, MODEL, 0.2)
    accounts_and_snapshot(database, USERS, PASSWORD, ids)
    return db, ids


@pytest.fixture(scope="module")
def web_app(web_db: tuple[Path, list[str]]) -> Iterator[Any]:
    """The app on that database (plain-http cookies, as TestClient speaks http)."""
    app = create_app(WebConfig(db=web_db[0], secure_cookies=False))
    with TestClient(app):
        yield app


def client_for(app: Any, user: str | None) -> TestClient:
    """A client signed in as `user` (anonymous for None)."""
    client = TestClient(app, follow_redirects=False)
    if user is not None:
        reply = client.post("/login", data={"username": user, "password": PASSWORD,
                                            "csrf_token": csrf(client.get("/login").text)})
        assert reply.status_code == 303, reply.text[:300]
    return client


def flagged(ids: list[str]) -> str:
    """A flagged item (even indexes are hateful in the synthetic data)."""
    return ids[0]


PAGES = {  # path -> roles allowed
    "/queue": {"monitor", "lead", "admin"}, "/queue?status=unreviewed&lang=en": {"monitor", "lead", "admin"},
    "/items/{id}": {"monitor", "lead", "admin"}, "/agreement": {"lead", "admin"}, "/audit": {"lead", "admin"},
    "/reviews/export.jsonl": {"lead", "admin"}, "/trends": {"authority", "admin"},
    "/trends?period=month&by=target": {"authority", "admin"}, "/alerts": {"authority", "admin"},
    "/alerts.csv": {"authority", "admin"}, "/trends.csv?from=2026-01-01": {"authority", "admin"},
    "/trends.json?by=country": {"authority", "admin"}, "/ranking": {"council", "admin"},
    "/methodology": {"council", "admin"},
    "/evidence/outlet-1": {"council", "admin"}, "/users": {"admin"},
    "/api/queue": {"monitor", "lead", "admin"}, "/api/items/{id}": {"monitor", "lead", "admin"},
    "/api/agreement": {"lead", "admin"}, "/api/trends?by=language": {"authority", "admin"},
    "/api/alerts": {"authority", "admin"}, "/api/ranking": {"council", "admin"},
    "/api/evidence/outlet-1": {"council", "admin"},
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_every_route_enforces_roles(web_app: Any, web_db: tuple[Path, list[str]], path: str) -> None:
    url = path.replace("{id}", flagged(web_db[1]))
    anonymous = client_for(web_app, None).get(url)
    if path.startswith("/api/"):
        assert anonymous.status_code == 401
    else:
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    for name, role in USERS.items():
        reply = clients(web_app)[name].get(url)
        expected = 200 if role in PAGES[path] else 403
        assert reply.status_code == expected, f"{role} {url}: {reply.status_code}"


_CLIENTS: dict[int, dict[str, TestClient]] = {}


def clients(app: Any) -> dict[str, TestClient]:
    """One signed-in client per user, reused across the matrix."""
    if id(app) not in _CLIENTS:
        _CLIENTS[id(app)] = {name: client_for(app, name) for name in USERS}
    return _CLIENTS[id(app)]


def test_writes_enforce_roles_and_csrf(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    item = flagged(web_db[1])
    council = clients(web_app)["cora"]
    token = csrf(council.get("/ranking").text)
    assert council.post(f"/items/{item}/decision", data={"csrf_token": token, "decision": "reject"}).status_code == 403
    monitor = clients(web_app)["mia"]
    assert monitor.post(f"/items/{item}/decision", data={"decision": "reject"}).status_code == 403
    forged = monitor.post(f"/items/{item}/decision", data={"decision": "reject", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert monitor.post(f"/api/items/{item}/decision", json={"decision": "reject"}).status_code == 403
    token = csrf(monitor.get("/queue").text)
    assert monitor.post(f"/items/{item}/assign", data={"csrf_token": token, "reviewer": "max"}).status_code == 403
    assert monitor.post("/users", data={"csrf_token": token, "name": "eve", "role": "admin",
                                        "password": "x" * 10}).status_code == 403
    assert client_for(web_app, None).post("/login", data={"username": "mia", "password": PASSWORD}).status_code == 403


def test_headers_cookie_and_openapi(web_db: tuple[Path, list[str]]) -> None:
    app = create_app(WebConfig(db=web_db[0], secure_cookies=True))
    with TestClient(app) as client:
        reply = client.get("/login")
        csp = reply.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "no-referrer"
        cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
        spec = client.get("/openapi.json").json()
        assert "/api/items/{article_id}/decision" in spec["paths"] and "/login" not in spec["paths"]
        assert client.get("/docs").status_code == 404  # Swagger UI would need a CDN and inline script


def test_login_rate_limited_per_ip_and_user(web_db: tuple[Path, list[str]]) -> None:
    app = create_app(WebConfig(db=web_db[0], secure_cookies=False))
    with TestClient(app, follow_redirects=False) as client:
        token = csrf(client.get("/login").text)
        for _ in range(5):
            bad = client.post("/login", data={"username": "mia", "password": "wrong", "csrf_token": token})
            assert bad.status_code == 401 and "Wrong username or password" in bad.text
        locked = client.post("/login", data={"username": "mia", "password": PASSWORD, "csrf_token": token})
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        other = client.post("/login", data={"username": "max", "password": PASSWORD, "csrf_token": token})
        assert other.status_code == 303


def test_decision_is_stored_audited_and_shown(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    db, ids = web_db
    item = ids[2]
    monitor = clients(web_app)["mia"]
    page = monitor.get(f"/items/{item}")
    assert "Decision" in page.text and '<mark class="ev ev-hate' in page.text
    reply = monitor.post(f"/items/{item}/decision", data={"csrf_token": csrf(page.text), "decision": "confirm",
                                                          "severity": "incitement", "target": "refugees"})
    order = review.queue_ids(Database(db), {})  # on to the next item of the queue
    assert reply.status_code == 303 and reply.headers["location"] == f"/items/{order[order.index(item) + 1]}?saved=1"
    again = monitor.get(f"/items/{item}").text
    assert re.search(r'<td class="decision">confirm</td><td>incitement</td>\s*<td>refugees</td>', again)
    with Database(db).connect() as con:
        rows = con.execute("SELECT decision, severity, target, final FROM reviews WHERE article_id = ?",
                           [item]).fetchall()
        audit = con.execute("SELECT actor, action FROM audit_log WHERE article_id = ?", [item]).fetchall()
    assert rows == [("confirm", "incitement", "refugees", True)] and audit == [("mia", "decision")]
    assert "incitement" in monitor.get("/queue?status=confirmed&severity=incitement").text
    bad = monitor.post(f"/items/{item}/decision", data={"csrf_token": csrf(again), "decision": "confirm",
                                                        "severity": "apocalyptic"})
    assert bad.status_code == 400 and "must be one of" in bad.text


def test_api_decision_and_item(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    item = web_db[1][4]
    lead = clients(web_app)["lea"]
    token = lead.get("/api/me").json()["csrf_token"]
    saved = lead.post(f"/api/items/{item}/decision", json={"decision": "reject", "note": "quoted to criticise"},
                      headers={"X-CSRF-Token": token})
    assert saved.status_code == 200 and saved.json()["stored"] is True
    data = lead.get(f"/api/items/{item}").json()
    assert data["status"] == "rejected" and data["reviews"][-1]["note"] == "quoted to criticise"
    assert lead.get("/api/queue?status=rejected").json()["total"] >= 1
    assert lead.get("/api/queue?status=bogus").status_code == 400


def test_double_review_kappa_and_adjudication(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    ids = web_db[1]
    lead, mia, mx = clients(web_app)["lea"], clients(web_app)["mia"], clients(web_app)["max"]
    token = csrf(lead.get("/queue").text)
    for item in ids[10:20:2]:
        assert lead.post(f"/items/{item}/assign", data={"csrf_token": token,
                                                        "reviewer": ["mia", "max"]}).status_code == 303
    votes_mia = ["confirm", "confirm", "reject", "confirm", "reject"]
    votes_max = ["confirm", "reject", "reject", "confirm", "reject"]
    for item, a, b in zip(ids[10:20:2], votes_mia, votes_max):
        mia.post(f"/items/{item}/decision", data={"csrf_token": csrf(mia.get("/queue").text), "decision": a})
        blind = mx.get(f"/items/{item}").text
        assert "<td>mia</td>" not in blind  # double review is blind until one has decided
        mx.post(f"/items/{item}/decision", data={"csrf_token": csrf(blind), "decision": b})
    disputed = ids[12]
    assert lead.get(f"/api/items/{disputed}").json()["status"] == "disputed"
    assert disputed in [i["id"] for i in lead.get("/api/queue?status=disputed").json()["items"]]
    pairs = lead.get("/api/agreement").json()
    pair = next(p for p in pairs if (p["a"], p["b"]) == ("max", "mia"))
    assert pair["items"] == 5 and pair["agreed"] == 4
    assert pair["kappa"] == pytest.approx(cohen_kappa(list(zip(votes_max, votes_mia))))
    asked = lead.post(f"/items/{disputed}/decision",
                      data={"csrf_token": token, "decision": "reject", "adjudicate": "1"})
    assert asked.status_code == 200 and "btn-final" in asked.text  # a final adjudication asks for a confirmation
    assert lead.get(f"/api/items/{disputed}").json()["status"] == "disputed"
    lead.post(f"/items/{disputed}/decision", data={"csrf_token": token, "decision": "reject", "adjudicate": "1",
                                                   "final_confirmed": "yes"})
    final = lead.get(f"/api/items/{disputed}").json()
    assert final["status"] == "rejected" and final["reviews"][-1]["final"] is True
    assert "kappa" in lead.get("/agreement").text and "mia" in lead.get("/audit").text


def test_export_follows_the_verdict_contract(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    lines = [json.loads(x) for x in clients(web_app)["lea"].get("/reviews/export.jsonl").text.splitlines()]
    assert lines and all(set(x) == {"text", "label", "lang", "target", "split", "source_id"} for x in lines)
    assert all(x["split"] == "train" and x["source_id"].startswith("review:") for x in lines)
    assert {x["label"] for x in lines} <= {"hatespeech", "normal", "offensive"}
    assert label_of("confirm", "offensive") == "offensive" and label_of("confirm", None) == "hatespeech"
    assert label_of("reject", "incitement") == "normal"


def test_authority_sees_aggregates_only(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    authority = clients(web_app)["ali"]
    trends = authority.get("/api/trends?period=month&by=outlet").json()
    assert trends["rows"] and sum(r["flagged"] for r in trends["rows"] if r["key"] == "(all)") > 0
    for path in ("/trends", "/api/trends?by=target", "/alerts", "/alerts.csv", "/trends.csv", "/trends.json"):
        body = authority.get(path).text
        assert "vermin" not in body and "Headline" not in body  # no article text or title
    assert authority.get("/api/trends?period=day").status_code == 400
    alerts = authority.get("/api/alerts").json()
    assert {"week": "2026-06-01", "dimension": "outlet", "key": "Outlet 2", "count": 20} in [
        {k: a[k] for k in ("week", "dimension", "key", "count")} for a in alerts]
    assert "2026-06-01,outlet,Outlet 2,20," in authority.get("/alerts.csv").text


def test_robust_z_spikes_and_kappa() -> None:
    z, med, mad = robust_z(12, [2, 3, 2, 4, 3, 2, 3, 2])
    assert med == 2.5 and mad == 0.5 and z == pytest.approx((12 - 2.5) / 1.4826)
    weeks = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(10)]
    series = {"Outlet A": {w: 2 for w in weeks[:9]} | {weeks[9]: 15}, "Outlet B": {w: 3 for w in weeks}}
    alerts = spikes(series, "outlet", weeks)
    assert [(a.key, a.week, a.count) for a in alerts] == [("Outlet A", weeks[9], 15)]
    assert cohen_kappa([("y", "y"), ("n", "n"), ("y", "n"), ("n", "n")]) == pytest.approx(0.5)
    assert cohen_kappa([]) is None and cohen_kappa([("y", "y")] * 3) == 1.0
    assert agreement([("a1", "r1", "y"), ("a1", "r2", "n"), ("a2", "r1", "y")])[0].items == 1


def test_highlighting_and_links_never_carry_markup() -> None:
    text = "<b>x</b> They are vermin. <script>alert(1)</script>"
    segs = segments(text, [{"start": 9, "end": 26, "text": "They are vermin.", "label": "hate"},
                           {"start": 0, "end": 999, "text": "missing", "label": "bad"},
                           {"start": 14, "end": 20, "text": "are ve", "label": "myth"}])
    assert segs == [("<b>x</b> ", None), ("They are vermin.", "hate, myth"), (" <script>alert(1)</script>", None)]
    assert segments("abc", [{"start": 5, "end": 1, "text": "b"}]) == [("a", None), ("b", "evidence"), ("c", None)]
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "//evil.example/x",
                "vbscript:x", "java\nscript:alert(1)", "/relative", None, 42):
        assert safe_url(bad) is None
    assert safe_url("https://fullfact.org/x?a=1") == "https://fullfact.org/x?a=1"


def test_decision_lands_while_another_process_holds_the_lock(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    db, ids = web_db
    item = ids[30]
    lead = clients(web_app)["lea"]
    token = lead.get("/api/me").json()["csrf_token"]
    time.sleep(0.6)  # let the app's idle connection close
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); sys.stdin.readline()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:  # the other process keeps the database until the decision has been answered
        assert holder.stdout and holder.stdout.readline().strip() == b"locked"
        saved = lead.post(f"/api/items/{item}/decision", json={"decision": "confirm", "severity": "derogatory"},
                          headers={"X-CSRF-Token": token})
        assert saved.status_code == 200 and saved.json()["stored"] is False
        landing = db.with_name(db.name + ".landing.jsonl")
        assert saved.json()["op_id"] in landing.read_text()
    finally:
        holder.communicate(b"release\n", timeout=30)
    deadline = time.monotonic() + 20
    while landing.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    view = lead.get(f"/api/items/{item}").json()
    assert [r["decision"] for r in view["reviews"] if not r.get("pending")] == ["confirm"]
    with Database(db).connect() as con:
        assert con.execute("SELECT count(*) FROM reviews WHERE op_id = ?", [saved.json()["op_id"]]).fetchall() == [(1,)]


def test_createuser_and_export_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["--db", db, "createuser", "nina", "--role", "monitor", "--password-stdin"],
                       input="a long password\n")
    assert ok.exit_code == 0, ok.output
    assert review.users(Database(db))["nina"]["password_hash"].startswith("$argon2id$")
    for args, message in ((["eve", "--role", "root"], "invalid"), (["bad name", "--role", "monitor"], "invalid"),
                          (["eve", "--role", "monitor"], "password-stdin")):
        refused = runner.invoke(cli_app, ["--db", db, "createuser", *args], input="another password\n")
        assert refused.exit_code != 0 and message in str(refused.exception)
    failed = subprocess.run([sys.executable, "-m", "pipeline", "--db", db, "createuser", "nina", "--role", "monitor",
                             "--password-stdin"], input="another password\n", capture_output=True, text=True)
    assert failed.returncode == 1 and failed.stderr.startswith("error:") and "exists already" in failed.stderr
    out = runner.invoke(cli_app, ["--db", db, "reviews", "export"])
    assert out.exit_code == 0 and out.stdout == ""


def test_admin_adds_a_user_and_logout_ends_the_session(web_app: Any) -> None:
    admin = client_for(web_app, "ada")
    token = csrf(admin.get("/users").text)
    weak = admin.post("/users", data={"csrf_token": token, "name": "nora", "role": "lead", "password": "short"})
    assert weak.status_code == 400 and "at least 12" in weak.text
    added = admin.post("/users", data={"csrf_token": token, "name": "nora", "role": "lead", "password": PASSWORD})
    assert added.status_code == 303 and "nora" in admin.get("/users").text
    twice = admin.post("/users", data={"csrf_token": token, "name": "nora", "role": "lead", "password": PASSWORD})
    assert twice.status_code == 400 and "exists already" in twice.text
    nora = client_for(web_app, "nora")
    assert nora.get("/agreement").status_code == 200
    assert nora.post("/logout", data={"csrf_token": csrf(nora.get("/agreement").text)}).status_code == 303
    assert nora.get("/agreement").status_code == 303  # back to the login form
    assert client_for(web_app, None).get("/login?next=//evil.example/x").text.count("evil.example") == 0


@pytest.mark.parametrize("name", sorted(USERS))
def test_write_routes_for_every_role(web_app: Any, web_db: tuple[Path, list[str]], name: str) -> None:
    role, item = USERS[name], web_db[1][40]
    client = clients(web_app)[name]
    token = client.get("/api/me").json()["csrf_token"]
    note = client.post(f"/api/items/{item}/decision", json={"decision": "note", "note": f"seen by {name}"},
                       headers={"X-CSRF-Token": token})
    assert note.status_code == (200 if role in ("monitor", "lead", "admin") else 403)
    assign = client.post(f"/items/{item}/assign", data={"csrf_token": token, "reviewer": "mia"})
    assert assign.status_code == (303 if role in ("lead", "admin") else 403)
    add = client.post("/users", data={"csrf_token": token, "name": f"new-{name}", "role": "monitor",
                                      "password": PASSWORD})
    assert add.status_code == (303 if role == "admin" else 403)
