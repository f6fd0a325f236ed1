"""The signed-in user's own account: changing the password, which ends every other session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.core.errors import ConfigError
from pipeline.db.review import set_password
from pipeline.web.auth import hash_password, verify_password
from pipeline.web.deps import User, bench_of, check_csrf, client_ip, render, signed_in
from pipeline.web.limits import HashingBusy
from pipeline.web.ops import new_op
from pipeline.web.passwords import MAX_LENGTH, MIN_LENGTH, check_password

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]


@router.get("/account/password")
def password_form(request: Request, user: SignedIn, changed: str | None = None) -> Response:
    """The form: current password, new password twice."""
    return render(request, "password.html.j2", user, min_length=MIN_LENGTH, changed=bool(changed))


@router.post("/account/password")
def change_password(request: Request, user: SignedIn, current: Annotated[str, Form()] = "",
                    new: Annotated[str, Form()] = "", again: Annotated[str, Form()] = "",
                    csrf_token: Annotated[str, Form()] = "") -> Response:
    """Check the current password (counted by the login limits), store the new one and end every session of
    the account; this browser gets a new session."""
    check_csrf(request, csrf_token)
    bench = bench_of(request)
    try:
        _check_current(request, user, current)
        if new != again:
            raise ConfigError("the two new passwords differ; type the same one twice")
        digest = hash_password(check_password(new, user.name))
    except ConfigError as exc:
        return render(request, "password.html.j2", user, status=400, min_length=MIN_LENGTH, error=str(exc))
    bench.update_account(lambda db: set_password(db, user.name, digest))
    bench.writer.write(new_op("audit", user.name, action="password-changed", ip=client_ip(request)))
    account = bench.users().get(user.name)
    request.state.new_session = bench.sessions.new(user.name, user.role, account["session_gen"] if account else -1)
    return RedirectResponse("/account/password?changed=1", status_code=303)


def _check_current(request: Request, user: User, current: str) -> None:
    """The current password, checked like a login attempt (a stolen session cannot guess it freely)."""
    bench = bench_of(request)
    ip = client_ip(request)
    if len(current) > MAX_LENGTH:
        raise ConfigError("the current password is wrong")
    wait = bench.limits.attempt(ip, user.name)
    if wait:
        raise ConfigError(f"too many wrong passwords; wait {wait} seconds and try again")
    account = bench.users(fresh=True).get(user.name)
    try:
        good = verify_password(account["password_hash"] if account else None, current)
    except HashingBusy:
        bench.limits.refund(ip, user.name)
        raise
    if not good:
        raise ConfigError("the current password is wrong")
    bench.limits.succeeded(ip, user.name)
