"""Leave-one-dataset-out (and leave-one-language-out): train without X, test on X's test split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from models.evaluation.suite import macro_f1
from models.hate.finetuned import logits_of, sigmoid
from models.training.datasets import load_examples
from models.training.finetune import FinetuneConfig, Progress, Trained, finetune
from models.training.hate import metrics, sample_per_split

LANG_PREFIX = "lang:"
VAL_LIMIT = 600  # validation rows per dataset for a leave-out run's thresholds


def leave_out(config: FinetuneConfig, holdouts: Sequence[str], progress: Progress = print) -> dict[str, Any]:
    """For each holdout (a dataset name, or lang:xx for a language), train without it and score its test rows
    at the threshold chosen on the remaining validation data; one table row per dataset and language."""
    table: dict[str, Any] = {}
    for holdout in holdouts:
        run = _config_without(config, holdout)
        progress(f"leave out {holdout}: training on {', '.join(run.datasets)}")
        trained = finetune(run, progress)
        for key, row in _score_holdout(trained, config, holdout).items():
            table[f"{holdout} -> {key}"] = row
            progress(f"{holdout} -> {key}: F1 {row['f1']} macro-F1 {row['macro_f1']} AUC {row['auc']}")
    # The same number of steps on everything, scored on the same test rows: what leaving out cost.
    progress("reference: training on every dataset")
    everything = finetune(replace(config, save=False, eval_limit=VAL_LIMIT), progress)
    reference = {f"{holdout} -> {key}": row for holdout in holdouts
                 for key, row in _score_holdout(everything, config, holdout).items()}
    return {"steps": config.steps, "datasets": list(config.datasets), "rows": table, "reference": reference}


def _config_without(config: FinetuneConfig, holdout: str) -> FinetuneConfig:
    """The run's settings: the dataset, or every text in the language, left out of training and thresholds."""
    if holdout.startswith(LANG_PREFIX):
        return replace(config, exclude_langs=(holdout[len(LANG_PREFIX):],), save=False, eval_limit=VAL_LIMIT)
    return replace(config, datasets=tuple(d for d in config.datasets if d != holdout), save=False,
                   eval_limit=VAL_LIMIT)


def _score_holdout(trained: Trained, config: FinetuneConfig, holdout: str) -> dict[str, dict[str, Any]]:
    """Metrics on the left-out test rows, per dataset and language."""
    if holdout.startswith(LANG_PREFIX):
        lang = holdout[len(LANG_PREFIX):]
        rows = [e for e in load_examples(config.data, config.datasets, config.seed) if e.lang == lang]
    else:
        rows = list(load_examples(config.data, (holdout,), config.seed))
    rows = [e for e in sample_per_split(rows, config.eval_limit, config.seed) if e.split == "test"]
    probs = sigmoid(logits_of(trained.model, trained.tokenizer, [e.text for e in rows], config.max_length,
                              config.device)["hate"])
    cuts = trained.meta["thresholds"]
    out = {}
    for dataset, lang in sorted({(e.dataset, e.lang) for e in rows}):
        mask = np.array([(e.dataset, e.lang) == (dataset, lang) for e in rows])
        y = np.array([e.label for e in rows])[mask]
        cut = float(cuts.get(lang, trained.meta["threshold"]))
        out[f"{dataset}/{lang}"] = {**metrics(y, probs[mask], cut), "threshold": cut,
                                    "macro_f1": macro_f1((y == 1).tolist(), (probs[mask] >= cut).tolist())}
    return out

