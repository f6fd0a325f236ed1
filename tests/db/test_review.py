"""Review workbench: accounts, ops written once with their audit rows, the queue, items, labels, verdicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, HateResult
from pipeline.db import articles, results, review, sources
from pipeline.db.database import Database

MODEL = "m@1"
_ids = count()


def _hate(score: float, severity: str = "derogatory", target: str = "migrants") -> HateResult:
    return HateResult(True, score, target, severity, (), MODEL)


def _op(kind: str, actor: str, article_id: str | None, minute: int, **fields: Any) -> dict[str, Any]:
    return {"op_id": f"op-{next(_ids)}", "at": datetime(2026, 5, 1, 12, minute).isoformat(), "kind": kind,
            "actor": actor, "article_id": article_id, **fields}


def _decide(db: Database, actor: str, article_id: str, decision: str, minute: int, **fields: Any) -> None:
    review.record_ops(db, [_op("decision", actor, article_id, minute, decision=decision, **fields)])


@pytest.fixture
def items(db: Database) -> list[Article]:
    """Four classified articles of two outlets: a, b and c flagged (b incitement, c a myth only), d not."""
    sources.upsert_sources(db, [Outlet("o1", "One", "GB", "en"), Outlet("o2", "Two", "FR", "fr")], [])
    a, b, c, d = (Article(url=f"http://x.test/{n}", outlet="o1" if n < 2 else "o2", title=f"T{n}", text=f"Text {n}",
                          published=datetime(2026, 5, 4 + n, tzinfo=UTC)) for n in range(4))
    articles.insert_articles(db, [a, b, c, d], None)
    results.save_classifications(db, [a.evolve(relevance=0.9, hate=_hate(0.6)),
                                      b.evolve(relevance=0.9, hate=_hate(0.7, "incitement", "refugees"), lang="en"),
                                      d.evolve(relevance=0.0)], MODEL, 0.2)
    with db.connect() as con:  # a myth match without hate
        con.execute("INSERT INTO classifications (article_id, model, content_hash, relevance, gated, hate, "
                    "misinformation) VALUES (?, ?, ?, 0.9, true, false, '[{\"claim_id\": \"m1\"}]')",
                    [c.id, MODEL, c.content_hash])
    return [a, b, c, d]


def test_accounts(db: Database) -> None:
    assert review.create_user(db, "ana", "lead", "hash-a")
    assert not review.create_user(db, "ana", "monitor", "other")
    review.create_user(db, "bo", "monitor", "hash-b")
    users = review.users(db)
    assert list(users) == ["ana", "bo"] and users["ana"]["role"] == "lead"
    assert users["bo"]["password_hash"] == "hash-b" and users["bo"]["active"] is True


def test_ops_are_stored_once_with_their_audit_rows(db: Database, items: list[Article]) -> None:
    a = items[0]
    ops = [_op("decision", "ana", a.id, 1, decision="confirm", severity="incitement", target=None, note="sure"),
           _op("assign", "lead", a.id, 2, reviewers=["ana", "bo"]), _op("login", "ana", None, 3)]
    assert review.record_ops(db, ops) == 3
    assert review.record_ops(db, ops) == 0  # a replay from the landing file stores nothing twice
    item = review.review_item(db, a.id)
    assert item is not None and item["assignees"] == ["ana", "bo"]
    assert [(r["reviewer"], r["decision"], r["severity"], r["final"]) for r in item["reviews"]] == [
        ("ana", "confirm", "incitement", True)]
    _decide(db, "bo", a.id, "reject", 4)  # two assignees: not final until a lead adjudicates
    _decide(db, "lead", a.id, "confirm", 5, round=2)
    finals = [r["final"] for r in review.review_item(db, a.id)["reviews"]]  # type: ignore[index]
    assert finals == [True, False, True]
    entries = review.audit_entries(db, 10, 0)
    assert [e["action"] for e in entries] == ["decision", "decision", "login", "assign", "decision"]
    assert json.loads(entries[-1]["detail"]) == {"decision": "confirm", "severity": "incitement", "target": None,
                                                 "note": "sure"}
    assert [e["action"] for e in review.audit_entries(db, 2, 3)] == ["assign", "decision"]


def test_queue_lists_flagged_items_by_priority(db: Database, items: list[Article]) -> None:
    a, b, c, _ = items
    rows, total = review.queue(db, {}, 10, 0)
    assert [r["id"] for r in rows] == [b.id, a.id, c.id] and total == 3  # incitement x 0.7 first
    assert rows[0]["status"] == "unreviewed" and rows[0]["outlet"] == "One" and rows[2]["myths"] == 1
    page, total = review.queue(db, {}, 1, 1)
    assert [r["id"] for r in page] == [a.id] and total == 3
    assert [r["id"] for r in review.queue(db, {"outlet": "o2"}, 10, 0)[0]] == [c.id]
    assert [r["id"] for r in review.queue(db, {"target": "refugees"}, 10, 0)[0]] == [b.id]
    assert review.queue_ids(db, {}) == [b.id, a.id, c.id] and review.queue_ids(db, {"lang": "fr"}) == [c.id]
    review.record_ops(db, [_op("assign", "lead", a.id, 1, reviewers=["ana"])])
    assert review.queue_ids(db, {"assignee": "ana"}) == [a.id]
    assert review.queue(db, {"assignee": "ana"}, 10, 0)[0][0]["assignees"] == "ana"
    assert review.queue(db, {"outlet": "none"}, 10, 0) == ([], 0)


def test_verdicts_change_the_queue_status(db: Database, items: list[Article]) -> None:
    a, b, _, _ = items
    _decide(db, "ana", a.id, "confirm", 1, severity="dehumanising")
    review.record_ops(db, [_op("assign", "lead", b.id, 0, reviewers=["ana", "bo"])])
    _decide(db, "bo", b.id, "reject", 1)
    _decide(db, "ana", b.id, "confirm", 2)  # double review, and the two disagree: disputed
    status = {r["id"]: (r["status"], r["severity"]) for r in review.queue(db, {}, 10, 0)[0]}
    assert status[a.id] == ("confirmed", "dehumanising") and status[b.id][0] == "disputed"
    assert review.queue_ids(db, {"status": "confirmed"}) == [a.id]


def test_facets(db: Database, items: list[Article]) -> None:
    facets = review.queue_facets(db)
    assert facets["outlets"] == [("o1", "One"), ("o2", "Two")]
    assert facets["langs"] == ["en", "fr"] and facets["targets"] == ["migrants", "refugees"]


def test_review_item(db: Database, items: list[Article]) -> None:
    item = review.review_item(db, items[1].id)
    assert item is not None and item["outlet"] == "One" and item["country"] == "GB"
    assert item["classification"]["severity"] == "incitement" and item["rubric"] is None
    assert item["reviews"] == [] and item["assignees"] == []
    assert review.review_item(db, "missing") is None


def test_labels_and_verdicts_are_the_latest_decisions(db: Database, items: list[Article]) -> None:
    a, b, c, _ = items
    _decide(db, "ana", a.id, "reject", 1)
    _decide(db, "ana", a.id, "confirm", 2, severity="offensive")
    _decide(db, "bo", a.id, "note", 3, note="hm")
    _decide(db, "lead", b.id, "reject", 1, round=2)  # an adjudication is no independent label
    assert review.review_labels(db) == [(a.id, "ana", "confirm")]
    verdicts = review.review_verdicts(db, [a.id, b.id, c.id])
    assert set(verdicts) == {a.id, b.id}
    assert {k: verdicts[a.id][k] for k in ("reviewer", "decision", "severity")} == {
        "reviewer": "ana", "decision": "confirm", "severity": "offensive"}
    assert review.review_verdicts(db, []) == {}


def test_reviewed_texts_leave_purged_posts_out(db: Database, items: list[Article]) -> None:
    a, b, _, _ = items
    _decide(db, "ana", a.id, "confirm", 1, severity="offensive", target="refugees")
    _decide(db, "ana", b.id, "reject", 1)
    rows = review.reviewed_texts(db)
    assert [(r["id"], r["verdict"], r["severity"], r["target"]) for r in rows] == sorted(
        [(a.id, "confirm", "offensive", "refugees"), (b.id, "reject", None, "refugees")])
    assert rows[0]["text"].startswith("Text")
    with db.connect() as con:
        con.execute("UPDATE articles SET extraction = 'purged' WHERE id = ?", [a.id])
    assert [r["id"] for r in review.reviewed_texts(db)] == [b.id]


def test_evidence_undo_search_dates_and_roles(db: Database, items: list[Article]) -> None:
    a, b = items[0], items[1]
    span = {"start": 0, "end": 4, "text": "Text", "label": "review", "field": "text"}
    decision = _op("decision", "bo", a.id, 1, decision="confirm", evidence=[span])
    undo = _op("undo", "bo", a.id, 2, undoes=decision["op_id"], decision="confirm", action="undo")
    theirs = _op("decision", "ana", b.id, 3, decision="reject")
    stranger = _op("undo", "cy", b.id, 4, undoes=theirs["op_id"], decision="reject", action="undo")
    assert review.record_ops(db, [decision, theirs]) == 2
    assert json.loads(review.review_item(db, a.id)["reviews"][0]["evidence"]) == [span]
    assert review.record_ops(db, [undo, stranger]) == 2  # an undo of another's decision deletes nothing
    assert review.review_item(db, a.id)["reviews"] == [] and len(review.review_item(db, b.id)["reviews"]) == 1
    with db.connect() as con:
        actions = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert actions == ["decision", "decision", "undo", "undo"]
    assert review.queue_ids(db, {"q": "TEXT 1"}) == [b.id]
    assert review.queue_ids(db, {"from": "2026-05-05", "to": "2026-05-05"}) == [b.id]
    review.create_user(db, "bo", "monitor", "hash-b")
    assert review.set_role(db, "bo", "lead") and not review.set_role(db, "nobody", "lead")
    assert review.users(db)["bo"]["role"] == "lead" and review.users(db)["bo"]["session_gen"] == 1
