"""Leak-free splits: grouped rows (perturbation pairs, one post's sentences, equal texts) share a split."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from models.training.datasets_labels import label_fields

FRACTIONS = (0.8, 0.1)  # train, val; the rest is test
VAL_FROM_TRAIN = 0.1  # a set with an official train and test but no val gives this share of its train groups
HELD_OUT = {"train": 0, "val": 1, "test": 2}


class _Row(Protocol):
    """What the split helpers read of an example."""

    @property
    def text(self) -> str: ...
    @property
    def dataset(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def split(self) -> str: ...


R = TypeVar("R", bound=_Row)


def link_keys(dataset: str, row: dict[str, Any]) -> tuple[str, list[str]]:
    """A row's own id and the ids it must share a split with (README: pairs, and one Stormfront post)."""
    own = str(row.get("source_id") or "")
    labels = label_fields(row)
    if dataset == "dynahate_devtest":
        matched = labels.get("acl.id.matched")
        return own, [f"dynahate_devtest:{matched}"] if matched else []
    if dataset == "hatemojibuild":
        matched = labels.get("matched_id")
        return own, [f"hatemojibuild:{matched}"] if matched is not None else []
    if dataset == "stormfront_degibert2018":  # sentences of one post: <file_id> = <post>_<n>
        return own, [own.rsplit("_", 1)[0]]
    return own, []


def group_keys(rows: Sequence[dict[str, Any]], dataset: str) -> list[str]:
    """The group of each row: linked ids and equal (stripped, case-folded) texts joined, named by the smallest id."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    owns = []
    for n, row in enumerate(rows):
        own, links = link_keys(dataset, row)
        own = own or f"{dataset}:row{n}"
        owns.append(own)
        for key in links + ["text:" + normal_text(str(row.get("text") or ""))]:
            union(own, key)
    return [find(own) for own in owns]


def normal_text(text: str) -> str:
    """The text as compared for duplicates: stripped, whitespace collapsed, case-folded."""
    return " ".join(text.split()).casefold()


def fraction(seed: int, dataset: str, group: str) -> float:
    """A stable number in [0, 1) from the group key (never the row), the dataset and the seed."""
    digest = hashlib.sha256(f"{seed}:{dataset}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def hashed_split(seed: int, dataset: str, group: str) -> str:
    """train / val / test by the group's hash, 80/10/10."""
    r = fraction(seed, dataset, group)
    return "train" if r < FRACTIONS[0] else "val" if r < sum(FRACTIONS) else "test"


def grouped_splits(official: Sequence[str], groups: Sequence[str], seed: int, dataset: str,
                   policy: str) -> list[str]:
    """Each row's split under a policy: `hash` (re-split by group), `official` (a group moves to the most
    held-out split among its members, so no official test row is trained on), `official+val` (as official,
    plus a hashed share of the train groups as val, for sets with no val split)."""
    if policy == "hash":
        return [hashed_split(seed, dataset, g) for g in groups]
    most: dict[str, str] = {}
    for split, group in zip(official, groups):
        if split in HELD_OUT and HELD_OUT[split] >= HELD_OUT.get(most.get(group, "train"), 0):
            most[group] = split
    out = [most.get(g, "skip") for g in groups]
    if policy == "official+val":
        out = ["val" if s == "train" and fraction(seed, dataset, g) < VAL_FROM_TRAIN else s
               for s, g in zip(out, groups)]
    return out


def dedupe(examples: Iterable[R]) -> list[R]:
    """The first example of each text (README: SBIC repeats 564 Davidson tweets and 797 Stormfront sentences)."""
    seen: set[str] = set()
    out = []
    for ex in examples:
        key = normal_text(ex.text)
        if key not in seen:
            seen.add(key)
            out.append(ex)
    return out


def lodo_splits(examples: Sequence[R], held_out: str) -> tuple[list[R], list[R]]:
    """Leave one dataset out: train on the other datasets' train and val rows, test on every row of `held_out`.
    Training rows whose text also occurs in the held-out set are dropped (cross-dataset copies would leak)."""
    test = [e for e in examples if e.dataset == held_out]
    if not test:
        names = sorted({e.dataset for e in examples})
        raise ValueError(f"no examples of dataset {held_out!r} to hold out; loaded: {', '.join(names)}")
    seen = {normal_text(e.text) for e in test}
    train = [e for e in examples if e.dataset != held_out and e.split in ("train", "val")
             and normal_text(e.text) not in seen]
    return train, test


def by_language(examples: Iterable[R]) -> dict[str, list[R]]:
    """Examples grouped by language, languages sorted."""
    out: dict[str, list[R]] = {}
    for ex in examples:
        out.setdefault(ex.lang, []).append(ex)
    return dict(sorted(out.items()))


def lodo_language_splits(examples: Sequence[R], lang: str) -> tuple[list[R], list[R]]:
    """Leave one language out: train on the other languages' train and val rows, test on the language's test rows."""
    test = [e for e in examples if e.lang == lang and e.split == "test"]
    if not test:
        raise ValueError(f"no test examples in language {lang!r}")
    seen = {normal_text(e.text) for e in test}
    return [e for e in examples if e.lang != lang and e.split in ("train", "val")
            and normal_text(e.text) not in seen], test
