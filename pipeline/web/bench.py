"""What every request of the workbench shares: configuration, the database lease, sessions, templates."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.core.errors import StoreError
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.auth import Sessions, load_secret
from pipeline.web.db import READ_WAIT_S, WRITE_WAIT_S, Landing, Lease, Writer, is_lock_error
from pipeline.web.highlight import safe_url
from pipeline.web.limits import RateLimit

FLUSH_EVERY_S = 1.0
T = TypeVar("T")
USERS_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class WebConfig:
    """How the app runs: the database, whether cookies are Secure, where the signing key lives."""

    db: Path
    secure_cookies: bool = True
    secret_file: Path | None = None


class Workbench:
    """What every request shares: the leased connection, the writer, sessions, rate limits, templates."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        Database.open(config.db)
        self.lease = Lease(config.db)
        self.landing = Landing(config.db.with_name(config.db.name + ".landing.jsonl"))
        self.writer = Writer(self.lease, self.landing)
        self.sessions = Sessions(load_secret(config.secret_file or config.db.with_name(config.db.name + ".secret")))
        self.limits = RateLimit()
        env = Environment(loader=PackageLoader("pipeline.web", "templates"),
                          autoescape=select_autoescape(["j2", "html"], default_for_string=True, default=True))
        env.filters["safe_url"] = safe_url
        env.filters["num"] = _num
        self.templates = Jinja2Templates(env=env)
        self._users: dict[str, dict[str, Any]] = {}
        self._users_at = 0.0
        self._users_lock = threading.Lock()
        self._cache: dict[Hashable, tuple[float, Any]] = {}
        self._compute_lock = threading.Lock()

    def users(self, fresh: bool = False) -> dict[str, dict[str, Any]]:
        """Accounts by name, re-read every few seconds (a deactivated account loses access quickly)."""
        with self._users_lock:
            if fresh or time.monotonic() - self._users_at > USERS_TTL_S:
                try:
                    with self.lease.session(WRITE_WAIT_S if self._users else READ_WAIT_S) as db:
                        self._users = review.users(db)
                    self._users_at = time.monotonic()
                except StoreError as exc:  # a flow holds the lock: the accounts of a moment ago will do
                    if not (is_lock_error(exc) and self._users):
                        raise
            return self._users

    def update_account(self, change: Callable[[Database], bool]) -> bool:
        """Apply an account change (each ends the account's sessions) and re-read the accounts at once, so that
        the revoked cookies stop working with the next request."""
        with self.lease.session() as db:
            done = change(db)
        self.users(fresh=True)
        return done

    def cached(self, key: Hashable, ttl_s: float, compute: Callable[[Database], T]) -> T:
        """A value computed from the database at most every `ttl_s` seconds (filter values, queue order)."""
        with self._compute_lock:  # one computes while the others wait for its result (DB use is serial anyway)
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < ttl_s:
                return cast(T, hit[1])
            with self.lease.session() as db:
                value = compute(db)
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), value)
            return value

    def flush_loop(self, stop: threading.Event) -> None:
        """Move decisions from the landing file into the database whenever the lock allows."""
        while not stop.wait(FLUSH_EVERY_S):
            try:
                self.landing.flush(self.lease)
            except Exception as exc:  # the file keeps the ops; report and try again on the next tick
                print(f"workbench: cannot flush {self.landing.path} yet: {exc}", file=sys.stderr)


def _num(value: Any, digits: int = 2) -> str:
    """A number for display ('-' for none)."""
    return "-" if value is None else f"{float(value):.{digits}f}"
