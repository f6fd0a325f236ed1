"""What a veracity classifier learns from LIAR claim text, on the `immigration` subject.

LIAR (Wang 2017) is for research use only: it is read from the user's folder, models are
trained in memory for this report and never saved or shipped.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.errors import InputError

LABELS = ("pants-fire", "false", "barely-true", "half-true", "mostly-true", "true")
TRUE_SIDE = frozenset(("half-true", "mostly-true", "true"))  # the usual binary split of LIAR
SUBJECT = "immigration"

Row = tuple[str, str, str]  # label, statement, subjects


def read_split(folder: Path, name: str) -> list[Row]:
    """(label, statement, subjects) of one LIAR split (train, valid or test)."""
    path = folder / f"{name}.tsv"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [(r[1], r[2], r[3]) for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                    if len(r) >= 4 and r[1] in LABELS]
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}; pass the LIAR folder with "
                         "train.tsv, valid.tsv and test.tsv (--data)") from exc
    if not rows:
        raise InputError(f"{path}: no LIAR rows (14 tab-separated columns, label in column 2)")
    return rows


def on_subject(rows: Sequence[Row]) -> list[Row]:
    """The rows whose subjects include immigration."""
    return [r for r in rows if is_on_subject(r)]


def is_on_subject(row: Row) -> bool:
    """Whether a row's subjects include immigration."""
    return SUBJECT in row[2].split(",")


def _accuracy(pred: Sequence[str], gold: Sequence[str]) -> dict[str, Any]:
    """Accuracy with a normal-approximation 95% interval."""
    n = len(gold)
    acc = sum(p == g for p, g in zip(pred, gold, strict=True)) / n
    half = 1.96 * math.sqrt(acc * (1 - acc) / n)
    return {"accuracy": round(acc, 3), "ci95": [round(max(0.0, acc - half), 3), round(min(1.0, acc + half), 3)], "n": n}


def _binary(labels: Sequence[str]) -> list[str]:
    """true/false under the usual LIAR binary split."""
    return ["true" if y in TRUE_SIDE else "false" for y in labels]


def _tfidf_model(train: Sequence[Row]) -> Callable[[Sequence[str]], list[str]]:
    """Word 1-2 gram TF-IDF + logistic regression, fitted on the given rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=1.0))
    model.fit([r[1] for r in train], [r[0] for r in train])
    return lambda texts: [str(y) for y in model.predict(list(texts))]


def _embedding_model(train: Sequence[Row], encode: Callable[[Sequence[str]], np.ndarray]
                     ) -> Callable[[Sequence[str]], list[str]]:
    """Multilingual USE sentence embeddings + logistic regression."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=2000, C=1.0)
    model.fit(encode([r[1] for r in train]), [r[0] for r in train])
    return lambda texts: [str(y) for y in model.predict(encode(list(texts)))]


def _scores(predict: Callable[[Sequence[str]], list[str]], rows: Sequence[Row]) -> dict[str, Any]:
    """6-way and binary accuracy of a predictor on rows."""
    gold = [r[0] for r in rows]
    pred = predict([r[1] for r in rows])
    return {"six_way": _accuracy(pred, gold), "binary": _accuracy(_binary(pred), _binary(gold))}


def report(folder: Path, encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> dict[str, Any]:
    """Majority baselines and text classifiers, evaluated on LIAR's immigration claims."""
    train = read_split(folder, "train")
    evals = {"test": on_subject(read_split(folder, "test")),
             "valid+test": on_subject(read_split(folder, "valid") + read_split(folder, "test"))}
    majority = Counter(r[0] for r in train).most_common(1)[0][0]
    majority_bin = Counter(_binary([r[0] for r in train])).most_common(1)[0][0]
    models: dict[str, Callable[[Sequence[str]], list[str]]] = {
        "tfidf-logreg (all train)": _tfidf_model(train),
        "tfidf-logreg (immigration train)": _tfidf_model(on_subject(train))}
    if encode is not None:
        models["use-embeddings-logreg (immigration train)"] = _embedding_model(on_subject(train), encode)
    out: dict[str, Any] = {"train": len(train), "train_immigration": len(on_subject(train)),
                           "majority_label": majority, "results": {}}
    for split, rows in evals.items():
        gold = [r[0] for r in rows]
        table = {"majority (train)": {"six_way": _accuracy([majority] * len(rows), gold),
                                      "binary": _accuracy([majority_bin] * len(rows), _binary(gold))}}
        table.update({name: _scores(predict, rows) for name, predict in models.items()})
        out["results"][split] = {"labels": dict(Counter(gold)), "models": table}
    return out
