"""HTTP fetching with conditional GET, size limits and errors translated where they enter."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from pipeline.config import Settings
from pipeline.errors import FetchError

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


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


def make_client(settings: Settings) -> httpx.Client:
    """One HTTP client for a run: redirect limit, timeouts and a User-Agent."""
    return httpx.Client(follow_redirects=True, max_redirects=5, timeout=settings.timeout_s,
                        headers={"User-Agent": settings.user_agent})


def fetch(client: httpx.Client, url: str, max_bytes: int,
          etag: str | None = None, last_modified: str | None = None) -> Response:
    """GET a URL, streaming so that a huge body is cut off, not loaded."""
    headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
    try:
        with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 304:
                return Response(url, 304, b"", "", etag, last_modified)
            _check_status(url, resp.status_code)
            body = _read_limited(resp, url, max_bytes)
            return Response(str(resp.url), resp.status_code, body, resp.headers.get("content-type", ""),
                            resp.headers.get("etag"), resp.headers.get("last-modified"))
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"{url}: too many redirects; check the feed address") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}", retryable=True) from exc


def _check_status(url: str, status: int) -> None:
    """Raise for error statuses, marking those worth a retry."""
    if status >= 400:
        raise FetchError(f"{url}: HTTP {status}", retryable=status in RETRYABLE_STATUS)


def _read_limited(resp: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The (decompressed) body, refusing more than max_bytes."""
    chunks, size = [], 0
    for chunk in resp.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: body larger than {max_bytes} bytes; raise max_body_bytes if it is genuine")
        chunks.append(chunk)
    return b"".join(chunks)
