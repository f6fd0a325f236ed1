"""`xenowatch eval`: the current hate model on held-out test splits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.hate.finetuned import FinetunedHateModel
from models.hate.loading import hate_model_for
from models.training.datasets import load_examples
from models.training.hate import metrics, sample_per_split
from pipeline.core.config import Settings


def evaluate_model(settings: Settings, data: Path, names: tuple[str, ...],
                   limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Metrics per dataset/language, each text scored as a whole: test rows of the datasets the model
    was trained on, every row of the others (out-of-domain)."""
    model = hate_model_for(settings)
    seen = set(model.meta.get("datasets", {}))
    examples = [e for e in sample_per_split(list(load_examples(data, names)), limit, 13)
                if e.split == "test" or e.dataset not in seen]
    table: dict[str, dict[str, Any]] = {}
    for key in sorted({(e.dataset, e.lang) for e in examples}):
        subset = [e for e in examples if (e.dataset, e.lang) == key]
        probs = model.probabilities([e.text for e in subset])
        table["/".join(key)] = metrics(np.array([e.label for e in subset]), probs, model.threshold_for(key[1]))
    return table


def bias_audit(settings: Settings, data: Path | None, names: tuple[str, ...],
               limit: int | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """The bias audit: the written identity set, plus (with `data`) the test splits' EN/FR/ES texts."""
    from models.evaluation.bias import LANGS, bias_table, dataset_items, template_items
    from models.training.hate import EMBEDDING_CACHE, cached_scorer

    model = hate_model_for(settings)
    scorer = model.probabilities if isinstance(model, FinetunedHateModel) else cached_scorer(model, EMBEDDING_CACHE)
    items = template_items(scorer)
    if data is not None:
        examples = [e for e in sample_per_split(list(load_examples(data, names)), limit, 13)
                    if e.split == "test" and e.lang in LANGS]
        items += dataset_items(examples, model.probabilities([e.text for e in examples]), model.lexicon)
    return bias_table(items)
