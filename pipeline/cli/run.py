"""The monitoring commands: ingest and run."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from pipeline.cli._util import State, app, echo_err, print_ingest_summary
from pipeline.core.errors import InputError
from pipeline.core.outlets import Feed
from pipeline.core.progress import progress_bar
from pipeline.db import articles, sources
from pipeline.db.database import Database


def _feeds_for(db: Database, targets: List[str]) -> list[Feed]:
    """Registered feeds, or feeds for the given URLs and local files (unknown ones registered)."""
    from pipeline.core.outlets import Outlet, slugify
    from pipeline.ingest.feedkinds import local_feed

    if not targets:
        return _registered_feeds(db)
    known = {f.url: f for f in sources.feeds(db, include_disabled=True)}
    outlets, feeds, new_outlets = sources.outlets(db), [], []
    for target in targets:
        if target.startswith(("http://", "https://")):
            from urllib.parse import urlsplit

            host = slugify(urlsplit(target).hostname or "feed")
            feed = known.get(target) or Feed(url=target, outlet_id=host)
            outlet = None if feed.outlet_id in outlets else Outlet(id=host, name=host)
        elif Path(target).is_file():
            feed, outlet = local_feed(Path(target), outlets)
        else:
            raise InputError(f"{target}: not a URL and no such file; give http(s) feed URLs or feed files")
        feeds.append(feed)
        if outlet:
            new_outlets.append(outlet)
            outlets[outlet.id] = outlet
    sources.upsert_sources(db, new_outlets, [f for f in feeds if f.url not in known])
    return feeds


def _registered_feeds(db: Database) -> list[Feed]:
    """The enabled registered feeds; the disabled ones are skipped, and said so on stderr."""
    feeds, disabled = sources.feeds(db), len(sources.disabled_feeds(db))
    if disabled:
        echo_err(f"skipping {disabled} disabled feeds (xenowatch sources list shows them)")
    if not feeds:
        raise InputError(f"no enabled feeds ({disabled} disabled); run 'xenowatch sources enable NAME_OR_URL'"
                         if disabled else
                         "no feeds registered; run 'xenowatch sources import FILE' or pass feed URLs or files")
    return feeds


@app.command()
def ingest(targets: List[str] = typer.Argument(None, help="Feed URLs or files; default: every registered feed."),
           strict: bool = typer.Option(False, "--strict", help="Exit 1 when any feed fails."),
           verbose: bool = typer.Option(False, "--verbose", "-v",
                                        help="Say why each item was rejected or kept only its feed text.")) -> None:
    """Fetch feeds and store their new articles."""
    from pipeline.jobs import steps as jobs

    settings = State.settings()
    db = Database.open(settings.db)
    feeds = _feeds_for(db, targets or [])
    run_id = articles.start_run(db, "ingest")
    with progress_bar("ingest", len(feeds)) as tick:
        done = jobs.ingest_feeds(db, settings, feeds, run_id, tick)
    summary = done.as_dict()
    articles.finish_run(db, run_id, summary)
    print_ingest_summary(summary)
    if verbose:
        for what, item, why in done.notes:
            typer.echo(f"  {what} {item}: {why}")
    if strict and summary["feeds_failed"]:
        echo_err(f"error: {summary['feeds_failed']} feeds could not be read (--strict)")
        raise typer.Exit(1)


@app.command()
def run(targets: List[str] = typer.Argument(None, help="Feed URLs or files; default: every registered feed.")) -> None:
    """The monitoring flow once (Prefect): ingest -> classify -> score."""
    from flows.monitor import monitor_flow

    settings = State.settings()
    feeds = _feeds_for(Database.open(settings.db), targets or [])
    result = monitor_flow(settings, feeds)
    print_ingest_summary(result["ingest"])
    typer.echo(f"classified {result['classified']} articles, scored {result['scored']} migration articles")

