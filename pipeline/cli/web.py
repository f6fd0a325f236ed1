"""Workbench commands: serve, createuser, passwd and reviews export."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import typer

from pipeline.cli._util import State, app, echo_err, reviews_app
from pipeline.core.errors import ConfigError, InputError
from pipeline.db import review
from pipeline.db.database import Database


def _is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted_proxies(raw: str) -> list[str]:
    """The proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated."""
    proxies = [part.strip() for part in raw.split(",") if part.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"trusted_proxies: {proxy!r} is not an IP address or network; list the addresses "
                              "of your reverse proxies, e.g. 127.0.0.1,10.0.0.0/8") from None
    return proxies


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", help="Port to listen on."),
          insecure_cookies: bool = typer.Option(False, "--insecure-cookies",
                                                help="Session cookie without the Secure flag, for plain-http "
                                                     "clients other than browsers on loopback.")) -> None:
    """The review workbench: queue, items, trends, ranking and the JSON API."""
    import uvicorn

    from pipeline.web.app import WebConfig, create_app

    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is invalid; must be between 1 and 65535")
    if not _is_loopback(host):
        echo_err(f"warning: serving on {host} over plain http; put a TLS proxy in front (the session cookie is Secure)")
    proxies = trusted_proxies(State.settings().trusted_proxies)
    web = create_app(WebConfig(db=State.settings().db, secure_cookies=not insecure_cookies))
    echo_err(f"workbench on http://{host}:{port}/ (database {State.settings().db})")
    # X-Forwarded-For only from the configured proxies (uvicorn would trust any loopback client by default).
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or [])


@app.command()
def createuser(name: str = typer.Argument(..., help="User name (letters, digits, '.', '_', '-')."),
               role: str = typer.Option(..., "--role", help="monitor, lead, council, authority or admin."),
               password_stdin: bool = typer.Option(False, "--password-stdin",
                                                   help="Read the password from the first line of stdin.")) -> None:
    """Create a workbench account with an argon2 password hash."""
    from pipeline.web.auth import check_name, check_role, hash_password

    check_name(name)
    check_role(role)
    password = _read_password(password_stdin, name)
    if not review.create_user(Database.open(State.settings().db), name, role, hash_password(password)):
        raise InputError(f"user {name!r} exists already; choose another name")
    typer.echo(f"created user {name} ({role})")


@app.command()
def passwd(name: str = typer.Argument(..., help="The account whose password changes."),
           password_stdin: bool = typer.Option(False, "--password-stdin",
                                               help="Read the new password from the first line of stdin.")) -> None:
    """Set a workbench account's password; every session of the account ends."""
    from pipeline.web.auth import hash_password

    password = _read_password(password_stdin, name)
    if not review.set_password(Database.open(State.settings().db), name, hash_password(password)):
        raise InputError(f"there is no user {name!r}; create it with 'xenowatch createuser {name} --role ROLE "
                         "--password-stdin'")
    typer.echo(f"changed the password of {name}; every session of {name} has ended")


def _read_password(password_stdin: bool, name: str) -> str:
    """The password on the first line of stdin, checked against the policy."""
    from pipeline.web.passwords import check_password

    if not password_stdin:
        raise ConfigError("pass --password-stdin and give the password on stdin (never on the command line)")
    return check_password(sys.stdin.readline().rstrip("\r\n"), name)


@reviews_app.command("export")
def reviews_export(out: str = typer.Option("-", "--out", help="JSONL file ('-' for stdout).")) -> None:
    """Reviewed items as training data (text, label, lang, target, split, source_id) for `train --extra`."""
    from pipeline.web.export import training_lines

    lines = list(training_lines(review.reviewed_texts(Database.open(State.settings().db))))
    if out == "-":
        sys.stdout.write("".join(lines))
    else:
        Path(out).write_text("".join(lines), encoding="utf-8")
    echo_err(f"exported {len(lines)} reviewed items")
