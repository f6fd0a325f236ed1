"""What a ranking can and cannot tell apart: rank ranges where 95 % intervals overlap, the share of
bootstrap resamples in which each outlet comes first, changes with their intervals, and all of it in words."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from pipeline.award.rank import SEED, Draws, OutletScore

BOUNDS = {"score": ("ci_low", "ci_high"), "change": ("change_low", "change_high")}


def with_uncertainty(lines: Sequence[OutletScore], draws: Draws, key: str = "score") -> list[OutletScore]:
    """Ranked lines with the ranks their 95 % intervals allow and their share of resamples in which they are first.

    An outlet can rank no better than 1 + the outlets whose interval lies wholly above its own, and no
    worse than the outlets whose interval does not lie wholly below it."""
    low, high = BOUNDS[key]
    ranked = [ln for ln in lines if ln.rank is not None]
    first = first_shares({ln.outlet_id: draws[ln.outlet_id] for ln in ranked if ln.outlet_id in draws})
    lows, highs = sorted(getattr(o, low) for o in ranked), sorted(getattr(o, high) for o in ranked)
    out = []
    for ln in lines:
        if ln.rank is None:
            out.append(ln)
            continue
        above = len(lows) - bisect_right(lows, getattr(ln, high))  # intervals wholly above this one
        below = bisect_left(highs, getattr(ln, low))  # and wholly below
        out.append(replace(ln, rank_low=min(1 + above, ln.rank), rank_high=max(len(ranked) - below, ln.rank),
                           p_first=first.get(ln.outlet_id)))
    return out


def first_shares(draws: Draws) -> dict[str, float]:
    """Each outlet's share of resamples in which it has the highest value (a tie in a resample is shared)."""
    if not draws:
        return {}
    ids = sorted(draws)
    table = np.vstack([draws[i] for i in ids])
    top = table == table.max(axis=0)
    shares = (top / top.sum(axis=0)).mean(axis=1)
    return {i: round(float(s), 3) for i, s in zip(ids, shares)}


def change_draws(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Resampled changes between two years' resampled scores, paired at random: both years are resampled
    from the same seed, so pairing draw i with draw i would correlate them and narrow the interval."""
    changes: np.ndarray = now - np.random.default_rng(SEED + 1).permutation(before)
    return changes


def interval(samples: np.ndarray) -> tuple[float, float]:
    """The 95 % percentile interval of resamples, to one decimal."""
    low, high = np.percentile(samples, [2.5, 97.5])
    return round(float(low), 1), round(float(high), 1)


def rank_label(row: Mapping[str, Any] | OutletScore) -> str:
    """The rank to print: '3', a range '1–4' where intervals overlap, or '–' when unranked."""
    rank, low, high = (_get(row, k) for k in ("rank", "rank_low", "rank_high"))
    if rank is None:
        return "–"
    return f"{low}–{high}" if low is not None and high is not None and low != high else str(rank)


def is_tied(row: Mapping[str, Any] | OutletScore) -> bool:
    """Whether the data allows this line more than one rank."""
    return _get(row, "rank") is not None and _get(row, "rank_low") != _get(row, "rank_high")


def _get(row: Mapping[str, Any] | OutletScore, key: str) -> Any:
    """A field of a line, whether a snapshot row (dict) or an OutletScore."""
    return row.get(key) if isinstance(row, Mapping) else getattr(row, key, None)


def tie_groups(rows: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Ranked lines in rank order, split where no rank range reaches into the next line's."""
    ranked = sorted((r for r in rows if r.get("rank") is not None and r.get("rank_low") is not None),
                    key=lambda r: (r["rank"], r["outlet_id"]))
    groups: list[list[Mapping[str, Any]]] = []
    for row in ranked:
        if groups and row["rank_low"] <= max(r["rank_high"] for r in groups[-1]):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def tie_sentences(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str], what: str = "score") -> list[str]:
    """What the order says and does not say, in words: who is first beyond doubt, who cannot be told apart."""
    groups = tie_groups(rows)
    if not groups:
        return []
    out = [_first_sentence(groups[0], names, what)]
    for group in groups:
        if len(group) > 1:
            low, high = min(r["rank_low"] for r in group), max(r["rank_high"] for r in group)
            who = _join([names.get(r["outlet_id"], r["outlet_id"]) for r in group])
            out.append(f"The data cannot tell apart {who}: their 95 % intervals overlap, so they share "
                       f"ranks {low}–{high} in no order the data can fix.")
    if len(out) == 1 and sum(len(g) for g in groups) > 1:
        out.append("No two outlets' 95 % intervals overlap, so every rank is supported by the data.")
    return out


def _first_sentence(top: Sequence[Mapping[str, Any]], names: Mapping[str, str], what: str) -> str:
    """Whether one line is first beyond the uncertainty, with the shares of resamples in which each comes first."""
    noun = "improved most" if what == "change" else "is first"
    shares = sorted(((r.get("p_first") or 0.0, names.get(r["outlet_id"], r["outlet_id"])) for r in top), reverse=True)
    if len(top) == 1:
        return (f"{shares[0][1]} {noun} beyond the uncertainty: its 95 % interval lies above every other's "
                f"(first in {100 * shares[0][0]:.0f} % of the bootstrap resamples).")
    listed = _join([f"{name} {100 * p:.0f} %" for p, name in shares if p >= 0.005] or [shares[0][1]])
    return (f"No outlet {noun} beyond the uncertainty. Share of the bootstrap resamples in which each comes "
            f"first: {listed}.")


def _join(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
