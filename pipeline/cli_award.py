"""Award commands: `bench rank` (ranking at scale) and `bench rubric` (criteria precision/recall)."""

from __future__ import annotations

import json

import typer

from pipeline.cli import bench_app, echo_err


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
                                             help="List the cases each criterion gets wrong.")) -> None:
    """Precision and recall of each rubric criterion on the labelled EN/FR/ES passages."""
    from benchmarks.rubric_eval import evaluate, format_table

    result = evaluate()
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    typer.echo(format_table(result))
    for cid, row in result["criteria"].items():
        for e in row["errors"] if errors else []:
            typer.echo(f"  {cid} [{e['lang']}, {e['tag']}] expected {e['expected']}: {e['text']}")
