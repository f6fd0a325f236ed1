"""Batches for fine-tuning: balanced over datasets and labels, tokenised with the `query: ` prefix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.hate.network import HEADS, IGNORE
from models.training.datasets import Example


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


LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7"})


def perturb(text: str, rng: np.random.Generator) -> str:
    """One spelling variation of one word (adjacent swap, deletion, doubled letter, inner space, leet) or two
    words joined: the kinds of obfuscation hateful posts use, learnt by seeing them in training."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = long[int(rng.integers(len(long)))]
    w, j = words[i], 1 + int(rng.integers(len(words[i]) - 2))
    kind = int(rng.integers(6))
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:
        w = w[:j] + w[j + 1:]
    elif kind == 2:
        w = w[:j] + w[j] + w[j:]
    elif kind == 3:
        w = w[:j] + " " + w[j:]
    elif kind == 4:
        w = w.translate(LEET)
    elif i + 1 < len(words):
        words[i + 1] = w + words[i + 1]
        return " ".join(words[:i] + words[i + 1:])
    words[i] = w
    return " ".join(words)


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
