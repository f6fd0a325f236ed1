"""Trends for authorities: the share of relevant items flagged as hateful per period, with its Wilson
interval, per value of a dimension over a date range; spike alerts; and the CSV and JSON of both."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from pipeline.core.csvsafe import csv_text
from pipeline.web.stats import Alert, spikes, wilson

DIMENSIONS = {"outlet": "outlet", "country": "country", "language": "lang", "target": "target"}
PERIODS = ("week", "month")
DEFAULT_PERIODS = 12
# Ten years of weeks: enough for any reading, few enough for one page.
MAX_PERIODS = 520
# The series of all items; parentheses keep it apart from any outlet, country, language or target.
ALL = "(all)"
EXPORT_COLUMNS = ("period", "period_end", "by", "key", "flagged", "relevant", "rate", "ci_low", "ci_high",
                  "alert_week", "alert_z")


class TrendInputError(ValueError):
    """A trend request that cannot be answered (a bad date or range); the message says what to change."""


@dataclass(frozen=True, slots=True)
class Window:
    """Whole periods from the one holding `start` to the one holding `end`."""

    period: str
    start: date
    end: date

    def starts(self) -> list[date]:
        """The first day of every period in the window."""
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = next_start(day, self.period)
        return out


def period_start(day: date, period: str) -> date:
    """The Monday of the day's week, or the first of its month (as DuckDB's date_trunc)."""
    return day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def next_start(day: date, period: str) -> date:
    """The first day of the period after the one starting on `day`."""
    if period == "week":
        return day + timedelta(weeks=1)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_day(name: str, text: str | None) -> date | None:
    """A YYYY-MM-DD query value, or None when empty."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TrendInputError(f"{name} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-01") from None


def window(period: str, first: date | None, last: date | None, latest: date | None) -> Window:
    """The chosen range widened to whole periods; without `to`, up to the latest item (or today); without
    `from`, the DEFAULT_PERIODS periods before `to`."""
    last = last or max(latest or date.today(), first or date.min)
    end = period_start(last, period)
    if first is None:
        start = end
        for _ in range(DEFAULT_PERIODS - 1):
            start = period_start(start - timedelta(days=1), period)
    elif first > last:
        raise TrendInputError(f"from {first} is after to {last}; choose a from date before the to date")
    else:
        start = period_start(first, period)
    chosen = Window(period, start, end)
    if len(chosen.starts()) > MAX_PERIODS:
        raise TrendInputError(f"the range {first} to {last} has more than {MAX_PERIODS} {period}s; "
                              "choose a shorter range or period=month")
    return chosen


def period_end(start: date, period: str) -> date:
    """The last day of the period starting on `start`."""
    return next_start(start, period) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Point:
    """One period of one series: flagged of relevant, their share and its 95 % Wilson interval, and the
    strongest spike alert of a week in the period (None: no alert)."""

    period: date
    flagged: int
    relevant: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    alert: Alert | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """The points of one value of the dimension (or of all items, key ALL), one per period of the window."""

    key: str
    points: tuple[Point, ...]

    @property
    def flagged(self) -> int:
        """Flagged items over the window."""
        return sum(p.flagged for p in self.points)

    @property
    def relevant(self) -> int:
        """Relevant items over the window."""
        return sum(p.relevant for p in self.points)

    @property
    def rate(self) -> float | None:
        """Flagged ÷ relevant over the window (None without relevant items)."""
        return self.flagged / self.relevant if self.relevant else None


def point(day: date, flagged: int, relevant: int, alert: Alert | None = None) -> Point:
    """A point with its share and interval."""
    low, high = wilson(flagged, relevant) or (None, None)
    return Point(day, flagged, relevant, flagged / relevant if relevant else None, low, high, alert)


def series(rows: Sequence[dict[str, Any]], dimension: str, win: Window, alerts: Sequence[Alert] = ()) -> list[Series]:
    """All items first, then one series per value of the dimension (most flagged first). For targets, the
    share is of all relevant items of the period, since only flagged items have a target."""
    column = DIMENSIONS[dimension]
    flagged: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    relevant: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    total_flagged: dict[date, int] = defaultdict(int)
    total_relevant: dict[date, int] = defaultdict(int)
    for row in rows:
        flagged[str(row[column])][row["period"]] += int(row["flagged"])
        relevant[str(row[column])][row["period"]] += int(row["relevant"])
        total_flagged[row["period"]] += int(row["flagged"])
        total_relevant[row["period"]] += int(row["relevant"])
    marks, days = alert_marks(alerts, dimension, win.period), win.starts()
    out = [Series(ALL, tuple(point(d, total_flagged.get(d, 0), total_relevant.get(d, 0)) for d in days))]
    for key in sorted(relevant, key=lambda k: (-sum(flagged[k].values()), k)):
        if dimension == "target" and key == "none":
            continue
        base = total_relevant if dimension == "target" else relevant[key]
        out.append(Series(key, tuple(point(d, flagged[key].get(d, 0), base.get(d, 0), marks.get((key, d)))
                                     for d in days)))
    return out


def alert_marks(alerts: Sequence[Alert], dimension: str, period: str) -> dict[tuple[str, date], Alert]:
    """The strongest alert of the dimension per (key, period holding its week)."""
    marks: dict[tuple[str, date], Alert] = {}
    for a in alerts:
        slot = (a.key, period_start(a.week, period))
        if a.dimension == dimension and (slot not in marks or a.z > marks[slot].z):
            marks[slot] = a
    return marks


def export_rows(lines: Sequence[Series], dimension: str, period: str) -> list[dict[str, Any]]:
    """Exactly what the chart shows, one row per series and period."""
    return [{"period": p.period.isoformat(), "period_end": period_end(p.period, period).isoformat(),
             "by": dimension, "key": s.key, "flagged": p.flagged, "relevant": p.relevant,
             "rate": _round(p.rate), "ci_low": _round(p.ci_low), "ci_high": _round(p.ci_high),
             "alert_week": p.alert.week.isoformat() if p.alert else None, "alert_z": p.alert.z if p.alert else None}
            for s in lines for p in s.points]


def _round(value: float | None) -> float | None:
    """A share to four decimals (0.1 % precision is more than any interval here supports)."""
    return None if value is None else round(value, 4)


def export_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The chart's rows as spreadsheet-safe CSV."""
    return csv_text(EXPORT_COLUMNS, rows)


def export_json(rows: Sequence[dict[str, Any]], dimension: str, win: Window) -> dict[str, Any]:
    """The chart's rows with what they mean."""
    return {"period": win.period, "by": dimension, "from": win.start.isoformat(),
            "to": period_end(win.end, win.period).isoformat(),
            "rate": "flagged / relevant (a reviewer's verdict replaces the model's flag)",
            "interval": "Wilson score interval, 95 %", "rows": list(rows)}


def weekly_alerts(rows: Sequence[dict[str, Any]]) -> list[Alert]:
    """Spike alerts on weekly flagged counts, for every dimension."""
    if not rows:
        return []
    first, last = min(r["period"] for r in rows), max(r["period"] for r in rows)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    alerts: list[Alert] = []
    for dimension, column in DIMENSIONS.items():
        counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            if row["flagged"]:
                counts[str(row[column])][row["period"]] += int(row["flagged"])
        if dimension == "target":
            counts.pop("none", None)
        alerts.extend(spikes(counts, dimension, weeks))
    return sorted(alerts, key=lambda a: (a.week, a.z), reverse=True)


def alerts_csv(alerts: Sequence[Alert]) -> str:
    """Alerts as CSV text."""
    return csv_text(("week", "dimension", "key", "count", "median", "mad", "z"), (asdict(a) for a in alerts))
