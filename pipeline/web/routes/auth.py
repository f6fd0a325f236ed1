"""Sign in and out, the home redirect, and account management for admins (add, change the role, deactivate,
reset the password; each change ends the account's sessions and is audited)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.core.errors import ConfigError
from pipeline.db.database import Database
from pipeline.db.review import create_user, end_sessions, set_active, set_password, set_role
from pipeline.web.auth import ROLES, check_name, check_role, hash_password, verify_password
from pipeline.web.deps import ROLE_HOME, User, bench_of, check_csrf, client_ip, current_user, need, render
from pipeline.web.limits import HashingBusy
from pipeline.web.ops import new_op
from pipeline.web.passwords import MAX_LENGTH, check_password

MAX_NAME = 64  # as check_name allows

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(need("admin"))]


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
def users_page(request: Request, user: Admin, done: str | None = None) -> Response:
    """Accounts, what can be changed on each, and the form to add one."""
    return _users(request, user, 200, done=(done or "")[:200])


def _users(request: Request, user: User, status: int, **values: str) -> Response:
    """The accounts page."""
    accounts = sorted(bench_of(request).users(fresh=True).values(), key=lambda a: a["name"])
    return render(request, "users.html.j2", user, status=status, accounts=accounts, roles=ROLES, **values)


@router.post("/users/{name}/role")
def change_role(request: Request, name: str, user: Admin, role: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    """Give an account another role; its sessions end."""
    check_csrf(request, csrf_token)
    return _account_change(request, user, name, "set-role", lambda: _role_change(name, role), role=role)


@router.post("/users/{name}/active")
def change_active(request: Request, name: str, user: Admin, active: Annotated[str, Form()] = "",
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    """Deactivate an account (it cannot sign in, and its sessions end) or activate it again."""
    check_csrf(request, csrf_token)
    on = active == "1"
    return _account_change(request, user, name, "activate" if on else "deactivate",
                           lambda: partial(set_active, name=name, active=on))


@router.post("/users/{name}/password")
def reset_password(request: Request, name: str, user: Admin, password: Annotated[str, Form()] = "",
                   csrf_token: Annotated[str, Form()] = "") -> Response:
    """Set a new password for an account (the policy applies); its sessions end."""
    check_csrf(request, csrf_token)
    return _account_change(request, user, name, "reset-password", lambda: _password_change(name, password))


def _role_change(name: str, role: str) -> Callable[[Database], bool]:
    """The role change, once the role is checked (a ConfigError listing the roles)."""
    check_role(role)
    return partial(set_role, name=name, role=role)


def _password_change(name: str, password: str) -> Callable[[Database], bool]:
    """The password change, once the password passes the policy (hashed here, outside the database lease)."""
    return partial(set_password, name=name, password_hash=hash_password(check_password(password, name)))


def _account_change(request: Request, user: User, name: str, action: str,
                    prepare: Callable[[], Callable[[Database], bool]], **detail: str) -> Response:
    """Check and apply a change to another account (prepare raises ConfigError for a bad value), audit it, and
    go back to the accounts page; an admin's own account changes through /account/password or the CLI."""
    bench = bench_of(request)
    try:
        if name == user.name:
            raise ConfigError("you cannot change your own account here (it would lock you out); ask another admin, "
                              "or use /account/password for your password")
        if name not in bench.users(fresh=True):
            raise ConfigError(f"there is no user {name[:64]!r}; reload the page")
        change = prepare()
    except ConfigError as exc:
        return _users(request, user, 400, error=str(exc))
    bench.update_account(change)
    bench.writer.write(new_op("audit", user.name, action=action, name=name, **detail))
    return RedirectResponse(f"/users?done={action}", status_code=303)


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

