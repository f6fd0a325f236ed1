"""One connection pool per origin over real loopback servers: reuse, eviction of idle origins, busy ones kept."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from benchmarks.feedserver import serve_feeds
from pipeline.core.config import Settings
from pipeline.ingest.fetch import AsyncFetcher
from pipeline.ingest.guard import Guard, GuardedTransport


def origin(url: str) -> tuple[bytes, bytes, int | None]:
    """The pool key of a URL."""
    parsed = httpx.URL(url)
    return parsed.raw_scheme, parsed.raw_host, parsed.port


def test_idle_origins_are_closed_least_recently_used_first_and_busy_ones_kept(http: Any) -> None:
    http.table["/slow"] = lambda req: (time.sleep(0.5), (200, {}, b"slow"))[1]

    async def main() -> None:
        transport = GuardedTransport(Guard(True), per_origin=2, idle_origins=2)
        pools = transport._pool
        async with httpx.AsyncClient(transport=transport) as client:
            slow = asyncio.create_task(client.get(http.base + "/slow"))
            while not http.hits.get("/slow"):
                await asyncio.sleep(0.01)
            for url in urls:  # five more origins, one after another: idle ones go, the busy one stays
                assert (await client.get(url)).status_code == 200
            assert origin(http.base) in pools.origins() and len(pools.origins()) <= 4
            assert pools.origins()[-1] == origin(urls[-1])
            assert origin(urls[0]) not in pools.origins()
            assert (await slow).text == "slow"
        assert pools.origins() == []

    with serve_feeds(5, 1, 5, 0.0) as urls:
        asyncio.run(main())


def test_requests_to_one_origin_reuse_its_connection() -> None:
    async def main(urls: list[str]) -> int:
        async with AsyncFetcher(Settings(politeness_s=0.0), urls) as fetcher:
            for url in urls:
                assert (await fetcher.get(url, robots=False, home=url)).status == 200
            [pool] = fetcher.client._transport._pool._pools.values()  # type: ignore[attr-defined]
            return len(pool.connections)

    with serve_feeds(3, 1, 1, 0.0) as urls:
        assert asyncio.run(main(urls)) == 1  # three feeds of one host, one after another: one connection


def test_until_turn_waits_for_the_host_and_claims_nothing() -> None:
    async def main(a: str, b: str) -> list[str]:
        async with AsyncFetcher(Settings(politeness_s=0.3), [a, b]) as fetcher:
            await fetcher.get(a, robots=False, home=a)
            turns = dict(fetcher._next_start)
            done: list[str] = []

            async def wait(url: str) -> None:
                await fetcher.until_turn(url)
                done.append(url)

            await asyncio.gather(wait(a), wait(b))
            assert fetcher._next_start == turns  # waiting did not take the host's turn
            return done

    with serve_feeds(2, 1, 2, 0.0) as urls:
        assert asyncio.run(main(*urls)) == [urls[1], urls[0]]  # the other host is ready at once
