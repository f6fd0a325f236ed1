"""The workbench app factory: session and security-header middleware, the routers of each area, static files."""

from __future__ import annotations

import html
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline import __version__
from pipeline.core.errors import StoreError
from pipeline.web.auth import SESSION_COOKIE, SESSION_MAX_AGE_S, Session
from pipeline.web.bench import WebConfig, Workbench
from pipeline.web.db import is_lock_error
from pipeline.web.deps import LoginRequired
from pipeline.web.limits import HashingBusy
from pipeline.web.routes import account, api, auth, council, review, trends

__all__ = ["WebConfig", "create_app"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin", "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


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
    app.mount("/static", StaticFiles(packages=[("pipeline.web", "static")]), name="static")
    for module in (auth, account, review, trends, council, api):
        app.include_router(module.router)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HashingBusy, _busy)
    app.add_exception_handler(LoginRequired, _login_required)
    # Runs outside the middleware (Starlette's outermost layer), so it adds the headers itself.
    app.add_exception_handler(Exception, _server_error)
    return app


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A parameter FastAPI cannot convert (a year that is not a number): a 400 naming it, as for the others."""
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                         for e in exc.errors()[:5])
    return await _http_error(request, StarletteHTTPException(400, f"invalid request ({problems[:500]})"))


async def _busy(request: Request, exc: Exception) -> Response:
    """Every password-hashing slot stayed busy: ask the client to retry."""
    return await _http_error(request, StarletteHTTPException(429, str(exc), headers={"Retry-After": "2"}))


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected error: a plain 500 that still carries the security headers (the details go to the log)."""
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "internal error"}, status_code=500, headers=headers)
    return HTMLResponse("<!doctype html><title>Error</title><p>Internal error; the server log has the details.</p>",
                        status_code=500, headers=headers)


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

