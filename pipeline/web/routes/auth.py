"""Sign in and out, the home redirect, and account management for admins."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.core.errors import ConfigError
from pipeline.db.review import create_user, end_sessions
from pipeline.web.auth import ROLES, check_name, check_role, hash_password, verify_password
from pipeline.web.deps import ROLE_HOME, User, bench_of, check_csrf, client_ip, current_user, need, render
from pipeline.web.limits import HashingBusy
from pipeline.web.ops import new_op
from pipeline.web.passwords import MAX_LENGTH, check_password

MAX_NAME = 64  # as check_name allows

router = APIRouter(include_in_schema=False)


def _local(path: str | None) -> str | None:
    """A redirect target on this site only (no scheme, no host, no '//' or backslash tricks)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    parts = urlsplit(path)
    return path if not parts.scheme and not parts.netloc else None


@router.get("/")
def home(request: Request) -> Response:
    """The signed-in user's first page, or the login form."""
    user = current_user(request)
    return RedirectResponse(ROLE_HOME[user.role] if user else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render(request, "login.html.j2", current_user(request), next=_local(next) or "")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    """Check the password (argon2), the attempt counted first against the limits per client IP and username,
    per client IP and per account; start a new session."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    ip = client_ip(request)
    if len(username) > MAX_NAME or len(password) > MAX_LENGTH:  # refused before it costs memory or a hash
        return _refused(request, f"User names have at most {MAX_NAME} characters and passwords at most "
                                 f"{MAX_LENGTH}.", 400, {})
    wait = bench.limits.attempt(ip, username)
    if wait:
        return _refused(request, "Too many failed attempts; wait and try again.", 429, {"Retry-After": str(wait)})
    account = bench.users(fresh=True).get(username)
    try:
        good = verify_password(account["password_hash"] if account else None, password)
    except HashingBusy:
        bench.limits.refund(ip, username)
        return _refused(request, "Too many sign-ins at once; try again in a moment.", 429, {"Retry-After": "2"})
    if not good or account is None or not account["active"]:
        bench.writer.write(new_op("audit", username or "?", action="login-failed", ip=ip))
        return _refused(request, "Wrong username or password.", 401, {})
    bench.limits.succeeded(ip, username)
    bench.writer.write(new_op("audit", username, action="login", ip=ip))
    request.state.new_session = bench.sessions.new(username, account["role"], account["session_gen"])
    return RedirectResponse(_local(next) or ROLE_HOME[account["role"]], status_code=303)


def _refused(request: Request, message: str, status: int, headers: dict[str, str]) -> Response:
    """The login form again, with a message."""
    response = render(request, "login.html.j2", None, status=status, error=message, next="")
    response.headers.update(headers)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    """End every session of the user (a copied cookie dies too); a fresh anonymous one replaces this one."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    user = current_user(request)
    if user is not None:
        bench.update_account(lambda db: end_sessions(db, user.name))
        bench.writer.write(new_op("audit", user.name, action="logout"))
    request.state.new_session = bench.sessions.new()
    return RedirectResponse("/login", status_code=303)


@router.get("/users")
def users_page(request: Request, user: Annotated[User, Depends(need("admin"))]) -> Response:
    """Accounts and the form to add one."""
    accounts = sorted(bench_of(request).users(fresh=True).values(), key=lambda a: a["name"])
    return render(request, "users.html.j2", user, accounts=accounts, roles=ROLES)


@router.post("/users")
def add_user(request: Request, user: Annotated[User, Depends(need("admin"))],
             name: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
             password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "") -> Response:
    """Create an account (admins only)."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    try:
        check_name(name)
        created = _create(request, name, check_role(role), hash_password(check_password(password, name)))
    except ConfigError as exc:
        accounts = sorted(bench.users(fresh=True).values(), key=lambda a: a["name"])
        return render(request, "users.html.j2", user, status=400, accounts=accounts, roles=ROLES, error=str(exc))
    if created:
        bench.writer.write(new_op("audit", user.name, action="create-user", name=name, role=role))
    return RedirectResponse("/users", status_code=303)


def _create(request: Request, name: str, role: str, password_hash: str) -> bool:
    """Add the account; a taken name is an error."""
    with bench_of(request).lease.session() as db:
        if not create_user(db, name, role, password_hash):
            raise ConfigError(f"user {name!r} exists already; choose another name")
    return True

