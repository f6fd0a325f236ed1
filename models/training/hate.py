"""Train, evaluate and save the hate head (`xenowatch train`)."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from models.encoders.base import EMBEDDED
from models.encoders.registry import MULTILINGUAL, load_encoder
from models.features import lexicon_features, load_hate_lexicon, model_text
from models.hate.model import HateModel, embed
from models.training.datasets import DATASETS, Example, load_examples

DEFAULT_ENCODERS = (EMBEDDED, MULTILINGUAL)
WRITTEN = ("identity_neutral", "identity_news", "identity_hateful", "identity_threats", "identity_counter",
           "neutral_news")
Progress = Callable[[str], None]
EMBEDDING_CACHE = Path.home() / ".cache" / "xenowatch" / "embeddings"
MIN_VAL_PER_CLASS = 20  # fewer validation examples of a class than this: the language keeps the global threshold
SHRINK_N = 200  # validation examples at which a language's own cut and the global one weigh the same


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """What `xenowatch train` was asked to do."""

    data: Path
    out: Path
    datasets: tuple[str, ...]
    encoders: tuple[str, ...] = DEFAULT_ENCODERS
    seed: int = 13
    limit: int | None = None
    version: str = "1.0.0"
    cache: Path | None = EMBEDDING_CACHE
    template_weight: float = 2.0
    extra: tuple[Path, ...] = ()


def identity_examples() -> list[Example]:
    """Our templated statements about groups: neutral ones as label 0, hateful ones as label 1."""
    out = []
    for name, label in (("identity_neutral", 0), ("identity_news", 0), ("identity_hateful", 1),
                        ("identity_threats", 1), ("identity_counter", 0)):
        data = yaml.safe_load((Path(__file__).resolve().parents[1] / "lexicons" / f"{name}.yaml").read_text("utf-8"))
        for lang, block in data.items():
            for template in block["templates"]:
                for group in block["groups"]:
                    text = template.format(g=group)
                    out.append(Example(text[0].upper() + text[1:], label, lang, name, "train"))
    return out + neutral_news_examples()


def neutral_news_examples() -> list[Example]:
    """Everyday news sentences written for this project (models/lexicons/neutral_news.yaml), label 0."""
    path = Path(__file__).resolve().parents[1] / "lexicons" / "neutral_news.yaml"
    data = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}
    return [Example(text, 0, lang, "neutral_news", "train") for lang, texts in data.items() for text in texts]


def sample_per_split(examples: list[Example], limit: int | None, seed: int) -> list[Example]:
    """A seeded sample of at most `limit` examples per dataset and split (for quick runs)."""
    if not limit:
        return examples
    rng = np.random.default_rng(seed)
    groups: dict[tuple[str, str], list[Example]] = {}
    for ex in examples:
        groups.setdefault((ex.dataset, ex.split), []).append(ex)
    out = []
    for items in groups.values():
        idx = rng.permutation(len(items))[:limit]
        out += [items[i] for i in sorted(idx)]
    return out


def best_threshold(labels: np.ndarray, probs: np.ndarray) -> float:
    """The probability cut that maximises F1 on validation data."""
    best, best_f1 = 0.5, -1.0
    for cut in np.linspace(0.2, 0.9, 71):
        pred = probs >= cut
        tp = float(np.sum(pred & (labels == 1)))
        f1 = 2 * tp / max(float(pred.sum() + labels.sum()), 1.0)
        if f1 > best_f1:
            best, best_f1 = float(cut), f1
    return round(best, 3)


def language_thresholds(examples: Sequence[Example], y: np.ndarray, probs: np.ndarray,
                        split: np.ndarray, global_cut: float) -> dict[str, float]:
    """A threshold per language that has enough validation data of both classes (the others use the global one).
    The F1-best cut on a small set is noisy, so it is shrunk toward the global one by n / (n + SHRINK_N)."""
    langs = np.array([e.lang for e in examples])
    out = {}
    for lang in sorted(set(langs[split == "val"])):
        rows = (split == "val") & (langs == lang)
        positives = int(y[rows].sum())
        if min(positives, int(rows.sum()) - positives) >= MIN_VAL_PER_CLASS:
            weight = rows.sum() / (rows.sum() + SHRINK_N)
            out[str(lang)] = round(float(weight * best_threshold(y[rows], probs[rows]) + (1 - weight) * global_cut), 3)
    return out


def metrics(labels: np.ndarray, probs: np.ndarray, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1, ROC AUC and the confusion matrix."""
    from sklearn.metrics import roc_auc_score

    pred = probs >= threshold
    tp = int(np.sum(pred & (labels == 1)))
    fp = int(np.sum(pred & (labels == 0)))
    fn = int(np.sum(~pred & (labels == 1)))
    tn = int(np.sum(~pred & (labels == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = float(roc_auc_score(labels, probs)) if 0 < labels.sum() < len(labels) else None
    return {"n": len(labels), "positives": int(labels.sum()), "precision": round(precision, 3),
            "recall": round(recall, 3), "f1": round(f1, 3), "auc": round(auc, 3) if auc else None,
            "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn}}


def train(config: TrainConfig, progress: Progress = print) -> dict[str, Any]:
    """Encode, fit a logistic-regression head, pick thresholds on validation, audit bias, save with skops."""
    examples, extra = training_examples(config)
    progress(f"{len(examples)} examples from {', '.join(config.datasets)} + {', '.join(WRITTEN)}"
             + "".join(f" + {e['file']} ({e['examples']})" for e in extra))
    encoders = [load_encoder(name) for name in config.encoders]
    lexicon = load_hate_lexicon()
    progress("encoding (this is the slow part; cached per dataset)")
    X = features(examples, encoders, lexicon, config.cache, list(config.encoders))
    y = np.array([e.label for e in examples])
    split = np.array([e.split for e in examples])
    head = fit_head(X, y, split, np.array([config.template_weight if e.dataset in WRITTEN else 1.0
                                           for e in examples]), config.seed)
    probs = head.predict_proba(X)[:, 1]
    threshold = best_threshold(y[split == "val"], probs[split == "val"])
    per_lang = language_thresholds(examples, y, probs, split, threshold)
    report = _evaluate(examples, y, probs, split, threshold, per_lang)
    meta = _meta(config, encoders, threshold, report, len(examples))
    meta.update(thresholds=per_lang, extra=extra)
    progress("bias audit (identity terms: templates and the test splits)")
    meta["bias"] = _bias(HateModel(head, encoders, meta), examples, probs, split, config.cache)
    save(head, meta, config.out)
    progress(f"saved to {config.out} (threshold {threshold}; per language {per_lang})")
    return meta


def training_examples(config: TrainConfig) -> tuple[list[Example], list[dict[str, Any]]]:
    """The datasets' examples (sampled with --limit), the written ones and the --extra files' (checked first)."""
    from models.training.extra import load_extra

    loaded = [load_extra(path) for path in config.extra]
    examples = sample_per_split(list(load_examples(config.data, config.datasets, config.seed)),
                                config.limit, config.seed) + identity_examples()
    return examples + [e for rows, _ in loaded for e in rows], [info for _, info in loaded]


def fit_head(x: np.ndarray, y: np.ndarray, split: np.ndarray, weights: np.ndarray, seed: int) -> Any:
    """StandardScaler + class-balanced LogisticRegression on the training rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    head = Pipeline([("scale", StandardScaler()),
                     ("lr", LogisticRegression(C=0.05, class_weight="balanced", max_iter=3000,
                                               random_state=seed))])
    rows = split == "train"
    head.fit(x[rows], y[rows], lr__sample_weight=weights[rows])
    return head


def _bias(model: HateModel, examples: Sequence[Example], probs: np.ndarray, split: np.ndarray,
          cache: Path | None) -> dict[str, Any]:
    """The bias audit: the written identity set, and the test splits' texts that name an identity term."""
    from models.evaluation.bias import bias_table, dataset_items, template_items

    test = [i for i, s in enumerate(split) if s == "test"]
    items = template_items(cached_scorer(model, cache))
    items += dataset_items([examples[i] for i in test], probs[test], model.lexicon)
    return bias_table(items)


def cached_scorer(model: HateModel, cache: Path | None) -> Callable[[Sequence[str]], np.ndarray]:
    """Hate probabilities of texts scored as a whole, with their embeddings in the cache."""
    def score(texts: Sequence[str]) -> np.ndarray:
        rows = [Example(t, 0, "", "scored", "test") for t in texts]
        x = features(rows, model.encoders, model.lexicon, cache, list(model.meta["encoders"]))
        return np.asarray(model.head.predict_proba(x)[:, 1], dtype=np.float32)
    return score


def features(examples: Sequence[Example], encoders: Sequence[Any], lexicon: Any,
             cache: Path | None, names: list[str]) -> np.ndarray:
    """Feature matrix; embeddings are cached per dataset, keyed by encoders and normalised texts."""
    normalised = [model_text(e.text) for e in examples]
    emb = np.zeros((len(examples), sum(enc.dim for enc in encoders)), dtype=np.float32)
    for dataset in sorted({e.dataset for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.dataset == dataset]
        emb[idx] = _cached_embed([normalised[i] for i in idx], encoders, cache, names)
    lex = lexicon_features(normalised, lexicon)
    return np.hstack([emb, lex])


def _cached_embed(texts: list[str], encoders: Sequence[Any], cache: Path | None, names: list[str]) -> np.ndarray:
    """Embeddings from the cache file for exactly these texts and encoders, or computed and saved."""
    if cache is None:
        return embed(texts, encoders)
    key = hashlib.sha1(json.dumps([names, [e.version for e in encoders], texts]).encode()).hexdigest()
    path = cache / f"{key}.npy"
    if path.exists():
        return np.asarray(np.load(path, allow_pickle=False), dtype=np.float32)
    vectors = embed(texts, encoders)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def _evaluate(examples: Sequence[Example], y: np.ndarray, probs: np.ndarray, split: np.ndarray,
              threshold: float, per_lang: dict[str, float]) -> dict[str, Any]:
    """Test metrics per dataset and language, each language at its own threshold."""
    keys = sorted({(e.dataset, e.lang) for e in examples if e.split == "test"})
    out = {}
    for dataset, lang in keys:
        mask = np.array([e.dataset == dataset and e.lang == lang for e in examples]) & (split == "test")
        out[f"{dataset}/{lang}"] = metrics(y[mask], probs[mask], per_lang.get(lang, threshold))
    return out


def _meta(config: TrainConfig, encoders: Sequence[Any], threshold: float,
          report: dict[str, Any], n: int) -> dict[str, Any]:
    """The model's metadata, written next to the head."""
    return {"name": "xenowatch-hate", "version": config.version, "threshold": threshold,
            "encoders": list(config.encoders),
            "encoder_versions": {e.name: e.version for e in encoders},
            "datasets": {d: {"licence": DATASETS[d].licence, "redistributable": DATASETS[d].redistributable}
                         for d in config.datasets},
            "examples": n, "template_weight": config.template_weight, "seed": config.seed,
            "limit": config.limit, "trained": date.today().isoformat(),
            "python": platform.python_version(), "test_metrics": report}


def save(head: Any, meta: dict[str, Any], out: Path) -> None:
    """Write head.skops, meta.json and MODEL_CARD.md."""
    import skops.io as sio

    from models.training.card import model_card

    out.mkdir(parents=True, exist_ok=True)
    sio.dump(head, out / "head.skops")
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
