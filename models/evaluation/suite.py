"""The functional suite v2 (models/evaluation/functional_v2/): hand-written cases in EN, FR, ES, DE and IT.

The test half is locked: report it, never use it to pick thresholds, models or data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SUITE = Path(__file__).resolve().parent / "functional_v2"
LANGS = ("en", "fr", "es", "de", "it")
SPLITS = ("dev", "test")
LABELS = ("hateful", "non-hateful")


@dataclass(frozen=True)
class Case:
    """One case: its text, language, functionality, target group, label, half and family."""

    id: str
    lang: str
    functionality: str
    target_group: str
    label: str
    text: str
    split: str
    family: str

    @property
    def hateful(self) -> bool:
        """True when the case is labelled hateful."""
        return self.label == "hateful"


def load_cases(split: str | None = None, lang: str | None = None, root: Path = SUITE) -> list[Case]:
    """The suite's cases in file order, optionally only one half ('dev' or 'test') and one language."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    if lang is not None and lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    cases = []
    for code in LANGS if lang is None else (lang,):
        for line in (root / f"cases_{code}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = Case(**json.loads(line))
                if split is None or case.split == split:
                    cases.append(case)
    return cases


def summary(cases: Iterable[Case]) -> dict[str, dict[str, int]]:
    """Counts of the cases in total and by language, functionality, label, split and target group."""
    items = list(cases)
    fields = ("lang", "functionality", "label", "split", "target_group")
    counts = {field: dict(sorted(Counter(getattr(c, field) for c in items).items())) for field in fields}
    return {"total": {"cases": len(items)}, **counts}
