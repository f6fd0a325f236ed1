"""Connection pools for a crawl over many hosts: one small httpcore pool per origin.

httpcore's pool walks all of its connections, and each idle one's socket, whenever a request starts or a
response ends, and it closes surplus idle connections with a scan per connection: with a hundred hosts in
flight that was most of the crawler's own CPU time. Here a request only meets its origin's connections
(at most a few: the fetcher allows `per_host` at a time to each host), and the pools of origins not used
for a while are closed once there are too many, so that idle keep-alive sockets do not pile up.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpcore

Origin = tuple[bytes, bytes, int | None]


class OriginPools:
    """httpcore's pool interface over one pool per (scheme, host, port), the least recently used closed first."""

    def __init__(self, make: Callable[[], httpcore.AsyncConnectionPool], keep: int) -> None:
        """`make`: a new pool for an origin; `keep`: how many origins' pools stay open when idle."""
        self._make, self._keep = make, keep
        self._pools: OrderedDict[Origin, httpcore.AsyncConnectionPool] = OrderedDict()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        """Send the request through its origin's pool."""
        url = request.url
        origin = (url.scheme, url.host, url.port)
        if origin not in self._pools and len(self._pools) >= 2 * self._keep:
            await self._trim()
        pool = self._pools.pop(origin, None) or self._make()
        self._pools[origin] = pool  # the most recently used last
        return await pool.handle_async_request(request)

    async def _trim(self) -> None:
        """Close idle pools, the least recently used first, down to `keep` (busy ones stay). They leave the
        table before any is closed, so that no request can start on one while the others close."""
        excess = len(self._pools) - self._keep
        idle = [origin for origin, pool in self._pools.items() if _idle(pool)][:excess]
        closing = [self._pools.pop(origin) for origin in idle]
        for pool in closing:
            await pool.aclose()

    def origins(self) -> list[Origin]:
        """The origins with an open pool, the least recently used first."""
        return list(self._pools)

    async def aclose(self) -> None:
        """Close every pool."""
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()

    async def __aenter__(self) -> OriginPools:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


def _idle(pool: httpcore.AsyncConnectionPool) -> bool:
    """No request in flight or waiting: every connection idle or closed, and no request queued (httpcore
    has no public word for that, so its list is read when it has one)."""
    return not getattr(pool, "_requests", ()) and all(c.is_idle() or c.is_closed() for c in pool.connections)
