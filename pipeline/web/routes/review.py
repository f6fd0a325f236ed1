"""Pages for monitors and leads: queue, item, decisions (auto-advance, undo, bulk, a deliberate adjudication),
assignment, agreement, audit log, export."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from pipeline.core.errors import InputError, StoreError
from pipeline.db import articles as articles_db
from pipeline.db import review as review_db
from pipeline.web.db import WRITE_WAIT_S, is_lock_error
from pipeline.web.decisions import MAX_BULK, bulk_ops, corrected_evidence, undo_refusal
from pipeline.web.deps import User, bench_of, check_csrf, need, render
from pipeline.web.guideline import severity_guideline
from pipeline.web.ops import SEVERITIES, TARGETS, assign_op, decision_op, factcheck_request_op, reopen_op, undo_op
from pipeline.web.stats import agreement
from pipeline.web.views import STATUSES, item_view, neighbours, page_number, queue_filters, queue_view

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[User, Depends(need("review"))]
Lead = Annotated[User, Depends(need("lead"))]
# Filter values and the queue's order (for next/previous) may be a few seconds old.
FACETS_TTL_S = 30.0
# Reviewers share the queue: a page is computed at most every QUEUE_TTL_S unless a decision changed it.
QUEUE_TTL_S = 2.0
ORDER_TTL_S = 10.0


def filters_of(request: Request) -> dict[str, str]:
    """Queue filters from the query string; a bad one is a 400."""
    try:
        return queue_filters(request.query_params)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.get("/queue")
def queue(request: Request, user: Reviewer) -> Response:
    """Flagged items, highest severity x confidence first, with filters and pages."""
    filters = filters_of(request)
    bench = bench_of(request)
    page = page_number(request.query_params.get("page"))
    blind_for = blind_viewer(user)
    key = ("queue", bench.writer.generation, page, blind_for, *sorted(filters.items()))
    view = bench.cached(key, QUEUE_TTL_S, lambda db: queue_view(db, filters, page, blind_for))
    facets = bench.cached("facets", FACETS_TTL_S, review_db.queue_facets)
    return render(request, "queue.html.j2", user, **view, facets=facets, query=urlencode(filters),
                  statuses=STATUSES, severities=SEVERITIES, max_bulk=MAX_BULK, **_notices(request, user))


def _notices(request: Request, user: User) -> dict[str, Any]:
    """What the page says about the user's last write: saved, pending, undone, a bulk count, and the last
    decision with its Undo (shown right after a decision)."""
    params = request.query_params
    saved = params.get("saved")
    return {"saved": saved, "undone": params.get("undone"), "bulk": params.get("bulk"),
            "last": user.session.last if saved and not params.get("bulk") else None}


def blind_viewer(user: User) -> str | None:
    """Whose double review the queue keeps blind: the user's, unless they are a lead (who see everything)."""
    return None if user.can("lead") else user.name


def pending_ops(request: Request) -> list[dict[str, Any]]:
    """Ops still waiting in the landing file."""
    return bench_of(request).landing.pending()


@router.get("/items/{article_id}")
def item(request: Request, article_id: str, user: Reviewer) -> Response:
    """One item: highlighted evidence, rubric findings, myths, reviews and the decision form."""
    filters = filters_of(request)
    bench = bench_of(request)
    with bench.lease.session() as db:
        view = item_view(db, article_id, user.name, user.can("lead"), pending_ops(request))
    if view is None:
        raise HTTPException(404, "no such item")
    blind_for = blind_viewer(user)
    order = bench.cached(("order", blind_for, *sorted(filters.items())), ORDER_TTL_S,
                         lambda db: review_db.queue_ids(db, filters, blind_for=blind_for))
    prev_id, next_id = neighbours(order, article_id)
    reviewers = [n for n, a in bench.users().items() if a["active"] and a["role"] in ("monitor", "lead")]
    return render(request, "item.html.j2", user, item=view, prev_id=prev_id, next_id=next_id,
                  query=urlencode(filters), severities=SEVERITIES, targets=TARGETS, reviewers=sorted(reviewers),
                  guideline=severity_guideline(), **_notices(request, user))


def record_decision(request: Request, user: User, article_id: str, form: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Validate and write one decision (with the reviewer's corrected evidence span, if any); returns the op and
    whether it is already in the database."""
    bench, locked, evidence = bench_of(request), False, None
    quoted = str(form.get("evidence") or "")
    try:
        with bench.lease.session(WRITE_WAIT_S) as db:
            if not articles_db.article_exists(db, article_id):
                raise HTTPException(404, "no such item")
            evidence = corrected_evidence(db, article_id, quoted, form.get("evidence_start"))
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    except StoreError as exc:  # locked by a flow: the id came from a page the reviewer saw; land it
        if not is_lock_error(exc):
            raise
        locked = True
        # located when shown (the first occurrence of the words), as the text cannot be read now
        evidence = {"start": -1, "end": -1, "text": quoted.strip(), "label": "review"} if quoted.strip() else None
    adjudicate = bool(form.get("adjudicate")) and user.can("lead")
    try:
        op = decision_op(user.name, article_id, str(form.get("decision") or ""), form.get("severity"),
                         form.get("target"), form.get("note"), adjudicate, evidence)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    return op, bench.writer.write(op, try_store=not locked)


@router.post("/items/{article_id}/decision")
def decide(request: Request, article_id: str, user: Reviewer, csrf_token: Annotated[str, Form()] = "",
           decision: Annotated[str, Form()] = "", severity: Annotated[str, Form()] = "",
           target: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
           adjudicate: Annotated[str, Form()] = "", query: Annotated[str, Form()] = "",
           evidence: Annotated[str, Form()] = "", evidence_start: Annotated[str, Form()] = "",
           final_confirmed: Annotated[str, Form()] = "") -> Response:
    """Confirm or reject (optionally changing severity, target or the evidence span), then on to the next item
    of the queue; a note stays on the item. A lead's final adjudication first asks for a confirmation."""
    check_csrf(request, csrf_token)
    form = {"decision": decision, "severity": severity, "target": target, "note": note, "adjudicate": adjudicate,
            "evidence": evidence, "evidence_start": evidence_start}
    if adjudicate and user.can("lead") and decision in ("confirm", "reject") and final_confirmed != "yes":
        try:  # checked before asking, so that the confirmation never shows a value that will be refused
            decision_op(user.name, article_id, decision, severity, target, note, True)
        except InputError as exc:
            raise HTTPException(400, str(exc)) from exc
        return render(request, "confirm_final.html.j2", user, article_id=article_id, form=form, query=query)
    op, stored = record_decision(request, user, article_id, form)
    request.state.new_session = replace(user.session, last=(op["op_id"], article_id, op["decision"]))
    flag = f"saved={'1' if stored else 'pending'}"
    if decision == "note":
        return RedirectResponse(f"/items/{quote(article_id, safe='')}?{flag}{_carried(query)}", status_code=303)
    return RedirectResponse(_next_page(request, user, article_id, query, flag), status_code=303)


def _next_page(request: Request, user: User, article_id: str, query: str, flag: str) -> str:
    """The next item of the queue (same filters) after a decision, or the queue when this was the last."""
    filters = _filters_in(query)
    blind_for = blind_viewer(user)
    order = bench_of(request).cached(("order", blind_for, *sorted(filters.items())), ORDER_TTL_S,
                                     lambda db: review_db.queue_ids(db, filters, blind_for=blind_for))
    _, next_id = neighbours(order, article_id)  # the first of the order when the decision took the item out
    carried = f"&{urlencode(filters)}" if filters else ""
    return f"/items/{quote(next_id, safe='')}?{flag}{carried}" if next_id else f"/queue?{flag}{carried}"


def _filters_in(query: str) -> dict[str, str]:
    """The queue filters carried through a form, re-validated ({} when there are none or they are bad)."""
    try:
        return queue_filters(dict(parse_qsl(query)))
    except InputError:
        return {}


def _carried(query: str) -> str:
    """The carried filters as a query-string tail ('' when there are none)."""
    filters = _filters_in(query)
    return f"&{urlencode(filters)}" if filters else ""


@router.post("/undo")
def undo(request: Request, user: Reviewer, csrf_token: Annotated[str, Form()] = "",
         query: Annotated[str, Form()] = "") -> Response:
    """Withdraw the user's last decision of this session (audited); back to that item to decide again."""
    check_csrf(request, csrf_token)
    last = user.session.last
    if last is None:
        raise HTTPException(409, "there is nothing to undo in this session")
    bench = bench_of(request)
    with bench.lease.session() as db:
        refusal = undo_refusal(db, user.name, last, pending_ops(request))
    if refusal:
        raise HTTPException(409, refusal)
    stored = bench.writer.write(undo_op(user.name, {"op_id": last[0], "article_id": last[1], "decision": last[2]}))
    request.state.new_session = replace(user.session, last=None)
    return RedirectResponse(f"/items/{quote(last[1], safe='')}?undone={'1' if stored else 'pending'}"
                            f"{_carried(query)}", status_code=303)


@router.post("/queue/bulk")
def bulk(request: Request, user: Reviewer, csrf_token: Annotated[str, Form()] = "",
         decision: Annotated[str, Form()] = "", item: Annotated[list[str] | None, Form()] = None,
         query: Annotated[str, Form()] = "") -> Response:
    """One decision (confirm as flagged, or reject: not hateful) on each selected item, each audited as a
    decision of its own with the bulk id; never a final adjudication."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    chosen = (item or [])[:MAX_BULK + 1]
    with bench.lease.session() as db:
        known = articles_db.existing_ids(db, chosen)
    try:
        ops = bulk_ops(user.name, chosen, decision, known)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    stored = [bench.writer.write(op) for op in ops]
    flag = "saved=1" if all(stored) else "saved=pending"
    return RedirectResponse(f"/queue?bulk={len(ops)}&{flag}{_carried(query)}", status_code=303)


def record_reopen(request: Request, user: User, article_id: str, note: str | None) -> tuple[dict[str, Any], bool]:
    """A lead reopens an item's adjudication (audited like every op); returns the op and whether it is stored."""
    bench = bench_of(request)
    with bench.lease.session() as db:
        if not articles_db.article_exists(db, article_id):
            raise HTTPException(404, "no such item")
    try:
        op = reopen_op(user.name, article_id, note)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    return op, bench.writer.write(op)


@router.post("/items/{article_id}/reopen")
def reopen(request: Request, article_id: str, user: Lead, csrf_token: Annotated[str, Form()] = "",
           note: Annotated[str, Form()] = "") -> Response:
    """Reopen a lead's final adjudication, so that the reviewers' decisions count again."""
    check_csrf(request, csrf_token)
    _, stored = record_reopen(request, user, article_id, note)
    return RedirectResponse(f"/items/{quote(article_id, safe='')}?saved={'1' if stored else 'pending'}",
                            status_code=303)


@router.post("/items/{article_id}/assign")
def assign(request: Request, article_id: str, user: Lead, csrf_token: Annotated[str, Form()] = "",
           reviewer: Annotated[list[str] | None, Form()] = None) -> Response:
    """Assign the item to one reviewer, or two for double review."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    with bench.lease.session() as db:
        if not articles_db.article_exists(db, article_id):
            raise HTTPException(404, "no such item")
    known = [n for n, a in bench.users(fresh=True).items() if a["role"] in ("monitor", "lead")]
    try:
        op = assign_op(user.name, article_id, reviewer or [], known)
    except InputError as exc:
        raise HTTPException(400, str(exc)) from exc
    bench.writer.write(op)
    return RedirectResponse(f"/items/{quote(article_id, safe='')}", status_code=303)


@router.post("/items/{article_id}/factcheck-request")
def factcheck_request(request: Request, article_id: str, user: Reviewer, csrf_token: Annotated[str, Form()] = "",
                      start: Annotated[int, Form()] = -1, end: Annotated[int, Form()] = -1) -> Response:
    """Send one of the item's check-worthy sentences (named by its offsets) to the fact-check list (audited)."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    with bench.lease.session() as db:
        view = item_view(db, article_id, user.name, user.can("lead"), [])
    if view is None:
        raise HTTPException(404, "no such item")
    chosen = [c for c in view["check_worthy"] if (c["start"], c["end"]) == (start, end)]
    if not chosen:
        raise HTTPException(400, f"the item has no check-worthy sentence at {start}-{end}; reload the item page")
    stored = bench.writer.write(factcheck_request_op(user.name, article_id, chosen[0]))
    return RedirectResponse(f"/items/{quote(article_id, safe='')}?saved={'1' if stored else 'pending'}",
                            status_code=303)


@router.get("/agreement")
def agreement_page(request: Request, user: Lead) -> Response:
    """Cohen's kappa per reviewer pair over the items both decided independently."""
    with bench_of(request).lease.session() as db:
        pairs = agreement(review_db.review_labels(db))
    return render(request, "agreement.html.j2", user, pairs=pairs)


@router.get("/audit")
def audit(request: Request, user: Lead) -> Response:
    """Every decision, assignment and sign-in, newest first."""
    page = page_number(request.query_params.get("page"))
    with bench_of(request).lease.session() as db:
        entries = review_db.audit_entries(db, 100, (page - 1) * 100)
    for entry in entries:
        entry["detail"] = json.loads(entry["detail"] or "{}")
    return render(request, "audit.html.j2", user, entries=entries, page=page)


@router.get("/reviews/export.jsonl")
def export(request: Request, user: Lead) -> Response:
    """Reviewed items as training data for `xenowatch train --extra FILE`."""
    from pipeline.web.export import training_lines

    with bench_of(request).lease.session() as db:
        rows = review_db.reviewed_texts(db)
    return PlainTextResponse("".join(training_lines(rows)), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="reviews.jsonl"'})
