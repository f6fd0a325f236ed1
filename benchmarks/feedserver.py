"""Loopback feed servers for benchmarks: many hosts (127.0.0.x), fixed latency, ETag support."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from pipeline.core.loopback import LoopbackServer, QuietHandler

WORDS = ("council", "harbour", "ferry", "workers", "wages", "storm", "tide", "court", "appeal", "bakery",
         "hospital", "nurses", "school", "budget", "housing", "rents", "market", "fishermen", "quota", "festival",
         "museum", "bridge", "repairs", "bus", "route", "tram", "river", "flood", "defences", "farmers", "harvest",
         "prices", "energy", "solar", "panels", "library", "volunteers", "election", "mayor", "police", "station",
         "closure", "protest", "union", "strike", "talks", "agreement", "record", "season", "match", "coach")
TOPICS = ("Harbour council approves new ferry timetable", "Seasonal workers report unpaid overtime",
          "Storm brings high tides to the coast", "Court rules on asylum appeal backlog",
          "Local bakery wins regional prize", "Refugee nurses join the county hospital")


def story(seed: int, words: int = 80) -> str:
    """A distinct pseudo-story (seeded), so that near-duplicate detection sees realistic variety."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def feed_xml(host: int, feed: int, items: int) -> bytes:
    """An RSS 2.0 feed of `items` distinct entries."""
    base = datetime(2026, 11, 1, tzinfo=UTC)
    entries = "".join(
        f"<item><title>{TOPICS[i % len(TOPICS)]} ({host}.{feed}.{i})</title>"
        f"<link>http://bench{host}.test/{feed}/{i}</link><guid>b-{host}-{feed}-{i}</guid>"
        f"<pubDate>{format_datetime(base + timedelta(hours=i))}</pubDate>"
        f"<description>{story(host * 1_000_000 + feed * 1000 + i)}</description></item>" for i in range(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench {host}.{feed}</title>'
            f"<link>http://bench{host}.test/</link><description>bench</description>{entries}</channel></rss>").encode()


class _Handler(QuietHandler):
    server: FeedHost
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        """Serve a feed (200 with ETag, or 304), a 404 for robots.txt, after the simulated latency."""
        time.sleep(self.server.latency_s)
        body = self.server.feeds.get(self.path)
        if body is None:
            self.reply(404, b"not found")
        elif self.headers.get("If-None-Match") == '"v1"':
            self.reply(304, b"", {"ETag": '"v1"'})
        else:
            self.reply(200, body, {"ETag": '"v1"', "Content-Type": "application/rss+xml; charset=utf-8"})


class FeedHost(LoopbackServer):
    """One loopback host serving some feeds."""

    def __init__(self, address: str, feeds: dict[str, bytes], latency_s: float) -> None:
        super().__init__(_Handler, address)
        self.feeds, self.latency_s = feeds, latency_s


def _serve(n_feeds: int, items: int, hosts: int, latency_s: float, out: Any, stop: Any) -> None:
    """Child process: start the hosts, report their feed URLs, serve until told to stop."""
    servers, urls = [], []
    for h in range(hosts):
        mine = {f"/feed{f}.xml": feed_xml(h, f, items) for f in range(h, n_feeds, hosts)}
        server = FeedHost(f"127.0.0.{h + 2}", mine, latency_s)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls += [server.base + path for path in mine]
    out.put(urls)
    stop.wait()


@contextmanager
def serve_feeds(n_feeds: int, items: int, hosts: int, latency_s: float) -> Iterator[list[str]]:
    """Start `hosts` servers on 127.0.0.2.. carrying `n_feeds` feeds in total, in their own process
    (remote servers do not share the client's CPU time); yield the feed URLs."""
    context = multiprocessing.get_context("fork")
    out, stop = context.Queue(), context.Event()
    proc = context.Process(target=_serve, args=(n_feeds, items, hosts, latency_s, out, stop), daemon=True)
    proc.start()
    try:
        yield out.get(timeout=60)
    finally:
        stop.set()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
