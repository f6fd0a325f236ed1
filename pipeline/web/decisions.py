"""What review decisions need beyond their op: the corrected evidence span, whether an undo is allowed, and the
ops of a bulk action (each one a decision of its own, audited like a single one)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pipeline.core.errors import InputError
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.ops import decision_op, evidence_span

MAX_BULK = 100
BULK_DECISIONS = ("confirm", "reject")


def corrected_evidence(db: Database, article_id: str, quote: str, start: str | int | None) -> dict[str, Any] | None:
    """The reviewer's evidence span located in the item (None when they gave none); an InputError when the words
    are not in it."""
    if not quote.strip():
        return None
    item = review.review_item(db, article_id)
    if item is None:
        return None
    offset = int(start) if isinstance(start, int) or (isinstance(start, str) and start.isdigit()) else None
    return evidence_span(item["text"] or "", item["title"] or "", quote, offset)


def undo_refusal(db: Database, user: str, last: tuple[str, str, str], pending: list[dict[str, Any]]) -> str | None:
    """Why the user's last decision cannot be undone (None when it can): it is gone already, or the item is in
    double review and the other reviewer has decided (the decisions were compared; undoing would unblind)."""
    op_id, article_id, _ = last
    item = review.review_item(db, article_id)
    if item is None:
        return "the item of your last decision no longer exists"
    waiting = [{**op, "reviewer": op["actor"]} for op in pending
               if op.get("kind") == "decision" and op.get("article_id") == article_id]
    withdrawn = {op.get("undoes") for op in pending if op.get("kind") == "undo"}
    decisions = [r for r in item["reviews"] + waiting if r.get("op_id") not in withdrawn]
    if not any(r.get("op_id") == op_id and r["reviewer"] == user for r in decisions):
        return "there is nothing to undo: your last decision was withdrawn already"
    others = [r for r in decisions if r["reviewer"] != user and r["decision"] in BULK_DECISIONS]
    if len(item["assignees"]) >= 2 and others:
        return ("the item is in double review and the other reviewer has decided too, so your decision cannot be "
                "withdrawn any more; add a note or ask a lead to adjudicate")
    return None


def bulk_ops(actor: str, article_ids: Sequence[str], decision: str, known: set[str]) -> list[dict[str, Any]]:
    """One decision op per selected item, all marked with one bulk id; never an adjudication."""
    if decision not in BULK_DECISIONS:
        raise InputError(f"bulk decision {decision!r} is invalid; must be one of: {', '.join(BULK_DECISIONS)}")
    chosen = list(dict.fromkeys(i for i in article_ids if i))
    if not chosen:
        raise InputError("no item is selected; tick items in the queue (or press x on a row) first")
    if len(chosen) > MAX_BULK:
        raise InputError(f"{len(chosen)} items are selected; a bulk action takes at most {MAX_BULK}")
    unknown = [i for i in chosen if i not in known]
    if unknown:
        raise InputError(f"there is no item {unknown[0][:80]!r}; reload the queue")
    bulk = uuid.uuid4().hex[:12]
    return [{**decision_op(actor, i, decision, None, None, None, False), "bulk": bulk} for i in chosen]
