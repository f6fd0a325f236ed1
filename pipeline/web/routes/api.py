"""The JSON API: the same data as the pages, described at /openapi.json; every data route needs a session
(sign in with POST /login) and writes need the session's CSRF token in the X-CSRF-Token header."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field

from pipeline.db.review import review_labels
from pipeline.web.deps import User, bench_of, check_csrf, current_user, need
from pipeline.web.routes.council import evidence_pack, ranking_data
from pipeline.web.routes.review import blind_viewer, filters_of, pending_ops, record_decision, record_reopen
from pipeline.web.routes.trends import From, all_alerts, trend
from pipeline.web.stats import agreement
from pipeline.web.trends import export_json
from pipeline.web.views import item_view, page_number, queue_view

router = APIRouter(prefix="/api", tags=["workbench"])


class Decision(BaseModel):
    """A reviewer's decision on an item."""

    decision: str = Field(description="confirm, reject or note")
    severity: str | None = Field(None, description="offensive, derogatory, dehumanising or incitement")
    target: str | None = Field(None, description="migrants, refugees, asylum_seekers, nationality_ethnicity, "
                                                 "religion or other")
    note: str | None = None
    adjudicate: bool = Field(False, description="a lead's final decision on a disputed item")
    evidence: str | None = Field(None, description="the corrected evidence: words exactly as in the item's text "
                                                   "or title")
    evidence_start: int | None = Field(None, description="where the evidence starts in the text (optional)")


class Saved(BaseModel):
    """Where a decision went: the database, or the landing file flushed as soon as the lock allows."""

    op_id: str
    stored: bool


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """The signed-in user and the CSRF token to send with writes."""
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "sign in first: POST /login")
    return {"user": user.name, "role": user.role, "csrf_token": user.session.csrf}


@router.get("/queue")
def api_queue(request: Request, user: Annotated[User, Depends(need("review", api=True))]) -> dict[str, Any]:
    """Flagged items, highest severity x confidence first (filters: outlet, lang, target, severity, status,
    assignee, q (words in the title or text), from and to (YYYY-MM-DD); page)."""
    with bench_of(request).lease.session() as db:
        view = queue_view(db, filters_of(request), page_number(request.query_params.get("page")), blind_viewer(user))
    return view


@router.get("/items/{article_id}")
def api_item(request: Request, article_id: str,
             user: Annotated[User, Depends(need("review", api=True))]) -> dict[str, Any]:
    """One item with evidence, rubric findings, myths and reviews."""
    with bench_of(request).lease.session() as db:
        view = item_view(db, article_id, user.name, user.can("lead"), pending_ops(request))
    if view is None:
        raise HTTPException(404, "no such item")
    return view


@router.post("/items/{article_id}/decision")
def api_decide(request: Request, article_id: str, body: Decision,
               user: Annotated[User, Depends(need("review", api=True))],
               x_csrf_token: Annotated[str | None, Header()] = None) -> Saved:
    """Record a decision; it is never lost, even while a flow holds the database."""
    check_csrf(request, x_csrf_token)
    op, stored = record_decision(request, user, article_id, body.model_dump())
    return Saved(op_id=op["op_id"], stored=stored)


class Reopen(BaseModel):
    """A lead's reopening of a final adjudication."""

    note: str | None = None


@router.post("/items/{article_id}/reopen")
def api_reopen(request: Request, article_id: str, body: Reopen,
               user: Annotated[User, Depends(need("lead", api=True))],
               x_csrf_token: Annotated[str | None, Header()] = None) -> Saved:
    """Reopen an item's final adjudication (leads only; audited)."""
    check_csrf(request, x_csrf_token)
    op, stored = record_reopen(request, user, article_id, body.note)
    return Saved(op_id=op["op_id"], stored=stored)


@router.get("/agreement")
def api_agreement(request: Request, user: Annotated[User, Depends(need("lead", api=True))]) -> list[dict[str, Any]]:
    """Cohen's kappa per reviewer pair."""
    with bench_of(request).lease.session() as db:
        return [asdict(p) for p in agreement(review_labels(db))]


@router.get("/trends")
def api_trends(request: Request, user: Annotated[User, Depends(need("trends", api=True))], period: str = "week",
               by: str = "outlet", first: From = None, to: str | None = None) -> dict[str, Any]:
    """The trend chart's rows (as /trends.json): flagged of relevant per period and value of a dimension."""
    data = trend(request, period, by, first, to)
    return export_json(data.rows(), data.by, data.window)


@router.get("/alerts")
def api_alerts(request: Request, user: Annotated[User, Depends(need("trends", api=True))]) -> list[dict[str, Any]]:
    """Spike alerts (robust z-score over trailing weeks)."""
    return [asdict(a) for a in all_alerts(request)]


@router.get("/ranking")
def api_ranking(request: Request, user: Annotated[User, Depends(need("council", api=True))],
                year: int | None = None) -> dict[str, Any]:
    """The newest ranking snapshot of a year, by category."""
    data = ranking_data(request, year)
    if data["snapshot"]:
        data["snapshot"].pop("article_ids", None)
    return data


@router.get("/evidence/{outlet_id}")
def api_evidence(request: Request, outlet_id: str, user: Annotated[User, Depends(need("council", api=True))],
                 year: int | None = None) -> dict[str, Any]:
    """An outlet's evidence pack."""
    pack = evidence_pack(request, outlet_id, year)
    pack["outlet"] = asdict(pack["outlet"])
    return pack
