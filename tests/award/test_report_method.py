"""The report's methodology (no raw placeholders, the classifier's measured precision and recall), report
folders a web server can publish, and snapshot ids that depend only on what the ranking depends on."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.jobs.award import audit_snapshot, classifier_metrics
from tests.award.support import MODEL, TIED_2026, add_review, article, rank, rubric, seed

META = {"name": "xenowatch-hate", "version": "9.9.9", "threshold": 0.5,
        "test_metrics": {"set/en": {"n": 10, "positives": 8, "precision": 0.8, "recall": 0.5, "f1": 0.615,
                                    "auc": 0.7, "confusion": {"tp": 4, "fp": 1, "fn": 4, "tn": 1}},
                         "set/fr": {"n": 10, "positives": 2, "precision": 0.5, "recall": 1.0, "f1": 0.667,
                                    "auc": 0.7, "confusion": {"tp": 2, "fp": 2, "fn": 0, "tn": 6}}}}


def test_classifier_metrics_are_read_for_the_ranked_model(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "meta.json").write_text(json.dumps(META))
    found = classifier_metrics("xenowatch-hate@9.9.9+claims@1+lexicon@2", [tmp_path / "missing", tmp_path / "m"])
    assert found is not None and found["precision"] == round(6 / 9, 3) and found["recall"] == 0.6
    assert found["n"] == 20 and set(found["tests"]) == {"set/en", "set/fr"}
    assert classifier_metrics("xenowatch-hate@1.0.0+claims@1", [tmp_path / "m"]) is None  # another version
    shipped = classifier_metrics("xenowatch-hate@1.2.0+claims@1")  # the shipped head 1.2.0's meta.json
    assert shipped is not None and 0 < shipped["precision"] < 1 and 0 < shipped["recall"] < 1


def _methodology(db: Database, tmp_path: Path) -> str:
    seed(db, {2026: TIED_2026})
    lines, snap = rank(db)
    jobs.report_year(db, tmp_path / "r", 2026, lines, snap)
    return (tmp_path / "r" / "methodology.html").read_text()


def test_methodology_has_no_raw_placeholders_and_states_the_flag_rules(db: Database, tmp_path: Path) -> None:
    page = _methodology(db, tmp_path)
    assert not re.search(r"\{[a-z_]+\}", page), re.findall(r".{40}\{[a-z_]+\}.{20}", page)
    assert '<span class="slot">the terms found</span>' in page
    assert "Which hate-speech flags count" in page and "0.80 or more" in page and "One phrase, one penalty" in page
    # the test model has no meta.json: the page says so instead of printing a figure
    assert f"precision and recall of the classifier of this ranking (<code>{MODEL}</code>) are not available" in page


def test_methodology_states_measured_precision_and_recall(db: Database, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "meta.json").write_text(json.dumps({**META, "version": "0.0-test"}))  # the MODEL's version
    monkeypatch.setattr("pipeline.jobs.award.hate_model_folders", lambda: [tmp_path / "missing", tmp_path / "m"])
    page = _methodology(db, tmp_path)
    assert "precision of 67 %</strong>" in page and "recall of 60 %</strong>" in page
    assert "<td>set/fr</td>" in page and "not available" not in page


def test_report_folder_is_publishable(db: Database, tmp_path: Path) -> None:
    seed(db, {2026: TIED_2026})
    lines, snap = rank(db)
    old = os.umask(0o077)  # even under a strict umask
    try:
        out = tmp_path / "site" / "report"
        jobs.report_year(db, out, 2026, lines, snap)
        jobs.report_year(db, out, 2026, lines, snap)  # rewriting keeps the modes
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}


def test_reviews_of_unranked_items_leave_the_snapshot_reproduced(db: Database) -> None:
    post = article("alba", 2026, 77, 10.0, kind="post")
    social = article("feed", 2026, 78, 10.0)
    seed(db, {2026: TIED_2026}, extra=[post, social])
    _, snap = rank(db)
    assert post.id not in snap["article_ids"] and social.id not in snap["article_ids"]
    add_review(db, post.id, "confirm", "incitement")
    add_review(db, social.id, "reject")
    assert rank(db)[1]["id"] == snap["id"]
    result = CliRunner().invoke(app, ["--db", str(db.path), "rank", "--year", "2026", "--snapshot", snap["id"]])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reproduced"] is True
    ranked = next(a for a in seed_ids(db) if a != post.id and a != social.id)
    add_review(db, ranked, "reject")  # a verdict on a ranked article is an input: the audit says so
    audit = audit_snapshot(db, snap["id"], rubric())
    assert not audit["reproduced"] and audit["verdicts_changed"] == [ranked]


def seed_ids(db: Database) -> list[str]:
    with db.connect() as con:
        return [r[0] for r in con.execute("SELECT id FROM articles ORDER BY id").fetchall()]


def test_snapshot_id_does_not_depend_on_where_articles_were_fetched(tmp_path: Path) -> None:
    ids = []
    for port in (8765, 9876):  # the demo's port is in every article URL
        db = Database.open(tmp_path / f"{port}.duckdb")
        batch = seed(db, {2025: TIED_2026, 2026: TIED_2026}, url_base=f"http://127.0.0.1:{port}")
        add_review(db, batch[0].id, "reject")
        _, snap = rank(db)
        ids.append((snap["id"], snap["article_ids"]))
    assert ids[0][0] == ids[1][0] and ids[0][1] != ids[1][1]
