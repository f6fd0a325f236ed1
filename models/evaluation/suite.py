"""The functional suite v2 (models/evaluation/functional_v2/): hand-written cases in EN, FR, ES, DE and IT.

The test half is locked: report it, never use it to pick thresholds, models or data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


MIGRANT_GROUPS = frozenset({"migrants", "refugees", "asylum_seekers", "foreign_workers"})


def macro_f1(y: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Mean of the F1 of the hateful and the non-hateful class."""
    scores = []
    for positive in (True, False):
        tp = sum(1 for a, b in zip(y, predicted) if a == positive and b == positive)
        fp = sum(1 for a, b in zip(y, predicted) if a != positive and b == positive)
        fn = sum(1 for a, b in zip(y, predicted) if a == positive and b != positive)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(scores) / 2, 3)


def score_cases(cases: Sequence[Case], predicted: Sequence[bool]) -> dict[str, Any]:
    """Macro-F1 and accuracy per language; accuracy per functionality; the migrant cases (all, and the share of
    non-hateful ones cleared) per language: the figures the independent evaluation reports."""
    by_lang: dict[str, Any] = {}
    for lang in sorted({c.lang for c in cases}):
        idx = [i for i, c in enumerate(cases) if c.lang == lang]
        y, p = [cases[i].hateful for i in idx], [predicted[i] for i in idx]
        migrant = [i for i in idx if cases[i].target_group in MIGRANT_GROUPS]
        cleared = [i for i in migrant if not cases[i].hateful]
        by_lang[lang] = {"n": len(idx), "macro_f1": macro_f1(y, p), "accuracy": _share(y, p),
                         "migrant_accuracy": _share([cases[i].hateful for i in migrant],
                                                    [predicted[i] for i in migrant]),
                         "migrant_non_hateful_cleared": _share([False] * len(cleared), [predicted[i] for i in cleared]),
                         "n_migrant": len(migrant)}
    functions: dict[str, Any] = {}
    for name in sorted({c.functionality for c in cases}):
        idx = [i for i, c in enumerate(cases) if c.functionality == name]
        functions[name] = _share([cases[i].hateful for i in idx], [predicted[i] for i in idx])
    return {"cases": len(cases), "macro_f1": macro_f1([c.hateful for c in cases], predicted),
            "by_lang": by_lang, "by_functionality": functions}


def _share(y: Sequence[bool], predicted: Sequence[bool]) -> float | None:
    """Share of predictions equal to the label (None for no cases)."""
    return round(sum(a == b for a, b in zip(y, predicted)) / len(y), 3) if y else None


def format_scores(result: dict[str, Any]) -> str:
    """The v2 suite's figures as a text table."""
    lines = [f"{'lang':<6}{'n':>5}{'macro-F1':>10}{'acc':>7}{'migrant acc':>13}{'migrant cleared':>17}"]
    for lang, row in result["by_lang"].items():
        lines.append(f"{lang:<6}{row['n']:>5}{row['macro_f1']:>10.3f}{row['accuracy']:>7.3f}"
                     f"{_cell(row['migrant_accuracy']):>13}{_cell(row['migrant_non_hateful_cleared']):>17}")
    lines.append(f"all {result['cases']} cases: macro-F1 {result['macro_f1']:.3f}")
    lines += [f"  {name:<24}{share:.3f}" for name, share in result["by_functionality"].items()]
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    """A share or a dash."""
    return "-" if value is None else f"{value:.3f}"
