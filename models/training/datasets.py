"""Labelled data from ../shared/data: licences, and a binary hate label per row."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.training.datasets_labels import BINARY_NEW, kind, new_binary_label, target_group
from models.training.datasets_split import group_keys, grouped_splits
from pipeline.core.errors import InputError


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A dataset we know how to read, and whether a shipped model may be derived from it."""

    name: str
    file: str
    licence: str
    redistributable: bool
    split_policy: str = "legacy"  # legacy (row-seeded, kept for head 1.2.0), hash, official, official+val
    labels: tuple[str, ...] = ("hate",)  # which heads the data can teach: hate, target, kind


def _new(name: str, licence: str, redistributable: bool, policy: str, *labels: str) -> DatasetInfo:
    """A set staged 2026-12-07, read from <name>/<name>.normalized.jsonl."""
    return DatasetInfo(name, f"{name}/{name}.normalized.jsonl", licence, redistributable, policy, ("hate", *labels))


# Licences and shipping as ../shared/data/README.md states them. DynaHate and SBIC hold dev and test only (no
# train), so they are re-split by group; Stormfront's ShareAlike makes shipping a derived model unclear: not shipped.
NEW_DATASETS = {
    "dynahate_devtest": _new("dynahate_devtest", "MIT per author in issue #1 (no LICENSE file); cite Vidgen et al. "
                             "2021", True, "hash", "target", "kind"),
    "hatemojibuild": _new("hatemojibuild", "CC BY 4.0", True, "official", "target", "kind"),
    "davidson2017": _new("davidson2017", "MIT", True, "hash"),
    "sbic_devtest": _new("sbic_devtest", "CC BY 4.0", True, "hash", "target"),
    "stormfront_degibert2018": _new("stormfront_degibert2018", "CC BY-SA 3.0 ES", False, "hash"),
    "germeval2018": _new("germeval2018", "CC BY 4.0", True, "official+val"),
    "ftr_french_racism": _new("ftr_french_racism", "MIT", True, "hash"),
}

DATASETS = {
    "hatexplain": DatasetInfo("hatexplain", "hatexplain/hatexplain.normalized.jsonl",
                              "MIT (HateXplain); processed copy from MBIB (GPL-3.0)", True),
    "mlma": DatasetInfo("mlma", "mlma/mlma.normalized.jsonl", "MIT", True, labels=("hate", "target")),
    "ethos": DatasetInfo("ethos", "ethos/ethos.normalized.jsonl", "GPL-3.0", False,
                         labels=("hate", "target", "kind")),
    "iwg_german_refugees": DatasetInfo("iwg_german_refugees",
                                       "iwg_german_refugees/iwg_german_refugees.normalized.jsonl",
                                       "CC BY-SA 3.0", False, labels=("hate", "target")),
    "haspeede2018": DatasetInfo("haspeede2018", "haspeede2018/haspeede2018.normalized.jsonl",
                                "CC BY-NC-SA 4.0", False),
    **NEW_DATASETS,
}
DEFAULT_TRAIN = ("hatexplain", "mlma")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text; split is train, val or test."""

    text: str
    label: int
    lang: str
    dataset: str
    split: str
    target: str | None = None
    target_group: str | None = None  # one of TARGET_GROUPS, None where unknown
    kind: str | None = None  # one of KINDS, None where unknown or not hate
    group: str | None = None  # rows of one group (pair, post, equal text) share a split


def binary_label(dataset: str, row: dict[str, Any]) -> int | None:
    """1 hateful, 0 not, None to leave the row out (ambiguous)."""
    label = row.get("label")
    if dataset == "hatexplain":
        return {"hatespeech": 1, "normal": 0, "offensive": 0}.get(str(label))
    if dataset == "mlma":
        parts = set(str(label).split("_"))
        return 1 if "hateful" in parts else 0 if parts == {"normal"} else None
    if dataset == "ethos":
        share = float(str(label))
        return 1 if share >= 0.5 else 0 if share <= 0.2 else None
    if dataset == "iwg_german_refugees" and isinstance(label, dict):
        votes = {label.get("expert1"), label.get("expert2")}
        return 1 if votes == {"YES"} else 0 if votes == {"NO"} else None
    if dataset == "haspeede2018":
        return int(str(label))
    if dataset in BINARY_NEW:
        return new_binary_label(row)
    return None


def _split(dataset: str, row: dict[str, Any], rng: random.Random) -> str:
    """The official split where there is one, else a seeded 80/10/10 split."""
    split = str(row.get("split") or "all")
    if split in ("train", "val", "test"):
        return split
    if split == "none":
        return "skip"
    r = rng.random()
    return "train" if r < 0.8 else "val" if r < 0.9 else "test"


def load_examples(data_dir: Path, names: tuple[str, ...], seed: int = 13) -> Iterator[Example]:
    """Examples of the named datasets, in file order."""
    for name in names:
        if name not in DATASETS:
            raise InputError(f"unknown dataset {name!r}; must be one of: {', '.join(DATASETS)}")
        path = data_dir / DATASETS[name].file
        if not path.exists():
            raise InputError(f"{path} not found; pass the folder that holds {DATASETS[name].file} with --data")
        if DATASETS[name].split_policy == "legacy":
            yield from _read(path, name, random.Random(f"{seed}:{name}"))
        else:
            yield from _read_grouped(path, name, seed)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    """The parsed lines of a normalized JSONL file."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: invalid JSON: {exc.msg}") from exc


def _read(path: Path, name: str, rng: random.Random) -> Iterator[Example]:
    """Rows of one normalized JSONL file with a usable label (a row-seeded split: head 1.2.0 was trained so)."""
    for row in _rows(path):
        label, split = binary_label(name, row), _split(name, row, rng)
        text = str(row.get("text") or "").strip()
        if label is not None and text and split != "skip":
            yield _example(name, row, text, label, split, None)


def _read_grouped(path: Path, name: str, seed: int) -> Iterator[Example]:
    """Rows of one file, split by group (pairs, posts and equal texts never straddle splits)."""
    rows = list(_rows(path))
    examples = read_rows(rows, name, seed)
    if not rows:
        raise InputError(f"{path} holds no rows; re-stage {name} from ../shared/data")
    yield from examples


def read_rows(rows: list[dict[str, Any]], name: str, seed: int = 13) -> list[Example]:
    """Examples of one grouped dataset's parsed rows, under its split policy."""
    groups = group_keys(rows, name)
    official = [str(row.get("split") or "all") for row in rows]
    splits = grouped_splits(official, groups, seed, name, DATASETS[name].split_policy)
    out = []
    for row, split, group in zip(rows, splits, groups):
        label, text = binary_label(name, row), str(row.get("text") or "").strip()
        if label is not None and text and split != "skip":
            out.append(_example(name, row, text, label, split, group))
    return out


def _example(name: str, row: dict[str, Any], text: str, label: int, split: str, group: str | None) -> Example:
    """One example with its target group and kind."""
    return Example(text, label, str(row.get("lang") or "en"), name, split, row.get("target"),
                   target_group(name, row, label), kind(name, row, label), group)
