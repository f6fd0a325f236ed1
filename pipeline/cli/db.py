"""Database commands: db migrate, db backup and purge."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli._util import State, app, db_app
from pipeline.core.errors import ConfigError
from pipeline.db.articles import purge_posts
from pipeline.db.database import Database


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
    db = Database.open(settings.db)
    cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    typer.echo(f"purged {purge_posts(db, cutoff)} social posts older than {days} days")


@db_app.command("migrate")
def db_migrate() -> None:
    """Create the database or apply the migrations it lacks."""
    db = Database(State.settings().db)
    applied = db.migrate()
    typer.echo(f"{db.path}: schema version {db.schema_version()}"
               + (f" (applied {', '.join(applied)})" if applied else " (up to date)"))


@db_app.command("backup")
def db_backup(path: Path = typer.Argument(..., help="New DuckDB file to write.")) -> None:
    """A consistent copy of the database, safe while flows write."""
    db = Database.open(State.settings().db)
    typer.echo(f"backup written to {db.backup(path)}")

