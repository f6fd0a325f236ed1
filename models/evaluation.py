"""`xenowatch eval`: the current hate model on held-out test splits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.datasets import load_examples
from models.hate import load_hate_model
from models.training import metrics, sample_per_split
from pipeline.config import Settings


def evaluate_model(settings: Settings, data: Path, names: tuple[str, ...],
                   limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Metrics per dataset/language, each text scored as a whole: test rows of the datasets the model
    was trained on, every row of the others (out-of-domain)."""
    model = load_hate_model(settings.head, settings.device, settings.batch_size, settings.hate_threshold)
    seen = set(model.meta.get("datasets", {}))
    examples = [e for e in sample_per_split(list(load_examples(data, names)), limit, 13)
                if e.split == "test" or e.dataset not in seen]
    table: dict[str, dict[str, Any]] = {}
    for key in sorted({(e.dataset, e.lang) for e in examples}):
        subset = [e for e in examples if (e.dataset, e.lang) == key]
        probs = model.probabilities([e.text for e in subset])
        table["/".join(key)] = metrics(np.array([e.label for e in subset]), probs, model.threshold)
    return table
