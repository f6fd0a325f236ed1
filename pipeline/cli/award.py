"""The award commands: rank (or audit a snapshot) and report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from pipeline.award.rank import OutletScore
from pipeline.cli._util import FORMATS, State, app, echo_err
from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError
from pipeline.db.database import Database


def _ranking(settings: Settings, year: int) -> tuple[list[OutletScore], dict[str, Any]]:
    """A year's ranking (stored as a snapshot)."""
    from pipeline.classify.classifier import classifier_tag
    from pipeline.jobs import steps as jobs
    from pipeline.rubric.score import load_rubric

    db = Database.open(settings.db)
    lines, snapshot, _ = jobs.rank_year(db, settings, year, classifier_tag(settings), load_rubric().version)
    return lines, snapshot


def _audit(settings: Settings, year: int, snapshot_id: str) -> None:
    """Recompute a stored snapshot; exit 1 unless it is reproduced exactly."""
    from pipeline.jobs.award import audit_snapshot
    from pipeline.rubric.score import load_rubric

    audit = audit_snapshot(Database.open(settings.db), snapshot_id, load_rubric())
    if audit["year"] != year:
        raise ConfigError(f"snapshot {snapshot_id} ranks {audit['year']}, not {year}; pass --year {audit['year']}")
    typer.echo(json.dumps(audit, ensure_ascii=False, indent=2))
    if not audit["reproduced"]:
        echo_err(f"snapshot {snapshot_id} is not reproduced: the data now gives {audit['recomputed']} "
                 f"({len(audit['added_articles'])} articles added, {len(audit['removed_articles'])} removed, "
                 f"{len(audit['verdicts_changed'])} verdicts changed)")
        raise typer.Exit(1)


@app.command()
def rank(year: int = typer.Option(..., "--year", help="Year to rank."),
         fmt: str = typer.Option("csv", "--format", help="csv, json or html."),
         snapshot_id: str | None = typer.Option(None, "--snapshot",
                                          help="Audit a stored snapshot: recompute it and compare.")) -> None:
    """The outlet ranking of a year, every category (overall, country, media type, most improved)."""
    from pipeline.award.report import ranking_csv, render_html
    from pipeline.jobs.award import report_context
    from pipeline.rubric.score import load_rubric

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is invalid; must be one of: {', '.join(FORMATS)}")
    settings = State.settings()
    if snapshot_id:
        _audit(settings, year, snapshot_id)
        return
    lines, snapshot = _ranking(settings, year)
    if not lines:
        echo_err(f"not enough data: no scored migration articles in {year}")
    if fmt == "csv":
        typer.echo(ranking_csv(snapshot["rows"]), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps({"year": year, "snapshot": snapshot["id"] if lines else None,
                               "status": "ranked" if lines else "not enough data",
                               "rubric_version": snapshot["rubric_version"],
                               "ranking": snapshot["rows"], "indicators": snapshot.get("indicators", {})},
                              ensure_ascii=False, indent=2))
    else:
        context = report_context(Database(settings.db), year, lines, snapshot, load_rubric())
        typer.echo(render_html(context))


@app.command()
def report(year: int = typer.Option(..., "--year"), out: Path = typer.Option(..., "--out")) -> None:
    """Build the static HTML report (ranking, categories, trends, breakdown, evidence packs, methodology)."""
    from pipeline.jobs import steps as jobs

    settings = State.settings()
    lines, snapshot = _ranking(settings, year)
    index = jobs.report_year(Database(settings.db), out, year, lines, snapshot)
    if not lines:
        echo_err(f"not enough data: no scored migration articles in {year}; the report says so")
    typer.echo(f"report: {index}")

