"""Full text and metadata of article pages with trafilatura; canonical URLs."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import trafilatura

from pipeline.core.errors import ItemRejected
from pipeline.core.record import Article

TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|xtor|at_medium|at_campaign)$", re.I)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_PATH_END = re.compile(r"[/\s]+\Z")
MIN_TEXT_CHARS = 200


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, no tracking parameters, fragment or trailing slash.

    Raises ItemRejected when the URL cannot be used: unparseable (a bad port, a broken IPv6 literal,
    a host that is invalid under NFKC) or an http(s) URL without a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ItemRejected(f"URL {url[:100]!r} is invalid ({exc})") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").strip().lower()
    if not host and scheme in ("http", "https"):
        raise ItemRejected(f"URL {url[:100]!r} has no host")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING.match(k)])
    path = _PATH_END.sub("", parts.path)  # no trailing slash, nor whitespace a dropped fragment exposed
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, path, query, ""))


def strip_html(fragment: str) -> str:
    """Plain text of an HTML fragment (feed summaries, post bodies)."""
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>", "\n\n", fragment or "")
    text = html.unescape(_TAGS.sub(" ", text))
    paragraphs = [_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def extract_page(article: Article, page: bytes | str) -> Article:
    """Fill title, text, author and (when the feed had none) the date from a fetched page;
    an empty or paywalled extraction is recorded as such and the feed's text kept."""
    doc = page.decode("utf-8", errors="replace") if isinstance(page, bytes) else page
    text = trafilatura.extract(doc, url=article.url, include_comments=False,
                               include_tables=False, favor_precision=True) or ""
    meta = trafilatura.extract_metadata(doc, default_url=article.url)
    title = article.title or (meta.title if meta and meta.title else "")
    author = article.author or (meta.author if meta and meta.author else None)
    published = article.published or page_date(meta.date if meta else None)
    if len(text) < MIN_TEXT_CHARS and len(text) < len(article.text):
        return article.evolve(title=title, author=author, published=published, extraction="empty")
    return article.evolve(title=title, text=text, author=author, published=published, extraction="page")


def page_date(value: str | None) -> datetime | None:
    """A page's date (trafilatura gives YYYY-MM-DD, sometimes with a time) as UTC; None if invalid."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
