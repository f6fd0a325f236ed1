"""Source registry commands: sources import, list and status."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli._util import State, sources_app
from pipeline.db import sources
from pipeline.db.database import Database


@sources_app.command("import")
def sources_import(file: Path = typer.Argument(..., help="OPML, CSV or YAML file.")) -> None:
    """Register outlets and feeds; a bad row refuses the whole file."""
    from pipeline.ingest.sources import load_sources

    outlets, feeds = load_sources(file)
    sources.upsert_sources(Database.open(State.settings().db), outlets, feeds)
    typer.echo(f"imported {len(outlets)} outlets and {len(feeds)} feeds from {file}")


@sources_app.command("list")
def sources_list() -> None:
    """Registered outlets and their feeds."""
    db = Database.open(State.settings().db)
    feeds = sources.feeds(db)
    for o in sources.outlets(db).values():
        typer.echo(f"{o.id}\t{o.name}\t{o.country or '-'}\t{o.language or '-'}\t{o.media_type or '-'}")
        for f in (f for f in feeds if f.outlet_id == o.id):
            typer.echo(f"    {f.kind}\t{f.url}")


@sources_app.command("status")
def sources_status() -> None:
    """Per-feed health: last success, last error, consecutive failures, items in 7 days."""
    for row in sources.feed_status(Database.open(State.settings().db)):
        typer.echo(f"{row['url']}\tok={row['last_success'] or 'never'}\tfailures={row['consecutive_failures']}"
                   f"\titems_7d={row['items_7d']}" + (f"\tlast_error={row['last_error']}" if row["last_error"] else ""))

