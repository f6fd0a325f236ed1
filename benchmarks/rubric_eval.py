"""`xenowatch bench rubric`: precision and recall of each rubric criterion on the labelled
passages in benchmarks/rubric/cases.yaml (written for the project, EN/FR/ES, with tricky cases)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.errors import InputError
from pipeline.core.record import Article, Criterion
from pipeline.rubric.score import Rubric, apply_rubric, load_rubric

CASES = Path(__file__).parent / "rubric" / "cases.yaml"


def _violation(c: Criterion) -> bool:
    """A lexicon or rule criterion found a problem."""
    return c.score < 1.0


def _labelled(label: str) -> Callable[[Criterion], bool]:
    """The criterion's evidence has a span with this label."""
    return lambda c: any(s.label == label for s in c.evidence)


DETECTED: dict[str, tuple[str, Callable[[Criterion], bool]]] = {
    "terminology": ("terminology", _violation), "dehumanising": ("dehumanising", _violation),
    "status_mention": ("status_mention", _violation),
    "identity_protection": ("identity_protection", _violation), "headline_body": ("headline_body", _violation),
    "migrant_voices": ("migrant_voices", lambda c: any(s.label.startswith(("quote:migrant", "reported:migrant"))
                                                       for s in c.evidence)),
    "facts_context:sourced_figure": ("facts_context", _labelled("sourced_figure")),
    "facts_context:law": ("facts_context", _labelled("law")),
    "facts_context:causes": ("facts_context", _labelled("causes")),
    "labour_angle": ("labour_angle", lambda c: bool(c.evidence)),
    "gender_angle": ("gender_angle", lambda c: bool(c.evidence)),
}


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    """The labelled cases, checked."""
    try:
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: cannot read the rubric cases ({exc}); "
                         "it must be a YAML mapping with 'cases'") from exc
    for i, case in enumerate(cases):
        if case.get("c") not in DETECTED or not isinstance(case.get("e"), bool) or not case.get("text"):
            raise InputError(f"{path}: case {i + 1} needs c (one of: {', '.join(DETECTED)}), e (true/false) and text")
    return list(cases)


def evaluate(rubric: Rubric | None = None, cases: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Precision and recall per criterion, with the cases each one gets wrong."""
    rubric, cases = rubric or load_rubric(), cases if cases is not None else load_cases()
    table: dict[str, dict[str, Any]] = {}
    for case in cases:
        cid, detect = DETECTED[case["c"]]
        art = Article(url="https://example.org/case", outlet="eval", title=case.get("title", ""),
                      text=case["text"], lang=case["lang"])
        crit = next(c for c in apply_rubric(art, rubric).criteria if c.id == cid)
        got = detect(crit)
        row = table.setdefault(case["c"], {"n": 0, "tp": 0, "fp": 0, "fn": 0, "tn": 0, "errors": [], "languages": {}})
        cell = ("tp" if got else "fn") if case["e"] else ("fp" if got else "tn")
        row["n"] += 1
        row[cell] += 1
        counts = row["languages"].setdefault(case["lang"], {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
        counts[cell] += 1
        if got != case["e"]:
            row["errors"].append({"lang": case["lang"], "tag": case.get("tag"), "expected": case["e"],
                                  "text": case["text"]})
    for row in [*table.values(), *(c for r in table.values() for c in r["languages"].values())]:
        row["precision"] = round(row["tp"] / (row["tp"] + row["fp"]), 3) if row["tp"] + row["fp"] else None
        row["recall"] = round(row["tp"] / (row["tp"] + row["fn"]), 3) if row["tp"] + row["fn"] else None
    total = {k: sum(r[k] for r in table.values()) for k in ("n", "tp", "fp", "fn", "tn")}
    return {"rubric_version": rubric.version, "cases": total["n"],
            "accuracy": round((total["tp"] + total["tn"]) / total["n"], 3) if total["n"] else None,
            "criteria": table}


def format_table(result: dict[str, Any]) -> str:
    """The result as an aligned table."""
    lines = [f"rubric {result['rubric_version']}: {result['cases']} cases, accuracy {result['accuracy']}",
             f"{'criterion':<30} {'n':>4} {'precision':>9} {'recall':>7}   per language (P / R)"]
    for cid, r in result["criteria"].items():
        langs = "  ".join(f"{lang} {_figure(c['precision'])} / {_figure(c['recall'])}"
                          for lang, c in sorted(r["languages"].items()))
        lines.append(f"{cid:<30} {r['n']:>4} {_figure(r['precision']):>9} {_figure(r['recall']):>7}   {langs}")
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    """A rate, or '-' where nothing was counted."""
    return "-" if value is None else f"{value:.2f}"
