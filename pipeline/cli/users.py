"""Workbench accounts: list them, change a role, deactivate and activate (`createuser` and `passwd` are in web)."""

from __future__ import annotations

import typer

from pipeline.cli._util import State, users_app
from pipeline.core.errors import InputError
from pipeline.db import review
from pipeline.db.database import Database


def _missing(name: str) -> InputError:
    """The error for an unknown account."""
    return InputError(f"there is no user {name!r}; 'xenowatch users list' shows the accounts")


@users_app.command("list")
def list_users() -> None:
    """Each account: name, role, active or not."""
    for name, account in review.users(Database.open(State.settings().db)).items():
        typer.echo(f"{name}\t{account['role']}\t{'active' if account['active'] else 'deactivated'}")


@users_app.command()
def role(name: str = typer.Argument(..., help="The account."),
         new_role: str = typer.Argument(..., metavar="ROLE",
                                        help="monitor, lead, council, authority or admin.")) -> None:
    """Give an account another role; every session of the account ends."""
    from pipeline.web.auth import check_role

    if not review.set_role(Database.open(State.settings().db), name, check_role(new_role)):
        raise _missing(name)
    typer.echo(f"{name} is now {new_role}; every session of {name} has ended")


@users_app.command()
def deactivate(name: str = typer.Argument(..., help="The account.")) -> None:
    """Deactivate an account: it cannot sign in, and every session of it ends (its reviews stay)."""
    if not review.set_active(Database.open(State.settings().db), name, False):
        raise _missing(name)
    typer.echo(f"deactivated {name}; every session of {name} has ended")


@users_app.command()
def activate(name: str = typer.Argument(..., help="The account.")) -> None:
    """Let a deactivated account sign in again (with its old password; reset it with `xenowatch passwd`)."""
    if not review.set_active(Database.open(State.settings().db), name, True):
        raise _missing(name)
    typer.echo(f"activated {name}")
