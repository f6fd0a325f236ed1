"""The `xenowatch` command line: every command is a thin layer over pipeline/ and flows/.

Importing this package registers the built-in commands and the plugin commands (entry points in the
"xenowatch.commands" group, each a function that takes the Typer app), and gives `app` and `main`.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points

import typer

# Imported for their side effect: each module registers its commands on `app`, in the order `--help` lists them.
# isort: off
from pipeline.cli import (  # noqa: F401
    db,
    models,
    relevance,
    run,
    jsonl,
    award,
    demo,
    web,
    sources,
    factchecks,
    archive,
)
# isort: on
from pipeline.cli._util import app, echo_err
from pipeline.core.config import setup_offline_env
from pipeline.core.errors import XenowatchError

PLUGIN_GROUP = "xenowatch.commands"


def load_plugins(target: typer.Typer) -> None:
    """Call every entry point of the plugin group with the app; one that fails to load is skipped with a warning."""
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            entry.load()(target)
        except Exception as exc:  # a broken plugin must not take the built-in commands down with it
            echo_err(f"warning: plugin {entry.name} ({entry.value}) not loaded: {type(exc).__name__}: {exc}")


load_plugins(app)


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


__all__ = ["app", "main", "load_plugins", "PLUGIN_GROUP"]
