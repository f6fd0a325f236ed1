"""Relevance commands: train-relevance and eval-relevance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli._util import State, app, echo_err
from pipeline.core.errors import InputError

if TYPE_CHECKING:
    from models.relevance.training import Passage


def _data_dir() -> Path:
    """The labelled relevance set shipped in the source tree."""
    from models.relevance.training import DATA_DIR

    return DATA_DIR


@app.command("train-relevance")
def train_relevance(data: Path | None = typer.Option(None, "--data", help="Labelled JSONL to train on "
                                                     "(default: models/relevance/data/train.jsonl)."),
                    test: Path | None = typer.Option(None, "--test", help="Held-out JSONL reported in the "
                                                     "model card, never tuned on (default: test.jsonl)."),
                    out: Path | None = typer.Option(None, "--out", help="Output folder (default: the shipped head)."),
                    seed: int = typer.Option(13, "--seed"),
                    version: str = typer.Option("1.0.0", "--version", help="Version recorded with every result.")
                    ) -> None:
    """Train the embedding relevance head and its stacker; write head.skops, meta.json and MODEL_CARD.md."""
    from models.encoders.registry import MULTILINGUAL, load_encoder
    from models.relevance.model import DEFAULT_DIR
    from models.relevance.training import format_table
    from models.relevance.training import train_relevance as run_train

    data = data or _data_dir() / "train.jsonl"
    test = test or _data_dir() / "test.jsonl"
    meta = run_train(data, out or DEFAULT_DIR, load_encoder(MULTILINGUAL), MULTILINGUAL, seed=seed,
                     version=version, test=test if test.exists() else None, say=echo_err)
    cv = meta["cv_metrics"]
    typer.echo(f"suggested gate {meta['suggested_gate']}: cross-validated P={cv['precision']} R={cv['recall']} "
               f"F1={cv['f1']} on {cv['n']} train passages; written to {out or DEFAULT_DIR}")
    if "test_metrics" in meta:
        typer.echo(format_table(meta["test_metrics"]))


@app.command("eval-relevance")
def eval_relevance(data: Path | None = typer.Option(None, "--data", help="Labelled JSONL "
                                                    "(default: models/relevance/data/test.jsonl)."),
                   gate: float | None = typer.Option(None, "--gate", help="Gate to report (default: the "
                                                     "configured relevance_gate)."),
                   liar: Path | None = typer.Option(None, "--liar", help="A LIAR folder (valid.tsv, test.tsv): "
                                                    "measure on its statements instead, the immigration subject "
                                                    "as the label (a proxy; research use only, never trained on)."),
                   as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout.")) -> None:
    """Relevance precision, recall and F1 per language at the gate, combined and lexicon alone."""
    from models.relevance.model import load_relevance_model
    from models.relevance.training import evaluate, format_table, load_passages, score_passages

    gate = State.settings().relevance_gate if gate is None else gate
    if not 0.0 <= gate <= 1.0:
        raise InputError(f"--gate {gate} must be between 0 and 1")
    if liar is not None and data is not None:
        raise InputError("give --data or --liar, not both")
    passages = liar_passages(liar) if liar is not None else load_passages(data or _data_dir() / "test.jsonl")
    result = evaluate(passages, *score_passages(load_relevance_model(), passages), gate)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


def liar_passages(folder: Path) -> list[Passage]:
    """LIAR's valid and test statements as labelled passages: about migration when a subject is immigration."""
    from models.relevance.training import Passage
    from pipeline.misinfo.liar import is_on_subject, read_split

    rows = [row for split in ("valid", "test") for row in read_split(folder, split)]
    about = [is_on_subject(row) for row in rows]
    return [Passage(id=f"liar-{n}", lang="en", label=int(on), kind="liar-immigration" if on else "liar-other",
                    text=row[1]) for n, (row, on) in enumerate(zip(rows, about, strict=True), 1)]
