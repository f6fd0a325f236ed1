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
    users,
    sources,
    factchecks,
    archive,
)
# isort: on
from pipeline.cli._util import app, echo_err, usage_error_line
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
    """Entry point: usage and internal errors become one line on stderr and exit code 1."""
    setup_offline_env()
    try:
        code = app(prog_name="xenowatch", standalone_mode=False)
    except XenowatchError as exc:
        echo_err(f"error: {exc}")
        sys.exit(1)
    except typer.Abort:
        echo_err("error: aborted (input ended)")
        sys.exit(1)
    except typer.TyperException as exc:
        sys.exit(_usage_error(exc))
    except KeyboardInterrupt:
        echo_err("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("XENOWATCH_DEBUG"):
            raise
        echo_err(f"error: unexpected {type(exc).__name__}: {exc} (set XENOWATCH_DEBUG=1 for the traceback "
                 "and please report it)")
        sys.exit(1)
    if code == 130:
        echo_err("interrupted")
    # Without standalone mode a command's typer.Exit(n) comes back as n.
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


def _usage_error(exc: typer.TyperException) -> int:
    """Show a usage error as one line and give the exit code; a group called bare has shown its help."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        help_text = str(getattr(exc, "format_message", exc.__str__)())  # empty: rich printed it already
        if help_text.strip():
            typer.echo(help_text)
        return 0
    echo_err(usage_error_line(exc))
    return 1


__all__ = ["app", "main", "load_plugins", "PLUGIN_GROUP"]
