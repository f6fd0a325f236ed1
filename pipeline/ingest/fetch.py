"""HTTP fetching with conditional GET, size limits and errors translated where they enter."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from pipeline.core.config import Settings
from pipeline.core.errors import FetchError
from pipeline.ingest.guard import HOME, Guard, GuardedTransport, RefusedAddress

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
BACKOFF_S = 0.5
IDLE_ORIGINS = 64  # hosts whose idle keep-alive connections stay open (pipeline.ingest.pools)


@dataclass(frozen=True, slots=True)
class Response:
    """What a fetch returned: the body, or nothing when the server said 304."""

    url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """The server said the resource has not changed."""
        return self.status == 304


def _check_status(url: str, status: int) -> None:
    """Raise for error statuses, marking those worth a retry."""
    if status >= 400:
        raise FetchError(f"{url}: HTTP {status}", retryable=status in RETRYABLE_STATUS)


class AsyncFetcher:
    """Concurrent polite fetching: per-host limits and delay, robots.txt, retries with backoff."""

    def __init__(self, settings: Settings, homes: Sequence[str] = ()) -> None:
        """`homes`: the registered feed URLs of this crawl (each may fetch from its own private host)."""
        self.settings = settings
        self.guard = Guard(settings.allow_private_hosts, homes)
        transport = GuardedTransport(self.guard, settings.per_host, IDLE_ORIGINS)
        self.client = httpx.AsyncClient(follow_redirects=True, max_redirects=5, timeout=settings.timeout_s,
                                        headers={"User-Agent": settings.user_agent}, transport=transport)
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._robots: dict[str, asyncio.Task[RobotFileParser | None]] = {}

    async def __aenter__(self) -> AsyncFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def get(self, url: str, etag: str | None = None, last_modified: str | None = None,
                  robots: bool = True, home: str | None = None) -> Response:
        """Fetch with retries for retryable errors only (timeouts, 5xx, 429), backing off between tries;
        `home` is the feed the URL came from (its own origin may be private)."""
        if robots and self.settings.respect_robots and not await self.allowed(url, home):
            raise FetchError(f"{url}: disallowed by robots.txt for {self.settings.user_agent!r}")
        for attempt in range(self.settings.retries + 1):
            try:
                return await self._polite_get(url, etag, last_modified, home)
            except FetchError as exc:
                if not exc.retryable or attempt == self.settings.retries:
                    raise
            await asyncio.sleep(BACKOFF_S * 4 ** attempt)
        raise AssertionError("unreachable")

    async def _polite_get(self, url: str, etag: str | None, last_modified: str | None,
                          home: str | None) -> Response:
        """One GET inside the host's concurrency slot, after its politeness delay."""
        host = urlsplit(url).netloc
        slot = self._slots.setdefault(host, asyncio.Semaphore(self.settings.per_host))
        async with slot:
            await self._wait_turn(host)
            return await afetch(self.client, url, self.settings.max_body_bytes, etag, last_modified, home)

    async def until_turn(self, url: str) -> None:
        """Sleep until the URL's host may be asked again (its politeness delay since the last request
        started), without claiming the turn: a feed that waits for its host then holds no crawl slot."""
        loop = asyncio.get_running_loop()
        host = urlsplit(url).netloc
        while (delay := self._next_start.get(host, 0.0) - loop.time()) > 0:
            await asyncio.sleep(delay)

    async def _wait_turn(self, host: str) -> None:
        """Space request starts to one host by politeness_s."""
        loop = asyncio.get_running_loop()
        start = max(loop.time(), self._next_start.get(host, 0.0))
        self._next_start[host] = start + self.settings.politeness_s
        await asyncio.sleep(max(0.0, start - loop.time()))

    async def allowed(self, url: str, home: str | None = None) -> bool:
        """Whether robots.txt of the URL's host lets our User-Agent fetch it (fetched once per host)."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        # A page the guard refuses is refused before its robots.txt is asked for.
        try:
            await self.guard.check(url, home)
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {exc}", retryable=True) from exc
        if key not in self._robots:
            self._robots[key] = asyncio.ensure_future(self._load_robots(key, home))
        robots = await self._robots[key]
        return robots is None or robots.can_fetch(self.settings.user_agent, url)

    async def _load_robots(self, origin: str, home: str | None) -> RobotFileParser | None:
        """The parsed robots.txt; None (allow all) when missing or unreachable, deny all on 401/403."""
        try:
            resp = await self._polite_get(f"{origin}/robots.txt", None, None, home)
        except FetchError as exc:
            return _deny_all() if re.search(r"HTTP 40[13]\b", str(exc)) else None
        parser = RobotFileParser()
        parser.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        return parser


def _deny_all() -> RobotFileParser:
    """A robots policy that disallows everything."""
    parser = RobotFileParser()
    parser.parse(["User-agent: *", "Disallow: /"])
    return parser


async def afetch(client: httpx.AsyncClient, url: str, max_bytes: int, etag: str | None = None,
                 last_modified: str | None = None, home: str | None = None) -> Response:
    """Async GET, streamed so that a huge or decompression-bomb body is cut off at max_bytes."""
    headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    try:
        async with client.stream("GET", url, headers=headers, extensions={HOME: home}) as resp:
            if resp.status_code == 304:
                return Response(url, 304, b"", "", etag, last_modified)
            _check_status(url, resp.status_code)
            _check_length(url, resp.headers.get("content-length"), max_bytes)
            body = await _aread_limited(resp, url, max_bytes)
            return Response(str(resp.url), resp.status_code, body, resp.headers.get("content-type", ""),
                            resp.headers.get("etag"), resp.headers.get("last-modified"))
    except RefusedAddress as exc:
        if str(exc).startswith(url):
            raise
        raise RefusedAddress(f"{url}: {exc}") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"{url}: too many redirects; check the feed address") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out", retryable=True) from exc
    except httpx.DecodingError as exc:
        raise FetchError(f"{url}: body could not be decompressed ({exc})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}", retryable=True) from exc


def _check_length(url: str, declared: str | None, max_bytes: int) -> None:
    """Refuse early when the server announces a body over the limit."""
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{url}: body of {declared} bytes is over the {max_bytes}-byte limit; "
                         "raise max_body_bytes if it is genuine")


async def _aread_limited(resp: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The decompressed body, refusing more than max_bytes (this also stops gzip bombs)."""
    chunks, size = [], 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: body larger than {max_bytes} bytes after decompression; "
                             "raise max_body_bytes if it is genuine")
        chunks.append(chunk)
    return b"".join(chunks)
