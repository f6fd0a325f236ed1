"""Concurrent ingest: many feeds and their article pages at once, politely, each failure recorded."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.core.config import Settings
from pipeline.core.errors import FetchError
from pipeline.core.keys import pseudonym_key
from pipeline.core.outlets import Feed
from pipeline.core.record import Article
from pipeline.ingest.extract import extract_page
from pipeline.ingest.feedkinds import parse_document
from pipeline.ingest.feeds import FeedResult
from pipeline.ingest.fetch import AsyncFetcher
from pipeline.ingest.neardup import signatures_of

OnResult = Callable[[FeedResult], None]
POOL_MIN_FEEDS = 8


Parsed = tuple[list[Article], list[tuple[str, str]], dict[str, bytes]]


def parse(data: bytes, feed: Feed, secret: str) -> Parsed:
    """Parse a feed document of any supported kind, with the entries' MinHash signatures
    (run in a worker process for large crawls: both are CPU work)."""
    articles, rejected = parse_document(data, feed, secret)
    return articles, rejected, signatures_of(articles)


async def crawl_feed(feed: Feed, fetcher: AsyncFetcher, settings: Settings,
                     pool: Executor | None = None) -> FeedResult:
    """Fetch and parse one feed, then its pages; failures end up in the result, never raised."""
    result = FeedResult(feed)
    try:
        data = await _read_feed(feed, fetcher, result)
        if data is None:
            return result
        if pool is None:
            parsed = parse(data, feed, pseudonym_key(settings))
        else:
            loop = asyncio.get_running_loop()
            parsed = await loop.run_in_executor(pool, parse, data, feed, pseudonym_key(settings))
        articles, result.rejected, result.signatures = parsed
    except FetchError as exc:
        result.error, result.retryable = str(exc), exc.retryable
        return result
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError, BrokenExecutor) as exc:
        # A hostile or broken document must fail its own feed only, never the whole run.
        result.error = f"{feed.url}: feed could not be parsed ({type(exc).__name__}: {str(exc)[:200]}); check the feed"
        return result
    pages = await fetch_pages(articles, fetcher, settings, result.kept.append)
    result.articles = cap_items(pages, settings.max_item_chars, result.cut.append)
    return result


def cap_items(articles: Sequence[Article], limit: int, note: Callable[[tuple[str, str]], None]) -> list[Article]:
    """Articles with text and title cut to `limit` characters; each cut is noted (url, what was cut)."""
    capped = []
    for article in articles:
        cuts = [f"{name} cut from {len(value)} to {limit} characters" for name, value
                in (("text", article.text), ("title", article.title)) if len(value) > limit]
        if cuts:
            note((article.url, f"{'; '.join(cuts)} (max_item_chars); stored with the first {limit}"))
            article = article.evolve(text=article.text[:limit], title=article.title[:limit])
        capped.append(article)
    return capped


async def _read_feed(feed: Feed, fetcher: AsyncFetcher, result: FeedResult) -> bytes | None:
    """The feed's bytes, or None when the server answered 304 Not Modified."""
    if feed.url.startswith("file:"):
        path = Path(feed.url.removeprefix("file://"))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(f"{path}: cannot read feed file: {exc.strerror}") from exc
    # A feed is published for machines to poll, so robots.txt is applied to article pages only.
    resp = await fetcher.get(feed.url, feed.etag, feed.last_modified, robots=False, home=feed.url)
    result.etag, result.last_modified, result.not_modified = resp.etag, resp.last_modified, resp.not_modified
    return None if resp.not_modified else resp.body


async def fetch_pages(articles: Sequence[Article], fetcher: AsyncFetcher, settings: Settings,
                      reject: Callable[[tuple[str, str]], None]) -> list[Article]:
    """Full text of news articles from their pages, concurrently; the feed text is kept when a page fails."""
    wanted = settings.fetch_pages
    return list(await asyncio.gather(*(
        _page(a, fetcher, reject) if wanted and a.kind == "article" and a.url.startswith("http") else _same(a)
        for a in articles)))


async def _same(article: Article) -> Article:
    """An article that needs no page."""
    return article


async def _page(article: Article, fetcher: AsyncFetcher, reject: Callable[[tuple[str, str]], None]) -> Article:
    """One article's page, extracted off the event loop (trafilatura is CPU work)."""
    try:
        page = await fetcher.get(article.url, home=article.feed_url)
    except FetchError as exc:
        reject((article.url, f"page not fetched, feed text kept: {exc}"))
        return article.evolve(extraction="feed-only")
    return await asyncio.to_thread(extract_page, article, page.body)


async def crawl(feeds: Sequence[Feed], settings: Settings, on_result: OnResult) -> None:
    """Ingest feeds concurrently (at most feed_concurrency at once), handing over each result as it lands."""
    with _parser_pool(len(feeds)) as pool:
        async with AsyncFetcher(settings, [f.url for f in feeds]) as fetcher:
            slots = asyncio.Semaphore(settings.feed_concurrency)

            async def one(feed: Feed) -> FeedResult:
                async with slots:
                    return await crawl_feed(feed, fetcher, settings, pool)

            for done in asyncio.as_completed([one(f) for f in interleave_hosts(feeds)]):
                on_result(await done)


def interleave_hosts(feeds: Sequence[Feed]) -> list[Feed]:
    """Feeds in round-robin order of their hosts, so that concurrency slots are not all spent
    waiting on one host's politeness delay."""
    by_host: dict[str, list[Feed]] = {}
    for feed in feeds:
        by_host.setdefault(urlsplit(feed.url).netloc, []).append(feed)
    queues = list(by_host.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


@contextmanager
def _parser_pool(n_feeds: int) -> Iterator[Executor | None]:
    """Worker processes for feed parsing (pure-Python and CPU-bound) when a crawl is large enough
    to pay for them; the event loop then keeps fetching and storing meanwhile."""
    cpus = os.cpu_count() or 1
    # Forking from a worker thread (a Prefect task) could copy a lock held by another thread.
    if n_feeds < POOL_MIN_FEEDS or cpus < 2 or threading.current_thread() is not threading.main_thread():
        yield None
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    with ProcessPoolExecutor(max_workers=min(cpus, 4), mp_context=context, initializer=_die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        yield pool


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill a worker when its parent dies, so a killed run leaves no orphans."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died between fork and prctl: reparented already
        os._exit(1)


def crawl_sync(feeds: Sequence[Feed], settings: Settings, on_result: OnResult) -> None:
    """crawl() for synchronous callers (CLI, Prefect tasks)."""
    asyncio.run(crawl(feeds, settings, on_result))


def crawl_results(feeds: Sequence[Feed], settings: Settings) -> list[FeedResult]:
    """Every feed's result, in the order of `feeds`."""
    results: dict[str, FeedResult] = {}
    crawl_sync(feeds, settings, lambda r: results.__setitem__(r.feed.url, r))
    return [results[f.url] for f in feeds]
