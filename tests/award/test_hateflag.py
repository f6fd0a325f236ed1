"""Which hate-speech flags count in the award: reviewed ones, unreviewed ones of high confidence, and one
phrase penalised once (unit rules, then the ranking and evidence packs on a real DuckDB file)."""

from __future__ import annotations

from pathlib import Path

from pipeline.award.hateflag import MIN_CONFIDENCE, award_row
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from tests.award.support import TIED_2026, add_review, article, by, flagged, rank, rubric, seed


def row_of(confidence: float, term: bool) -> dict:
    a = flagged("duna", 2026, 0, confidence, term)
    assert a.rubric is not None
    return {"id": a.id, "outlet_id": "duna", "score": a.rubric.score,
            "criteria": [c.to_dict() for c in a.rubric.criteria]}


def crit(row: dict, cid: str) -> dict:
    return next(c for c in row["criteria"] if c["id"] == cid)


def test_an_unreviewed_low_confidence_flag_is_shown_but_not_counted() -> None:
    row = row_of(0.59, term=False)
    counted = award_row(row, None, rubric())
    assert row["score"] < 100 and counted["score"] == 100.0
    hate = crit(counted, "hate_flag")
    assert hate["counted"] is False and "confidence 0.59 is below 0.80" in hate["explanation"]
    sure = row_of(MIN_CONFIDENCE, term=False)
    assert award_row(sure, None, rubric())["score"] == sure["score"]  # from MIN_CONFIDENCE up it counts


def test_one_phrase_is_penalised_once() -> None:
    row = row_of(0.9, term=True)  # 'Illegals' in the flagged headline: terminology 0.75 and the hate flag
    counted = award_row(row, None, rubric())
    terminology = crit(counted, "terminology")
    assert terminology["score"] == 1.0 and terminology["counted"] is False and terminology["evidence"] == []
    assert "Not counted again for 'Illegals'" in terminology["explanation"]
    assert crit(counted, "hate_flag")["score"] == crit(row, "hate_flag")["score"]  # the flag itself counts
    assert row["score"] < counted["score"] < 100.0


def test_a_reviewers_verdict_always_counts() -> None:
    row = row_of(0.59, term=True)
    rejected = award_row(row, {"decision": "reject", "severity": None, "target": None}, rubric())
    assert crit(rejected, "hate_flag")["score"] == 1.0 and crit(rejected, "terminology")["score"] == 0.75
    confirmed = award_row(row, {"decision": "confirm", "severity": "incitement", "target": None}, rubric())
    assert crit(confirmed, "hate_flag")["score"] == 0.0 and crit(confirmed, "terminology")["score"] == 1.0
    assert confirmed["verdict"] == "confirm" and confirmed["score"] < row["score"]


def _duna_score(db: Database, extra: list) -> float:
    seed(db, {2026: TIED_2026}, extra=extra)
    return by(rank(db)[1], "overall")["duna"]["score"]


def test_the_ranking_counts_flags_as_the_award_decides(tmp_path: Path) -> None:
    clean = _duna_score(Database.open(tmp_path / "clean.duckdb"), [article("duna", 2026, 90 + i, 100.0)
                                                                   for i in range(3)])
    weak = [flagged("duna", 2026, i, 0.59) for i in range(3)]
    assert _duna_score(Database.open(tmp_path / "weak.duckdb"), weak) == clean  # not counted: as if clean
    strong_db = Database.open(tmp_path / "strong.duckdb")
    strong = _duna_score(strong_db, [flagged("duna", 2026, i, 0.95) for i in range(3)])
    assert strong < clean
    add_review(strong_db, flagged("duna", 2026, 0, 0.95).id, "reject")
    add_review(strong_db, flagged("duna", 2026, 1, 0.95).id, "reject")
    add_review(strong_db, flagged("duna", 2026, 2, 0.95).id, "reject")
    lines, snap = rank(strong_db)
    assert by(snap, "overall")["duna"]["score"] == clean
    assert snap["parameters"]["hate_min_confidence"] == MIN_CONFIDENCE


def test_evidence_pack_marks_a_flag_not_counted_and_says_nothing_found(db: Database, tmp_path: Path) -> None:
    seed(db, {2026: {**TIED_2026, "duna": 80.0}}, extra=[flagged("duna", 2026, 0, 0.59)])
    lines, snap = rank(db)
    out = tmp_path / "r"
    jobs.report_year(db, out, 2026, lines, snap)
    pack = next(p for p in out.iterdir() if p.name.startswith("outlet-duna-")).read_text()
    assert "not counted" in pack and "Not counted in the award" in pack
    assert "nothing found" in pack and "(missing content)" not in pack
