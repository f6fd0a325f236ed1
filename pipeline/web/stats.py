"""Agreement between reviewers (Cohen's kappa), spike alerts over weekly counts (robust z-score) and the
Wilson interval of a share."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations

TRAILING_WEEKS = 8
MIN_HISTORY = 4
Z_ALERT = 3.5
MIN_COUNT = 3
# With sparse counts the MAD is often 0; a floor of one item keeps the score finite and meaningful.
MAD_FLOOR = 1.0
Z95 = 1.959964


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of the share k / n (95 % by default); None when n is 0. It stays inside
    [0, 1] and is not empty at k = 0 or k = n, where the normal approximation fails."""
    if n <= 0:
        return None
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa for two raters' labels on the same items; None with no items, 1.0 when both
    always gave one and the same label."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    labels = {x for pair in pairs for x in pair}
    expected = sum((sum(a == k for a, _ in pairs) / n) * (sum(b == k for _, b in pairs) / n) for k in labels)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Agreement of two reviewers over the items both decided."""

    a: str
    b: str
    items: int
    agreed: int
    kappa: float | None


def agreement(labels: Iterable[tuple[str, str, str]]) -> list[PairAgreement]:
    """Kappa per reviewer pair from (item, reviewer, label) rows."""
    by_item: dict[str, dict[str, str]] = defaultdict(dict)
    for item, reviewer, label in labels:
        by_item[item][reviewer] = label
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for decided in by_item.values():
        for a, b in combinations(sorted(decided), 2):
            pairs[(a, b)].append((decided[a], decided[b]))
    return [PairAgreement(a, b, len(p), sum(x == y for x, y in p), cohen_kappa(p))
            for (a, b), p in sorted(pairs.items())]


@dataclass(frozen=True, slots=True)
class Alert:
    """A week whose flagged count stands out from the trailing weeks of the same series."""

    week: date
    dimension: str
    key: str
    count: int
    median: float
    mad: float
    z: float


def robust_z(value: float, history: Sequence[float]) -> tuple[float, float, float]:
    """(z, median, MAD) with z = (x - median) / (1.4826 * MAD), the MAD floored at MAD_FLOOR."""
    med = statistics.median(history)
    mad = statistics.median(abs(h - med) for h in history)
    return (value - med) / (1.4826 * max(mad, MAD_FLOOR)), med, mad


def spikes(series: dict[str, dict[date, int]], dimension: str, weeks: Sequence[date]) -> list[Alert]:
    """Alerts for every week of every series with enough trailing history (missing weeks count 0)."""
    alerts = []
    for key, counts in series.items():
        values = [counts.get(w, 0) for w in weeks]
        for i in range(MIN_HISTORY, len(weeks)):
            history = values[max(0, i - TRAILING_WEEKS):i]
            if values[i] < MIN_COUNT:
                continue
            z, med, mad = robust_z(values[i], history)
            if z >= Z_ALERT:
                alerts.append(Alert(weeks[i], dimension, key, values[i], med, mad, round(z, 2)))
    return sorted(alerts, key=lambda a: (a.week, -a.z), reverse=True)
