"""Feed kinds: RSS/Atom via feedparser, JSON Feed, Mastodon, Bluesky and local social exports.

Every parser returns articles and (item, reason) pairs for unusable items; a document that is not of
the declared kind raises FetchError naming the URL and what was expected. Social authors are always
pseudonymised, and so are the handles and DIDs in Mastodon and Bluesky post addresses and ids. Times
are aware UTC; a time without an offset is taken as UTC (Telegram Desktop writes local time without an
offset in `date`, so its `date_unixtime` is preferred when present).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from pipeline.core.errors import FetchError, ItemRejected
from pipeline.core.outlets import FEED_KINDS, SOCIAL_KINDS, Feed, Outlet, slugify
from pipeline.core.record import Article
from pipeline.core.safejson import JsonTooDeep
from pipeline.core.safejson import loads as safe_loads
from pipeline.ingest.extract import canonical_url, strip_html
from pipeline.ingest.feeds import parse_feed, pseudonymize, pseudonymous_guid

KINDS = FEED_KINDS
ALIASES = {"json": "jsonfeed"}  # the kind older sources files and databases used for JSON Feed
PAGED = frozenset({"mastodon", "bluesky"})  # kinds whose older posts are on further pages (next_page)
EXPORT_COLUMNS = ("url", "text", "author", "published", "lang", "title")
HINT = "check the feed kind"
_REDDIT_TRAILER = re.compile(r"\s*submitted by\s+/?u/\S+.*\Z", re.S)
_AT_POST = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]+)$")
_SPAN = re.compile(r"</?span\b[^>]*>", re.I)
_BOM_SPACE = b"\xef\xbb\xbf \t\r\n"

Parsed = tuple[list[Article], list[tuple[str, str]]]
Maker = Callable[[dict[str, Any]], Article | None]


def parse_document(data: bytes, feed: Feed, secret: str) -> Parsed:
    """Articles of a document of the feed's kind; unusable items with their reason."""
    kind = ALIASES.get(feed.kind, feed.kind)
    if kind in ("rss", "atom", "reddit", "social"):
        return _parse_xml(data, feed, secret)
    parsers = {"jsonfeed": _jsonfeed, "mastodon": _mastodon, "bluesky": _bluesky, "export": _export}
    if kind not in parsers:
        raise FetchError(f"{feed.url}: unknown feed kind {feed.kind!r}; must be one of: {', '.join(KINDS)}")
    return parsers[kind](data, feed, secret)


def next_page(data: bytes, url: str, kind: str) -> str | None:
    """The address of the page of older posts after this one: Mastodon's max_id (the last status's id),
    Bluesky's cursor; None for other kinds, an empty page, no cursor, or a page that names itself."""
    kind = ALIASES.get(kind, kind)
    doc = _loads(data) if kind in PAGED else None
    if kind == "mastodon" and isinstance(doc, list) and doc and isinstance(doc[-1], dict):
        key, value = "max_id", doc[-1].get("id")
    elif kind == "bluesky" and isinstance(doc, dict) and doc.get("feed"):
        key, value = "cursor", doc.get("cursor")
    else:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        return None
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key] + [(key, str(value))]
    after = urlunsplit(parts._replace(query=urlencode(query)))
    return None if after == url else after


def sniff_local(data: bytes) -> tuple[str, str | None]:
    """The kind a local file's content looks like (rss for any XML feed), and its title when it has one."""
    doc = _loads(data)
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return "jsonfeed", _text(doc.get("title")) or None
    if isinstance(doc, dict) and isinstance(doc.get("feed"), list):
        return "bluesky", None
    if isinstance(doc, list) and doc and all(isinstance(s, dict) and "account" in s for s in doc):
        return "mastodon", None
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return "export", _text(doc.get("name")) or None
    if data.lstrip(_BOM_SPACE)[:1] == b"{" or _csv_header_ok(data):
        return "export", None
    parsed = feedparser.parse(data)
    reddit = any(str(e.get("author", "")).startswith(("/u/", "u/")) for e in parsed.entries)
    return ("reddit" if reddit else "rss"), parsed.feed.get("title") or None


def local_feed(path: Path, outlets: dict[str, Outlet]) -> tuple[Feed, Outlet | None]:
    """A feed for a local file (XML or JSON feed, social export); a new outlet named after its title when unknown
    (of media type social for a social kind, so that it is never ranked)."""
    kind, title = sniff_local(path.read_bytes())
    title = title or path.stem
    outlet_id = slugify(title)
    media_type = "social" if kind in SOCIAL_KINDS else "other"
    outlet = None if outlet_id in outlets else Outlet(id=outlet_id, name=title, media_type=media_type)
    return Feed(url=path.resolve().as_uri(), outlet_id=outlet_id, kind=kind), outlet


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 time as aware UTC (no offset: taken as UTC); None when missing or invalid."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _collect(items: Iterable[tuple[str, Any]], make: Maker) -> Parsed:
    """Apply make to each item (None: skip it); a bad item or an ItemRejected in its place is rejected."""
    articles, rejected = [], []
    for label, item in items:
        try:
            if isinstance(item, ItemRejected):
                raise item
            if not isinstance(item, dict):
                raise ItemRejected(f"expected an object, got {type(item).__name__}")
            article = make(item)
        except ItemRejected as exc:
            rejected.append((label, str(exc)))
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            rejected.append((label, f"malformed item ({type(exc).__name__}: {exc})"))
        else:
            if article is not None:
                articles.append(article)
    return articles, rejected


def _parse_xml(data: bytes, feed: Feed, secret: str) -> Parsed:
    """RSS 0.9x/1.0/2.0 and Atom via feedparser; Reddit feeds are social posts without the 'submitted by' line."""
    reddit = feed.kind == "reddit"
    try:
        articles, rejected = parse_feed(data, replace(feed, kind="social") if reddit else feed, secret)
    except FetchError as exc:
        if _loads(data) is not None or data.lstrip(_BOM_SPACE)[:1] == b"{":
            raise FetchError(f"{exc}; the document is JSON: {HINT} (jsonfeed, mastodon, bluesky or export)") from exc
        raise
    if reddit:
        articles = [a.evolve(text=_REDDIT_TRAILER.sub("", a.text)) for a in articles]
    return articles, rejected


def _json_doc(data: bytes, feed: Feed, expected: str) -> Any:
    """The parsed JSON document, or FetchError saying it is not the expected kind."""
    try:
        return safe_loads(data)
    except JsonTooDeep as exc:
        raise FetchError(f"{feed.url}: JSON {exc}; refused as hostile or broken, ask its publisher") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"{feed.url}: not {expected} (invalid JSON: {exc}); {HINT}") from exc


def _jsonfeed(data: bytes, feed: Feed, secret: str) -> Parsed:
    """JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/): news articles."""
    doc = _json_doc(data, feed, "a JSON Feed")
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FetchError(f"{feed.url}: not a JSON Feed (missing 'items'); {HINT}")
    defaults = {"authors": doc.get("authors") or ([doc["author"]] if doc.get("author") else []),
                "language": doc.get("language")}
    items = ((f"item {n}", item) for n, item in enumerate(doc["items"]))
    return _collect(items, lambda item: _jsonfeed_item(item, defaults, feed))


def _jsonfeed_item(item: dict[str, Any], defaults: dict[str, Any], feed: Feed) -> Article:
    """One JSON Feed item as a news article."""
    url = _http_url(item.get("url")) or _http_url(item.get("external_url")) or _http_url(item.get("id"))
    if not url:
        raise ItemRejected(f"item {_text(item.get('title'))[:60]!r} has no url (http or https URL)")
    html, plain = _text(item.get("content_html")), _text(item.get("content_text"))
    body = strip_html(html) if html else plain.strip() or strip_html(_text(item.get("summary")))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else defaults["authors"])
    names = [_text(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
    published = parse_time(item.get("date_published")) or parse_time(item.get("date_modified"))
    guid = item.get("id")
    return Article(url=canonical_url(url), outlet=feed.outlet_id, title=strip_html(_text(item.get("title"))),
                   text=body, kind="article", published=published, author=", ".join(names) or None,
                   feed_url=feed.url, guid=str(guid) if guid is not None else None, extraction="feed",
                   lang=_text(item.get("language") or defaults["language"]) or None)


def _mastodon(data: bytes, feed: Feed, secret: str) -> Parsed:
    """Mastodon statuses (GET /api/v1/timelines/tag/:hashtag, /api/v1/accounts/:id/statuses)."""
    doc = _json_doc(data, feed, "a Mastodon status list")
    if not isinstance(doc, list):
        raise FetchError(f"{feed.url}: not a Mastodon status list (expected a JSON array of statuses, "
                         f"got {_json_type(doc)}); {HINT}")
    items = ((f"status {s.get('id', n) if isinstance(s, dict) else n}", s) for n, s in enumerate(doc))
    return _collect(items, lambda status: _mastodon_status(status, feed, secret))


def _mastodon_status(status: dict[str, Any], feed: Feed, secret: str) -> Article:
    """One status as a post; a reblog stands for the reblogged status (its content, URL and author)."""
    if isinstance(status.get("reblog"), dict):
        status = status["reblog"]
    url = _http_url(status.get("url")) or _http_url(status.get("uri"))
    if not url:
        raise ItemRejected("status has no url or uri (http or https URL)")
    content = _SPAN.sub("", _text(status.get("content")))  # hashtags, mentions and links are split in spans
    parts = [_text(status.get("spoiler_text")).strip(), strip_html(content)]
    text = "\n\n".join(p for p in parts if p)
    if not text:
        raise ItemRejected("status has no text (media only?)")  # its URL would name the account
    author = pseudonymize(_text(_obj(status.get("account")).get("acct")), secret)
    return Article(url=_mastodon_url(url, author), outlet=feed.outlet_id, title="", text=text, kind="post",
                   published=parse_time(status.get("created_at")), author=author, feed_url=feed.url,
                   guid=pseudonymous_guid(_text(status.get("uri")) or None, secret), extraction="feed",
                   lang=_text(status.get("language")) or None)


def _mastodon_url(url: str, author: str | None) -> str:
    """The status's address with the account's handle replaced by its pseudonym: https://host/@pseudonym/id
    (stable, so it still identifies the post for deduplication, and names no one)."""
    parts = urlsplit(url)
    post = [p for p in parts.path.split("/") if p and p != "activity"][-1:] or ["status"]
    return canonical_url(f"https://{parts.netloc}/@{_token(author)}/{post[0]}")


def _token(author: str | None) -> str:
    """The hex part of an author's pseudonym ('unknown' without an author)."""
    return author.removeprefix("author:") if author else "unknown"


def _bluesky(data: bytes, feed: Feed, secret: str) -> Parsed:
    """A Bluesky author feed (app.bsky.feed.getAuthorFeed); reposts stand for the reposted post."""
    doc = _json_doc(data, feed, "a Bluesky author feed")
    if not isinstance(doc, dict) or not isinstance(doc.get("feed"), list):
        raise FetchError(f"{feed.url}: not a Bluesky author feed (missing 'feed'); {HINT}")
    items = ((f"post {n}", entry.get("post") if isinstance(entry, dict) else entry)
             for n, entry in enumerate(doc["feed"]))
    return _collect(items, lambda post: _bluesky_post(post, feed, secret))


def _bluesky_post(post: dict[str, Any], feed: Feed, secret: str) -> Article:
    """One post view as a post; its URL names the pseudonym of the author's DID (stable, unlike the handle)."""
    match = _AT_POST.match(_text(post.get("uri")))
    if not match:
        raise ItemRejected(f"uri {_text(post.get('uri'))[:80]!r} is not an app.bsky.feed.post URI")
    did, rkey = match.groups()
    record = _obj(post.get("record"))
    text = _text(record.get("text")).strip()
    if not text:
        raise ItemRejected(f"post {rkey} has no text (media only?)")
    account = _obj(post.get("author"))
    langs = record.get("langs") if isinstance(record.get("langs"), list) else []
    return Article(url=canonical_url(f"https://bsky.app/profile/{_token(pseudonymize(did, secret))}/post/{rkey}"),
                   outlet=feed.outlet_id, title="", text=text, kind="post",
                   published=parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
                   author=pseudonymize(_text(account.get("did")) or _text(account.get("handle")), secret),
                   feed_url=feed.url, guid=pseudonymous_guid(match.group(0), secret),
                   extraction="feed", lang=(_text(langs[0]) or None) if langs else None)


def _export(data: bytes, feed: Feed, secret: str) -> Parsed:
    """A local social export: Telegram Desktop result.json, JSONL or CSV (format sniffed from the content)."""
    doc = _loads(data)
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        return _telegram(doc, feed, secret)
    head = data.lstrip(_BOM_SPACE)[:1]
    if doc is not None and not (isinstance(doc, dict) and "text" in doc):
        raise FetchError(f"{feed.url}: not a social export ({_json_type(doc)} that is not a Telegram export, "
                         f"JSONL or CSV); {HINT}")
    if head == b"{":
        lines = enumerate(data.split(b"\n"), 1)
        return _collect(_jsonl_rows(lines), lambda row: _export_row(row, feed, secret))
    return _collect(_csv_rows(data, feed), lambda row: _export_row(row, feed, secret))


def _jsonl_rows(lines: Iterable[tuple[int, bytes]]) -> Iterable[tuple[str, Any]]:
    """(label, object) per non-blank JSONL line; an unreadable line yields an ItemRejected."""
    for n, raw in lines:
        if not raw.strip():
            continue
        try:
            yield f"line {n}", safe_loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield f"line {n}", ItemRejected(f"invalid JSON: {exc}")


def _csv_rows(data: bytes, feed: Feed) -> Iterable[tuple[str, Any]]:
    """(label, row) per CSV record, after checking the header names the required columns."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FetchError(f"{feed.url}: export is not UTF-8 ({exc}); save it as UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    if not {"url", "text"} <= set(header):
        raise FetchError(f"{feed.url}: not a social export: expected a Telegram result.json, JSONL or CSV with "
                         f"columns {', '.join(EXPORT_COLUMNS)} (url and text required); {HINT}")
    reader.fieldnames = header
    return ((f"line {reader.line_num}", row) for row in reader)


def _export_row(row: dict[str, Any], feed: Feed, secret: str) -> Article:
    """One export row (JSONL object or CSV record) with the documented columns, as a post."""
    values = {key: row.get(key) for key in EXPORT_COLUMNS}
    bad = [key for key, value in values.items() if value is not None and not isinstance(value, str)]
    if bad:
        raise ItemRejected(f"{', '.join(repr(k) for k in bad)} must be text")
    url = _http_url(values["url"])
    if not url:
        raise ItemRejected(f"'url' {values['url'][:60]!r} is not an http or https URL" if values["url"]
                           else "missing 'url'")
    text = _text(values["text"]).strip()
    if not text:
        raise ItemRejected("missing 'text'")
    published = parse_time(values["published"])
    if _text(values["published"]).strip() and published is None:
        raise ItemRejected(f"'published' {values['published']!r} is not an ISO 8601 time")
    return Article(url=canonical_url(url), outlet=feed.outlet_id, title=_text(values["title"]).strip(),
                   text=text, kind="post", published=published,
                   author=pseudonymize(_text(values["author"]), secret), feed_url=feed.url,
                   extraction="feed", lang=_text(values["lang"]).strip() or None)


def _telegram(doc: dict[str, Any], feed: Feed, secret: str) -> Parsed:
    """A Telegram Desktop channel export; service messages (joins, pins) are skipped."""
    channel = _text(doc.get("username")).lstrip("@") or slugify(_text(doc.get("name")) or "channel")
    items = ((f"message {m.get('id', n) if isinstance(m, dict) else n}", m)
             for n, m in enumerate(doc["messages"]))
    return _collect(items, lambda message: _telegram_message(message, channel, feed, secret))


def _telegram_message(message: dict[str, Any], channel: str, feed: Feed, secret: str) -> Article | None:
    """One channel message as a post; None for service messages."""
    if message.get("type") != "message":
        return None
    ident = message.get("id")
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ItemRejected(f"message id {ident!r} is not a number")
    text = _telegram_text(message.get("text")).strip()
    if not text:
        raise ItemRejected(f"message {ident} has no text (media only?)")
    unix = _text(message.get("date_unixtime"))
    published = datetime.fromtimestamp(int(unix), UTC) if unix.isdigit() else parse_time(message.get("date"))
    return Article(url=canonical_url(f"https://t.me/{channel}/{ident}"), outlet=feed.outlet_id, title="",
                   text=text, kind="post", published=published,
                   author=pseudonymize(_text(message.get("from")), secret), feed_url=feed.url,
                   guid=f"{channel}/{ident}", extraction="feed")


def _telegram_text(value: Any) -> str:
    """Message text: a string, or a list of strings and {"type", "text"} entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p if isinstance(p, str) else _text(p.get("text")) if isinstance(p, dict) else ""
                       for p in value)
    return ""


def _loads(data: bytes) -> Any:
    """The JSON document, or None when the bytes are not one JSON document."""
    if data.lstrip(_BOM_SPACE)[:1] not in (b"{", b"["):
        return None
    try:
        return safe_loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None


def _csv_header_ok(data: bytes) -> bool:
    """Whether the first line is a CSV header with the required export columns."""
    first = data.decode("utf-8-sig", errors="replace").lstrip().split("\n", 1)[0]
    columns = {c.strip().strip('"').lower() for c in first.split(_delimiter(first))}
    return {"url", "text"} <= columns


def _delimiter(text: str) -> str:
    """The CSV delimiter: the most frequent of , ; and tab on the header line (spreadsheets vary)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def _http_url(value: Any) -> str | None:
    """The value when it is an http(s) URL."""
    return value.strip() if isinstance(value, str) and value.strip().startswith(("http://", "https://")) else None


def _text(value: Any) -> str:
    """The value when it is a string, else empty (JSON fields may hold anything)."""
    return value if isinstance(value, str) else ""


def _obj(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _json_type(doc: Any) -> str:
    """A JSON value's type in JSON's words, with its article."""
    return "a JSON object" if isinstance(doc, dict) else "a JSON array" if isinstance(doc, list) else "a JSON scalar"
