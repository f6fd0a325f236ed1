"""Concurrent ingest: many feeds and their article pages at once, politely, each failure recorded."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.core.config import Settings
from pipeline.core.errors import FetchError
from pipeline.core.keys import pseudonym_key
from pipeline.core.outlets import Feed
from pipeline.core.record import Article
from pipeline.ingest.extract import extract_page
from pipeline.ingest.feedkinds import next_page, parse_document
from pipeline.ingest.feeds import FeedResult
from pipeline.ingest.fetch import AsyncFetcher
from pipeline.ingest.neardup import signatures_of

OnResult = Callable[[FeedResult], None]
POOL_MIN_FEEDS = 8


Parsed = tuple[list[Article], list[tuple[str, str]], dict[str, bytes], str | None]
Known = Mapping[str, Collection[str]]
# What a hostile or broken document may raise while parsed: it fails its own feed only, never the run.
PARSE_ERRORS = (RecursionError, MemoryError, ValueError, TypeError, LookupError, BrokenExecutor)


def parse(data: bytes, feed: Feed, secret: str, url: str | None = None) -> Parsed:
    """Parse a feed document of any supported kind, with the entries' MinHash signatures and the address
    of the next page of a paged kind (read from `url`); run in a worker process for large crawls."""
    articles, rejected = parse_document(data, feed, secret)
    url = url or feed.url
    after = next_page(data, url, feed.kind) if url.startswith(("http://", "https://")) else None
    return articles, rejected, signatures_of(articles), after


async def crawl_feed(feed: Feed, fetcher: AsyncFetcher, settings: Settings,
                     pool: Executor | None = None, known: Collection[str] = ()) -> FeedResult:
    """Fetch and parse one feed (and its older pages, for Mastodon and Bluesky), then its articles'
    pages; failures end up in the result, never raised. `known`: GUIDs of the feed's stored items."""
    result = FeedResult(feed)
    try:
        data = await _read_feed(feed, fetcher, result)
        if data is None:
            return result
        articles, result.rejected, result.signatures, after = await _parse(data, feed, feed.url, settings, pool)
    except FetchError as exc:
        result.error, result.retryable = str(exc), exc.retryable
        return result
    except PARSE_ERRORS as exc:
        result.error = f"{feed.url}: feed could not be parsed ({type(exc).__name__}: {str(exc)[:200]}); check the feed"
        return result
    articles += await older_pages(feed, after, articles, known, fetcher, settings, pool, result)
    pages = await fetch_pages(articles, fetcher, settings, result.kept.append)
    result.articles = cap_items(pages, settings.max_item_chars, result.cut.append)
    return result


async def _parse(data: bytes, feed: Feed, url: str, settings: Settings, pool: Executor | None) -> Parsed:
    """parse() in the worker pool when there is one."""
    if pool is None:
        return parse(data, feed, pseudonym_key(settings), url)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, parse, data, feed, pseudonym_key(settings), url)


async def older_pages(feed: Feed, url: str | None, newest: list[Article], known: Collection[str],
                      fetcher: AsyncFetcher, settings: Settings, pool: Executor | None,
                      result: FeedResult) -> list[Article]:
    """The posts of the pages after the first, read until a page holds a post already stored, `social_pages`
    pages in all, or no next page. A page that cannot be read ends the walk; why is noted with the rejected
    items, and the posts read so far are kept."""
    found: list[Article] = []
    page, last = 1, newest
    while url and page < settings.social_pages and not any(a.guid in known for a in last):
        page += 1
        try:
            resp = await fetcher.get(url, robots=False, home=feed.url)
            last, rejected, signatures, url = await _parse(resp.body, feed, url, settings, pool)
        except (FetchError, *PARSE_ERRORS) as exc:
            result.rejected.append((f"page {page}", f"not read, the posts of the pages before are kept: {exc}"))
            break
        found += last
        result.rejected += [(f"page {page} {label}", why) for label, why in rejected]
        result.signatures.update(signatures)
    return found


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


async def crawl(feeds: Sequence[Feed], settings: Settings, on_result: OnResult, known: Known | None = None) -> None:
    """Ingest feeds concurrently (at most feed_concurrency at once), handing over each result as it lands.
    `on_result` runs in a thread of its own, one result at a time and in order of arrival, so that storing
    (a database write can take a tenth of a second) never holds up the fetches in flight. `known`: the
    GUIDs of stored items by feed URL, where a paged feed stops reading older pages."""
    known = known or {}
    loop = asyncio.get_running_loop()
    with _parser_pool(len(feeds)) as pool, ThreadPoolExecutor(1, thread_name_prefix="store") as store:
        async with AsyncFetcher(settings, [f.url for f in feeds]) as fetcher:
            slots = asyncio.Semaphore(settings.feed_concurrency)

            async def one(feed: Feed) -> FeedResult:
                await fetcher.until_turn(feed.url)  # a host's second feed waits here, not in a slot
                async with slots:
                    return await crawl_feed(feed, fetcher, settings, pool, known.get(feed.url, ()))

            # Results are handed over in the batches that landed while the previous batch was stored.
            batch: list[FeedResult] = []
            stored: asyncio.Future[None] | None = None
            for done in asyncio.as_completed([one(f) for f in interleave_hosts(feeds)]):
                batch.append(await done)
                if stored is None or stored.done():
                    if stored is not None:
                        stored.result()  # a failure to store stops the crawl, as it did in-line
                    stored, batch = loop.run_in_executor(store, _hand_over, on_result, batch), []
            if stored is not None:
                await stored
            if batch:
                await loop.run_in_executor(store, _hand_over, on_result, batch)


def _hand_over(on_result: OnResult, results: list[FeedResult]) -> None:
    """Give each result to on_result, in order."""
    for result in results:
        on_result(result)


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


def crawl_sync(feeds: Sequence[Feed], settings: Settings, on_result: OnResult, known: Known | None = None) -> None:
    """crawl() for synchronous callers (CLI, Prefect tasks)."""
    asyncio.run(crawl(feeds, settings, on_result, known))


def crawl_results(feeds: Sequence[Feed], settings: Settings) -> list[FeedResult]:
    """Every feed's result, in the order of `feeds`."""
    results: dict[str, FeedResult] = {}
    crawl_sync(feeds, settings, lambda r: results.__setitem__(r.feed.url, r))
    return [results[f.url] for f in feeds]
