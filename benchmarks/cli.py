"""The `xenowatch bench` commands, registered as a plugin through the "xenowatch.commands" entry point."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.core.config import Settings

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (ratios against baselines run in the same process).")


def register(app: typer.Typer) -> None:
    """Add the `bench` group to the xenowatch app."""
    app.add_typer(bench_app, name="bench")


def echo_err(message: str) -> None:
    """A line on stderr."""
    typer.echo(message, err=True)


def _settings(ctx: typer.Context) -> Settings:
    """The settings of this invocation (--db, --config), which the root command leaves in the context."""
    settings = ctx.obj.settings()
    assert isinstance(settings, Settings)
    return settings


@bench_app.command("rank")
def bench_rank(quick: bool = typer.Option(False, "--quick", help="100k and 1M rows instead of 1M and 10M."),
               as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout.")) -> None:
    """Ranking time for synthetic scored articles in DuckDB at two sizes, and its growth."""
    from benchmarks.rank_bench import format_table, run_benchmark

    result = run_benchmark(quick=quick, say=echo_err)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


@bench_app.command("rubric")
def bench_rubric(as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
                 errors: bool = typer.Option(False, "--errors",
                                             help="List the cases each criterion gets wrong."),
                 cases: Path | None = typer.Option(None, "--cases", help="A YAML file of labelled cases "
                                                   "(default: benchmarks/rubric/cases.yaml; the held-out "
                                                   "batches are heldout*.yaml there).")
                 ) -> None:
    """Precision and recall of each rubric criterion on the labelled EN/FR/ES passages."""
    from benchmarks.rubric_eval import evaluate, format_table, load_cases

    result = evaluate(cases=load_cases(cases) if cases is not None else None)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    typer.echo(format_table(result))
    for cid, row in result["criteria"].items():
        for e in row["errors"] if errors else []:
            typer.echo(f"  {cid} [{e['lang']}, {e['tag']}] expected {e['expected']}: {e['text']}")


@bench_app.command("ingest")
def bench_ingest(ctx: typer.Context,
                 quick: bool = typer.Option(False, "--quick", help="40 feeds instead of 200."),
                 as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout.")) -> None:
    """Concurrent ingest against a sequential feedparser loop, and the 304 re-poll against the first poll."""
    from benchmarks.ingest_bench import format_table, run_benchmark

    result = run_benchmark(_settings(ctx), quick=quick, say=echo_err)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


@bench_app.command("classify")
def bench_classify(ctx: typer.Context,
                   quick: bool = typer.Option(False, "--quick", help="Small corpus, for CI."),
                   as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
                   data: Path | None = typer.Option(None, "--data",
                                                    help="Labelled data folder: add the eval quality table.")) -> None:
    """Throughput of classify against the bare encoder and a naive one-at-a-time pipeline."""
    from benchmarks.classify_bench import format_table, run_benchmark

    result = run_benchmark(_settings(ctx), quick=quick, say=echo_err)
    if data is not None:
        from models.training.evaluate import evaluate_model

        result["quality"] = evaluate_model(_settings(ctx), data, ("hatexplain", "mlma", "iwg_german_refugees",
                                                                  "ethos"), 200 if quick else None)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


@bench_app.command("relevance")
def bench_relevance(ctx: typer.Context,
                    quick: bool = typer.Option(False, "--quick", help="One pass over the set instead of three."),
                    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout.")) -> None:
    """Throughput of the lexicon and the combined relevance score against the hate model's encoders."""
    from benchmarks.relevance_bench import format_table, run_benchmark

    result = run_benchmark(_settings(ctx), quick=quick, say=echo_err)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


@bench_app.command("e2e")
def bench_e2e(ctx: typer.Context,
              quick: bool = typer.Option(False, "--quick", help="2k and 10k articles instead of 10k and 100k."),
              as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """A synthetic corpus served on loopback through ingest -> classify -> score -> rank."""
    from benchmarks.e2e_bench import format_table, run_benchmark

    result = run_benchmark(_settings(ctx), quick=quick, say=echo_err)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


@bench_app.command("serve")
def bench_serve(quick: bool = typer.Option(False, "--quick", help="Fewer users and requests."),
                as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """p50/p95 latency of the queue and item pages with concurrent users while an ingest writes."""
    from benchmarks.serve_bench import run_bench

    result = run_bench(quick=quick, progress=echo_err)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:>22}: {value}")
