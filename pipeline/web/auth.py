"""Accounts, roles, password hashing, signed session cookies and CSRF tokens."""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from pipeline.core.errors import ConfigError
from pipeline.web.limits import HashGate
from pipeline.web.passwords import MIN_LENGTH

ROLES = ("monitor", "lead", "council", "authority", "admin")
# What each role may do; admin may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "monitor": frozenset({"review"}),
    "lead": frozenset({"review", "lead"}),
    "council": frozenset({"council"}),
    "authority": frozenset({"trends"}),
    "admin": frozenset({"review", "lead", "council", "trends", "admin"}),
}
SESSION_COOKIE = "xw_session"
SESSION_MAX_AGE_S = 12 * 3600
_HASHER = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both failures alike.
_DUMMY_HASH = _HASHER.hash("not a password")
# Every hash and verification in this process goes through one gate: 64 MiB each, two at a time.
HASHING = HashGate()


def check_role(role: str) -> str:
    """A valid role name, or a ConfigError listing the roles."""
    if role not in ROLES:
        raise ConfigError(f"role {role!r} is invalid; must be one of: {', '.join(ROLES)}")
    return role


def check_name(name: str) -> str:
    """A user name: 1 to 64 letters, digits, '.', '_' or '-'."""
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "._-" for ch in name):
        raise ConfigError(f"user name {name!r} is invalid; use 1 to 64 letters, digits, '.', '_' or '-'")
    return name


def hash_password(password: str) -> str:
    """An argon2id hash (the policy is checked by `passwords.check_password`; this refuses short ones only)."""
    if len(password) < MIN_LENGTH:
        raise ConfigError(f"the password must have at least {MIN_LENGTH} characters (it has {len(password)})")
    return HASHING.run(lambda: _HASHER.hash(password))


def verify_password(stored: str | None, password: str) -> bool:
    """True when the password matches the stored hash (always spends the same work); HashingBusy when every
    hashing slot stays busy."""
    return HASHING.run(lambda: _verify(stored, password))


def _verify(stored: str | None, password: str) -> bool:
    """The argon2 check, against a dummy hash when there is no account."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def allowed(role: str | None, permission: str) -> bool:
    """True when the role grants the permission."""
    return role is not None and permission in PERMISSIONS.get(role, frozenset())


def load_secret(path: Path) -> str:
    """The key that signs session cookies: read from a file next to the database, created (mode 0600)
    on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) < 32:
            raise ConfigError(f"{path}: the session signing key is too short; delete it to make a new one") from None
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret)
    return secret


@dataclass(frozen=True, slots=True)
class Session:
    """What the signed cookie carries: the user (None before login), the CSRF token, the user's session
    generation at sign-in (a cookie from an older generation is revoked), and the user's last decision in this
    session (op id, article id, decision), which they may undo."""

    user: str | None
    role: str | None
    csrf: str
    issued: float
    gen: int = 0
    last: tuple[str, str, str] | None = None


class Sessions:
    """Signs and reads session cookies (itsdangerous, with a timestamp checked against the max age)."""

    def __init__(self, secret: str) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="xenowatch-session")

    def new(self, user: str | None = None, role: str | None = None, gen: int = 0) -> Session:
        """A fresh session with a new CSRF token."""
        return Session(user, role, secrets.token_urlsafe(32), time.time(), gen)

    def dump(self, session: Session) -> str:
        """The cookie value."""
        return self._signer.dumps({"u": session.user, "r": session.role, "c": session.csrf, "t": session.issued,
                                   "g": session.gen, "l": list(session.last) if session.last else None})

    def load(self, value: str | None) -> Session | None:
        """The session in a cookie, or None when it is missing, forged or expired."""
        if not value:
            return None
        try:
            data: dict[str, Any] = self._signer.loads(value, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        return Session(data.get("u"), data.get("r"), str(data.get("c", "")), float(data.get("t", 0)),
                       int(data.get("g", 0)), _last(data.get("l")))


def _last(raw: Any) -> tuple[str, str, str] | None:
    """The last decision a cookie carries: (op id, article id, decision), or None."""
    if isinstance(raw, list) and len(raw) == 3 and all(isinstance(x, str) for x in raw):
        return raw[0], raw[1], raw[2]
    return None


def csrf_ok(session: Session | None, token: str | None) -> bool:
    """True when the submitted token matches the session's (constant-time)."""
    return bool(session and token and hmac.compare_digest(session.csrf, token))
