"""Pages for media councils: the ranking, the methodology and the evidence pack of each outlet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from pipeline.core.categories import heading, sort_key
from pipeline.db import rankings, results, sources
from pipeline.web.deps import User, bench_of, need, render

router = APIRouter(include_in_schema=False)
Council = Annotated[User, Depends(need("council"))]
MIN_YEAR, MAX_YEAR = 1900, 2999


def ranking_data(request: Request, year: int | None) -> dict[str, Any]:
    """The newest snapshot of a year (default: the latest year ranked) and its rows by category (overall first),
    with each category's heading."""
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise HTTPException(400, f"year {year} is invalid; give a year from {MIN_YEAR} to {MAX_YEAR}")
    with bench_of(request).lease.session() as db:
        years = rankings.snapshot_years(db)
        year = year or (years[0] if years else None)
        snapshot, rows = rankings.latest_ranking(db, year) if year else (None, [])
    categories: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: sort_key(r["category"])):  # stable: rank order within a category
        categories.setdefault(row["category"], []).append(row)
    return {"year": year, "years": years, "snapshot": snapshot, "categories": categories,
            "headings": {c: heading(c, year) for c in categories}}


@router.get("/ranking")
def ranking(request: Request, user: Council, year: int | None = None) -> Response:
    """The ranking of a year, with intervals and links to each outlet's evidence pack."""
    data = ranking_data(request, year)
    if data["snapshot"]:
        data["snapshot"] = {k: data["snapshot"][k] for k in ("id", "year", "rubric_version", "created_at")}
    return render(request, "ranking.html.j2", user, **data)


def methodology_data() -> dict[str, Any]:
    """The rubric's criteria, weights and references, as configured."""
    from pipeline.rubric.score import load_rubric

    rubric = load_rubric()
    criteria = [{"id": c.id, "title": getattr(c, "title", c.id), "description": getattr(c, "description", ""),
                 "weight": c.weight, "reference": getattr(c, "reference", "")} for c in rubric.criteria]
    return {"version": rubric.version, "criteria": criteria, "total": sum(c["weight"] for c in criteria) or 1.0}


@router.get("/methodology")
def methodology(request: Request, user: Council) -> Response:
    """How articles are scored and outlets ranked."""
    return render(request, "methodology.html.j2", user, **methodology_data())


def evidence_pack(request: Request, outlet_id: str, year: int | None) -> dict[str, Any]:
    """Every scored article of an outlet in the year's snapshot, with the criteria it failed."""
    data = ranking_data(request, year)
    snapshot = data["snapshot"]
    if snapshot is None:
        raise HTTPException(404, "no ranking snapshot for that year; run 'xenowatch rank --year YYYY'")
    with bench_of(request).lease.session() as db:
        outlet = sources.outlets(db).get(outlet_id)
        rows = results.evidence(db, snapshot["article_ids"], snapshot["rubric_version"])
    if outlet is None:
        raise HTTPException(404, "no such outlet")
    articles = []
    for row in rows:
        if row["outlet_id"] == outlet_id:
            flags = [c for c in row["criteria"] if c.get("score", 1.0) < 1.0]
            articles.append({**row, "flags": flags})
    return {"year": data["year"], "outlet": outlet, "articles": articles, "snapshot_id": snapshot["id"]}


@router.get("/evidence/{outlet_id}")
def evidence(request: Request, outlet_id: str, user: Council, year: int | None = None) -> Response:
    """An outlet's evidence pack, for the right of reply."""
    return render(request, "evidence.html.j2", user, **evidence_pack(request, outlet_id, year))
