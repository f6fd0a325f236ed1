"""Outlet ranking for a year: shrunk mean rubric score, bootstrap intervals, ties kept as ties."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from pipeline.record import sha1
from pipeline.sources import Outlet
from pipeline.store import ScoredRow

BOOTSTRAP = 1000
SEED = 20260101
UNRANKED_TYPES = ("social",)


@dataclass(frozen=True, slots=True)
class OutletScore:
    """One outlet's line in a ranking."""

    rank: int | None
    outlet_id: str
    outlet: str
    country: str | None
    media_type: str | None
    score: float | None
    ci_low: float | None
    ci_high: float | None
    n_articles: int
    category: str
    status: str


def shrunk_mean(scores: np.ndarray, prior: float, strength: float) -> float:
    """Mean pulled toward the prior as if `strength` articles had the prior's score."""
    return float((scores.sum() + strength * prior) / (len(scores) + strength))


def bootstrap_ci(scores: np.ndarray, prior: float, strength: float,
                 rng: np.random.Generator, n: int = BOOTSTRAP) -> tuple[float, float]:
    """95 % percentile interval of the shrunk mean over article resamples."""
    idx = rng.integers(0, len(scores), size=(n, len(scores)))
    samples = (scores[idx].sum(axis=1) + strength * prior) / (len(scores) + strength)
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high)


def rank_outlets(rows: Sequence[ScoredRow], outlets: dict[str, Outlet], min_articles: int,
                 category: str = "overall") -> list[OutletScore]:
    """Rank the outlets with at least `min_articles` scored articles; list the others unranked."""
    by_outlet: dict[str, list[float]] = {}
    for row in rows:
        if outlets.get(row.outlet_id, Outlet(row.outlet_id, row.outlet_id)).media_type not in UNRANKED_TYPES:
            by_outlet.setdefault(row.outlet_id, []).append(row.score)
    if not by_outlet:
        return []
    prior = float(np.mean([s for scores in by_outlet.values() for s in scores]))
    rng = np.random.default_rng(SEED)
    lines = [_line(oid, np.array(sorted(scores)), outlets, prior, min_articles, category, rng)
             for oid, scores in sorted(by_outlet.items())]
    return _assign_ranks(lines)


def _line(outlet_id: str, scores: np.ndarray, outlets: dict[str, Outlet], prior: float,
          min_articles: int, category: str, rng: np.random.Generator) -> OutletScore:
    """One outlet's score and interval, or 'not enough data'."""
    o = outlets.get(outlet_id, Outlet(outlet_id, outlet_id))
    if len(scores) < min_articles:
        return OutletScore(None, o.id, o.name, o.country, o.media_type, None, None, None, len(scores),
                           category, f"not enough data ({len(scores)} < {min_articles} articles)")
    score = shrunk_mean(scores, prior, min_articles)
    low, high = bootstrap_ci(scores, prior, min_articles, rng)
    return OutletScore(None, o.id, o.name, o.country, o.media_type, round(score, 1), round(low, 1),
                       round(high, 1), len(scores), category, "ranked")


def _assign_ranks(lines: list[OutletScore]) -> list[OutletScore]:
    """Competition ranking (1, 2, 2, 4) on scores rounded to one decimal; unranked last."""
    ranked = sorted((ln for ln in lines if ln.score is not None), key=lambda ln: (-(ln.score or 0), ln.outlet))
    out = []
    for line in ranked:
        better = sum(1 for other in ranked if (other.score or 0) > (line.score or 0))
        out.append(OutletScore(**{**asdict(line), "rank": better + 1}))
    return out + sorted((ln for ln in lines if ln.score is None), key=lambda ln: ln.outlet)


def snapshot_of(year: int, rows: Sequence[ScoredRow], ranking: Sequence[OutletScore], rubric_version: str,
                model: str, min_articles: int) -> dict[str, object]:
    """The reproducible record of a ranking: its id is a hash of every input."""
    parameters = {"min_articles": min_articles, "bootstrap": BOOTSTRAP, "seed": SEED,
                  "shrinkage_strength": min_articles, "unranked_media_types": list(UNRANKED_TYPES)}
    inputs = sorted((r.article_id, r.content_hash) for r in rows)
    key = json.dumps([year, rubric_version, model, parameters, inputs])
    return {"id": sha1(key)[:16], "year": year, "rubric_version": rubric_version,
            "models": {"classifier": model}, "parameters": parameters,
            "article_ids": [a for a, _ in inputs], "rows": [asdict(r) for r in ranking]}
