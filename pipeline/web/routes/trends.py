"""Pages for authorities: trends by period and dimension over a date range, with their CSV and JSON, and spike
alerts with theirs (aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from pipeline.db.trends import trend_counts, trend_span
from pipeline.web.chart import panels
from pipeline.web.deps import User, bench_of, need, render
from pipeline.web.stats import MAD_FLOOR, MIN_COUNT, TRAILING_WEEKS, Z_ALERT, Alert
from pipeline.web.trends import (
    DEFAULT_PERIODS,
    DIMENSIONS,
    PERIODS,
    Series,
    TrendInputError,
    Window,
    alerts_csv,
    export_csv,
    export_json,
    export_rows,
    parse_day,
    period_end,
    series,
    weekly_alerts,
    window,
)

router = APIRouter(include_in_schema=False)
Authority = Annotated[User, Depends(need("trends"))]
From = Annotated[str | None, Query(alias="from")]


@dataclass(frozen=True, slots=True)
class Trend:
    """One answered trend request: its dimension, window and series."""

    by: str
    window: Window
    lines: list[Series]

    def rows(self) -> list[dict[str, Any]]:
        """The rows of the chart, as exported."""
        return export_rows(self.lines, self.by, self.window.period)

    def query(self) -> str:
        """The query string of this exact chart (the effective dates, so that an export matches it later too)."""
        return urlencode({"period": self.window.period, "by": self.by, "from": self.window.start.isoformat(),
                          "to": period_end(self.window.end, self.window.period).isoformat()})

    def filename(self, ext: str) -> str:
        """A download name that says what it holds."""
        end = period_end(self.window.end, self.window.period)
        return f"trends-{self.by}-{self.window.period}-{self.window.start}-{end}.{ext}"


def trend_params(period: str, by: str) -> tuple[str, str]:
    """Validated period and dimension (400 naming the choices)."""
    if period not in PERIODS:
        raise HTTPException(400, f"period {period!r} is invalid; must be one of: {', '.join(PERIODS)}")
    if by not in DIMENSIONS:
        raise HTTPException(400, f"by {by!r} is invalid; must be one of: {', '.join(DIMENSIONS)}")
    return period, by


def trend(request: Request, period: str, by: str, first: str | None, last: str | None) -> Trend:
    """The series of a period, dimension and date range (400 with what to change on bad input)."""
    period, by = trend_params(period, by)
    with bench_of(request).lease.session() as db:
        try:
            win = window(period, parse_day("from", first), parse_day("to", last), (trend_span(db) or (None, None))[1])
        except TrendInputError as exc:
            raise HTTPException(400, str(exc)) from None
        rows = trend_counts(db, period, win.start, period_end(win.end, period))
        weekly = trend_counts(db, "week")  # alerts need the weeks before the range too
    return Trend(by, win, series(rows, by, win, weekly_alerts(weekly)))


def all_alerts(request: Request) -> list[Alert]:
    """Spike alerts over weekly counts."""
    with bench_of(request).lease.session() as db:
        rows = trend_counts(db, "week")
    return weekly_alerts(rows)


@router.get("/trends")
def trends(request: Request, user: Authority, period: str = "week", by: str = "outlet", first: From = None,
           to: str | None = None) -> Response:
    """The share of relevant items flagged per period, by outlet, country, language or target, with its
    interval and the spike alerts, as a chart and a table."""
    data = trend(request, period, by, first, to)
    return render(request, "trends.html.j2", user, trend=data, panels=panels(data.lines, data.window.period),
                  period=data.window.period, by=data.by, periods=PERIODS, dimensions=list(DIMENSIONS),
                  first=data.window.start, last=period_end(data.window.end, data.window.period),
                  default_periods=DEFAULT_PERIODS, query=data.query())


@router.get("/trends.csv")
def trends_csv(request: Request, user: Authority, period: str = "week", by: str = "outlet", first: From = None,
               to: str | None = None) -> Response:
    """What the chart shows, as CSV (spreadsheet-safe)."""
    data = trend(request, period, by, first, to)
    return PlainTextResponse(export_csv(data.rows()), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{data.filename("csv")}"'})


@router.get("/trends.json")
def trends_json(request: Request, user: Authority, period: str = "week", by: str = "outlet", first: From = None,
                to: str | None = None) -> Response:
    """What the chart shows, as JSON with what its numbers mean."""
    data = trend(request, period, by, first, to)
    return JSONResponse(export_json(data.rows(), data.by, data.window),
                        headers={"Content-Disposition": f'attachment; filename="{data.filename("json")}"'})


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
