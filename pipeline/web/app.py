"""The workbench app factory: shared state, session and security-header middleware, routes, static files."""

from __future__ import annotations

import html
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline import __version__
from pipeline.errors import StoreError
from pipeline.store import Store
from pipeline.web.auth import SESSION_COOKIE, SESSION_MAX_AGE_S, RateLimit, Session, Sessions, load_secret
from pipeline.web.db import READ_WAIT_S, WRITE_WAIT_S, Landing, Lease, Writer, is_lock_error
from pipeline.web.highlight import safe_url

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin", "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
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
        Store(config.db).migrate()
        self.lease = Lease(config.db)
        self.landing = Landing(config.db.with_name(config.db.name + ".landing.jsonl"))
        self.writer = Writer(self.lease, self.landing)
        self.sessions = Sessions(load_secret(config.secret_file or config.db.with_name(config.db.name + ".secret")))
        self.limits = RateLimit()
        env = Environment(loader=PackageLoader("pipeline", "templates/web"),
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
                    with self.lease.session(WRITE_WAIT_S if self._users else READ_WAIT_S) as store:
                        self._users = store.users()
                    self._users_at = time.monotonic()
                except StoreError as exc:  # a flow holds the lock: the accounts of a moment ago will do
                    if not (is_lock_error(exc) and self._users):
                        raise
            return self._users

    def cached(self, key: Hashable, ttl_s: float, compute: Callable[[Store], T]) -> T:
        """A value computed from the store at most every `ttl_s` seconds (filter values, queue order)."""
        with self._compute_lock:  # one computes while the others wait for its result (DB use is serial anyway)
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < ttl_s:
                return cast(T, hit[1])
            with self.lease.session() as store:
                value = compute(store)
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), value)
            return value

    def flush_loop(self, stop: threading.Event) -> None:
        """Move decisions from the landing file into the store whenever the lock allows."""
        while not stop.wait(FLUSH_EVERY_S):
            try:
                self.landing.flush(self.lease)
            except Exception as exc:  # the file keeps the ops; report and try again on the next tick
                print(f"workbench: cannot flush {self.landing.path} yet: {exc}", file=sys.stderr)


def create_app(config: WebConfig) -> FastAPI:
    """The workbench application."""
    bench = Workbench(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=bench.flush_loop, args=(stop,), daemon=True, name="xw-landing")
        thread.start()
        yield
        stop.set()
        thread.join(timeout=5)
        bench.landing.flush(bench.lease, wait_s=10.0)
        bench.lease.close()

    app = FastAPI(title="Xenowatch workbench API", version=__version__, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.bench = bench
    app.middleware("http")(_session_and_headers)
    app.mount("/static", StaticFiles(packages=[("pipeline", "static")]), name="static")
    from pipeline.web import api, pages_auth, pages_council, pages_review, pages_trends

    for module in (pages_auth, pages_review, pages_trends, pages_council, api):
        app.include_router(module.router)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    from pipeline.web.deps import LoginRequired

    app.add_exception_handler(LoginRequired, _login_required)
    return app


async def _login_required(request: Request, exc: Exception) -> Response:
    """A page that needs a session: go to the login form, and come back after."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    """JSON for the API, a small page for people."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    bench: Workbench = request.app.state.bench
    return bench.templates.TemplateResponse(request, "error.html.j2",
                                            {"status": exc.status_code, "message": exc.detail, "user": None,
                                             "menu": [], "csrf": request.state.session.csrf},
                                            status_code=exc.status_code)


async def _session_and_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Read (or start) the signed session, and add the security headers to every response."""
    bench: Workbench = request.app.state.bench
    session = bench.sessions.load(request.cookies.get(SESSION_COOKIE))
    fresh = session is None
    request.state.session = session or bench.sessions.new()
    response = await call_next(request)
    new: Session | None = getattr(request.state, "new_session", None)
    if new is not None or fresh:
        set_session_cookie(response, bench, new or request.state.session)
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def set_session_cookie(response: Response, bench: Workbench, session: Session) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure unless turned off for plain-http testing."""
    response.set_cookie(SESSION_COOKIE, bench.sessions.dump(session), max_age=SESSION_MAX_AGE_S, httponly=True,
                        secure=bench.config.secure_cookies, samesite="strict", path="/")


async def _store_error(request: Request, exc: Exception) -> Response:
    """A database that stays locked past the read wait: ask the client to retry, never a raw error."""
    message = ("The database is busy with a long write; please retry in a few seconds." if is_lock_error(exc)
               else f"The database cannot be read: {exc}")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=503, headers={"Retry-After": "5"})
    return HTMLResponse(f"<!doctype html><title>Busy</title><p>{html.escape(message)}</p>", status_code=503,
                        headers={"Retry-After": "5"})


def _num(value: Any, digits: int = 2) -> str:
    """A number for display ('-' for none)."""
    return "-" if value is None else f"{float(value):.{digits}f}"
