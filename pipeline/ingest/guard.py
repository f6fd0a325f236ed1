"""Server-side request forgery guard: which addresses the crawler may connect to.

Page links come from untrusted feed content, so every page fetch and every redirect hop is checked
after DNS resolution, and the connection goes to the address that was checked (a name that resolves
to a public address when checked and to 127.0.0.1 when connecting is refused at connect time).
Registered feed URLs are the operator's choice: a feed on a private host may fetch from its own
origin (scheme, host, port) only. `allow_private_hosts` turns the guard off.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from pipeline.core.errors import FetchError
from pipeline.ingest.pools import OriginPools

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Origin = tuple[str, str, int]
HOME = "xenowatch_home"  # request extension: the URL of the feed a request is made for
KEEPALIVE_S = 5.0  # an idle connection is closed after this long (httpx's default)
HINT = "set allow_private_hosts (XENOWATCH_ALLOW_PRIVATE_HOSTS=1) only if the crawler may reach internal hosts"
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class RefusedAddress(FetchError):
    """A fetch that would reach a private, loopback, link-local or metadata address."""


def refusal(address: Address) -> str | None:
    """Why an address must not be fetched from, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
    checks = ((address in METADATA, "a cloud metadata address"), (address.is_loopback, "a loopback address"),
              (address.is_unspecified, "the unspecified address"), (address.is_link_local, "a link-local address"),
              (address.is_multicast, "a multicast address"), (address in _CGNAT, "a shared (CGNAT) address"),
              (address.is_reserved, "a reserved address"), (address.is_private, "a private address"),
              (not address.is_global, "not a globally routable address"))
    return next((why for hit, why in checks if hit), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address.teredo[1] if address.teredo is not None else None


def origin(url: str | httpx.URL) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, default ports filled in; None for other URLs."""
    return _origin_of(url) if isinstance(url, str) else _origin(url)


@lru_cache(maxsize=4096)
def _origin_of(url: str) -> Origin | None:
    """origin() of a URL string: feed URLs are asked about on every request, and parsing one costs more
    than the rest of the check."""
    try:
        return _origin(httpx.URL(url))
    except httpx.InvalidURL:
        return None


def _origin(parsed: httpx.URL) -> Origin | None:
    """origin() of a parsed URL."""
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    return parsed.scheme, parsed.host.lower(), parsed.port or (443 if parsed.scheme == "https" else 80)


class Guard:
    """The crawl's address policy: public addresses, plus each registered feed's own origin for that feed."""

    def __init__(self, allow_private: bool, homes: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.homes = {o[1:] for o in map(origin, homes) if o is not None}
        self._resolved: dict[tuple[str, int], asyncio.Task[list[Address]]] = {}

    async def check(self, url: str | httpx.URL, home: str | None) -> None:
        """Refuse a request whose host resolves to a non-public address, unless it is its feed's own origin."""
        target = origin(url)
        if target is None:
            raise RefusedAddress(f"{url}: only http and https URLs are fetched")
        if self.allow_private or (home is not None and origin(home) == target):
            return
        key = target[1:]
        if key not in self._resolved:
            self._resolved[key] = asyncio.ensure_future(resolve(*key))
        for address in await self._resolved[key]:
            why = refusal(address)
            if why:
                raise RefusedAddress(f"{url}: refused, {target[1]} resolves to {address}, {why}; {HINT}")

    async def connectable(self, host: str, port: int) -> list[Address]:
        """The addresses a connection to host:port may use (resolved now, so a changed DNS answer is caught)."""
        addresses = await resolve(host, port)
        if self.allow_private or (host.lower(), port) in self.homes:
            return addresses
        refused = [(a, why) for a in addresses if (why := refusal(a))]
        if refused:
            address, why = refused[0]
            raise RefusedAddress(f"{host}:{port}: refused at connect time, it resolves to {address}, {why}; {HINT}")
        return addresses


async def resolve(host: str, port: int) -> list[Address]:
    """Every address a host name resolves to (off the event loop), or httpx.ConnectError."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        # httpx's own error type, so that it is handled (and retried) like any failed connection
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
    # Scope ids (fe80::1%eth0) are dropped: the address itself decides.
    found = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    return list(dict.fromkeys(found))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that connects only to addresses the guard allows, by address (pinned)."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        """Resolve, check and connect to the first reachable allowed address."""
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in await self.guard.connectable(host, port):
            try:
                return await self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never used by the crawler."""
        raise RefusedAddress(f"{path}: unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's retry backoff)."""
        await self.inner.sleep(seconds)


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One certificate-verifying TLS context per process, shared by every client: loading the CA bundle
    takes about 30 ms, which a re-poll of unchanged feeds would otherwise pay twice per crawl."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over the guarded backend, checking every request (each redirect hop too)."""

    def __init__(self, guard: Guard, per_origin: int, idle_origins: int) -> None:
        """`per_origin`: connections to one origin (the fetcher's per-host limit); `idle_origins`: how many
        origins keep their idle connections open."""
        super().__init__(verify=tls_context())
        self.guard = guard
        backend = GuardedBackend(guard)
        # httpx takes no network backend, so its pool is replaced: httpcore pools over ours, one per origin.
        self._pool = OriginPools(lambda: httpcore.AsyncConnectionPool(
            ssl_context=tls_context(), max_connections=per_origin, max_keepalive_connections=per_origin,
            keepalive_expiry=KEEPALIVE_S, network_backend=backend), idle_origins)  # type: ignore[assignment]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the request's host, then send it."""
        home = request.extensions.get(HOME)
        await self.guard.check(request.url, home if isinstance(home, str) else None)
        return await super().handle_async_request(request)
