"""Ingest: fetch feeds, parse their entries into articles, fetch and extract pages."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from pipeline.core.errors import FetchError, ItemRejected
from pipeline.core.outlets import Feed
from pipeline.core.record import Article
from pipeline.ingest import fastfeed
from pipeline.ingest.extract import canonical_url, strip_html


@dataclass(slots=True)
class FeedResult:
    """What one feed gave: articles, rejected entries, or the reason it failed. `kept`: (url, why) of the
    articles whose page could not be fetched, kept with their feed text (stored, so not rejected)."""

    feed: Feed
    articles: list[Article] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    retryable: bool = False
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    signatures: dict[str, bytes] = field(default_factory=dict)
    cut: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)


def pseudonymize(author: str | None, secret: str) -> str | None:
    """A keyed, stable pseudonym for a social-media author."""
    if not author:
        return None
    digest = hmac.new(secret.encode(), author.strip().lower().encode(), hashlib.sha256).hexdigest()
    return f"author:{digest[:16]}"


def pseudonymous_guid(guid: str | None, secret: str) -> str | None:
    """A keyed, stable stand-in for an item id that names its author: still a dedup key, no longer a handle."""
    if not guid:
        return None
    return "guid:" + hmac.new(secret.encode(), guid.encode(), hashlib.sha256).hexdigest()[:32]


def parse_feed(data: bytes, feed: Feed, secret: str) -> tuple[list[Article], list[tuple[str, str]]]:
    """Entries of a feed document as articles; unusable entries with their reason."""
    return articles_of(feed_entries(data, feed), feed, secret)


def feed_entries(data: bytes, feed: Feed) -> list[Any]:
    """The document's entries: lxml's fast path for well-formed RSS 2.0 and Atom, feedparser for the rest
    (both give the same entries for a document the fast path reads)."""
    data = fix_declared_charset(data)
    fast = fastfeed.entries(data)
    return fast if fast is not None else feedparser_entries(data, feed)


def feedparser_entries(data: bytes, feed: Feed) -> list[Any]:
    """The document's entries through feedparser; FetchError when it is not a feed at all."""
    parsed = feedparser.parse(data)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = getattr(parsed, "bozo_exception", None) or "no entries and not an RSS, Atom or RDF document"
        raise FetchError(f"{feed.url}: not a readable feed ({reason})")
    return list(parsed.entries)


def articles_of(entries: list[Any], feed: Feed, secret: str) -> tuple[list[Article], list[tuple[str, str]]]:
    """Feed entries as articles; unusable entries with their reason."""
    articles, rejected = [], []
    for n, entry in enumerate(entries):
        try:
            articles.append(_entry_article(entry, feed, secret))
        except ItemRejected as exc:
            rejected.append((f"entry {n}", str(exc)))
    return articles, rejected


def _entry_article(entry: Any, feed: Feed, secret: str) -> Article:
    """One feed entry as an article (social entries keep their body and a pseudonym)."""
    candidates = (str(entry.get("link") or ""), str(entry.get("id") or ""))
    link = next((c for c in candidates if c.startswith(("http://", "https://"))), None)
    if not link:
        raise ItemRejected(f"entry {entry.get('title', '')[:60]!r} has no link (http or https URL)")
    body = _entry_body(entry)
    social = feed.kind == "social"
    author = entry.get("author")
    return Article(
        url=canonical_url(link), outlet=feed.outlet_id, title=strip_html(entry.get("title", "")),
        text=body, kind="post" if social else "article", published=_entry_date(entry),
        author=pseudonymize(author, secret) if social else author, feed_url=feed.url,
        guid=entry.get("id"), extraction="feed")


def _entry_body(entry: Any) -> str:
    """The richest text the entry carries."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    return strip_html(max(contents, key=len) if contents else entry.get("summary", ""))


_PROLOG = re.compile(rb"^(\s*<\?xml[^>]*?encoding=[\"'])([\w.:-]+)([\"'])", re.I)
_SINGLE_BYTE = {b"windows-1252", b"cp1252", b"iso-8859-1", b"iso-8859-15", b"latin-1", b"latin1", b"us-ascii", b"ascii"}
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def fix_declared_charset(data: bytes) -> bytes:
    """Trust UTF-8 over a prolog that declares a single-byte charset when the bytes are valid,
    non-ASCII UTF-8 (a common server mistake that would otherwise store mojibake)."""
    match = _PROLOG.match(data)
    if not match or match.group(2).lower() not in _SINGLE_BYTE or data.isascii():
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return _PROLOG.sub(rb"\1utf-8\3", data, count=1)


def _entry_date(entry: Any) -> datetime | None:
    """Published (or updated) time in UTC, None when missing or invalid (feedparser rolls impossible
    ISO dates such as 2026-02-30 over into the next month: those are refused here)."""
    for key in ("published", "updated"):
        value = entry.get(f"{key}_parsed")
        if value and _real_day(str(entry.get(key, ""))):
            try:
                year, month, day, hour, minute, second = value[:6]
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _real_day(raw: str) -> bool:
    """False for an ISO date that names a day that does not exist."""
    match = _ISO_DAY.match(raw)
    if not match:
        return True
    try:
        datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True

