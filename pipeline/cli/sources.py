"""Source registry commands: sources import, list, status, disable, enable and remove."""

from __future__ import annotations

from pathlib import Path
from shlex import quote

import typer

from pipeline.cli._util import State, sources_app
from pipeline.core.errors import InputError
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
    feeds, disabled = sources.feeds(db, include_disabled=True), sources.disabled_feeds(db)
    for o in sources.outlets(db).values():
        typer.echo(f"{o.id}\t{o.name}\t{o.country or '-'}\t{o.language or '-'}\t{o.media_type or '-'}")
        for f in (f for f in feeds if f.outlet_id == o.id):
            typer.echo(f"    {f.kind}\t{f.url}" + ("\tdisabled" if f.url in disabled else ""))


@sources_app.command("status")
def sources_status() -> None:
    """Per-feed health: disabled or not, last success, last error, consecutive failures, items in 7 days."""
    for row in sources.feed_status(Database.open(State.settings().db)):
        typer.echo(f"{row['url']}" + ("\tdisabled" if row["disabled"] else "")
                   + f"\tok={row['last_success'] or 'never'}\tfailures={row['consecutive_failures']}"
                   f"\titems_7d={row['items_7d']}" + (f"\tlast_error={row['last_error']}" if row["last_error"] else ""))


NAME_OR_URL = typer.Argument(..., help="A feed URL, or an outlet's id or name (then all its feeds).")


@sources_app.command("disable")
def sources_disable(name_or_url: str = NAME_OR_URL) -> None:
    """Stop fetching a feed or an outlet's feeds; what was stored from them stays."""
    db = Database.open(State.settings().db)
    chosen = sources.select(db, name_or_url)
    changed = sources.set_disabled(db, chosen, True)
    typer.echo(f"disabled {changed} of {len(chosen.urls)} feeds of {chosen.label}: ingest and run skip them; "
               f"stored articles stay (enable again: xenowatch sources enable {quote(name_or_url)})")


@sources_app.command("enable")
def sources_enable(name_or_url: str = NAME_OR_URL) -> None:
    """Fetch a disabled feed, or an outlet's disabled feeds, again."""
    db = Database.open(State.settings().db)
    chosen = sources.select(db, name_or_url)
    changed = sources.set_disabled(db, chosen, False)
    typer.echo(f"enabled {changed} of {len(chosen.urls)} feeds of {chosen.label}")


@sources_app.command("remove")
def sources_remove(name_or_url: str = NAME_OR_URL) -> None:
    """Unregister a feed or an outlet with its feeds; refused once articles were stored from it (disable it)."""
    db = Database.open(State.settings().db)
    chosen = sources.select(db, name_or_url)
    stored = sources.remove(db, chosen)
    if stored:
        raise InputError(f"{chosen.label} has {stored} stored articles, which rankings and snapshots cite, so it "
                         f"stays registered; to stop fetching it run: xenowatch sources disable {quote(name_or_url)}")
    typer.echo(f"removed {chosen.label}" + (f" and its {len(chosen.urls)} feeds" if chosen.outlet_id else ""))
