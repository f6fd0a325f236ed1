"""Geometry of the trend chart, drawn server-side as SVG: one small panel per series on a shared scale, the
share of each period with its interval as a whisker, and spike alerts as marks (no script, no download)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.web.trends import ALL, Point, Series

WIDTH, HEIGHT = 388, 200
LEFT, RIGHT, TOP, BOTTOM = 46, 14, 28, 40
# A scale ends at the first of these at or above the highest interval: panels stay comparable and round.
Y_LIMITS = (0.02, 0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.75, 1.0)
X_LABELS = 3
LABEL_HALF = 32  # half the width of a date label at 11 px
TITLE_CHARS = 26  # a longer name is shortened in the panel's title (the whole name is in its tooltip)


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area of a panel and its scales."""

    periods: int
    y_max: float

    def x(self, i: int) -> float:
        """The x of the i-th period (centred in its slot)."""
        slot = (WIDTH - LEFT - RIGHT) / max(self.periods, 1)
        return round(LEFT + slot * (i + 0.5), 1)

    def y(self, share: float) -> float:
        """The y of a share."""
        return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - min(share, self.y_max) / self.y_max), 1)


def y_limit(lines: Sequence[Series]) -> float:
    """The shared top of the y axis."""
    top = max((p.ci_high or 0.0 for s in lines for p in s.points), default=0.0)
    return next((limit for limit in Y_LIMITS if top <= limit), 1.0)


def percent(share: float | None, digits: int = 1) -> str:
    """A share as a percentage, or a dash."""
    return "–" if share is None else f"{100 * share:.{digits}f} %"


def short(name: str) -> str:
    """A name cut to TITLE_CHARS characters."""
    return name if len(name) <= TITLE_CHARS else name[:TITLE_CHARS - 1] + "…"


def x_ticks(frame: Frame, labels: Sequence[str]) -> list[dict[str, Any]]:
    """About X_LABELS evenly spaced period labels, the last period always among them; a label that would
    cross the panel's edge is aligned to its tick instead of centred on it."""
    step = max(1, -(-len(labels) // X_LABELS))
    picked = sorted({*range(len(labels) - 1, -1, -step)})
    return [{"x": frame.x(i), "label": labels[i], "anchor": "end" if frame.x(i) + LABEL_HALF > WIDTH else
             "start" if frame.x(i) - LABEL_HALF < 0 else "middle"} for i in picked]


def y_ticks(frame: Frame) -> list[dict[str, Any]]:
    """0, half and the top of the scale."""
    digits = 0 if frame.y_max >= 0.1 else 1
    return [{"y": frame.y(v), "label": percent(v, digits)} for v in (0.0, frame.y_max / 2, frame.y_max)]


def marks(frame: Frame, points: Sequence[Point], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Each period with relevant items: its point, whisker and tooltip, and its alert mark."""
    out = []
    for i, p in enumerate(points):
        if p.rate is None or p.ci_low is None or p.ci_high is None:
            continue
        tip = (f"{labels[i]}: {p.flagged} of {p.relevant} relevant flagged, {percent(p.rate)} "
               f"(95 % interval {percent(p.ci_low)} to {percent(p.ci_high)})")
        alert = None if p.alert is None else (f"Spike alert: week of {p.alert.week}, {p.alert.count} flagged, "
                                              f"median {p.alert.median}, z = {p.alert.z}")
        out.append({"x": frame.x(i), "y": frame.y(p.rate), "low": frame.y(p.ci_low), "high": frame.y(p.ci_high),
                    "period": p.period.isoformat(), "flagged": p.flagged, "relevant": p.relevant,
                    "rate": p.rate, "tip": tip, "alert": alert})
    return out


def segments(frame: Frame, points: Sequence[Point]) -> list[tuple[float, float, float, float]]:
    """Lines between neighbouring periods that both have relevant items (a gap stays a gap)."""
    return [(frame.x(i), frame.y(a.rate), frame.x(i + 1), frame.y(b.rate))
            for i, (a, b) in enumerate(zip(points, points[1:])) if a.rate is not None and b.rate is not None]


def panels(lines: Sequence[Series], period: str) -> list[dict[str, Any]]:
    """One panel per series, all on the same scales."""
    labels = [p.period.isoformat()[:7] if period == "month" else p.period.isoformat() for p in lines[0].points]
    frame = Frame(len(labels), y_limit(lines))
    common = {"x_ticks": x_ticks(frame, labels), "y_ticks": y_ticks(frame), "left": LEFT, "right": WIDTH - RIGHT,
              "top": TOP, "bottom": HEIGHT - BOTTOM, "width": WIDTH, "height": HEIGHT}
    return [{**common, "key": s.key, "all": s.key == ALL, "name": "All items" if s.key == ALL else short(s.key),
             "flagged": s.flagged, "relevant": s.relevant, "rate": percent(s.rate),
             "marks": marks(frame, s.points, labels), "lines": segments(frame, s.points)} for s in lines]
