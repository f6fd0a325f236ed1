"""The functional suite: hand-written EN/FR/ES cases per phenomenon (models/evaluation/functional/)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.hate.model import HateModel

CASES = Path(__file__).resolve().parent / "functional" / "hate_cases.jsonl"


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """The suite's cases (never used for training or thresholds)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_suite(model: HateModel, cases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy per phenomenon and language, and target accuracy on the hateful cases."""
    results = model.predict([("", c["text"]) for c in cases], [c["lang"] for c in cases])
    table: dict[str, dict[str, list[int]]] = {}
    targets = [0, 0]
    for case, result in zip(cases, results):
        cell = table.setdefault(case["phenomenon"], {}).setdefault(case["lang"], [0, 0])
        cell[0] += int(result.hate == bool(case["label"]))
        cell[1] += 1
        if case["label"]:
            targets[0] += int(result.target == case["target"])
            targets[1] += 1
    correct = sum(c[0] for langs in table.values() for c in langs.values())
    return {"cases": len(cases), "accuracy": round(correct / max(len(cases), 1), 3),
            "target_accuracy": round(targets[0] / max(targets[1], 1), 3),
            "by_phenomenon": {p: {lang: round(c[0] / c[1], 3) for lang, c in sorted(langs.items())}
                              for p, langs in sorted(table.items())}}


def format_suite(result: dict[str, Any]) -> str:
    """The suite as a table: one row per phenomenon, one column per language."""
    langs = sorted({lang for row in result["by_phenomenon"].values() for lang in row})
    lines = [f"{'phenomenon':<30}" + "".join(f"{lang:>7}" for lang in langs)]
    for phenomenon, row in result["by_phenomenon"].items():
        lines.append(f"{phenomenon:<30}" + "".join(f"{row.get(lang, float('nan')):>7.2f}" for lang in langs))
    lines.append(f"overall accuracy {result['accuracy']:.3f} on {result['cases']} cases; "
                 f"target accuracy on hateful cases {result['target_accuracy']:.3f}")
    return "\n".join(lines)
