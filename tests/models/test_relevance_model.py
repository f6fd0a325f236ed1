"""The embedding relevance head: combined score, calibration, safe loading, training, eval, the gate."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from models.relevance.model import DEFAULT_DIR, load_relevance_head, load_relevance_model
from models.relevance.training import DATA_DIR, load_passages, score_passages
from pipeline.classify.classifier import classifier_tag, classify_batch
from pipeline.cli import app
from pipeline.core.config import Settings
from pipeline.core.errors import InputError, ModelError
from pipeline.core.record import Article

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model() -> Any:
    """The shipped relevance model (on the shared multilingual encoder)."""
    return load_relevance_model()


def _subset(tmp_path: Path, per_kind: int) -> Path:
    """A small labelled file: the first passages of each language and kind of the test split."""
    seen: dict[tuple[str, str], int] = {}
    rows = []
    for line in (DATA_DIR / "test.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        key = (row["lang"], row["kind"])
        if row["lang"] in ("en", "fr", "es") and seen.get(key, 0) < per_kind:
            seen[key] = seen.get(key, 0) + 1
            rows.append(line)
    path = tmp_path / "subset.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_combined_score_grows_with_each_signal(model: Any) -> None:
    p_embedding = np.linspace(0.01, 0.99, 25)
    for lexical in (0.0, 0.3, 0.9):
        scores = model.combine(p_embedding, np.full(25, lexical))
        assert np.all(np.diff(scores) > 0) and scores.min() > 0.0 and scores.max() < 1.0
    by_lexicon = model.combine(np.full(10, 0.3), np.linspace(0.0, 0.99, 10))
    assert np.all(np.diff(by_lexicon) > 0)


def test_scores_are_calibrated_on_held_out_passages(model: Any, tmp_path: Path) -> None:
    passages = load_passages(_subset(tmp_path, 4))
    scores, _ = score_passages(model, passages)
    labels = np.array([p.label for p in passages])
    assert np.mean((scores - labels) ** 2) < 0.15  # Brier score
    assert abs(scores.mean() - labels.mean()) < 0.15
    assert scores[labels == 1].mean() > 0.7 and scores[labels == 0].mean() < 0.35


def test_tampered_heads_are_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    head, _ = load_relevance_head(DEFAULT_DIR)
    for name, payload in (("foreign", {"embedding": DecisionTreeClassifier().fit([[0], [1]], [0, 1]),
                                       "stack": head["stack"]}),
                          ("shape", {"embedding": head["embedding"]}),
                          ("swapped", {"embedding": head["embedding"],
                                       "stack": LogisticRegression().fit([[0, 0, 0], [1, 1, 1]], [0, 1])})):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(DEFAULT_DIR / "meta.json", folder / "meta.json")
        sio.dump(payload, folder / "head.skops")
        with pytest.raises(ModelError, match="not allowed|does not hold"):
            load_relevance_model(folder)
    (tmp_path / "garbage").mkdir()
    shutil.copy(DEFAULT_DIR / "meta.json", tmp_path / "garbage" / "meta.json")
    (tmp_path / "garbage" / "head.skops").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelError, match="not a readable skops file"):
        load_relevance_model(tmp_path / "garbage")


def test_train_writes_a_loadable_versioned_head(tmp_path: Path) -> None:
    data = _subset(tmp_path, 3)
    result = CliRunner().invoke(app, ["train-relevance", "--data", str(data), "--test", str(data),
                                      "--out", str(tmp_path / "head"), "--version", "0.0.1"])
    assert result.exit_code == 0, result.output
    assert "suggested gate" in result.output
    meta = json.loads((tmp_path / "head" / "meta.json").read_text())
    assert meta["version"] == "0.0.1" and all(c > 0 for c in meta["stack_coef"])
    assert "Model card" in (tmp_path / "head" / "MODEL_CARD.md").read_text()
    assert load_relevance_model(tmp_path / "head").tag == "xenowatch-relevance@0.0.1"


def test_eval_command_reports_each_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval-relevance", "--data", str(_subset(tmp_path, 2)), "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    assert table["gate"] == 0.1  # the default gate on the cascade's score
    assert set(table["languages"]) == {"en", "fr", "es", "all"}
    assert table["languages"]["all"]["combined"]["recall"] >= 0.8


def _liar_row(n: int, statement: str, subjects: str) -> str:
    """One LIAR line: 14 tab-separated columns, the label second, the statement third, the subjects fourth."""
    return "\t".join([f"{n}.json", "half-true", statement, subjects, "someone", "", "", "", "0", "0", "0", "0", "0",
                      "a debate"])


def test_eval_command_measures_on_a_liar_folder_with_the_immigration_subject_as_label(tmp_path: Path) -> None:
    rows = [("Says the senator voted to cut the number of refugees admitted each year by half.", "immigration"),
            ("Says border agents deported more people last year than in any year before.", "crime,immigration"),
            ("The state's roads are rated the worst in the region.", "transportation"),
            ("Our opponent wants to raise taxes on every family in the state.", "taxes")]
    (tmp_path / "valid.tsv").write_text(_liar_row(1, *rows[0]) + "\n" + _liar_row(2, *rows[2]) + "\n", "utf-8")
    (tmp_path / "test.tsv").write_text(_liar_row(3, *rows[1]) + "\n" + _liar_row(4, *rows[3]) + "\n", "utf-8")
    result = CliRunner().invoke(app, ["eval-relevance", "--liar", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    assert {k: v["n"] for k, v in table["kinds"].items()} == {"liar-immigration": 2, "liar-other": 2}
    assert table["languages"]["all"]["lexicon"]["confusion"] == {"tp": 2, "fp": 0, "fn": 0, "tn": 2}
    both = CliRunner().invoke(app, ["eval-relevance", "--liar", str(tmp_path), "--data", str(tmp_path / "x")])
    assert both.exit_code != 0 and "not both" in str(both.exception or both.output)
    missing = CliRunner().invoke(app, ["eval-relevance", "--liar", str(tmp_path / "none")])
    assert missing.exit_code != 0 and "valid.tsv" in str(missing.exception or missing.output)


def test_eval_command_rejects_a_bad_line_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "label": 1}\n{"text": "no label"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:2"):
        load_passages(bad)
    proc = subprocess.run([sys.executable, "-m", "pipeline", "eval-relevance", "--data", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "bad.jsonl:2" in proc.stderr


def test_gate_lets_implicit_migration_through_and_keeps_other_senses_out(classifier: Any, model: Any) -> None:
    items = [Article(url="a", outlet="o", text="The boats keep coming and nobody in Westminster seems to care."),
             Article(url="b", outlet="o",
                     text="Money sent home by cousins working in Spain pays for the village school."),
             Article(url="c", outlet="o", text="Millions of monarch butterflies begin their migration to Mexico."),
             Article(url="d", outlet="o", text="The bank completed the migration of customer accounts to the cloud.")]
    # head 1.1.0 scores the butterflies 0.20 (1.0.0: 0.12); both pass the default gate 0.1, neither 0.25
    out = classify_batch(items, replace(classifier, relevance_model=model), gate=0.25)
    assert [a.hate is not None for a in out] == [True, True, False, False]
    assert all(0.0 <= (a.relevance or 0.0) <= 1.0 for a in out)
    assert out[0].relevance is not None and out[2].relevance is not None
    assert out[0].relevance > out[2].relevance


def test_the_embedding_is_a_setting_and_part_of_the_tag(classifier: Any, model: Any) -> None:
    # On by default since the cascade (issue 15): the lexicon decides most items without it.
    assert classifier.relevance_model is not None and classifier_tag(Settings()) == classifier.tag
    lexicon_only = replace(classifier, relevance_model=None)
    assert classifier_tag(Settings(relevance_embedding=False)) == lexicon_only.tag
    assert classifier.tag == f"{lexicon_only.tag}+{model.tag}"


def test_encoder_memo_embeds_a_repeated_text_once_and_forgets_after(model: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    encoder, calls = model.encoder, []
    real = encoder._encode

    def spy(batch: list[str]) -> Any:
        calls.append(list(batch))
        return real(batch)

    monkeypatch.setattr(encoder, "_encode", spy)
    with encoder.memo():
        first = encoder.encode(["memo one"])
        both = encoder.encode(["memo one", "memo two"])
    encoder.encode(["memo one"])
    assert calls == [["memo one"], ["memo two"], ["memo one"]]
    assert np.array_equal(first[0], both[0])
