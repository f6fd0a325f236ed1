"""Decisions, assignments and audit events as ops: validated, stamped with an id and a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline.core.errors import InputError

DECISIONS = ("confirm", "reject", "note")
SEVERITIES = ("offensive", "derogatory", "dehumanising", "incitement")
TARGETS = ("migrants", "refugees", "asylum_seekers", "nationality_ethnicity", "religion", "other")
MAX_NOTE = 4000
MAX_EVIDENCE = 2000


def new_op(kind: str, actor: str, **fields: Any) -> dict[str, Any]:
    """An op with a fresh id and the current UTC time."""
    return {"op_id": uuid.uuid4().hex, "at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
            "kind": kind, "actor": actor, **fields}


def _choice(value: str | None, choices: Sequence[str], name: str) -> str | None:
    """An optional value from a fixed list ('' means none)."""
    if not value:
        return None
    if value not in choices:
        raise InputError(f"{name} {value!r} is invalid; must be one of: {', '.join(choices)}")
    return value


def decision_op(actor: str, article_id: str, decision: str, severity: str | None, target: str | None,
                note: str | None, adjudicate: bool, evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    """A reviewer's decision, with the evidence span they corrected (if any). A lead's adjudication is round 2
    and final; whether another decision is final (not in double review) is settled when it is written, as
    assignments may change meanwhile."""
    if decision not in DECISIONS:
        raise InputError(f"decision {decision!r} is invalid; must be one of: {', '.join(DECISIONS)}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InputError(f"the note has {len(note)} characters; at most {MAX_NOTE} are kept, shorten it")
    if decision == "note" and not note:
        raise InputError("a note decision needs some text in the note field")
    keep = decision == "confirm"
    return new_op("decision", actor, article_id=article_id, decision=decision,
                  severity=_choice(severity, SEVERITIES, "severity") if keep else None,
                  target=_choice(target, TARGETS, "target") if keep else None, note=note or None,
                  round=2 if adjudicate else 1, **({"evidence": [evidence]} if evidence else {}))


def undo_op(actor: str, decision: dict[str, Any]) -> dict[str, Any]:
    """The withdrawal of the actor's own decision (an op named by its id, within the same session)."""
    return new_op("undo", actor, article_id=decision["article_id"], undoes=decision["op_id"],
                  decision=decision["decision"], action="undo")


def evidence_span(text: str, title: str, quote: str, start: int | None) -> dict[str, Any] | None:
    """The reviewer's corrected evidence: `quote` where it starts at `start` in the text, else its first
    occurrence in the text, else in the title; None for an empty quote; an InputError when it is in neither."""
    quote = quote.strip()
    if not quote:
        return None
    if len(quote) > MAX_EVIDENCE:
        raise InputError(f"the evidence has {len(quote)} characters; select at most {MAX_EVIDENCE}")
    if start is not None and 0 <= start and text[start:start + len(quote)] == quote:
        return {"start": start, "end": start + len(quote), "text": quote, "label": "review", "field": "text"}
    for field, where in (("text", text), ("title", title)):
        found = where.find(quote)
        if found >= 0:
            return {"start": found, "end": found + len(quote), "text": quote, "label": "review", "field": field}
    raise InputError(f"the evidence {quote[:60]!r} is not in the item's text or title; select or type words "
                     "exactly as they appear")


def reopen_op(actor: str, article_id: str, note: str | None) -> dict[str, Any]:
    """A lead's reopening of an item's final adjudication (round 2, so only a lead's route makes one)."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InputError(f"the note has {len(note)} characters; at most {MAX_NOTE} are kept, shorten it")
    return new_op("decision", actor, article_id=article_id, decision="reopen", severity=None, target=None,
                  note=note or None, round=2, action="reopen")


def assign_op(actor: str, article_id: str, reviewers: Sequence[str], known: Sequence[str]) -> dict[str, Any]:
    """An assignment of an item to one reviewer, or two for double review."""
    chosen = sorted({r for r in reviewers if r})
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise InputError(f"unknown reviewer {unknown[0]!r}; choose among: {', '.join(known)}")
    if len(chosen) > 2:
        raise InputError("assign one reviewer, or two for double review")
    return new_op("assign", actor, article_id=article_id, reviewers=chosen)


def factcheck_request_op(actor: str, article_id: str, sentence: dict[str, Any]) -> dict[str, Any]:
    """A monitor's request to fact-check one of an item's stored check-worthy sentences."""
    return new_op("factcheck_request", actor, article_id=article_id, sentence=str(sentence["text"]),
                  start=int(sentence["start"]), end=int(sentence["end"]))
