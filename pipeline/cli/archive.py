"""Archive commands: export the partitioned Parquet archive and rank a year from it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.cli._util import FORMATS, State, archive_app, echo_err
from pipeline.core.errors import ConfigError


@archive_app.command("export")
def archive_export(out: Path = typer.Option(..., "--out", help="Archive folder (new, or one written before)."),
                   year: int | None = typer.Option(None, "--year", help="Only this year (its partitions are "
                                                                         "replaced); default: everything.")) -> None:
    """Write articles, classifications and rubric results as Parquet partitioned by year/month/outlet."""
    from pipeline.db.database import Database
    from pipeline.jobs.archive import export

    stats = export(Database.open(State.settings().db), out, year).as_dict()
    for table, rows in stats["rows"].items():
        typer.echo(f"{table}: {rows} rows, {stats['files'][table]} files, {stats['bytes'][table]} bytes"
                   + (f" ({stats['bytes_per_row'][table]} bytes/row)" if rows else ""))
    typer.echo(f"archive: {out}")


@archive_app.command("rank")
def archive_rank(root: Path = typer.Option(..., "--from", help="Archive folder written by 'archive export'."),
                 year: int = typer.Option(..., "--year", help="Year to rank."),
                 fmt: str = typer.Option("csv", "--format", help="csv or json.")) -> None:
    """The outlet ranking of a year computed from the archive (the same as 'rank' on the database)."""
    from pipeline.award.report import ranking_csv
    from pipeline.classify.classifier import classifier_tag
    from pipeline.jobs import archive
    from pipeline.rubric.score import load_rubric

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
