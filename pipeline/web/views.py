"""The data behind the review pages and their API twins (plain dicts; templates escape every value)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import HTTPException

from pipeline.core.errors import InputError
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.highlight import safe_url, segments, spans_of

PAGE_SIZE = 50
MAX_PAGE = 100_000  # far past any real queue, well inside what SQL OFFSET takes
STATUSES = ("unreviewed", "confirmed", "rejected", "disputed")
FILTERS = ("outlet", "lang", "target", "severity", "status", "assignee", "q", "from", "to")
MAX_SEARCH = 200
EXCERPT_WORDS_CHARS = 90


def queue_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The queue filters present in a query string (empty values dropped): facets, words to search for, and a
    date range (from, to: YYYY-MM-DD, both included)."""
    filters = {k: str(params[k]).strip() for k in FILTERS if str(params.get(k) or "").strip()}
    if filters.get("status") and filters["status"] not in STATUSES:
        raise InputError(f"status {filters['status']!r} is invalid; must be one of: {', '.join(STATUSES)}")
    if len(filters.get("q", "")) > MAX_SEARCH:
        raise InputError(f"the search has {len(filters['q'])} characters; use at most {MAX_SEARCH}")
    days = {k: _day(k, filters[k]) for k in ("from", "to") if k in filters}
    if len(days) == 2 and days["from"] > days["to"]:
        raise InputError(f"the date range {filters['from']} to {filters['to']} is empty; 'from' must not be "
                         "after 'to'")
    return filters


def _day(name: str, value: str) -> date:
    """A date filter as YYYY-MM-DD, else an InputError naming it."""
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InputError(f"{name} {value[:40]!r} is invalid; give a date as YYYY-MM-DD")


def first_words(text: str | None, limit: int = EXCERPT_WORDS_CHARS) -> str:
    """The first words of a text, cut at a word boundary, with an ellipsis when cut ('' for no text)."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" ,;:.") + "…"


def page_number(raw: str | None) -> int:
    """A page number from the query string (1 when missing); a 400 naming the range when it is not a whole
    number from 1 to MAX_PAGE."""
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE)) and 1 <= int(raw) <= MAX_PAGE):
        raise HTTPException(400, f"page {raw[:40]!r} is invalid; give a whole number from 1 to {MAX_PAGE}")
    return int(raw)


def queue_view(db: Database, filters: dict[str, str], page: int, blind_for: str | None = None) -> dict[str, Any]:
    """A page of the queue with its total (blind for `blind_for`, a reviewer who is not a lead)."""
    rows, total = review.queue(db, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE, blind_for)
    items = [{"id": r["id"], "title": r["title"] or "", "excerpt": first_words(r.get("excerpt")),
              "outlet": r["outlet"], "outlet_id": r["outlet_id"],
              "lang": r["lang"], "kind": r["kind"], "published": r["seen_at"], "hate_score": r["hate_score"],
              "severity": r["severity"], "target": r["target"], "myths": r["myths"], "status": r["status"],
              "priority": round(float(r["priority"] or 0), 3), "assignees": r["assignees"] or ""} for r in rows]
    pages = max(1, -(-total // PAGE_SIZE))
    return {"items": items, "total": total, "page": page, "pages": pages, "filters": filters}


def is_blind(reviews: list[dict[str, Any]], assignees: list[str], viewer: str, sees_all: bool) -> bool:
    """Double review is blind: a reviewer who is not a lead sees nothing of the others' decisions until they
    have confirmed or rejected it themselves, or a lead has adjudicated it."""
    if sees_all or len(assignees) < 2:
        return False
    decided = any(r["reviewer"] == viewer and r["decision"] in ("confirm", "reject") for r in reviews)
    return not decided and _settling(reviews) is None


def _settling(reviews: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The lead's adjudication (round 2) made after the last reopen, which settles the verdict, if any."""
    start = max((i + 1 for i, r in enumerate(reviews) if r["decision"] == "reopen"), default=0)
    settled = [r for r in reviews[start:] if r["decision"] in ("confirm", "reject") and r.get("round") == 2]
    return settled[-1] if settled else None


def item_view(db: Database, article_id: str, viewer: str, sees_all: bool,
              pending: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An item with highlighted text, classifier findings, rubric findings, myths and reviews;
    `pending` are this item's decisions still in the landing file."""
    item = review.review_item(db, article_id)
    if item is None:
        return None
    cls = item["classification"] or {}
    evidence = spans_of(cls.get("evidence"))
    myths = [_myth(m) for m in spans_of(cls.get("misinformation"))]
    requested = {(r["start"], r["end"]): r["requested_by"] for r in review.factcheck_requests(db, article_id)}
    rubric = item["rubric"]
    criteria = [_criterion(c) for c in spans_of(rubric["criteria"])] if rubric else []
    withdrawn = {op.get("undoes") for op in pending if op.get("kind") == "undo"}
    waiting = [{**op, "reviewer": op["actor"], "created_at": op["at"], "pending": True} for op in pending
               if op.get("kind") == "decision" and op.get("article_id") == article_id
               and op["op_id"] not in withdrawn]
    blind = is_blind(item["reviews"] + waiting, item["assignees"], viewer, sees_all)
    reviews = [{**r, "evidence": spans_of(r.get("evidence"))} for r in item["reviews"] + waiting
               if (not blind or r["reviewer"] == viewer) and r.get("op_id") not in withdrawn]
    marks = evidence + [m["evidence"] for m in myths] + [
        {**span, "label": f"rubric-{c['id']}"} for c in criteria for span in c["spans"]] + [
        {**span, "label": "review"} for r in reviews for span in r["evidence"]]
    return {
        "id": item["id"], "title": item["title"] or "", "outlet": item["outlet"], "outlet_id": item["outlet_id"],
        "country": item["country"], "lang": item["lang"] or item["outlet_language"], "kind": item["kind"],
        "published": item["published"],
        "author": item["author"], "url": safe_url(item["url"]), "raw_url": item["url"],
        "title_segments": segments(item["title"] or "", marks, "title"),
        "text_segments": segments(item["text"] or "", marks, "text"),
        "hate": cls.get("hate"), "hate_score": cls.get("hate_score"), "severity": cls.get("severity"),
        "target": cls.get("target"), "model": cls.get("model"), "relevance": cls.get("relevance"),
        "evidence": evidence, "myths": myths,
        "check_worthy": [_check_worthy(c, requested) for c in spans_of(cls.get("check_worthy"))],
        "rubric_score": rubric["score"] if rubric else None,
        "rubric_version": rubric["rubric_version"] if rubric else None,
        "criteria": criteria,
        "reviews": reviews, "assignees": item["assignees"],
        "status": "unreviewed" if blind else _status(item["reviews"], item["assignees"]),
        "adjudicated": not blind and _settling(item["reviews"]) is not None,
    }


def _myth(match: dict[str, Any]) -> dict[str, Any]:
    """A myth match with its fact-check link kept only when it is http(s)."""
    ev = match.get("evidence") if isinstance(match.get("evidence"), dict) else {}
    return {"claim": str(match.get("claim") or ""), "rating": str(match.get("rating") or ""),
            "source": str(match.get("source") or match.get("publisher") or ""),
            "url": safe_url(match.get("url")), "raw_url": str(match.get("url") or ""),
            "similarity": match.get("similarity"), "evidence": {**(ev or {}), "label": "myth"}}


def _check_worthy(c: dict[str, Any], requested: dict[tuple[int, int], str]) -> dict[str, Any]:
    """A check-worthy sentence for display, with who sent it to the fact-check list (None: nobody yet)."""
    start, end = int(c.get("start") or 0), int(c.get("end") or 0)
    return {"text": str(c.get("text") or ""), "start": start, "end": end, "score": c.get("score"),
            "reasons": [str(r) for r in c.get("reasons") or []], "requested": requested.get((start, end))}


def _criterion(c: dict[str, Any]) -> dict[str, Any]:
    """A rubric criterion for display."""
    return {"id": str(c.get("id", "")), "score": c.get("score"), "weight": c.get("weight"),
            "explanation": str(c.get("explanation") or ""), "reference": str(c.get("reference") or ""),
            "evidence": [str(s.get("text", "")) for s in spans_of(c.get("evidence"))],
            "spans": [s for s in spans_of(c.get("evidence")) if float(c.get("score") or 0) < 1.0],
            "suggestions": [str(s) for s in c.get("suggestions") or []]}


def _status(reviews: list[dict[str, Any]], assignees: list[str]) -> str:
    """unreviewed, confirmed, rejected or disputed (two reviewers differ and no final decision yet)."""
    decided = [r for r in reviews if r["decision"] in ("confirm", "reject")]
    if not decided:
        return "unreviewed"
    settling = _settling(reviews)
    if settling is not None:  # a lead's adjudication wins over any later decision until a lead reopens it
        return "confirmed" if settling["decision"] == "confirm" else "rejected"
    latest: dict[str, str] = {}
    for r in decided:
        latest[r["reviewer"]] = r["decision"]
    reopened = any(r["decision"] == "reopen" for r in reviews[reviews.index(decided[-1]):])
    if len(set(latest.values())) > 1 and (not decided[-1]["final"] or reopened):
        return "disputed"
    return "confirmed" if decided[-1]["decision"] == "confirm" else "rejected"


def neighbours(ids: list[str], article_id: str) -> tuple[str | None, str | None]:
    """The previous and next item in the queue's order."""
    if article_id not in ids:
        return None, ids[0] if ids else None
    i = ids.index(article_id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)
