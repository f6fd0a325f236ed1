"""Outlet ranking for a year: shrunk mean rubric score, bootstrap intervals, ties kept as ties.

The database aggregates articles into per-outlet score histograms (SQL); the bootstrap resamples
those histograms (a multinomial draw is an exact resample of the binned scores), so ranking
costs the same for 1,000 or 10 million articles once they are aggregated."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from pipeline.core.outlets import Outlet
from pipeline.core.record import ScoredRow, sha1

BOOTSTRAP = 1000
SEED = 20260101
BIN_WIDTH = 0.5  # score points per histogram bin; each bin keeps its exact mean
# Above this many articles the bootstrap distribution of a mean of bounded scores is normal to
# well within the 0.1 rounding: use its closed form from the histogram's mean and variance.
EXACT_MAX = 200
Z95 = 1.959964
UNRANKED_TYPES = ("social",)
Draws = dict[str, np.ndarray]  # outlet id -> BOOTSTRAP resampled scores


@dataclass(frozen=True, slots=True)
class OutletScore:
    """One outlet's line in a ranking (a category: overall, country:XX, media_type:T, most_improved)."""

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
    change: float | None = None
    # What the data supports: the ranks this line could hold given the 95 % intervals (rank_low..rank_high),
    # its share of bootstrap resamples in which it comes first, and for most improved the change's interval.
    rank_low: int | None = None
    rank_high: int | None = None
    p_first: float | None = None
    change_low: float | None = None
    change_high: float | None = None


@dataclass(frozen=True, slots=True)
class OutletBins:
    """An outlet's scores as a histogram: bin keys (floor(score / BIN_WIDTH)), the count and the
    sum of the scores in each bin."""

    outlet_id: str
    keys: np.ndarray
    counts: np.ndarray
    sums: np.ndarray

    @property
    def n(self) -> int:
        """Number of articles."""
        return int(self.counts.sum())


def bins_from_rows(rows: Sequence[ScoredRow], outlets: dict[str, Outlet]) -> list[OutletBins]:
    """The histograms of in-memory rows (what pipeline.db.rankings.outlet_bins computes in SQL), ranked types only."""
    by_outlet: dict[str, dict[int, list[float]]] = {}
    for row in rows:
        if _outlet(outlets, row.outlet_id).media_type not in UNRANKED_TYPES:
            b = int(np.floor(row.score / BIN_WIDTH))
            by_outlet.setdefault(row.outlet_id, {}).setdefault(b, []).append(row.score)
    return [_bins(oid, {k: (len(v), sum(v)) for k, v in bins.items()}) for oid, bins in sorted(by_outlet.items())]


def _bins(outlet_id: str, cells: dict[int, tuple[int, float]]) -> OutletBins:
    """OutletBins from {bin key: (count, sum)}, empty bins dropped."""
    keys = sorted(k for k, (c, _) in cells.items() if c > 0)
    return OutletBins(outlet_id, np.array(keys, dtype=np.int64), np.array([cells[k][0] for k in keys], dtype=np.int64),
                      np.array([cells[k][1] for k in keys], dtype=float))


def with_changes(bins: Sequence[OutletBins], changes: Sequence[tuple[str, float, float]]) -> list[OutletBins]:
    """Histograms with some articles' scores changed: (outlet_id, old score, new score) each
    (a reviewer's verdict), moved between bins without re-reading the articles."""
    out = {b.outlet_id: b for b in bins}
    for outlet_id, old, new in changes:
        b = out.get(outlet_id)
        if b is None:
            continue
        cells = {int(k): (int(c), float(s)) for k, c, s in zip(b.keys, b.counts, b.sums)}
        for score, sign in ((old, -1), (new, 1)):
            k = int(np.floor(score / BIN_WIDTH))
            c, s = cells.get(k, (0, 0.0))
            cells[k] = (c + sign, s + sign * score)
        out[outlet_id] = _bins(outlet_id, cells)
    return [out[k] for k in sorted(out)]


def shrunk_mean(total: float, n: int, prior: float, strength: float) -> float:
    """Mean pulled toward the prior as if `strength` articles had the prior's score."""
    return (total + strength * prior) / (n + strength)


def bootstrap_ci(b: OutletBins, prior: float, strength: float, rng: np.random.Generator,
                 n: int = BOOTSTRAP) -> tuple[float, float]:
    """95 % interval of the shrunk mean over article resamples: exact (multinomial on the bins)
    up to EXACT_MAX articles, the normal limit of the same bootstrap above."""
    low, high, _ = bootstrap(b, prior, strength, rng, n)
    return low, high


def bootstrap(b: OutletBins, prior: float, strength: float, rng: np.random.Generator,
              n: int = BOOTSTRAP) -> tuple[float, float, np.ndarray]:
    """The 95 % interval of bootstrap_ci and the `n` resampled shrunk means it rests on."""
    means = b.sums / b.counts
    if b.n > EXACT_MAX:
        mean = float(b.sums.sum()) / b.n
        sd = float(np.sqrt((b.counts * (means - mean) ** 2).sum() / b.n / b.n)) * b.n / (b.n + strength)
        centre = shrunk_mean(float(b.sums.sum()), b.n, prior, strength)
        # Draws of the normal limit come from the outlet's own stream, so the exact draws of the
        # other outlets (and so their intervals) do not depend on which outlets are large.
        own = np.random.default_rng([SEED, int(sha1(b.outlet_id)[:12], 16)])
        return centre - Z95 * sd, centre + Z95 * sd, own.normal(centre, sd, n)
    draws = rng.multinomial(b.n, b.counts / b.n, size=n)
    samples = (draws @ means + strength * prior) / (b.n + strength)
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high), samples


def rank_outlets(rows: Sequence[ScoredRow], outlets: dict[str, Outlet], min_articles: int,
                 category: str = "overall") -> list[OutletScore]:
    """Rank in-memory rows (tests, small data); the product ranks the SQL histograms the same way."""
    return rank_bins(bins_from_rows(rows, outlets), outlets, min_articles, category)


def rank_bins(bins: Sequence[OutletBins], outlets: dict[str, Outlet], min_articles: int,
              category: str = "overall") -> list[OutletScore]:
    """Rank the outlets with at least `min_articles` scored articles; list the others unranked."""
    return rank_with_draws(bins, outlets, min_articles, category)[0]


def rank_with_draws(bins: Sequence[OutletBins], outlets: dict[str, Outlet], min_articles: int,
                    category: str = "overall") -> tuple[list[OutletScore], Draws]:
    """rank_bins, and each ranked outlet's bootstrap resamples of its score (for ties and changes)."""
    bins = [b for b in bins if _outlet(outlets, b.outlet_id).media_type not in UNRANKED_TYPES and b.n]
    if not bins:
        return [], {}
    prior = float(sum(b.sums.sum() for b in bins) / sum(b.n for b in bins))
    rng = np.random.default_rng(SEED)
    lines, draws = [], {}
    for b in sorted(bins, key=lambda b: b.outlet_id):
        line, samples = _line(b, _outlet(outlets, b.outlet_id), prior, min_articles, category, rng)
        lines.append(line)
        if samples is not None:
            draws[b.outlet_id] = samples
    return assign_ranks(lines), draws


def _outlet(outlets: dict[str, Outlet], outlet_id: str) -> Outlet:
    """The registered outlet, or a bare one named by its id."""
    return outlets.get(outlet_id) or Outlet(outlet_id, outlet_id)


def _line(b: OutletBins, o: Outlet, prior: float, min_articles: int, category: str,
          rng: np.random.Generator) -> tuple[OutletScore, np.ndarray | None]:
    """One outlet's score, interval and resamples, or 'not enough data'."""
    if b.n < min_articles:
        return OutletScore(None, o.id, o.name, o.country, o.media_type, None, None, None, b.n,
                           category, f"not enough data ({b.n} < {min_articles} articles)"), None
    score = shrunk_mean(float(b.sums.sum()), b.n, prior, min_articles)
    low, high, samples = bootstrap(b, prior, min_articles, rng)
    return OutletScore(None, o.id, o.name, o.country, o.media_type, round(score, 1), round(low, 1),
                       round(high, 1), b.n, category, "ranked"), samples


def assign_ranks(lines: list[OutletScore], key: str = "score") -> list[OutletScore]:
    """Competition ranking (1, 2, 2, 4) on values rounded to one decimal; unranked last."""
    def value(ln: OutletScore) -> float:
        return float(getattr(ln, key))

    ranked = sorted((ln for ln in lines if getattr(ln, key) is not None and ln.status == "ranked"),
                    key=lambda ln: (-value(ln), ln.outlet))
    # Sorted and bisected, not counted pair by pair: 1,000 outlets took 1.2 s.
    lower = sorted(-value(o) for o in ranked)  # an outlet's rank is 1 + the number of higher values
    out = [replace(ln, rank=1 + bisect_left(lower, -value(ln))) for ln in ranked]
    chosen = {id(ln) for ln in ranked}
    return out + sorted((ln for ln in lines if id(ln) not in chosen), key=lambda ln: ln.outlet)


def snapshot_of(year: int, rows: Sequence[ScoredRow], ranking: Sequence[OutletScore], rubric_version: str,
                model: str, min_articles: int, verdicts: dict[str, dict[str, object]] | None = None,
                details: dict[str, object] | None = None, inputs: Sequence[object] = (),
                rules: dict[str, object] | None = None) -> dict[str, object]:
    """The reproducible record of a ranking. Its id is a hash of what the ranking depends on and nothing
    else: versions, parameters (with the award's `rules`), each ranked article's outlet and content with
    its reviewer's verdict, and any further `inputs` (the previous year's, for the most improved).
    Article ids (hashes of URLs) stay out of it, so serving the same articles from elsewhere changes nothing."""
    parameters = {"min_articles": min_articles, "bootstrap": BOOTSTRAP, "seed": SEED,
                  "shrinkage_strength": min_articles, "bin_width": BIN_WIDTH, "exact_bootstrap_max": EXACT_MAX,
                  "unranked_media_types": list(UNRANKED_TYPES), **(rules or {})}
    used = {k: {f: v[f] for f in ("decision", "severity", "target")} for k, v in sorted((verdicts or {}).items())}
    key = json.dumps([year, rubric_version, model, parameters, input_key(rows, used), list(inputs)])
    return {"id": sha1(key)[:16], "year": year, "rubric_version": rubric_version,
            "models": {"classifier": model}, "parameters": parameters,
            "article_ids": sorted(r.article_id for r in rows), "verdicts": used, **(details or {}),
            "rows": [asdict(r) for r in ranking]}


def input_key(rows: Sequence[ScoredRow], verdicts: dict[str, dict[str, object]]) -> list[list[str]]:
    """What a year's ranking reads, sorted: each article's outlet, content hash and verdict (if any)."""
    def verdict(article_id: str) -> list[str]:
        v = verdicts.get(article_id)
        return [str(v.get(f) or "") for f in ("decision", "severity", "target")] if v else []

    return sorted([r.outlet_id, r.content_hash, *verdict(r.article_id)] for r in rows)
