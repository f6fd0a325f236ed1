"""Labelled data from ../shared/data: licences, and a binary hate label per row."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A dataset we know how to read, and whether a shipped model may be derived from it."""

    name: str
    file: str
    licence: str
    redistributable: bool


DATASETS = {
    "hatexplain": DatasetInfo("hatexplain", "hatexplain/hatexplain.normalized.jsonl",
                              "MIT (HateXplain); processed copy from MBIB (GPL-3.0)", True),
    "mlma": DatasetInfo("mlma", "mlma/mlma.normalized.jsonl", "MIT", True),
    "ethos": DatasetInfo("ethos", "ethos/ethos.normalized.jsonl", "GPL-3.0", False),
    "iwg_german_refugees": DatasetInfo("iwg_german_refugees",
                                       "iwg_german_refugees/iwg_german_refugees.normalized.jsonl",
                                       "CC BY-SA 3.0", False),
    "haspeede2018": DatasetInfo("haspeede2018", "haspeede2018/haspeede2018.normalized.jsonl",
                                "CC BY-NC-SA 4.0", False),
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
        rng = random.Random(f"{seed}:{name}")
        yield from _read(path, name, rng)


def _read(path: Path, name: str, rng: random.Random) -> Iterator[Example]:
    """Rows of one normalized JSONL file with a usable label."""
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: invalid JSON: {exc.msg}") from exc
            label, split = binary_label(name, row), _split(name, row, rng)
            text = str(row.get("text") or "").strip()
            if label is not None and text and split != "skip":
                yield Example(text, label, str(row.get("lang") or "en"), name, split, row.get("target"))
