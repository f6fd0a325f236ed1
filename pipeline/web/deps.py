"""Request helpers: the signed-in user, role checks, CSRF checks and page rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from pipeline.web.auth import PERMISSIONS, Session, allowed, csrf_ok
from pipeline.web.bench import Workbench


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in account, its role (as stored, not as the cookie says) and its session."""

    name: str
    role: str
    session: Session

    def can(self, permission: str) -> bool:
        """True when the role grants the permission."""
        return allowed(self.role, permission)


class LoginRequired(Exception):
    """A page needs a signed-in user: redirect to /login."""


def bench_of(request: Request) -> Workbench:
    """The app's shared state."""
    bench: Workbench = request.app.state.bench
    return bench


def current_user(request: Request) -> User | None:
    """The signed-in, active user whose session was not revoked (logout, password change, deactivation), or
    None."""
    session: Session = request.state.session
    if not session.user:
        return None
    account = bench_of(request).users().get(session.user)
    if (not account or not account["active"] or account["role"] != session.role
            or account.get("session_gen", 0) != session.gen):
        return None
    return User(session.user, account["role"], session)


def signed_in(request: Request) -> User:
    """A dependency: the user, whatever the role (their own account pages)."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def client_ip(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says (uvicorn's proxy headers setting)."""
    return request.client.host if request.client else "?"


def need(permission: str, api: bool = False) -> Callable[[Request], User]:
    """A dependency: the user, when signed in with a role that grants `permission`."""

    def dependency(request: Request) -> User:
        user = current_user(request)
        if user is None:
            if api:
                raise HTTPException(401, "sign in first: POST /login, then send the session cookie")
            raise LoginRequired()
        if not user.can(permission):
            raise HTTPException(403, f"the role {user.role!r} may not open this page")
        return user

    dependency.__name__ = f"need_{permission}"
    return dependency


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a write whose CSRF token does not match the session's."""
    if not csrf_ok(request.state.session, token):
        raise HTTPException(403, "invalid or missing CSRF token; reload the page and try again")


def render(request: Request, template: str, user: User | None, status: int = 200, **values: Any) -> HTMLResponse:
    """A page, with the user, their menu and the CSRF token available to the template."""
    menu = [(href, label) for href, label, perm in MENU if user is not None and user.can(perm)]
    response: HTMLResponse = bench_of(request).templates.TemplateResponse(
        request, template, {"user": user, "menu": menu, "csrf": request.state.session.csrf, **values},
        status_code=status)
    return response


MENU = [("/queue", "Queue", "review"), ("/agreement", "Agreement", "lead"), ("/audit", "Audit log", "lead"),
        ("/trends", "Trends", "trends"), ("/alerts", "Alerts", "trends"), ("/ranking", "Ranking", "council"),
        ("/methodology", "Methodology", "council"), ("/users", "Users", "admin")]
ROLE_HOME = {role: next((href for href, _, p in MENU if p in perms), "/login") for role, perms in PERMISSIONS.items()}
