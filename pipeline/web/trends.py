"""Trends for authorities: flagged and relevant counts per period and dimension, and spike alerts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from pipeline.core.csvsafe import csv_text
from pipeline.web.stats import Alert, spikes

DIMENSIONS = {"outlet": "outlet", "country": "country", "language": "lang", "target": "target"}
PERIODS = ("week", "month")


def table(rows: Sequence[dict[str, Any]], dimension: str, last: int = 12) -> dict[str, Any]:
    """The last `last` periods as columns and one row per value of the dimension:
    {periods, rows: [{key, flagged: [...], relevant: [...], total_flagged}], totals: [...]}."""
    column = DIMENSIONS[dimension]
    flagged: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    relevant: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        key = str(row[column])
        flagged[key][row["period"]] += int(row["flagged"])
        relevant[key][row["period"]] += int(row["relevant"])
    periods = sorted({row["period"] for row in rows})[-last:]
    lines: list[dict[str, Any]] = [
        {"key": key, "flagged": [flagged[key].get(p, 0) for p in periods],
         "relevant": [relevant[key].get(p, 0) for p in periods],
         "total_flagged": sum(flagged[key].get(p, 0) for p in periods)}
        for key in sorted(relevant) if not (dimension == "target" and key == "none")]  # targets: flagged only
    lines.sort(key=lambda ln: (-ln["total_flagged"], ln["key"]))
    totals = [sum(ln["flagged"][i] for ln in lines) for i in range(len(periods))]
    return {"periods": periods, "rows": lines, "totals": totals}


def weekly_alerts(rows: Sequence[dict[str, Any]]) -> list[Alert]:
    """Spike alerts on weekly flagged counts, for every dimension."""
    if not rows:
        return []
    first, last = min(r["period"] for r in rows), max(r["period"] for r in rows)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    alerts: list[Alert] = []
    for dimension, column in DIMENSIONS.items():
        series: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            if row["flagged"]:
                series[str(row[column])][row["period"]] += int(row["flagged"])
        if dimension == "target":
            series.pop("none", None)
        alerts.extend(spikes(series, dimension, weeks))
    return sorted(alerts, key=lambda a: (a.week, a.z), reverse=True)


def alerts_csv(alerts: Sequence[Alert]) -> str:
    """Alerts as CSV text."""
    return csv_text(("week", "dimension", "key", "count", "median", "mad", "z"), (asdict(a) for a in alerts))
