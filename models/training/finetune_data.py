"""Batches for fine-tuning: balanced over datasets and labels, tokenised with the `query: ` prefix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.training.datasets import Example
from models.training.finetune_model import HEADS, IGNORE, PREFIX


def balanced_batches(examples: Sequence[Example], batch_size: int, steps: int, seed: int,
                     alpha: float = 0.5) -> list[list[int]]:
    """`steps` batches of indices: a dataset drawn with weight n**alpha (0: all equal, 1: by size), then a label
    uniformly among the dataset's labels, then an example uniformly; seeded."""
    rng = np.random.default_rng(seed)
    pools: dict[str, dict[int, list[int]]] = {}
    for i, ex in enumerate(examples):
        pools.setdefault(ex.dataset, {}).setdefault(ex.label, []).append(i)
    if not pools:
        raise ValueError("no training examples to sample from")
    names = sorted(pools)
    sizes = np.array([sum(len(v) for v in pools[n].values()) for n in names], dtype=np.float64)
    weights = sizes ** alpha / np.sum(sizes ** alpha)
    batches = []
    for _ in range(steps):
        batch = []
        for d in rng.choice(len(names), size=batch_size, p=weights):
            by_label = pools[names[int(d)]]
            label = sorted(by_label)[int(rng.integers(len(by_label)))]
            batch.append(by_label[label][int(rng.integers(len(by_label[label])))])
        batches.append(batch)
    return batches


def encode(tokenizer: Any, texts: Sequence[str], max_length: int, device: str) -> dict[str, Any]:
    """Prefixed, truncated, padded token ids and attention masks on the device."""
    enc = tokenizer([PREFIX + t for t in texts], padding=True, truncation=True, max_length=max_length,
                    return_tensors="pt")
    return {"input_ids": enc["input_ids"].to(device), "attention_mask": enc["attention_mask"].to(device)}


def targets(examples: Sequence[Example], heads: Sequence[str], device: str) -> dict[str, Any]:
    """Label tensors per head; IGNORE where the data has no label."""
    import torch

    out = {"hate": torch.tensor([float(e.label) for e in examples], device=device)}
    for head in heads:
        if head != "hate":
            classes = HEADS[head]
            values = [e.target_group if head == "target" else e.kind for e in examples]
            out[head] = torch.tensor([classes.index(v) if v in classes else IGNORE for v in values],
                                     dtype=torch.long, device=device)
    return out


def loss(logits: dict[str, Any], labels: dict[str, Any], weights: dict[str, float]) -> Any:
    """Binary cross-entropy for hate plus weighted, masked cross-entropy for the other heads."""
    import torch

    total = torch.nn.functional.binary_cross_entropy_with_logits(logits["hate"], labels["hate"])
    for head, weight in weights.items():
        if head in logits and bool((labels[head] != IGNORE).any()):
            total = total + weight * torch.nn.functional.cross_entropy(logits[head], labels[head],
                                                                       ignore_index=IGNORE)
    return total


def linear_schedule(warmup: int, total: int) -> Any:
    """Learning-rate factor: linear warmup over `warmup` steps, then linear decay to 0 at `total`."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(warmup, 1)
        return max(0.0, (total - step) / max(total - warmup, 1))
    return factor
