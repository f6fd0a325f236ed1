"""Pages for authorities: trends by period and dimension, spike alerts and their CSV (aggregates only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from pipeline.db.trends import trend_counts
from pipeline.web.deps import User, bench_of, need, render
from pipeline.web.stats import MAD_FLOOR, MIN_COUNT, TRAILING_WEEKS, Z_ALERT, Alert
from pipeline.web.trends import DIMENSIONS, PERIODS, alerts_csv, table, weekly_alerts

router = APIRouter(include_in_schema=False)
Authority = Annotated[User, Depends(need("trends"))]
CHART_H = 120


def trend_params(period: str, by: str) -> tuple[str, str]:
    """Validated period and dimension (400 naming the choices)."""
    if period not in PERIODS:
        raise HTTPException(400, f"period {period!r} is invalid; must be one of: {', '.join(PERIODS)}")
    if by not in DIMENSIONS:
        raise HTTPException(400, f"by {by!r} is invalid; must be one of: {', '.join(DIMENSIONS)}")
    return period, by


def trend_table(request: Request, period: str, by: str) -> dict[str, Any]:
    """The trend table for a period and dimension."""
    with bench_of(request).lease.session() as db:
        rows = trend_counts(db, period)
    return table(rows, by)


def all_alerts(request: Request) -> list[Alert]:
    """Spike alerts over weekly counts."""
    with bench_of(request).lease.session() as db:
        rows = trend_counts(db, "week")
    return weekly_alerts(rows)


@router.get("/trends")
def trends(request: Request, user: Authority, period: str = "week", by: str = "outlet") -> Response:
    """Flagged items per period, by outlet, country, language or target group, with a bar chart."""
    period, by = trend_params(period, by)
    data = trend_table(request, period, by)
    top = max(data["totals"] or [0]) or 1
    bars = [{"x": i * 40 + 10, "h": round(CHART_H * t / top), "total": t, "period": p}
            for i, (p, t) in enumerate(zip(data["periods"], data["totals"]))]
    return render(request, "trends.html.j2", user, data=data, period=period, by=by, periods=PERIODS,
                  dimensions=list(DIMENSIONS), bars=bars, chart_h=CHART_H)


@router.get("/alerts")
def alerts(request: Request, user: Authority) -> Response:
    """Weeks whose flagged count is a spike against the trailing weeks (robust z-score)."""
    return render(request, "alerts.html.j2", user, alerts=all_alerts(request), z=Z_ALERT, weeks=TRAILING_WEEKS,
                  min_count=MIN_COUNT, mad_floor=MAD_FLOOR)


@router.get("/alerts.csv")
def alerts_export(request: Request, user: Authority) -> Response:
    """The alerts as CSV."""
    return PlainTextResponse(alerts_csv(all_alerts(request)), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="alerts.csv"'})
