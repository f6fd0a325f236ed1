"""Scale commands: the end-to-end benchmark and the partitioned Parquet archive."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.cli import FORMATS, State, app, bench_app, echo_err
from pipeline.errors import ConfigError

archive_app = typer.Typer(no_args_is_help=True, help="The archive as partitioned Parquet (year/month/outlet).")
app.add_typer(archive_app, name="archive")


@bench_app.command("e2e")
def bench_e2e(quick: bool = typer.Option(False, "--quick", help="2k and 10k articles instead of 10k and 100k."),
              as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """A synthetic corpus served on loopback through ingest -> classify -> score -> rank."""
    from benchmarks.e2e_bench import format_table, run_benchmark

    result = run_benchmark(State.settings(), quick=quick, say=echo_err)
    typer.echo(json.dumps(result, indent=2) if as_json else format_table(result))


@archive_app.command("export")
def archive_export(out: Path = typer.Option(..., "--out", help="Archive folder (new, or one written before)."),
                   year: int | None = typer.Option(None, "--year", help="Only this year (its partitions are "
                                                                         "replaced); default: everything.")) -> None:
    """Write articles, classifications and rubric results as Parquet partitioned by year/month/outlet."""
    from pipeline.archive import export
    from pipeline.store import Store

    store = Store(State.settings().db)
    store.migrate()
    stats = export(store, out, year).as_dict()
    for table, rows in stats["rows"].items():
        typer.echo(f"{table}: {rows} rows, {stats['files'][table]} files, {stats['bytes'][table]} bytes"
                   + (f" ({stats['bytes_per_row'][table]} bytes/row)" if rows else ""))
    typer.echo(f"archive: {out}")


@archive_app.command("rank")
def archive_rank(root: Path = typer.Option(..., "--from", help="Archive folder written by 'archive export'."),
                 year: int = typer.Option(..., "--year", help="Year to rank."),
                 fmt: str = typer.Option("csv", "--format", help="csv or json.")) -> None:
    """The outlet ranking of a year computed from the archive (the same as 'rank' on the database)."""
    from pipeline import archive
    from pipeline.classify import classifier_tag
    from pipeline.report import ranking_csv
    from pipeline.rubric import load_rubric

    if fmt not in FORMATS[:2]:
        raise ConfigError(f"--format {fmt!r} is invalid; must be one of: {', '.join(FORMATS[:2])}")
    settings = State.settings()
    lines, snapshot = archive.rank(root, year, settings, classifier_tag(settings), load_rubric().version)
    if not lines:
        echo_err(f"not enough data: no scored migration articles in {year} in {root}")
    if fmt == "csv":
        typer.echo(ranking_csv(snapshot["rows"]), nl=False)
    else:  # the same document as `rank --format json`
        typer.echo(json.dumps({"year": year, "snapshot": snapshot["id"] if lines else None,
                               "status": "ranked" if lines else "not enough data",
                               "rubric_version": snapshot["rubric_version"], "ranking": snapshot["rows"],
                               "indicators": snapshot.get("indicators", {})}, ensure_ascii=False, indent=2))
