"""`xenowatch train` on a tiny data folder, the licence guard, and safe loading of heads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.hate.loading import load_hate_model
from models.hate.model import load_head
from pipeline.cli import app
from pipeline.core.errors import ModelError

pytestmark = pytest.mark.slow
runner = CliRunner()
HATE = ["{g} are vermin, throw them out", "kill all the {g} now", "{g} are parasites and scum"]
FINE = ["the {g} opened a bakery", "we met {g} at the library", "{g} won the chess cup"]
GROUPS = ["migrants", "refugees", "neighbours", "students", "players"]


def write_data(root: Path) -> Path:
    """A folder shaped like ../shared/data with a few rows per dataset and split."""
    rows = []
    for split in ("train", "val", "test"):
        for g in GROUPS:
            rows += [{"text": t.format(g=g), "label": "hatespeech", "split": split, "lang": "en"} for t in HATE]
            rows += [{"text": t.format(g=g), "label": "normal", "split": split, "lang": "en"} for t in FINE]
    (root / "hatexplain").mkdir(parents=True)
    (root / "hatexplain" / "hatexplain.normalized.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    mlma = [{"text": r["text"], "label": "hateful" if r["label"] == "hatespeech" else "normal",
             "lang": "fr", "split": "all"} for r in rows]
    (root / "mlma").mkdir()
    (root / "mlma" / "mlma.normalized.jsonl").write_text("\n".join(json.dumps(r) for r in mlma))
    return root


def test_train_then_load_and_predict(tmp_path: Path) -> None:
    data, out = write_data(tmp_path / "data"), tmp_path / "head"
    result = runner.invoke(app, ["train", "--data", str(data), "--out", str(out), "--no-cache", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "hatexplain/en" in result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 3 and 0 < meta["threshold"] < 1 and meta["datasets"]["mlma"]["licence"] == "MIT"
    assert "Model card" in (out / "MODEL_CARD.md").read_text()
    model = load_hate_model(out)
    hateful, fine = model.predict([("", "migrants are vermin, throw them out"), ("", "migrants opened a bakery")])
    assert hateful.score > fine.score


def test_restricted_data_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--data", str(tmp_path), "--datasets", "hatexplain,haspeede2018"])
    assert result.exit_code != 0
    assert "licence does not allow shipping" in str(result.exception)


def test_missing_dataset_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and "not found; pass the folder" in str(result.exception)


def test_head_with_unexpected_types_is_refused(tmp_path: Path) -> None:
    import skops.io as sio
    from sklearn.svm import SVC

    sio.dump(SVC(), tmp_path / "head.skops")
    (tmp_path / "meta.json").write_text("{}")
    with pytest.raises(ModelError, match="sklearn.svm._classes.SVC, which is not allowed"):
        load_head(tmp_path)
    with pytest.raises(ModelError, match="no trained head"):
        load_head(tmp_path / "missing")
