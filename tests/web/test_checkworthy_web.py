"""Check-worthy sentences on the workbench item page, and a monitor sending one to the fact-check list
(real DuckDB file, the app through FastAPI's TestClient, the real CLI)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchmarks.serve_bench import MODEL, seed, synthetic
from pipeline.cli import app as cli_app
from pipeline.core.record import CheckWorthy, Span
from pipeline.db import articles, results, review
from pipeline.db.database import Database
from pipeline.web.app import WebConfig, create_app
from pipeline.web.auth import hash_password
from tests.web.support import csrf

PASSWORD = "correct horse battery"
SENTENCE = "Migrants <b>cost</b> the town 3 million euros a year & more."


def login(app: object, name: str) -> TestClient:
    """A client signed in as `name`."""
    client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    reply = client.post("/login", data={"username": name, "password": PASSWORD,
                                        "csrf_token": csrf(client.get("/login").text)})
    assert reply.status_code == 303, reply.text[:300]
    return client


def test_item_page_shows_check_worthy_and_a_monitor_sends_one_to_the_list(tmp_path: Path) -> None:
    db_path = tmp_path / "cw.duckdb"
    db = Database.open(db_path)
    seed(db, 2)
    text = f"Story about the harbour. {SENTENCE} Nothing else happened."
    start = text.index(SENTENCE)
    worthy = CheckWorthy(Span(start, start + len(SENTENCE), SENTENCE, label="check_worthy"), 0.8, ("number", "cost"))
    article = synthetic(0, random.Random(1), ["outlet-1"])
    article = article.evolve(url="https://cw.example/1", text=text, check_worthy=(worthy,))
    articles.insert_articles(db, [article], None)
    results.save_classifications(db, [article], MODEL, 0.2)
    for name, role in (("mia", "monitor"), ("cora", "council")):
        assert review.create_user(db, name, role, hash_password(PASSWORD))
    app = create_app(WebConfig(db=db_path, secure_cookies=False))
    with TestClient(app):
        mia = login(app, "mia")
        page = mia.get(f"/items/{article.id}")
        assert "Sentences worth checking" in page.text and "Send to the fact-check list" in page.text
        assert "&lt;b&gt;cost&lt;/b&gt; the town 3 million euros a year &amp; more." in page.text
        assert "<b>cost</b>" not in page.text  # escaped, never markup
        token = csrf(page.text)
        url = f"/items/{article.id}/factcheck-request"
        form = {"start": str(start), "end": str(start + len(SENTENCE))}
        assert mia.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
        assert login(app, "cora").post(url, data={**form, "csrf_token": token}).status_code == 403  # council
        wrong = mia.post(url, data={"start": "0", "end": "5", "csrf_token": token})
        assert wrong.status_code == 400 and "no check-worthy sentence at 0-5" in wrong.text
        sent = mia.post(url, data={**form, "csrf_token": token})
        assert sent.status_code == 303 and sent.headers["location"] == f"/items/{article.id}?saved=1"
        assert mia.post(url, data={**form, "csrf_token": token}).status_code == 303  # twice: listed once
        again = mia.get(f"/items/{article.id}").text
        assert "sent to the fact-check list by mia" in again and "Send to the fact-check list" not in again
    with db.connect() as con:
        audit = con.execute("SELECT actor, action, detail FROM audit_log WHERE article_id = ?", [article.id]).fetchall()
    assert [(a, b) for a, b, _ in audit] == [("mia", "factcheck_request")] * 2
    assert json.loads(audit[0][2])["sentence"] == SENTENCE
    [listed] = review.factcheck_requests(db)
    assert (listed["sentence"], listed["requested_by"], listed["url"]) == (SENTENCE, "mia", "https://cw.example/1")
    out = CliRunner().invoke(cli_app, ["--db", str(db_path), "factchecks", "requests", "--json"])
    assert out.exit_code == 0, out.output
    row = json.loads(out.stdout)
    assert (row["sentence"], row["requested_by"], row["start"]) == (SENTENCE, "mia", start)
