"""The compact unigram tokenizer gives the full vocabulary's ids and masks, and falls back for other scripts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.encoders.compact_tokenizer import CompactTokenizer, covered, load_tokenizer, prune
from models.encoders.e5 import e5_folder
from models.hate.network import encode

# Written for this test: the five languages, accents and ligatures, repeated letters (ties between segmentations),
# emoji and symbols, spacing, special-token text, a long text that is truncated, and an empty one.
LATIN = ["Refugees opened a bakery on the high street.", "Les sans-papiers réclament leur régularisation !",
         "Los menores no acompañados llegaron a Ceuta… «otra vez».", "Die Geflüchteten lernen Deutsch; Straße, Öl.",
         "I migranti sono sbarcati a Lampedusa — è notte.", "sooooo many of themmmm lolll hahahaha",
         "They should all go back 🤬🤬 #invasion @user ™ € 12,5 %", "Œuvre, cœur, naïve, façade, Ærø, ẞ, ỹ",
         "tabs\tand\nnew lines   and  spaces", "<s> not a token </s> <mask> <pad> <unk>",
         "Ｆｕｌｌｗｉｄｔｈ letters become Latin", "Los solicitantes de asilo esperan meses. " * 40, ""]
OTHER = ["Refugees from Kyiv (Київ) arrived", "المهاجرون وصلوا أمس", "移民 arrived 昨天"]


@pytest.fixture(scope="module")
def folder() -> Path:
    """The converted e5 folder (the shared cache)."""
    return e5_folder()


@pytest.fixture(scope="module")
def pair(folder: Path) -> tuple[CompactTokenizer, object]:
    """The compact tokenizer and transformers' tokenizer over the whole vocabulary."""
    from transformers import AutoTokenizer

    compact = load_tokenizer(folder)
    assert isinstance(compact, CompactTokenizer)
    return compact, AutoTokenizer.from_pretrained(folder)


def test_covered_keeps_latin_punctuation_and_emoji_only() -> None:
    assert covered("▁Ærø, naïve — «ok» 🤬 € ™") and covered("")
    assert not covered("Київ") and not covered("وصلوا") and not covered("移民")


@pytest.mark.parametrize("pad_to", [None, 8])
def test_same_ids_and_masks_as_the_full_tokenizer(pair: tuple[CompactTokenizer, object], pad_to: int | None) -> None:
    compact, full = pair
    ours, theirs = encode(compact, LATIN, 128, "cpu", pad_to), encode(full, LATIN, 128, "cpu", pad_to)
    assert torch.equal(ours["input_ids"], theirs["input_ids"])
    assert torch.equal(ours["attention_mask"], theirs["attention_mask"])
    assert ours["input_ids"].shape[1] == 128  # the long text was truncated


def test_lists_and_numpy_come_back_in_full_ids(pair: tuple[CompactTokenizer, object]) -> None:
    compact, full = pair
    assert compact(LATIN[:3])["input_ids"] == full(LATIN[:3])["input_ids"]  # type: ignore[operator]
    ours = compact(LATIN[:3], padding=True, return_tensors="np")["input_ids"]
    assert np.array_equal(ours, full(LATIN[:3], padding=True, return_tensors="np")["input_ids"])  # type: ignore[operator]
    assert compact._small(LATIN[:3])["input_ids"] != compact(LATIN[:3])["input_ids"], "ids must be mapped back"
    assert compact(LATIN[1])["input_ids"] == full(LATIN[1])["input_ids"]  # type: ignore[operator]


def test_other_scripts_go_to_the_full_vocabulary(folder: Path, pair: tuple[CompactTokenizer, object]) -> None:
    _, full = pair
    fresh = load_tokenizer(folder)
    assert isinstance(fresh, CompactTokenizer)
    encode(fresh, LATIN, 64, "cpu")
    assert fresh._full is None, "a Latin batch must not load the full vocabulary"
    ours, theirs = encode(fresh, LATIN[:2] + OTHER, 64, "cpu"), encode(full, LATIN[:2] + OTHER, 64, "cpu")
    assert fresh._full is not None and torch.equal(ours["input_ids"], theirs["input_ids"])


def test_prune_keeps_specials_and_the_lowest_piece_with_their_ids() -> None:
    spec = {"model": {"type": "Unigram", "unk_id": 1, "vocab": [["<s>", 0.0], ["<unk>", 0.0], ["▁a", -1.0],
                                                                ["ж", -9.0], ["▁b", -2.0], ["д", -3.0]]},
            "added_tokens": [{"id": 0, "content": "<s>"}, {"id": 1, "content": "<unk>"}],
            "post_processor": {"type": "TemplateProcessing", "special_tokens": {"<s>": {"id": "<s>", "ids": [0]}}}}
    pruned, ids = prune(spec)
    assert [p for p, _ in pruned["model"]["vocab"]] == ["<s>", "<unk>", "▁a", "ж", "▁b"]
    assert ids.tolist() == [0, 1, 2, 3, 4] and pruned["model"]["unk_id"] == 1
    assert json.dumps(pruned["post_processor"]) == json.dumps(spec["post_processor"])


def test_other_vocabularies_get_transformers_own_tokenizer(tmp_path: Path, folder: Path) -> None:
    spec = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    spec["model"] = {"type": "WordLevel", "vocab": {"<unk>": 0, "a": 1}, "unk_token": "<unk>"}
    spec["added_tokens"], spec["post_processor"] = [], None
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec), "utf-8")
    assert not isinstance(load_tokenizer(tmp_path), CompactTokenizer)
