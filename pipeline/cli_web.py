"""Workbench commands: serve, createuser, reviews export and the serve benchmark."""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path

import typer

from pipeline.cli import State, app, bench_app, echo_err
from pipeline.errors import ConfigError, InputError
from pipeline.store import Store

reviews_app = typer.Typer(no_args_is_help=True, help="Reviewed items.")
app.add_typer(reviews_app, name="reviews")


def _is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    web = create_app(WebConfig(db=State.settings().db, secure_cookies=not insecure_cookies))
    echo_err(f"workbench on http://{host}:{port}/ (database {State.settings().db})")
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False, server_header=False)


@app.command()
def createuser(name: str = typer.Argument(..., help="User name (letters, digits, '.', '_', '-')."),
               role: str = typer.Option(..., "--role", help="monitor, lead, council, authority or admin."),
               password_stdin: bool = typer.Option(False, "--password-stdin",
                                                   help="Read the password from the first line of stdin.")) -> None:
    """Create a workbench account with an argon2 password hash."""
    from pipeline.web.auth import check_role, hash_password
    from pipeline.web.pages_auth import check_name

    check_name(name)
    check_role(role)
    if not password_stdin:
        raise ConfigError("pass --password-stdin and give the password on stdin (never on the command line)")
    password = sys.stdin.readline().rstrip("\r\n")
    store = Store(State.settings().db)
    store.migrate()
    if not store.create_user(name, role, hash_password(password)):
        raise InputError(f"user {name!r} exists already; choose another name")
    typer.echo(f"created user {name} ({role})")


@reviews_app.command("export")
def reviews_export(out: str = typer.Option("-", "--out", help="JSONL file ('-' for stdout).")) -> None:
    """Reviewed items as training data (text, label, lang, target, split, source_id) for `train --extra`."""
    from pipeline.web.export import training_lines

    store = Store(State.settings().db)
    store.migrate()
    lines = list(training_lines(store.reviewed_texts()))
    if out == "-":
        sys.stdout.write("".join(lines))
    else:
        Path(out).write_text("".join(lines), encoding="utf-8")
    echo_err(f"exported {len(lines)} reviewed items")


@bench_app.command("serve")
def bench_serve(quick: bool = typer.Option(False, "--quick", help="Fewer users and requests."),
                as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """p50/p95 latency of the queue and item pages with concurrent users while an ingest writes."""
    from benchmarks.serve_bench import run_bench

    result = run_bench(quick=quick, progress=echo_err)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:>22}: {value}")
