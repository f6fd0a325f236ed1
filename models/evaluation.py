"""`xenowatch eval`: the current hate model on held-out test splits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.datasets import load_examples
from models.hate import load_hate_model
from models.training import _limited, metrics
from pipeline.config import Settings


def evaluate_model(settings: Settings, data: Path, names: tuple[str, ...],
                   limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Metrics per dataset/language on test rows, each text scored as a whole."""
    model = load_hate_model(settings.head, settings.device, settings.batch_size, settings.hate_threshold)
    examples = [e for e in _limited(list(load_examples(data, names)), limit, 13) if e.split == "test"]
    table: dict[str, dict[str, Any]] = {}
    for key in sorted({(e.dataset, e.lang) for e in examples}):
        subset = [e for e in examples if (e.dataset, e.lang) == key]
        probs = model.probabilities([e.text for e in subset])
        table["/".join(key)] = metrics(np.array([e.label for e in subset]), probs, model.threshold)
    return table
