"""Reviewing fast (issue 17) over HTTP on a real DuckDB file: auto-advance, undo within the session, a deliberate
final adjudication, first words of untitled posts, search and a date range, bulk decisions, the severity
guideline, corrected evidence spans, and account changes on /users and in the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchmarks.serve_bench import MODEL, seed
from pipeline.cli import app as cli_app
from pipeline.core.record import Article, HateResult, Span
from pipeline.db import articles, results, review
from pipeline.db.database import Database
from pipeline.web.app import WebConfig, create_app
from pipeline.web.guideline import parse_blocks
from tests.web.support import accounts_and_snapshot, csrf
from tests.web.support import signed_in as support_signed_in

PASSWORD = "correct horse battery"
USERS = {"mia": "monitor", "max": "monitor", "lea": "lead", "cora": "council", "ada": "admin", "dan": "monitor",
         "eve": "monitor"}
POST_TEXT = ("Ces gens sont des parasites qui envahissent nos quartiers, dit le message publié hier soir "
             "sur le réseau, avant d'appeler à les chasser.")
HOSTILE_GUIDE = "# <script>alert(1)</script> levels\n\n| level | meaning |\n|---|---|\n| `<b>x</b>` | <img src=x> |\n"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str], Any]]:
    """40 synthetic articles (even ones flagged), an untitled flagged social post, accounts, and the app."""
    path = tmp_path_factory.mktemp("flow") / "flow.duckdb"
    database = Database.open(path)
    ids = seed(database, 40)
    start = POST_TEXT.index("parasites")
    post = Article(url="https://social.example/@someone/1", outlet="outlet-1", title="", text=POST_TEXT, kind="post",
                   published=datetime(2026, 3, 2, tzinfo=UTC), lang="fr", relevance=0.9,
                   hate=HateResult(True, 0.97, "migrants", "dehumanising",
                                   (Span(start, start + 9, "parasites", "hate"),), MODEL))
    with database.held():
        articles.insert_articles(database, [post], None)
        results.save_classifications(database, [post], MODEL, 0.2)
    accounts_and_snapshot(database, USERS, PASSWORD, ids)
    app = create_app(WebConfig(db=path, secure_cookies=False))
    with TestClient(app):
        yield path, ids + [post.id], app


def client_for(app: Any, user: str, password: str = PASSWORD) -> TestClient:
    """A client signed in as `user`."""
    return support_signed_in(app, user, password)


def decide(client: TestClient, item: str, decision: str, query: str = "", **fields: str) -> Any:
    """Post a decision through the item page's form; the reply (a redirect, a confirmation page or an error)."""
    token = csrf(client.get(f"/items/{item}").text)
    return client.post(f"/items/{item}/decision", data={"csrf_token": token, "decision": decision, "query": query,
                                                        **fields})


def reviews_of(path: Path, item: str) -> list[tuple[Any, ...]]:
    """(reviewer, decision, round, final, evidence) of an item's stored reviews."""
    with Database(path).connect() as con:
        return con.execute("SELECT reviewer, decision, round, final, evidence FROM reviews WHERE article_id = ? "
                           "ORDER BY created_at, id", [item]).fetchall()


def test_a_decision_advances_to_the_next_item_and_a_note_stays(bench: Any) -> None:
    path, ids, app = bench
    mia = client_for(app, "mia")
    order = review.queue_ids(Database(path), {"to": "2026-01-14"})  # items 0 to 8: no other test decides them
    assert len(order) == 5
    first, second = order[0], order[1]
    reply = decide(mia, first, "reject", query="to=2026-01-14")
    assert reply.status_code == 303 and reply.headers["location"] == f"/items/{second}?saved=1&to=2026-01-14"
    page = mia.get(reply.headers["location"]).text
    assert 'id="btn-undo"' in page and "<strong>reject</strong>" in page  # the Undo of the decision just made
    note = decide(mia, second, "note", query="to=2026-01-14", note="looks like satire")
    assert note.headers["location"] == f"/items/{second}?saved=1&to=2026-01-14"
    last = decide(mia, order[-1], "confirm", query="to=2026-01-14")
    assert last.headers["location"] == "/queue?saved=1&to=2026-01-14"  # the end of the queue: back to it
    assert 'id="btn-undo"' in mia.get(last.headers["location"]).text


def test_undo_withdraws_only_the_last_decision_of_this_session(bench: Any) -> None:
    path, ids, app = bench
    dan, other_session = client_for(app, "dan"), client_for(app, "dan")
    item = ids[20]
    assert decide(dan, item, "confirm", severity="incitement").status_code == 303
    assert [r[:2] for r in reviews_of(path, item)] == [("dan", "confirm")]
    token = csrf(dan.get(f"/items/{item}").text)
    assert dan.post("/undo", data={}).status_code == 403  # CSRF
    assert other_session.post("/undo", data={"csrf_token": csrf(other_session.get("/queue").text)}).status_code == 409
    undone = dan.post("/undo", data={"csrf_token": token, "query": "status=unreviewed"})
    assert undone.status_code == 303 and undone.headers["location"] == f"/items/{item}?undone=1&status=unreviewed"
    assert reviews_of(path, item) == [] and "withdrawn" in dan.get(undone.headers["location"]).text
    assert dan.post("/undo", data={"csrf_token": token}).status_code == 409  # once only
    with Database(path).connect() as con:
        audit = con.execute("SELECT action, detail FROM audit_log WHERE article_id = ? ORDER BY id", [item]).fetchall()
    assert [a for a, _ in audit] == ["decision", "undo"] and json.loads(audit[1][1])["decision"] == "confirm"


def test_undo_cannot_unblind_a_double_review(bench: Any) -> None:
    path, ids, app = bench
    lea, mia, mx = client_for(app, "lea"), client_for(app, "mia"), client_for(app, "max")
    item = ids[22]
    token = csrf(lea.get(f"/items/{item}").text)
    assert lea.post(f"/items/{item}/assign", data={"csrf_token": token, "reviewer": ["mia", "max"]}).status_code == 303
    decide(mia, item, "confirm")
    decide(mx, item, "reject")
    refused = mx.post("/undo", data={"csrf_token": csrf(mx.get("/queue").text)})
    assert refused.status_code == 409 and "double review" in refused.text
    assert [r[:2] for r in reviews_of(path, item)] == [("mia", "confirm"), ("max", "reject")]


def test_a_final_adjudication_needs_a_confirmation(bench: Any) -> None:
    path, ids, app = bench
    lea, mia = client_for(app, "lea"), client_for(app, "mia")
    item = ids[24]
    asked = decide(lea, item, "reject", adjudicate="1", note="final <b>call</b>")
    assert asked.status_code == 200 and 'id="btn-final"' in asked.text and 'data-page="confirm-final"' in asked.text
    assert "final &lt;b&gt;call&lt;/b&gt;" in asked.text and reviews_of(path, item) == []
    assert decide(lea, item, "confirm", adjudicate="1", severity="apocalyptic").status_code == 400
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.text))
    assert hidden["final_confirmed"] == "yes" and hidden["decision"] == "reject"
    done = lea.post(f"/items/{item}/decision", data=hidden)
    assert done.status_code == 303 and reviews_of(path, item)[0][:4] == ("lea", "reject", 2, True)
    monitor = decide(mia, ids[26], "confirm", adjudicate="1", final_confirmed="yes")  # only a lead adjudicates
    assert monitor.status_code == 303 and reviews_of(path, ids[26])[0][:3] == ("mia", "confirm", 1)


def test_untitled_posts_show_their_first_words_and_purge_clears_corrected_evidence(bench: Any) -> None:
    path, ids, app = bench
    mia, post = client_for(app, "mia"), ids[-1]
    queue = mia.get("/queue?lang=fr&q=parasites").text
    assert '<span class="excerpt">Ces gens sont des parasites qui envahissent nos quartiers, dit le message' in queue
    assert "(no title)" not in queue and queue.count('class="row ') == 1
    assert mia.get("/api/queue?q=PARASITES").json()["items"][0]["excerpt"].endswith("…")
    assert decide(mia, post, "confirm", evidence="appeler à les chasser").status_code == 303
    assert json.loads(reviews_of(path, post)[0][4])[0]["text"] == "appeler à les chasser"
    assert articles.purge_posts(Database(path), datetime(2026, 4, 1, tzinfo=UTC)) == 1
    assert reviews_of(path, post)[0][4] is None
    with Database(path).connect() as con:
        details = [r[0] for r in con.execute("SELECT detail FROM audit_log WHERE article_id = ?", [post]).fetchall()]
    assert details and not any("chasser" in d for d in details)


def test_queue_search_and_date_range(bench: Any) -> None:
    path, ids, app = bench
    mia = client_for(app, "mia")
    found = mia.get("/api/queue?q=story 10 about").json()["items"]
    assert [r["title"] for r in found] == ["Headline 10"]
    january = mia.get("/api/queue?from=2026-01-05&to=2026-01-12").json()["items"]
    assert january and all("2026-01-05" <= str(r["published"])[:10] <= "2026-01-12" for r in january)
    assert len(january) < mia.get("/api/queue").json()["total"]
    page = mia.get("/queue?from=2026-01-05&to=2026-01-12&q=headline").text
    assert 'value="2026-01-05"' in page and 'value="headline"' in page and "from=2026-01-05" in page
    for bad, message in (("from=2026-13-01", "YYYY-MM-DD"), ("to=yesterday", "YYYY-MM-DD"),
                         ("from=2026-02-01&to=2026-01-01", "must not be after"), ("q=" + "x" * 201, "at most 200")):
        reply = mia.get(f"/queue?{bad}")
        assert reply.status_code == 400 and message in reply.text, bad


def test_bulk_decisions_are_checked_and_audited_one_by_one(bench: Any) -> None:
    path, ids, app = bench
    lea, cora = client_for(app, "lea"), client_for(app, "cora")
    chosen = [ids[30], ids[32], ids[34]]
    token = csrf(lea.get("/queue").text)
    assert lea.post("/queue/bulk", data={"decision": "reject", "item": chosen}).status_code == 403  # CSRF
    assert cora.post("/queue/bulk", data={"csrf_token": csrf(cora.get("/ranking").text), "decision": "reject",
                                          "item": chosen}).status_code == 403
    for data, message in (({"decision": "reject"}, "no item is selected"),
                          ({"decision": "delete", "item": chosen}, "must be one of"),
                          ({"decision": "reject", "item": ["nope"]}, "there is no item"),
                          ({"decision": "reject", "item": [f"x{i}" for i in range(101)]}, "at most 100")):
        reply = lea.post("/queue/bulk", data={"csrf_token": token, **data})
        assert reply.status_code == 400 and message in reply.text
    done = lea.post("/queue/bulk", data={"csrf_token": token, "decision": "reject", "item": chosen, "query": "lang=en"})
    assert done.status_code == 303 and done.headers["location"] == "/queue?bulk=3&saved=1&lang=en"
    for item in chosen:  # never a final adjudication, even from a lead
        assert [r[:4] for r in reviews_of(path, item)] == [("lea", "reject", 1, True)]
    with Database(path).connect() as con:
        audit = con.execute("SELECT article_id, action, detail FROM audit_log WHERE article_id IN (SELECT unnest(?))",
                            [chosen]).fetchall()
    assert sorted(a for a, _, _ in audit) == sorted(chosen) and {b for _, b, _ in audit} == {"decision"}
    assert len({json.loads(d)["bulk"] for _, _, d in audit}) == 1
    assert "3 decisions saved" in lea.get(done.headers["location"]).text


def test_the_severity_guideline_is_on_the_item_page_and_escaped(bench: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path, ids, app = bench
    mia = client_for(app, "mia")
    page = mia.get(f"/items/{ids[0]}").text
    guide = page[page.index('<details class="guideline"'):page.index("</details>")]
    assert "Rabat" in guide and guide.count("<tr>") == 6 and "<code>incitement</code>" in guide
    blocks = parse_blocks(HOSTILE_GUIDE)
    assert [b["kind"] for b in blocks] == ["heading", "table"] and blocks[1]["rows"][0][0] == [("<b>x</b>", True)]
    monkeypatch.setattr("pipeline.web.routes.review.severity_guideline", lambda: blocks)
    hostile = mia.get(f"/items/{ids[0]}").text
    assert "<script>alert(1)" not in hostile and "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "<img src=x>" not in hostile and "<code>&lt;b&gt;x&lt;/b&gt;</code>" in hostile


def test_a_corrected_evidence_span_is_stored_and_shown(bench: Any) -> None:
    path, ids, app = bench
    eve, item = client_for(app, "eve"), ids[36]
    text = "Story 36 about the harbour and the people who arrived this week. They are vermin and must be thrown out."
    start = text.index("must be thrown out")
    assert decide(eve, item, "reject", evidence="never written there").status_code == 400
    assert decide(eve, item, "confirm", evidence="must be thrown out", evidence_start=str(start)).status_code == 303
    stored = json.loads(reviews_of(path, item)[0][4])
    assert stored == [{"start": start, "end": start + 18, "text": "must be thrown out", "label": "review",
                       "field": "text"}]
    page = eve.get(f"/items/{item}").text
    assert '<td class="evidence"><q>must be thrown out</q></td>' in page
    assert re.search(r'<mark class="ev [^"]*ev-review[^"]*"[^>]*>[^<]*must be thrown out', page)
    assert decide(eve, ids[38], "confirm", evidence="Headline 38").status_code == 303  # words of the title
    assert json.loads(reviews_of(path, ids[38])[0][4])[0]["field"] == "title"
    token = eve.get("/api/me").json()["csrf_token"]
    api = eve.post(f"/api/items/{ids[32]}/decision", json={"decision": "note", "note": "n", "evidence": "vermin"},
                   headers={"X-CSRF-Token": token})
    assert api.status_code == 200 and eve.get(f"/api/items/{ids[32]}").json()["reviews"][-1]["evidence"][0] == {
        "start": 74, "end": 80, "text": "vermin", "label": "review", "field": "text"}


def test_admins_change_roles_deactivate_and_reset_passwords(bench: Any) -> None:
    path, ids, app = bench
    ada, mx = client_for(app, "ada"), client_for(app, "max")
    token = csrf(ada.get("/users").text)
    stranger = mx.post("/users/eve/active", data={"csrf_token": csrf(mx.get("/queue").text), "active": "0"})
    assert stranger.status_code == 403
    assert ada.post("/users/max/role", data={"role": "lead"}).status_code == 403  # CSRF
    for url, data, message in (("/users/ada/active", {"active": "0"}, "your own account"),
                               ("/users/max/role", {"role": "root"}, "must be one of"),
                               ("/users/nobody/role", {"role": "lead"}, "there is no user"),
                               ("/users/max/password", {"password": "short"}, "at least 12")):
        reply = ada.post(url, data={"csrf_token": token, **data})
        assert reply.status_code == 400 and message in reply.text, url
    assert ada.post("/users/max/role", data={"csrf_token": token, "role": "lead"}).status_code == 303
    assert mx.get("/queue").status_code == 303  # the old session ended
    assert client_for(app, "max").get("/agreement").status_code == 200  # a lead now
    assert ada.post("/users/max/active", data={"csrf_token": token, "active": "0"}).status_code == 303
    login = TestClient(app, follow_redirects=False)
    refused = login.post("/login", data={"username": "max", "password": PASSWORD,
                                         "csrf_token": csrf(login.get("/login").text)})
    assert refused.status_code == 401
    assert ada.post("/users/max/active", data={"csrf_token": token, "active": "1"}).status_code == 303
    reset = ada.post("/users/max/password", data={"csrf_token": token, "password": "amber fjord compass"})
    assert reset.status_code == 303
    client_for(app, "max", "amber fjord compass")
    with Database(path).connect() as con:
        actions = [r[0] for r in con.execute("SELECT action FROM audit_log WHERE actor = 'ada' ORDER BY id").fetchall()]
    assert actions[-4:] == ["set-role", "deactivate", "activate", "reset-password"]
    assert 'action="/users/max/role"' in ada.get("/users").text


def test_user_commands_change_role_and_deactivate(tmp_path: Path) -> None:
    db = str(tmp_path / "users.duckdb")
    runner = CliRunner()
    made = runner.invoke(cli_app, ["--db", db, "createuser", "nina", "--role", "monitor", "--password-stdin"],
                         input="a long password\n")
    assert made.exit_code == 0, made.output
    role = runner.invoke(cli_app, ["--db", db, "users", "role", "nina", "lead"])
    assert role.exit_code == 0 and "every session of nina has ended" in role.stdout
    assert runner.invoke(cli_app, ["--db", db, "users", "deactivate", "nina"]).exit_code == 0
    listed = runner.invoke(cli_app, ["--db", db, "users", "list"])
    assert listed.stdout == "nina\tlead\tdeactivated\n"
    assert review.users(Database(db))["nina"]["session_gen"] == 2
    assert runner.invoke(cli_app, ["--db", db, "users", "activate", "nina"]).exit_code == 0
    bad = runner.invoke(cli_app, ["--db", db, "users", "role", "nina", "root"])
    assert bad.exit_code != 0 and "must be one of" in str(bad.exception)
    missing = subprocess.run([sys.executable, "-m", "pipeline", "--db", db, "users", "deactivate", "nobody"],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and missing.stderr.startswith("error: there is no user 'nobody'")
    assert missing.stderr.count("\n") == 1
