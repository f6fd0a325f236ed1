"""`xenowatch train --extra FILE`: validated extra labelled JSONL, recorded in the model's metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.training.extra import load_extra
from pipeline.cli import app
from pipeline.core.errors import InputError

runner = CliRunner()
HATE = ["{g} are vermin, throw them out", "kill all the {g} now", "{g} are parasites and scum"]
FINE = ["the {g} opened a bakery", "we met {g} at the library", "{g} won the chess cup"]


def row(text: str, label: str = "normal", split: str = "train", **kw: object) -> dict[str, object]:
    """A line in the normalized format."""
    return {"text": text, "label": label, "lang": "en", "target": None, "split": split, "source_id": "r1", **kw}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    """Rows as JSONL."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_valid_file_gives_examples_and_a_summary(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "reviewed.jsonl", [row("fine"), row("awful", "hatespeech", "val", lang="fr-FR"),
                                                     row("rude", "offensive", "test", target="migrants")])
    examples, info = load_extra(path)
    assert [(e.label, e.lang, e.split, e.target) for e in examples] == [
        (0, "en", "train", None), (1, "fr", "val", None), (0, "en", "test", "migrants")]
    assert examples[0].dataset == "extra:reviewed.jsonl"
    assert info["examples"] == 3 and info["splits"] == {"test": 1, "train": 1, "val": 1} and len(info["sha256"]) == 64


def test_every_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(row("ok")), "{not json", json.dumps(row("x", "hate")), json.dumps({"text": "y"}),
             json.dumps(row("")), json.dumps(row("z", split="dev")), json.dumps(row("w", lang="English")), "[1]"]
    path.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    with pytest.raises(InputError) as info:
        load_extra(path)
    message = str(info.value)
    assert "8 bad lines, nothing was trained" in message
    for expected in ("line 2: invalid JSON", "line 3: label 'hate' is invalid; must be one of: hatespeech, normal, "
                     "offensive", "line 4: missing field(s) label, lang, target, split, source_id",
                     "line 5: text must be a non-empty string", "line 6: split 'dev' is invalid",
                     "line 7: lang 'English' is invalid", "line 8: a line must be a JSON object",
                     "line 9: invalid UTF-8"):
        assert expected in message
    assert "line 1" not in message


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read it"):
        load_extra(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match="no labelled lines"):
        load_extra(tmp_path / "empty.jsonl")


def tiny_data(root: Path) -> Path:
    """A folder shaped like ../shared/data with a few HateXplain-like rows per split."""
    rows = [{"text": t.format(g=g), "label": label, "split": split, "lang": "en"}
            for split in ("train", "val", "test") for g in ("migrants", "students", "players", "cooks", "a", "b", "c")
            for label, templates in (("hatespeech", HATE), ("normal", FINE)) for t in templates]
    (root / "hatexplain").mkdir(parents=True)
    write_jsonl(root / "hatexplain" / "hatexplain.normalized.jsonl", rows)
    return root


@pytest.mark.slow
def test_train_with_two_extra_files(tmp_path: Path) -> None:
    extra = [write_jsonl(tmp_path / f"reviewed{k}.jsonl",
                         [row(t.format(g=g), label, split) for split in ("train", "test") for g in ("refugees", "cooks")
                          for label, templates in (("hatespeech", HATE), ("normal", FINE)) for t in templates])
             for k in (1, 2)]
    out = tmp_path / "head"
    # The default embedding cache: the written training and audit sets are encoded once per machine.
    result = runner.invoke(app, ["train", "--data", str(tiny_data(tmp_path / "data")), "--out", str(out),
                                 "--datasets", "hatexplain",
                                 "--extra", str(extra[0]), "--extra", str(extra[1])])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text())
    assert [e["file"] for e in meta["extra"]] == ["reviewed1.jsonl", "reviewed2.jsonl"]
    assert meta["extra"][0]["examples"] == 24 and "extra:reviewed1.jsonl/en" in meta["test_metrics"]
    assert "en" in meta["thresholds"] and "templates/es" in meta["bias"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "`extra:reviewed1.jsonl`" in card and "| templates/fr | migration |" in card


def test_train_refuses_a_bad_extra_file_before_any_work(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(row("fine")) + "\n" + json.dumps(row("x", "hateful")) + "\n")
    result = runner.invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--extra", str(bad)])
    assert result.exit_code != 0
    assert "line 2: label 'hateful' is invalid" in str(result.exception)
    assert not (tmp_path / "o").exists()
