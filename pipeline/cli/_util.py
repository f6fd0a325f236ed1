"""The Typer app, its command groups, the shared options and small helpers of the `xenowatch` CLI.

A leaf: it imports nothing from pipeline.cli, so every command module can import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pipeline.core.config import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Xenowatch: monitor how the media cover migration.")
# Every group is declared here, in the order `xenowatch --help` lists them; plugin groups come last.
sources_app = typer.Typer(no_args_is_help=True, help="The registry of outlets and feeds.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
factchecks_app = typer.Typer(no_args_is_help=True,
                             help="Fact-checks matched against articles, and the misinformation evaluation.")
models_app = typer.Typer(no_args_is_help=True, help="Model artifacts: the ONNX export.")
archive_app = typer.Typer(no_args_is_help=True, help="The archive as partitioned Parquet (year/month/outlet).")
reviews_app = typer.Typer(no_args_is_help=True, help="Reviewed items.")
users_app = typer.Typer(no_args_is_help=True, help="Workbench accounts: list, change the role, (de)activate.")
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
app.add_typer(factchecks_app, name="factchecks")
app.add_typer(models_app, name="models")
app.add_typer(archive_app, name="archive")
app.add_typer(reviews_app, name="reviews")
app.add_typer(users_app, name="users")
FORMATS = ("csv", "json", "html")


class State:
    """Options shared by every command."""

    db: Path | None = None
    db_on_command_line = False
    config: Path | None = None

    @classmethod
    def settings(cls) -> Settings:
        """Settings from defaults, config file, environment and --db."""
        return load_settings(cls.config, db=cls.db)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Path | None = typer.Option(None, "--db", envvar="XENOWATCH_DB",
                                      help="DuckDB file (default ./xenowatch.duckdb)."),
    config: Path | None = typer.Option(None, "--config", envvar="XENOWATCH_CONFIG",
                                          help="TOML settings file (a \\[xenowatch] table)."),
) -> None:
    """Xenowatch: monitor how the media cover migration."""
    State.db, State.config = db, config
    source = ctx.get_parameter_source("db")
    State.db_on_command_line = source is not None and source.name == "COMMANDLINE"
    # Plugin commands reach the settings through the context, without importing pipeline.cli.
    ctx.obj = State


def echo_err(message: str) -> None:
    """A line on stderr."""
    typer.echo(message, err=True)


def usage_error_line(exc: typer.TyperException) -> str:
    """A usage error (unknown option or command, missing or bad value) as one `error:` line, with the
    option meant when one is close, and where to read the command's options."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "xenowatch"
    option, possible = getattr(exc, "option_name", None), getattr(exc, "possibilities", None)
    if option and possible is not None:
        message = f"no such option {option}" + (f"; did you mean {' or '.join(possible)}?" if possible else "")
    else:
        text = " ".join(str(getattr(exc, "format_message", exc.__str__)()).split()).rstrip(".")
        text = text.replace(". Did you mean", "; did you mean")
        message = text[:1].lower() + text[1:]
    return f"error: {path}: {message} (see '{path} --help')"


def print_ingest_summary(summary: dict[str, Any]) -> None:
    """The ingest summary: counts, then each failed feed with its reason."""
    kept = summary.get("kept", 0)
    typer.echo(f"feeds: {summary['feeds_ok']} ok, {summary['feeds_failed']} failed; items: {summary['new']} new, "
               f"{summary['duplicate']} duplicate, {summary['rejected']} rejected"
               + (f"; kept feed text for {kept} of the new (page not fetched)" if kept else ""))
    for url, reason in summary["failures"]:
        typer.echo(f"  failed {url}: {reason.removeprefix(f'{url}: ')}")  # the reason often starts with the URL
