"""Per-language thresholds, and the bias audit (subgroup, BPSN and BNSP AUC)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from models.evaluation.bias import SUBGROUPS, Item, bias_table, markdown_bias, template_texts
from models.hate.finetuned import FINETUNED_DIR, FinetunedHateModel
from models.hate.model import DEFAULT_DIR
from models.training.card_finetuned import EVALUATION_FILE
from models.training.datasets import Example
from models.training.hate import language_thresholds
from pipeline.cli import app

HATEFUL = "Migrants are vermin, throw them all out."


def test_thresholds_only_for_languages_with_enough_validation_data() -> None:
    rng = np.random.default_rng(0)
    langs = ["en"] * 200 + ["fr"] * 60 + ["es"] * 10
    y = np.array([i % 2 for i in range(len(langs))])
    probs = np.where(y == 1, 0.35, 0.2) + rng.uniform(0, 0.05, len(langs))
    probs[200:260] = np.where(y[200:260] == 1, 0.75, 0.5)
    examples = [Example("t", int(label), lang, "d", "val") for label, lang in zip(y, langs)]
    cuts = language_thresholds(examples, y, probs, np.array(["val"] * len(langs)), 0.3)
    assert set(cuts) == {"en", "fr"}, "es has too few validation examples and keeps the global threshold"
    assert 0.25 <= cuts["en"] <= 0.35
    # fr's own best cut is 0.5 to 0.75, shrunk toward 0.3 by 60 / (60 + 200)
    assert 0.3 + (0.5 - 0.3) * 60 / 260 <= cuts["fr"] <= 0.3 + (0.75 - 0.3) * 60 / 260


@pytest.mark.slow
def test_each_language_is_decided_at_its_own_threshold(classifier: Any) -> None:
    hate = classifier.hate
    score = float(hate.probabilities([HATEFUL])[0])
    meta = {**hate.meta, "threshold": score / 2, "thresholds": {"fr": min(score + 0.01, 0.999)}}
    model = FinetunedHateModel(hate.net, meta)
    en, fr, unknown = model.predict([("", HATEFUL)] * 3, ["en", "fr-FR", None])
    assert en.hate and unknown.hate and not fr.hate
    assert model.threshold_for("FR") == meta["thresholds"]["fr"] and model.threshold_for("de") == score / 2
    forced = FinetunedHateModel(hate.net, meta, threshold=0.3)
    assert forced.thresholds == {} and forced.threshold_for("fr") == 0.3, "a set threshold applies to all"


@pytest.mark.slow
def test_shipped_models_have_thresholds_per_language_and_a_bias_audit(classifier: Any) -> None:
    meta = classifier.hate.meta
    assert {"en", "fr", "de"} <= set(meta["thresholds"]) and all(0 < v < 1 for v in meta["thresholds"].values())
    evaluation = json.loads((FINETUNED_DIR / EVALUATION_FILE).read_text(encoding="utf-8"))
    assert {f"templates/{lang}" for lang in ("en", "fr", "es")} <= set(evaluation["bias"])
    legacy = json.loads((DEFAULT_DIR / "meta.json").read_text(encoding="utf-8"))
    assert {"en", "fr"} <= set(legacy["thresholds"]) and "templates/es" in legacy["bias"]


def test_bias_metrics_find_a_biased_subgroup() -> None:
    items = [Item("t", "en", g, label, score)
             for g in (None, "migration", "religion") for label in (0, 1) for score in np.linspace(0, 0.3, 10)
             for score in [score + 0.6 * label]]
    # Harmless mentions of religion score like hate: BPSN collapses, subgroup AUC too.
    items = [Item(i.source, i.lang, i.subgroup, i.label, i.score + 0.6)
             if i.subgroup == "religion" and i.label == 0 else i for i in items]
    table = bias_table(items)["t/en"]
    assert (table["migration"]["n"], table["migration"]["positives"]) == (20, 10)
    assert table["migration"]["subgroup_auc"] == table["migration"]["bpsn_auc"] == 1.0
    # The background holds religion's high-scoring harmless mentions: migration's BNSP drops a little.
    assert table["migration"]["bnsp_auc"] == 0.75
    assert table["religion"]["bpsn_auc"] < 0.6 and table["religion"]["subgroup_auc"] < 0.6
    assert table["religion"]["bnsp_auc"] == 1.0
    assert "| t/en | religion | 20 | 10 |" in markdown_bias({"t/en": table})


def test_too_few_examples_give_no_auc() -> None:
    items = [Item("t", "en", "migration", 1, 0.9)] * 3 + [Item("t", "en", None, 0, 0.1)] * 10
    row = bias_table(items)["t/en"]["migration"]
    assert row["subgroup_auc"] is None and row["bpsn_auc"] is None and row["bnsp_auc"] is None


def test_audit_set_covers_every_language_and_subgroup_evenly() -> None:
    rows = template_texts()
    cells = Counter((lang, sub, label) for _, lang, sub, label in rows if sub)
    assert {(lang, sub) for lang, sub, _ in cells} == {(lang, s) for lang in ("en", "fr", "es") for s in SUBGROUPS}
    assert all(cells[(lang, sub, 0)] == cells[(lang, sub, 1)] for lang, sub, _ in cells)
    assert all("{g}" not in text for text, *_ in rows)


@pytest.mark.slow
def test_eval_bias_prints_the_table() -> None:
    result = CliRunner().invoke(app, ["eval", "--bias"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "subgroup AUC" in lines[0] and "BPSN AUC" in lines[0] and "BNSP AUC" in lines[0]
    assert len([line for line in lines if line.startswith("templates/")]) == 9
