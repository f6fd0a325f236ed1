"""The seven sets staged 2026-12-07: label mappings, target groups and kinds, pair-aware splits, LODO."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.training.datasets import DATASETS, Example, binary_label, load_examples, read_rows
from models.training.datasets_labels import kind, target_group
from models.training.datasets_split import by_language, dedupe, group_keys, lodo_language_splits, lodo_splits


def row(text: str, label: str, split: str = "all", **labels: Any) -> dict[str, Any]:
    """A normalized row."""
    return {"text": text, "label": label, "labels": labels, "target": None, "lang": "en", "split": split,
            "source_id": labels.pop("source_id", None)}


def test_licences_and_shipping_follow_the_readme() -> None:
    shipped = {n for n, d in DATASETS.items() if d.redistributable}
    assert shipped == {"hatexplain", "mlma", "dynahate_devtest", "hatemojibuild", "davidson2017", "sbic_devtest",
                       "germeval2018", "ftr_french_racism"}
    assert DATASETS["stormfront_degibert2018"].licence == "CC BY-SA 3.0 ES"
    assert DATASETS["hatemojibuild"].licence == DATASETS["sbic_devtest"].licence == "CC BY 4.0"
    assert DATASETS["davidson2017"].licence == DATASETS["ftr_french_racism"].licence == "MIT"
    assert DATASETS["dynahate_devtest"].licence.startswith("MIT per author in issue #1")
    assert DATASETS["haspeede2018"].licence == "CC BY-NC-SA 4.0" and DATASETS["ethos"].licence == "GPL-3.0"


@pytest.mark.parametrize(("dataset", "label", "expected"), [
    ("davidson2017", "hatespeech", 1), ("davidson2017", "offensive", 0), ("davidson2017", "normal", 0),
    ("sbic_devtest", "offensive", 0), ("germeval2018", "offensive", 0), ("germeval2018", "hatespeech", 1),
    ("stormfront_degibert2018", "undecided", None), ("stormfront_degibert2018", "hatespeech", 1),
    ("ftr_french_racism", "normal", 0), ("dynahate_devtest", "hatespeech", 1), ("hatemojibuild", "normal", 0)])
def test_binary_labels(dataset: str, label: str, expected: int | None) -> None:
    assert binary_label(dataset, row("t", label)) == expected


def test_existing_datasets_keep_their_labels() -> None:
    assert binary_label("hatexplain", {"label": "offensive"}) == 0
    assert binary_label("mlma", {"label": "offensive_hateful"}) == 1
    assert binary_label("mlma", {"label": "abusive"}) is None
    assert binary_label("ethos", {"label": 0.3}) is None and binary_label("ethos", {"label": 0.5}) == 1
    assert binary_label("iwg_german_refugees", {"label": {"expert1": "YES", "expert2": "NO"}}) is None


@pytest.mark.parametrize(("dataset", "labels", "group", "kind_"), [
    ("dynahate_devtest", {"target": "immig", "type": "dehumanization"}, "migrants_refugees", "dehumanisation"),
    ("dynahate_devtest", {"target": "bla, jew", "type": "threatening"}, "religion", "threat"),
    ("dynahate_devtest", {"target": "bla.wom", "type": "support"}, "ethnicity_nationality",
     "support_for_hateful_groups"),
    ("dynahate_devtest", {"target": "notgiven", "type": "notgiven"}, None, None),
    ("dynahate_devtest", {"target": "wom", "type": "animosity"}, "other_group", "animosity"),
    ("hatemojibuild", {"target": ["asi.south", "ref"], "type": "threateninglanguage"}, "migrants_refugees", "threat"),
    ("hatemojibuild", {"target": ["muswom"], "type": "derogation"}, "religion", "derogation"),
    ("hatemojibuild", {"target": ["nat.poland"], "type": "dehumanizinglanguage"}, "ethnicity_nationality",
     "dehumanisation"),
    ("sbic_devtest", {"targetMinority": ["immigrants"], "targetCategory": ["culture"]}, "migrants_refugees", None),
    ("sbic_devtest", {"targetMinority": ["jewish folks"], "targetCategory": ["culture"]}, "religion", None),
    ("sbic_devtest", {"targetMinority": ["black folks"], "targetCategory": ["race"]}, "ethnicity_nationality", None),
    ("sbic_devtest", {"targetMinority": ["women"], "targetCategory": ["gender"]}, "other_group", None),
    ("ethos", {"national_origin": 0.8, "violence": 0.6}, "ethnicity_nationality", "threat"),
    ("mlma", {"group": "refugees"}, "migrants_refugees", None),
    ("davidson2017", {}, None, None),
])
def test_target_group_and_kind_of_hateful_rows(dataset: str, labels: dict[str, Any], group: str | None,
                                                kind_: str | None) -> None:
    r = row("t", "hatespeech", **labels)
    assert (target_group(dataset, r, 1), kind(dataset, r, 1)) == (group, kind_)
    assert (target_group(dataset, r, 0), kind(dataset, r, 0)) == ("none", None), "not hate: no group, no kind"


def pairs(dataset: str, n: int) -> list[dict[str, Any]]:
    """n original/perturbation pairs, linked the way the dataset links them."""
    rows = []
    for i in range(n):
        a, b = f"{dataset}:{2 * i}", f"{dataset}:{2 * i + 1}"
        if dataset == "hatemojibuild":
            rows += [row(f"hate {i}", "hatespeech", "train", source_id=a, matched_id=2 * i + 1, target=["bla"]),
                     row(f"fine {i}", "normal", ("val", "test", "train")[i % 3], source_id=b, matched_id=2 * i,
                         target=["none"])]
        else:
            rows += [row(f"hate {i}", "hatespeech", "val", source_id=a),
                     row(f"fine {i}", "normal", "test", source_id=b, **{"acl.id.matched": a.split(":")[1]})]
    return rows


@pytest.mark.parametrize("dataset", ["dynahate_devtest", "hatemojibuild"])
def test_a_pair_is_never_split(dataset: str) -> None:
    rows = pairs(dataset, 200)
    examples = read_rows(rows, dataset, seed=7)
    by_group: dict[str | None, set[str]] = {}
    for ex in examples:
        by_group.setdefault(ex.group, set()).add(ex.split)
    assert len(by_group) == 200 and all(len(s) == 1 for s in by_group.values())
    assert {ex.split for ex in examples} == {"train", "val", "test"}


def test_official_split_pulls_a_pair_to_its_held_out_member() -> None:
    splits = {ex.text: ex.split for ex in read_rows(pairs("hatemojibuild", 3), "hatemojibuild")}
    assert splits == {"hate 0": "val", "fine 0": "val", "hate 1": "test", "fine 1": "test",
                      "hate 2": "train", "fine 2": "train"}


def test_split_hashes_the_group_not_the_row() -> None:
    rows = [row("one sentence .", "normal", source_id=f"stormfront_degibert2018:77_{i}") for i in range(1, 9)]
    rows += [row("another post", "hatespeech", source_id="stormfront_degibert2018:78_1")]
    keys = group_keys(rows, "stormfront_degibert2018")
    assert len(set(keys[:8])) == 1 and keys[8] != keys[0]
    for seed in range(20):
        assert len({ex.split for ex in read_rows(rows[:8], "stormfront_degibert2018", seed)}) == 1
    equal = [row("Same text", "normal", source_id="davidson2017:1"), row(" same  TEXT ", "normal",
                                                                          source_id="davidson2017:2")]
    assert len(set(group_keys(equal, "davidson2017"))) == 1


def test_germeval_keeps_its_test_and_gets_a_val_share() -> None:
    rows = [row(f"tweet {i}", "normal", "train", source_id=f"germeval2018:train:{i}") for i in range(400)]
    rows += [row(f"test {i}", "hatespeech", "test", source_id=f"germeval2018:test:{i}") for i in range(50)]
    examples = read_rows(rows, "germeval2018")
    assert all(ex.split == "test" for ex in examples if ex.text.startswith("test"))
    val = sum(ex.split == "val" for ex in examples)
    assert 20 <= val <= 60, val


def test_load_examples_reads_a_staged_folder(tmp_path: Path) -> None:
    folder = tmp_path / "hatemojibuild"
    folder.mkdir()
    (folder / "hatemojibuild.normalized.jsonl").write_text(
        "\n".join(json.dumps(r) for r in pairs("hatemojibuild", 4)), encoding="utf-8")
    examples = list(load_examples(tmp_path, ("hatemojibuild",)))
    assert len(examples) == 8 and {e.target_group for e in examples} == {"ethnicity_nationality", "none"}


def ex(text: str, dataset: str, lang: str = "en", split: str = "train") -> Example:
    """An example with a label of 0."""
    return Example(text, 0, lang, dataset, split)


def test_lodo_holds_out_a_whole_dataset_and_its_copies() -> None:
    examples = [ex("a", "davidson2017"), ex("b", "davidson2017", split="test"), ex("c", "sbic_devtest"),
                ex("A", "sbic_devtest", split="val"), ex("d", "sbic_devtest", split="test"), ex("e", "mlma", "fr")]
    train, test = lodo_splits(examples, "davidson2017")
    assert [e.text for e in test] == ["a", "b"]
    assert [e.text for e in train] == ["c", "e"], "copies of held-out texts and other sets' test rows are left out"
    with pytest.raises(ValueError, match="no examples of dataset 'ethos'"):
        lodo_splits(examples, "ethos")
    assert list(by_language(examples)) == ["en", "fr"]
    train, test = lodo_language_splits(examples + [ex("f", "mlma", "fr", "test")], "fr")
    assert [e.text for e in test] == ["f"] and {e.lang for e in train} == {"en"}
    assert [e.text for e in dedupe(examples)] == ["a", "b", "c", "d", "e"]
