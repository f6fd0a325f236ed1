"""The `xenowatch` command line: every command is a thin layer over pipeline/ and flows/."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import typer

from pipeline.config import Settings, load_settings, setup_offline_env
from pipeline.errors import ConfigError, XenowatchError
from pipeline.store import Store

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Xenowatch: monitor how the media cover migration.")
sources_app = typer.Typer(no_args_is_help=True, help="The registry of outlets and feeds.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (ratios against baselines run in the same process).")
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")
FORMATS = ("csv", "json", "html")


class State:
    """Options shared by every command."""

    db: Path | None = None
    config: Path | None = None

    @classmethod
    def settings(cls) -> Settings:
        """Settings from defaults, config file, environment and --db."""
        return load_settings(cls.config, db=cls.db)


@app.callback()
def main_options(
    db: Path | None = typer.Option(None, "--db", envvar="XENOWATCH_DB",
                                      help="DuckDB file (default ./xenowatch.duckdb)."),
    config: Path | None = typer.Option(None, "--config", envvar="XENOWATCH_CONFIG",
                                          help="TOML settings file (a \\[xenowatch] table)."),
) -> None:
    """Xenowatch: monitor how the media cover migration."""
    State.db, State.config = db, config


def echo_err(message: str) -> None:
    """A line on stderr."""
    typer.echo(message, err=True)


@db_app.command("migrate")
def db_migrate() -> None:
    """Create the database or apply the migrations it lacks."""
    store = Store(State.settings().db)
    applied = store.migrate()
    typer.echo(f"{store.path}: schema version {store.schema_version()}"
               + (f" (applied {', '.join(applied)})" if applied else " (up to date)"))


@app.command()
def purge(older_than: int | None = typer.Option(None, "--older-than",
                                                help="Days (default: retention_days).")) -> None:
    """Erase text, authors and evidence of social posts older than the retention period."""
    from datetime import UTC, datetime, timedelta

    settings = State.settings()
    days = older_than if older_than is not None else settings.retention_days
    if days <= 0:
        raise ConfigError("no retention period: pass --older-than DAYS or set retention_days "
                          "(XENOWATCH_RETENTION_DAYS)")
    store = Store(settings.db)
    store.migrate()
    cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    typer.echo(f"purged {store.purge_posts(cutoff)} social posts older than {days} days")


@db_app.command("backup")
def db_backup(path: Path = typer.Argument(..., help="New DuckDB file to write.")) -> None:
    """A consistent copy of the database, safe while flows write."""
    store = Store(State.settings().db)
    store.migrate()
    typer.echo(f"backup written to {store.backup(path)}")


@sources_app.command("import")
def sources_import(file: Path = typer.Argument(..., help="OPML, CSV or YAML file.")) -> None:
    """Register outlets and feeds; a bad row refuses the whole file."""
    from pipeline.sources import load_sources

    outlets, feeds = load_sources(file)
    store = Store(State.settings().db)
    store.migrate()
    store.upsert_sources(outlets, feeds)
    typer.echo(f"imported {len(outlets)} outlets and {len(feeds)} feeds from {file}")


@sources_app.command("list")
def sources_list() -> None:
    """Registered outlets and their feeds."""
    store = Store(State.settings().db)
    store.migrate()
    feeds = store.feeds()
    for o in store.outlets().values():
        typer.echo(f"{o.id}\t{o.name}\t{o.country or '-'}\t{o.language or '-'}\t{o.media_type or '-'}")
        for f in (f for f in feeds if f.outlet_id == o.id):
            typer.echo(f"    {f.kind}\t{f.url}")


@sources_app.command("status")
def sources_status() -> None:
    """Per-feed health: last success, last error, consecutive failures, items in 7 days."""
    store = Store(State.settings().db)
    store.migrate()
    for row in store.feed_status():
        typer.echo(f"{row['url']}\tok={row['last_success'] or 'never'}\tfailures={row['consecutive_failures']}"
                   f"\titems_7d={row['items_7d']}" + (f"\tlast_error={row['last_error']}" if row["last_error"] else ""))


# The command modules register themselves on `app`; imported last because they import `app`.
from pipeline import (  # noqa: E402
    cli_award,  # noqa: F401
    cli_factchecks,  # noqa: F401
    cli_models,  # noqa: F401
    cli_relevance,  # noqa: F401
    cli_run,
    cli_scale,  # noqa: F401
    cli_web,  # noqa: F401
)


def main() -> None:
    """Entry point: internal errors become one line on stderr and exit code 1."""
    setup_offline_env()
    try:
        app()
    except XenowatchError as exc:
        echo_err(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        echo_err("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("XENOWATCH_DEBUG"):
            raise
        echo_err(f"error: unexpected {type(exc).__name__}: {exc} (set XENOWATCH_DEBUG=1 for the traceback "
                 "and please report it)")
        sys.exit(1)


__all__ = ["app", "main", "State", "FORMATS", "cli_run", "date", "json"]
