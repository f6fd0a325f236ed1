"""Full text and metadata of article pages with trafilatura; canonical URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import trafilatura

from pipeline.record import Article

TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|xtor|at_medium|at_campaign)$", re.I)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
MIN_TEXT_CHARS = 200


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, no tracking parameters, fragment or trailing slash."""
    parts = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING.match(k)])
    path = parts.path.rstrip("/") or ""
    host = (parts.hostname or "").lower()
    if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, path, query, ""))


def strip_html(fragment: str) -> str:
    """Plain text of an HTML fragment (feed summaries, post bodies)."""
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>", "\n\n", fragment or "")
    text = html.unescape(_TAGS.sub(" ", text))
    paragraphs = [_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def extract_page(article: Article, page: bytes | str) -> Article:
    """Fill title, text and author from a fetched page; an empty extraction is recorded as such."""
    doc = page.decode("utf-8", errors="replace") if isinstance(page, bytes) else page
    text = trafilatura.extract(doc, url=article.url, include_comments=False,
                               include_tables=False, favor_precision=True) or ""
    meta = trafilatura.extract_metadata(doc, default_url=article.url)
    title = article.title or (meta.title if meta and meta.title else "")
    author = article.author or (meta.author if meta and meta.author else None)
    if len(text) < MIN_TEXT_CHARS and len(text) < len(article.text):
        return article.evolve(title=title, author=author, extraction="empty")
    return article.evolve(title=title, text=text, author=author, extraction="page")
