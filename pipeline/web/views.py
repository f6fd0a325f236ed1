"""The data behind the review pages and their API twins (plain dicts; templates escape every value)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.core.errors import InputError
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.highlight import safe_url, segments, spans_of

PAGE_SIZE = 50
STATUSES = ("unreviewed", "confirmed", "rejected", "disputed")
FILTERS = ("outlet", "lang", "target", "severity", "status", "assignee")


def queue_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The queue filters present in a query string (empty values dropped)."""
    filters = {k: str(params[k]) for k in FILTERS if params.get(k)}
    if filters.get("status") and filters["status"] not in STATUSES:
        raise InputError(f"status {filters['status']!r} is invalid; must be one of: {', '.join(STATUSES)}")
    return filters


def page_number(raw: str | None) -> int:
    """A page number from the query string (1 when missing or invalid)."""
    return max(1, int(raw)) if raw and raw.isdigit() else 1


def queue_view(db: Database, filters: dict[str, str], page: int) -> dict[str, Any]:
    """A page of the queue with its total."""
    rows, total = review.queue(db, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    items = [{"id": r["id"], "title": r["title"] or "", "outlet": r["outlet"], "outlet_id": r["outlet_id"],
              "lang": r["lang"], "kind": r["kind"], "published": r["seen_at"], "hate_score": r["hate_score"],
              "severity": r["severity"], "target": r["target"], "myths": r["myths"], "status": r["status"],
              "priority": round(float(r["priority"] or 0), 3), "assignees": r["assignees"] or ""} for r in rows]
    pages = max(1, -(-total // PAGE_SIZE))
    return {"items": items, "total": total, "page": page, "pages": pages, "filters": filters}


def _reviews_shown(item: dict[str, Any], viewer: str, sees_all: bool) -> list[dict[str, Any]]:
    """Double review is blind: a monitor sees the others' decisions only after deciding."""
    reviews = item["reviews"]
    if sees_all or len(item["assignees"]) < 2 or any(r["reviewer"] == viewer for r in reviews):
        return list(reviews)
    return [r for r in reviews if r["reviewer"] == viewer]


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
    rubric = item["rubric"]
    criteria = [_criterion(c) for c in spans_of(rubric["criteria"])] if rubric else []
    marks = evidence + [m["evidence"] for m in myths] + [
        {**span, "label": f"rubric-{c['id']}"} for c in criteria for span in c["spans"]]
    reviews = _reviews_shown(item, viewer, sees_all)
    reviews += [{**op, "reviewer": op["actor"], "created_at": op["at"], "pending": True} for op in pending
                if op.get("kind") == "decision" and op.get("article_id") == article_id]
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
        "rubric_score": rubric["score"] if rubric else None,
        "rubric_version": rubric["rubric_version"] if rubric else None,
        "criteria": criteria,
        "reviews": reviews, "assignees": item["assignees"],
        "status": _status(item["reviews"], item["assignees"]),
    }


def _myth(match: dict[str, Any]) -> dict[str, Any]:
    """A myth match with its fact-check link kept only when it is http(s)."""
    ev = match.get("evidence") if isinstance(match.get("evidence"), dict) else {}
    return {"claim": str(match.get("claim") or ""), "rating": str(match.get("rating") or ""),
            "source": str(match.get("source") or match.get("publisher") or ""),
            "url": safe_url(match.get("url")), "raw_url": str(match.get("url") or ""),
            "similarity": match.get("similarity"), "evidence": {**(ev or {}), "label": "myth"}}


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
    latest: dict[str, str] = {}
    for r in decided:
        latest[r["reviewer"]] = r["decision"]
    if len(set(latest.values())) > 1 and not decided[-1]["final"]:
        return "disputed"
    return "confirmed" if decided[-1]["decision"] == "confirm" else "rejected"


def neighbours(ids: list[str], article_id: str) -> tuple[str | None, str | None]:
    """The previous and next item in the queue's order."""
    if article_id not in ids:
        return None, ids[0] if ids else None
    i = ids.index(article_id)
    return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)
