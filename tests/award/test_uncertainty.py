"""An award that says no more than the data supports: ties and rank ranges where 95 % intervals overlap,
the share of resamples in which each outlet is first, intervals in every category, and a most improved
outlet only for an improvement beyond the uncertainty (on a real DuckDB file)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.award.rank import OutletScore, assign_ranks
from pipeline.award.report import CSV_COLUMNS
from pipeline.award.ties import first_shares, rank_label, tie_sentences, with_uncertainty
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from tests.award.support import TIED_2026, by, rank, seed


def line(oid: str, rank: int, score: float, low: float, high: float) -> OutletScore:
    return OutletScore(rank, oid, oid.title(), None, None, score, low, high, 12, "overall", "ranked")


def test_rank_ranges_follow_overlapping_intervals() -> None:
    # the example: four intervals that all overlap, then one apart
    lines = [line("a", 1, 90.9, 89.1, 92.7), line("b", 2, 90.0, 88.3, 91.7), line("c", 3, 88.3, 86.7, 89.9),
             line("d", 4, 87.7, 85.5, 90.0), line("e", 5, 60.0, 55.0, 65.0)]
    out = {ln.outlet_id: ln for ln in with_uncertainty(lines, {})}
    assert [(out[k].rank_low, out[k].rank_high) for k in "abcde"] == [(1, 4), (1, 4), (1, 4), (1, 4), (5, 5)]
    assert rank_label(out["a"]) == "1–4" and rank_label(out["e"]) == "5"
    words = tie_sentences([vars_of(ln) for ln in out.values()], {k: k.title() for k in "abcde"})
    assert words[0].startswith("No outlet is first beyond the uncertainty")
    assert "The data cannot tell apart A, B, C and D" in words[1] and "ranks 1–4" in words[1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 30), st.booleans()), max_size=30))
def test_ranks_and_ranges_match_the_pairwise_definitions(rows: list[tuple[int, int, bool]]) -> None:
    # tenths on a coarse grid, so that ties and touching intervals are common; some lines are not ranked
    lines = [replace(line(f"o{i}", 0, s / 2, s / 2 - w / 10, s / 2 + w / 10), status="ranked" if ok else "no data")
             for i, (s, w, ok) in enumerate(rows)]
    ranked = assign_ranks(lines)
    scores = [ln.score for ln in lines if ln.status == "ranked"]
    assert [ln.rank for ln in ranked if ln.status == "ranked"] == [1 + sum(o > ln.score for o in scores)
                                                                   for ln in ranked if ln.status == "ranked"]
    assert sorted(id(ln) for ln in lines if ln.status != "ranked") == sorted(id(ln) for ln in ranked[len(scores):])
    kept = [ln for ln in ranked if ln.status == "ranked"]
    for ln in with_uncertainty(kept, {}):
        above = sum(1 for o in kept if o.ci_low > ln.ci_high)
        below = sum(1 for o in kept if o.ci_high < ln.ci_low)
        assert (ln.rank_low, ln.rank_high) == (min(1 + above, ln.rank), max(len(kept) - below, ln.rank))


def vars_of(ln: OutletScore) -> dict:
    return {f: getattr(ln, f) for f in OutletScore.__dataclass_fields__}


def test_first_shares_come_from_the_resamples_and_sum_to_one() -> None:
    rng = np.random.default_rng(1)
    shares = first_shares({"a": rng.normal(91, 1, 1000), "b": rng.normal(90, 1, 1000), "c": rng.normal(50, 1, 1000)})
    assert shares["a"] > shares["b"] > 0.1 and shares["c"] == 0.0
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.002)
    tie = first_shares({"x": np.full(10, 5.0), "y": np.full(10, 5.0)})
    assert tie == {"x": 0.5, "y": 0.5}  # a tie in a resample is shared, not given to the first name


def test_tied_outlets_are_ranked_as_tied_in_the_stored_ranking(db: Database) -> None:
    seed(db, {2026: TIED_2026})
    lines, snap = rank(db)
    overall = by(snap, "overall")
    assert set(overall) == {"alba", "brisa", "cima", "duna", "eco"}  # the social account is never ranked
    top = [overall[o] for o in ("alba", "brisa", "cima", "duna")]
    assert all(r["rank_low"] == 1 and r["rank_high"] >= 3 for r in top), top
    assert (overall["eco"]["rank_low"], overall["eco"]["rank_high"]) == (5, 5) and overall["eco"]["p_first"] == 0.0
    assert sum(r["p_first"] for r in overall.values()) == pytest.approx(1.0, abs=0.002)
    assert overall["alba"]["p_first"] < 0.9  # the leader is not first beyond doubt
    spain = by(snap, "country:ES")  # categories carry their intervals and ranges within the group
    assert spain["alba"]["ci_low"] is not None and (spain["alba"]["rank_low"], spain["alba"]["rank_high"]) == (1, 2)
    stored = {(r["category"], r["outlet_id"]): r for r in _stored_rows(db, snap["id"])}
    assert stored[("overall", "alba")]["rank_high"] == overall["alba"]["rank_high"]
    assert stored[("overall", "alba")]["p_first"] == overall["alba"]["p_first"]


def _stored_rows(db: Database, snapshot_id: str) -> list[dict]:
    from pipeline.db import rankings

    stored = rankings.award_snapshot(db, snapshot_id)
    assert stored is not None
    return stored["stored_rows"]


def test_report_shows_ties_in_words_and_intervals_in_categories(db: Database, tmp_path: Path) -> None:
    seed(db, {2026: TIED_2026})
    lines, snap = rank(db)
    html = jobs.report_year(db, tmp_path / "r", 2026, lines, snap).read_text()
    assert "No outlet is first beyond the uncertainty" in html
    assert "The data cannot tell apart Alba Diario, Brisa Radio, Cima Press and Duna Daily" in html
    assert re.search(r'<td class="rank">1–4 <span class="tie">tied</span></td><td>Alba Diario', html)
    spain = html[html.index("<h3>Country: ES</h3>"):]
    spain = spain[:spain.index("</table>")]
    alba = by(snap, "country:ES")["alba"]
    assert "95 % interval" in spain and f"{alba['ci_low']:.1f} – {alba['ci_high']:.1f}" in spain
    assert "country:ES" not in html.replace('"country:ES"', "")  # headings are readable
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r" / "categories.csv").read_text())))
    assert list(rows[0])[:12] == list(CSV_COLUMNS)[:12]  # the earlier columns keep their place
    assert {"rank_low", "rank_high", "p_first", "change_low", "change_high"} <= set(rows[0])


def test_no_award_when_every_outlet_declined(db: Database, tmp_path: Path) -> None:
    seed(db, {2025: {o: s + 3 for o, s in TIED_2026.items()}, 2026: TIED_2026})
    lines, snap = rank(db)
    improved = by(snap, "most_improved")
    assert all(r["rank"] is None and r["change"] < 0 for r in improved.values())
    assert all(r["status"] == "no improvement" for r in improved.values())
    html = jobs.report_year(db, tmp_path / "r", 2026, lines, snap).read_text()
    assert "<strong>No award:</strong> no outlet improved; every outlet&#39;s score fell" in html


def test_no_award_for_a_rise_within_the_uncertainty(db: Database) -> None:
    seed(db, {2025: {**{o: s - 1 for o, s in TIED_2026.items()}, "eco": 60.5}, 2026: TIED_2026})
    improved = by(rank(db)[1], "most_improved")
    assert improved["alba"]["change"] > 0 and improved["alba"]["change_low"] < 0 < improved["alba"]["change_high"]
    assert improved["alba"]["rank"] is None and improved["alba"]["status"] == "improvement within the uncertainty"
    assert all(r["rank"] is None for r in improved.values())


def test_most_improved_needs_a_rise_beyond_the_uncertainty_and_agrees_with_the_trend(db: Database,
                                                                                    tmp_path: Path) -> None:
    seed(db, {2025: {**TIED_2026, "eco": 35.0}, 2026: TIED_2026})
    lines, snap = rank(db)
    improved = by(snap, "most_improved")
    eco = improved["eco"]
    assert eco["rank"] == 1 and eco["change_low"] > 0 and eco["status"] == "ranked"
    assert [o for o, r in improved.items() if r["rank"] is not None] == ["eco"]
    html = jobs.report_year(db, tmp_path / "r", 2026, lines, snap).read_text()
    trend = html[html.index("<h2>Trend per outlet</h2>"):]
    cell = r'<td class="num">([\d.]+) \(\d+\)</td>'
    cells = re.search(r"<td>Eco Tabloid</td>" + cell + cell, trend)
    assert cells, trend[:2000]
    before, now = float(cells.group(1)), float(cells.group(2))
    assert round(now - before, 1) == eco["change"] and now == by(snap, "overall")["eco"]["score"]
    assert f"{eco['change']:+.1f}" in html[html.index("Most improved"):html.index("<h2>Sex-disaggregated")]
