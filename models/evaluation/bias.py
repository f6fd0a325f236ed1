"""Bias audit: subgroup AUC, BPSN AUC and BNSP AUC for migrant, nationality and religion terms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from models.features import HateLexicon, model_text
from pipeline.core.config import read_yaml_mapping

AUDIT_SET = Path(__file__).resolve().parent / "bias" / "identity_bias.yaml"
SUBGROUPS = ("migration", "nationality", "religion")
LANGS = ("en", "fr", "es")
# The hate lexicon's target groups, folded into the audit's three subgroups (keyword subgroups for datasets).
LEXICON_GROUPS = {"migrants": "migration", "refugees": "migration", "asylum_seekers": "migration",
                  "nationality_ethnicity": "nationality", "religion": "religion"}
MIN_PER_CELL = 5  # fewer subgroup (or background) examples of a class than this: the AUC is not reported
Scorer = Callable[[Sequence[str]], np.ndarray]


class Labelled(Protocol):
    """What the audit reads of a labelled example (models.training.datasets.Example is one)."""

    @property
    def text(self) -> str: ...
    @property
    def label(self) -> int: ...
    @property
    def lang(self) -> str: ...
    @property
    def dataset(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Item:
    """One scored text of the audit: where it comes from, its language, subgroup (None: background) and label."""

    source: str
    lang: str
    subgroup: str | None
    label: int
    score: float


def template_texts(path: Path = AUDIT_SET) -> list[tuple[str, str, str | None, int]]:
    """(text, lang, subgroup, label) for every template and group term of the audit set."""
    data = read_yaml_mapping(path, "bias audit set")
    out: list[tuple[str, str, str | None, int]] = []
    for lang, block in data.items():
        for group, terms in block["groups"].items():
            subgroup = group if group in SUBGROUPS else None
            for label, key in ((0, "not_hateful"), (1, "hateful")):
                out += [(_capital(t.format(g=term)), str(lang), subgroup, label)
                        for t in block[key] for term in terms]
    return out


def _capital(text: str) -> str:
    """The text with its first letter upper-cased."""
    return text[0].upper() + text[1:]


def template_items(score: Scorer, path: Path = AUDIT_SET) -> list[Item]:
    """The audit set scored by a model."""
    rows = template_texts(path)
    probs = score([r[0] for r in rows])
    return [Item("templates", lang, sub, label, float(p)) for (_, lang, sub, label), p in zip(rows, probs)]


def dataset_items(examples: Sequence[Labelled], probs: np.ndarray, lexicon: HateLexicon) -> list[Item]:
    """Labelled examples in EN/FR/ES, put in a subgroup by the identity terms they name."""
    out = []
    for ex, p in zip(examples, probs):
        if ex.lang in LANGS:
            group = lexicon.target(model_text(ex.text))
            out.append(Item(ex.dataset, ex.lang, LEXICON_GROUPS.get(group or ""), ex.label, float(p)))
    return out


def bias_table(items: Sequence[Item]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per source/language and subgroup: n, subgroup AUC, BPSN AUC, BNSP AUC (None when too few examples)."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for source, lang in sorted({(i.source, i.lang) for i in items}):
        block = [i for i in items if (i.source, i.lang) == (source, lang)]
        rows = {g: _metrics(block, g) for g in SUBGROUPS if any(i.subgroup == g for i in block)}
        if rows:
            table[f"{source}/{lang}"] = rows
    return table


def _metrics(block: Sequence[Item], group: str) -> dict[str, Any]:
    """The three AUCs of one subgroup against the rest of its block (Borkan et al. 2019)."""
    inside = [i for i in block if i.subgroup == group]
    outside = [i for i in block if i.subgroup != group]
    pos_in, neg_in = _split(inside)
    pos_out, neg_out = _split(outside)
    return {"n": len(inside), "positives": len(pos_in),
            "subgroup_auc": _auc(pos_in, neg_in),
            "bpsn_auc": _auc(pos_out, neg_in),
            "bnsp_auc": _auc(pos_in, neg_out)}


def _split(items: Sequence[Item]) -> tuple[list[float], list[float]]:
    """Scores of the positive and of the negative items."""
    return [i.score for i in items if i.label], [i.score for i in items if not i.label]


def _auc(positives: list[float], negatives: list[float]) -> float | None:
    """ROC AUC of positives against negatives, or None with fewer than MIN_PER_CELL of either."""
    if min(len(positives), len(negatives)) < MIN_PER_CELL:
        return None
    from sklearn.metrics import roc_auc_score

    labels = [1] * len(positives) + [0] * len(negatives)
    return round(float(roc_auc_score(labels, positives + negatives)), 3)


def format_bias(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    """The audit as a text table."""
    lines = [f"{'source/lang':<18}{'subgroup':<13}{'n':>6}{'pos':>6}"
             f"{'subgroup AUC':>14}{'BPSN AUC':>10}{'BNSP AUC':>10}"]
    for key, rows in table.items():
        for group, m in rows.items():
            lines.append(f"{key:<18}{group:<13}{m['n']:>6}{m['positives']:>6}{_fmt(m['subgroup_auc']):>14}"
                         f"{_fmt(m['bpsn_auc']):>10}{_fmt(m['bnsp_auc']):>10}")
    return "\n".join(lines)


def markdown_bias(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    """The audit as a Markdown table (model card, README)."""
    lines = ["| source/lang | subgroup | n | positives | subgroup AUC | BPSN AUC | BNSP AUC |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {key} | {group} | {m['n']} | {m['positives']} | {_fmt(m['subgroup_auc'])} | "
              f"{_fmt(m['bpsn_auc'])} | {_fmt(m['bnsp_auc'])} |"
              for key, rows in table.items() for group, m in rows.items()]
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    """An AUC, or a dash when there were too few examples."""
    return "-" if value is None else f"{value:.3f}"
