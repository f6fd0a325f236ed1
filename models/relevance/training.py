"""Train and evaluate the relevance head (`xenowatch train-relevance`, `xenowatch eval-relevance`)."""

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

from models.encoders.base import Encoder
from models.relevance.model import RelevanceModel, embed_pieces, stack_features
from pipeline.core.errors import InputError, ModelError

DATA_DIR = Path(__file__).resolve().parent / "data"
TARGET_RECALL = 0.95  # the gate keeps at least this recall on the training folds: a miss is never reviewed
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
FOLDS = 5
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Passage:
    """One labelled passage: about migration (1) or not (0), with its language and kind."""

    id: str
    lang: str
    label: int
    kind: str
    text: str


def load_passages(path: Path) -> list[Passage]:
    """Read a labelled JSONL file; a bad line is an error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read labelled passages {path} ({exc}); pass a JSONL file") from exc
    out = [_passage(line, path, n) for n, line in enumerate(lines, 1) if line.strip()]
    if not out:
        raise InputError(f"{path} holds no passages; each line needs id, lang, label (0/1) and text")
    return out


def _passage(line: str, path: Path, n: int) -> Passage:
    """One validated passage."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{n}: invalid JSON ({exc.msg})") from exc
    if not isinstance(row, dict) or not str(row.get("text") or "").strip() or row.get("label") not in (0, 1):
        raise InputError(f"{path}:{n}: each line needs a non-empty 'text' and a 'label' of 0 or 1")
    return Passage(id=str(row.get("id", n)), lang=str(row.get("lang") or "en"), label=int(row["label"]),
                   kind=str(row.get("kind") or ("explicit" if row["label"] else "negative")), text=row["text"])


def lexical_scores(passages: Sequence[Passage]) -> np.ndarray:
    """The lexicon score of each passage (no title)."""
    from models.relevance.lexicon import load_lexicon, relevance_score

    lexicon = load_lexicon()
    return np.array([relevance_score("", p.text, p.lang, lexicon) for p in passages], dtype=np.float64)


def fit_head(x: np.ndarray, lexical: np.ndarray, y: np.ndarray, seed: int) -> tuple[dict[str, Any], np.ndarray, float]:
    """Embedding head (C by cross-validated log-loss), stacker on its out-of-fold probability plus the
    lexicon score; returns the head, the stacker's own out-of-fold scores (for the gate) and C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)

    def head(c: float) -> LogisticRegression:
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)

    best_c = max(C_GRID, key=lambda c: float(cross_val_score(head(c), x, y, cv=folds, scoring="neg_log_loss").mean()))
    oof = cross_val_predict(head(best_c), x, y, cv=folds, method="predict_proba")[:, 1]
    features = stack_features(oof, lexical)
    stack = LogisticRegression(C=100.0, max_iter=5000).fit(features, y)
    if min(stack.coef_[0]) <= 0:
        raise ModelError(f"the stacker's weights {stack.coef_[0].round(3).tolist()} are not both positive: "
                         "the combined score would not grow with the evidence; check the labels")
    stacked_oof = cross_val_predict(LogisticRegression(C=100.0, max_iter=5000), features, y, cv=folds,
                                    method="predict_proba")[:, 1]
    return {"embedding": head(best_c).fit(x, y), "stack": stack}, stacked_oof, best_c


def choose_gate(scores: np.ndarray, y: np.ndarray, target: float = TARGET_RECALL) -> float:
    """The highest gate on a 0.05 grid that keeps recall >= target on these scores."""
    for gate in np.round(np.arange(0.95, 0.0, -0.05), 2):
        if y.sum() == 0 or (scores[y == 1] >= gate).mean() >= target:
            return float(gate)
    return 0.05


def metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1 and the confusion counts."""
    tp = int(((predicted == 1) & (y == 1)).sum())
    fp = int(((predicted == 1) & (y == 0)).sum())
    fn = int(((predicted == 0) & (y == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"n": int(len(y)), "positives": int(y.sum()), "precision": round(p, 3), "recall": round(r, 3),
            "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": int(len(y)) - tp - fp - fn}}


def evaluate(passages: Sequence[Passage], scores: np.ndarray, lexical: np.ndarray, gate: float) -> dict[str, Any]:
    """Per language (and all): the combined score and the lexicon alone at the gate; recall per kind."""
    y = np.array([p.label for p in passages])
    langs = np.array([p.lang for p in passages])
    kinds = np.array([p.kind for p in passages])
    table: dict[str, Any] = {"gate": gate, "languages": {}, "kinds": {}}
    for lang in [*sorted(set(langs)), "all"]:
        mask = np.ones(len(y), bool) if lang == "all" else langs == lang
        table["languages"][lang] = {"combined": metrics(y[mask], (scores[mask] >= gate).astype(int)),
                                    "lexicon": metrics(y[mask], (lexical[mask] >= gate).astype(int))}
    for kind in sorted(set(kinds)):
        mask = kinds == kind
        table["kinds"][kind] = {"n": int(mask.sum()), "share_passed": round(float((scores[mask] >= gate).mean()), 3),
                                "lexicon_share_passed": round(float((lexical[mask] >= gate).mean()), 3)}
    return table


def score_passages(model: RelevanceModel, passages: Sequence[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """The cascade's scores (what classify stores) and the lexicon-only ones (what it stores without the head:
    the lexicon score, 0 for look-alikes) of labelled passages."""
    from models.relevance.lexicon import cascade, load_lexicon

    lexical = lexical_scores(passages).tolist()
    docs = [("", p.text, p.lang) for p in passages]
    return (np.array(cascade(docs, lexical, load_lexicon(), model)),
            np.array(cascade(docs, lexical, load_lexicon()), dtype=np.float64))


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table."""
    lines = [f"relevance at gate {result['gate']:.2f}   cascade (lexicon, embedding if unsure) lexicon alone",
             f"{'lang':<6}{'n':>5}{'pos':>5}   {'P':>6}{'R':>7}{'F1':>7}         {'P':>6}{'R':>7}{'F1':>7}"]
    for lang, row in result["languages"].items():
        c, lx = row["combined"], row["lexicon"]
        lines.append(f"{lang:<6}{c['n']:>5}{c['positives']:>5}   {c['precision']:>6.3f}{c['recall']:>7.3f}"
                     f"{c['f1']:>7.3f}         {lx['precision']:>6.3f}{lx['recall']:>7.3f}{lx['f1']:>7.3f}")
    lines.append("share passing the gate, by kind (combined / lexicon alone):")
    lines += [f"  {kind:<14} n={k['n']:<4} {k['share_passed']:.3f} / {k['lexicon_share_passed']:.3f}"
              for kind, k in result["kinds"].items()]
    return "\n".join(lines)


def train_relevance(data: Path, out: Path, encoder: Encoder, encoder_name: str, seed: int = 13,
                    version: str = "1.0.0", test: Path | None = None,
                    say: Progress = lambda _: None) -> dict[str, Any]:
    """Fit the head on `data`, choose the gate on its folds, report `test` (never tuned on), save."""
    from models.relevance.lexicon import load_lexicon

    passages = load_passages(data)
    y = np.array([p.label for p in passages])
    if min(int(y.sum()), int(len(y) - y.sum())) < FOLDS:
        raise InputError(f"{data}: need at least {FOLDS} passages of each label to train")
    say(f"embedding {len(passages)} passages with {encoder_name}")
    x, owners = embed_pieces([("", p.text) for p in passages], encoder)
    if len(owners) != len(passages):
        raise InputError(f"{data}: a passage has no text after normalisation; remove it")
    lexical = lexical_scores(passages)
    head, oof, c = fit_head(x, lexical, y, seed)
    gate = choose_gate(oof, y)
    meta = {"name": "xenowatch-relevance", "version": version, "encoder": encoder_name,
            "encoder_version": encoder.version, "lexicon": load_lexicon().version, "C": c, "seed": seed,
            "suggested_gate": gate, "target_recall": TARGET_RECALL,
            "stack_coef": [round(float(v), 4) for v in head["stack"].coef_[0]],
            "stack_intercept": round(float(head["stack"].intercept_[0]), 4),
            "train": {"file": data.name, "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
                      "n": len(passages), "positives": int(y.sum())},
            "cv_metrics": metrics(y, (oof >= gate).astype(int)),
            "trained": date.today().isoformat(), "python": platform.python_version()}
    if test is not None:
        model = RelevanceModel(head, meta, encoder)
        meta["test_metrics"] = evaluate(load_passages(test), *score_passages(model, load_passages(test)), gate)
        meta["test_file"] = test.name
    save(head, meta, out)
    return meta


def save(head: dict[str, Any], meta: dict[str, Any], out: Path) -> None:
    """Write head.skops, meta.json and MODEL_CARD.md."""
    import skops.io as sio

    from models.relevance.card import model_card

    out.mkdir(parents=True, exist_ok=True)
    sio.dump(head, out / "head.skops")
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")
