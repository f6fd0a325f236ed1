"""A fast path for well-formed RSS 2.0 and Atom 1.0 feeds: lxml builds the entries feedparser would build.

feedparser reads a feed through SAX callbacks and a pure-Python state machine (about 10 ms for 20 items);
lxml reads the same document in a fraction of that. The entries are FeedParserDicts with the same values
for every key the ingest reads (title, link, id, summary, content, author, published and updated with their
parsed times), because each value goes through the steps feedparser applies to it, with feedparser's own
functions: URL joining, its HTML sanitiser for values that carry markup, its date parser, its UTF-8 and
windows-1252 repairs. Whatever the fast path does not fully understand makes `entries` return None, and
feedparser parses the whole document: malformed XML, a DOCTYPE or entities, an encoding other than UTF-8,
RSS 0.9x and 1.0, xml:base, repeated fields, and any element feedparser maps onto one of those keys that is
not read here (itunes:summary, media:title, dcterms:modified, ...).

Security as for feedparser's own parse: entities are never resolved, no network, no huge trees.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeAlias

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import _sanitize_html
from feedparser.urls import _urljoin, resolve_relative_uris
from feedparser.util import FeedParserDict
from lxml import etree

Entry: TypeAlias = Any  # a FeedParserDict (feedparser ships no type information)
Reader = Callable[[Any, Entry], None]

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Namespace URI (lowercase) -> feedparser's prefix for it ('' for the RSS and Atom namespaces themselves).
KNOWN = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
# The keys the ingest reads, and those feedparser's own handling of them relies on: an unread element that
# feedparser would store under one of these (directly or through FeedParserDict's aliases) stops the fast path.
KEYS = frozenset({"title", "title_detail", "link", "links", "id", "guidislink", "summary", "summary_detail",
                  "content", "author", "authors", "author_detail", "published", "published_parsed", "updated",
                  "updated_parsed", "tags"})
# Elements feedparser handles without touching KEYS (checked against its handlers when added here).
HARMLESS = frozenset({"category", "enclosure", "source", "rights", "dc_rights", "dc_subject", "media_content",
                      "media_thumbnail", "media_group", "media_credit", "media_rating", "media_keywords",
                      "media_category", "media_restriction", "media_license", "media_player"})
# Namespaces that make feedparser take an Atom document for RSS 1.0 or 0.90 when declared first.
RSS1 = (b"http://purl.org/rss/1.0/", b"http://my.netscape.com/rdf/simple/0.9/")

_XML10 = re.compile(rb"^<\?xml\s+version\s*=\s*[\"']1\.0[\"']")
_UTF8_PROLOG = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.I)
_DECLARATION = re.compile(rb"<!(?:doctype|entity)", re.I)
_BASE = re.compile(rb"[\s:]base\s*=", re.I)
_XMLNS = re.compile(rb"xmlns:([\w.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_LINK_REF = re.compile("&([A-Za-z0-9_]+);")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_local = threading.local()


class Decline(Exception):
    """The document holds something the fast path does not read exactly as feedparser does."""


def entries(data: bytes) -> list[Entry] | None:
    """The document's entries as feedparser would give them, or None when feedparser must parse it."""
    if not _plain_document(data):
        return None
    try:
        root = etree.fromstring(data, _parser())
        return _entries(root, data)
    except (etree.LxmlError, Decline, ValueError, TypeError, LookupError, RecursionError):
        return None  # feedparser decides, and reports what is wrong


def _parser() -> etree.XMLParser:
    """This thread's parser (lxml parsers are not shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=True,
            remove_pis=True, collect_ids=False)
    return parser


def _plain_document(data: bytes) -> bool:
    """XML 1.0 in UTF-8 (declared or not), no DOCTYPE or entity declarations, no xml:base, namespaces bound
    plainly."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    if body.startswith(b"<?xml") and not _XML10.match(body):
        return False  # XML 1.1 (libxml2 reads it, Python's expat does not)
    prolog = _UTF8_PROLOG.match(body)
    if prolog and prolog.group(1).lower() != b"utf-8":
        return False
    if not body.startswith((b"<", b"\n", b"\r", b" ", b"\t")) or _DECLARATION.search(body) or _BASE.search(body):
        return False
    return _plain_bindings(body)


def _plain_bindings(data: bytes) -> bool:
    """Each prefix bound to one namespace and each unknown namespace to one prefix; a known namespace under
    a prefix other than feedparser's own would be renamed by it (dc: bound to the content module, say)."""
    prefixes: dict[bytes, set[bytes]] = {}
    uris: dict[bytes, set[bytes]] = {}
    for prefix, double, single in _XMLNS.findall(data):
        uri = double or single
        prefixes.setdefault(prefix, set()).add(uri)
        uris.setdefault(uri.lower(), set()).add(prefix)
    if any(len(bound) > 1 for bound in prefixes.values()):
        return False
    for uri, bound in uris.items():
        known = KNOWN.get(uri.decode("utf-8", "replace"))
        if known is None and len(bound) > 1:
            return False
        if known and any(p.decode() != known for p in bound):
            return False
    return True


def _entries(root: Any, data: bytes) -> list[Entry]:
    """Every entry, read from an RSS 2.0 channel or an Atom feed."""
    if root.tag == f"{ATOM}feed":
        if any(uri in data for uri in RSS1):
            raise Decline("an RSS 1.0 namespace in an Atom document")
        items, readers, fields = [el for el in root if el.tag == f"{ATOM}entry"], ATOM_READERS, ATOM_FIELDS
    elif root.tag == "rss":
        channels = [el for el in root if el.tag == "channel"]
        if len(channels) != 1:
            raise Decline("not one channel")
        items, readers, fields = [el for el in channels[0] if el.tag == "item"], RSS_READERS, RSS_FIELDS
    else:
        raise Decline("neither RSS 2.0 nor Atom 1.0")
    if not items or _entry_count(root) != len(items):
        raise Decline("no entries, or entries outside the channel")
    return [_read(item, readers, fields) for item in items]


def _entry_count(root: Any) -> int:
    """How many elements feedparser would start an entry for, wherever they are."""
    count = 0
    for el in root.iter():  # comments and processing instructions were removed while parsing
        if not isinstance(el.tag, str):
            raise Decline("an entity reference")
        if el.tag.lower().endswith(("item", "entry")) and _name(el) in ("item", "entry"):
            count += 1
    return count


def _read(item: Any, readers: dict[str, Reader], fields: dict[str, str]) -> Entry:
    """One <item> or <entry>: each child's reader in document order (as feedparser's callbacks run); the
    other children must be harmless."""
    _attributes(item, set())
    entry, seen = FeedParserDict(), set()
    for child in item:
        name = _name(child)
        if name in readers:
            field = fields[name]
            if field in seen:
                raise Decline(f"repeated {field}")
            if field:
                seen.add(field)
            readers[name](child, entry)
        else:
            _harmless(child)
    return entry


def _name(el: Any) -> str:
    """The name feedparser gives an element: its namespace's usual prefix, an underscore, the local name."""
    tag = el.tag
    if not isinstance(tag, str):
        raise Decline("an entity reference")
    if tag[0] != "{":
        return tag.lower()
    uri, local = tag[1:].split("}", 1)
    lower = uri.lower()
    prefix = "" if "backend.userland.com/rss" in lower else KNOWN.get(lower)
    if prefix is None:
        if not el.prefix:
            raise Decline("an element in an unknown default namespace")
        prefix = el.prefix.lower()
    return f"{prefix}_{local.lower()}" if prefix else local.lower()


def _harmless(el: Any) -> None:
    """Refuse an element (or a descendant) that feedparser would read into KEYS."""
    name = _name(el)
    if name not in HARMLESS and (_handled(name) or _collides(name)):
        raise Decline(f"element {name}")
    for child in el:
        _harmless(child)


@lru_cache(maxsize=512)
def _handled(name: str) -> bool:
    """Whether feedparser has a handler of its own for the element."""
    return hasattr(_FeedParserMixin, f"_start_{name}") or hasattr(_FeedParserMixin, f"_end_{name}")


@lru_cache(maxsize=512)
def _collides(name: str) -> bool:
    """Whether feedparser would store an unhandled element under one of KEYS."""
    alias = FeedParserDict.keymap.get(name, name)
    return name in KEYS or bool(KEYS & set(alias if isinstance(alias, list) else [alias]))


def _attributes(el: Any, allowed: set[str]) -> dict[str, str]:
    """Attributes by lowercase local name (as feedparser keys them); any outside `allowed` (and xml:lang) declines."""
    found: dict[str, str] = {}
    for key, value in el.attrib.items():
        if key == XML_LANG:
            continue
        name = key.rsplit("}", 1)[-1].lower()
        if name not in allowed or name in found:
            raise Decline(f"attribute {key}")
        found[name] = value
    return found


def _text(el: Any) -> str:
    """The text of an element without children."""
    if len(el):
        raise Decline("markup inside a text element")
    return el.text or ""


def _repair(out: str) -> str:
    """feedparser's last steps for every text value: UTF-8 read as Latin-1 is decoded again, and C1
    controls become the windows-1252 characters they stand for."""
    if out.isascii():
        return out
    try:
        out = out.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return out.translate(_cp1252)


def _plain(el: Any) -> str:
    """A plain text value (dates, RSS authors, ids that are not links)."""
    return _repair(_text(el).strip())


def _uri(el: Any) -> str:
    """A value feedparser resolves as a URI (links, ids that are links): against an empty base."""
    out = _text(el).strip()
    return _repair(_urljoin("", out) if out else out)


def _markup(el: Any, ctype: str, guess: bool) -> str:
    """A text construct: sanitised by feedparser's own sanitiser when it is HTML that carries markup."""
    out = _text(el).strip()
    if guess and ctype == "text/plain" and _FeedParserMixin.looks_like_html(out):
        ctype = "text/html"  # RSS titles: feedparser guesses
    if ctype == "text/html":
        if "<" in out or "&" in out:
            out = _sanitize_html(resolve_relative_uris(out, "", "utf-8", ctype), "utf-8", ctype)
        else:
            out = out.replace("\r\n", "\n")  # all the sanitiser does to text without markup
    return _repair(out)


def _atom_type(el: Any) -> str:
    """The content type of an Atom text construct: text or html (xhtml and other types decline)."""
    declared = _attributes(el, {"type"}).get("type", "text").lower()
    ctype = {"text": "text/plain", "html": "text/html"}.get(declared, declared)
    if ctype not in ("text/plain", "text/html"):
        raise Decline(f"content type {declared}")
    return ctype


def _dated(key: str) -> Reader:
    """A reader of a date element into `key` and `key`_parsed (feedparser's date parser)."""

    def read(el: Any, entry: Entry) -> None:
        _attributes(el, set())
        entry[key] = value = _plain(el)
        entry[f"{key}_parsed"] = _parse_date(value)

    return read


def _rss_title(el: Any, entry: Entry) -> None:
    """<title>: plain text unless it looks like HTML."""
    _attributes(el, set())
    entry["title"] = _markup(el, "text/plain", guess=True)


def _rss_link(el: Any, entry: Entry) -> None:
    """<link>: feedparser also undoes '&b;' that broken feeds write for '&b' in query strings."""
    _attributes(el, set())
    entry["link"] = _LINK_REF.sub(r"&\g<1>", _uri(el).replace("&amp;", "&"))


def _rss_guid(el: Any, entry: Entry) -> None:
    """<guid>: a permalink (the default) is resolved and stands for the link when none came first."""
    permalink = _attributes(el, {"ispermalink"}).get("ispermalink", "true") == "true"
    entry["id"] = value = _uri(el) if permalink else _plain(el)
    if permalink:
        entry.setdefault("link", value)


def _rss_description(el: Any, entry: Entry) -> None:
    """<description>: HTML."""
    _attributes(el, set())
    entry["summary"] = _markup(el, "text/html", guess=False)


def _content(el: Any, entry: Entry, ctype: str) -> None:
    """Content (content:encoded, Atom <content>): appended, and the summary when there is none."""
    value = _markup(el, ctype, guess=False)
    entry.setdefault("content", []).append(FeedParserDict(type=ctype, language=None, base="", value=value))
    entry.setdefault("summary", value)


def _rss_content(el: Any, entry: Entry) -> None:
    """<content:encoded>: HTML."""
    _attributes(el, set())
    _content(el, entry, "text/html")


def _rss_author(el: Any, entry: Entry) -> None:
    """<author>, <dc:creator>: the text as it is."""
    _attributes(el, set())
    entry["author"] = _plain(el)


def _atom_title(el: Any, entry: Entry) -> None:
    """<title type="text|html">."""
    entry["title"] = _markup(el, _atom_type(el), guess=False)


def _atom_summary(el: Any, entry: Entry) -> None:
    """<summary type="text|html">."""
    entry["summary"] = _markup(el, _atom_type(el), guess=False)


def _atom_link(el: Any, entry: Entry) -> None:
    """<link href rel type>: the last alternate HTML link is the entry's link (attributes are not repaired)."""
    attrs = _attributes(el, {"href", "rel", "type", "hreflang", "title", "length"})
    if len(el) or "href" not in attrs:
        raise Decline("a link without href")
    rel = attrs.get("rel", "alternate").lower()
    ctype = _FeedParserMixin.map_content_type(attrs.get("type", "application/atom+xml" if rel == "self"
                                                        else "text/html"))
    if rel == "alternate" and ctype in _HTML_TYPES:
        entry["link"] = _urljoin("", attrs["href"])


def _atom_id(el: Any, entry: Entry) -> None:
    """<id>: resolved, and the link when no alternate link came first."""
    _attributes(el, set())
    entry["id"] = value = _uri(el)
    entry.setdefault("link", value)


def _atom_author(el: Any, entry: Entry) -> None:
    """<author><name/><email/><uri/></author>: 'name (email)', the name or the email, stripped only."""
    _attributes(el, set())
    parts: dict[str, str] = {}
    if (el.text or "").strip() or any((child.tail or "").strip() for child in el):
        raise Decline("text in an Atom author")
    for child in el:
        name = _name(child)
        if name not in ("name", "email", "uri") or name in parts:
            raise Decline(f"author part {name}")
        parts[name] = _text(child).strip()
    name, email = parts.get("name", ""), parts.get("email", "")
    entry["author"] = f"{name} ({email})" if name and email else name or email


def _atom_content(el: Any, entry: Entry) -> None:
    """<content type="text|html"> without src."""
    _content(el, entry, _atom_type(el))


RSS_READERS: dict[str, Reader] = {
    "title": _rss_title, "link": _rss_link, "guid": _rss_guid, "description": _rss_description,
    "content_encoded": _rss_content,
    "pubdate": _dated("published"), "dc_date": _dated("updated"), "author": _rss_author, "dc_creator": _rss_author}
RSS_FIELDS = {"title": "title", "link": "link", "guid": "id", "description": "summary", "content_encoded": "content",
              "pubdate": "published", "dc_date": "updated", "author": "author", "dc_creator": "author"}
ATOM_READERS: dict[str, Reader] = {
    "title": _atom_title, "link": _atom_link, "id": _atom_id, "summary": _atom_summary, "content": _atom_content,
    "published": _dated("published"), "updated": _dated("updated"), "author": _atom_author}
# Atom links repeat (alternate, self, enclosure...): each is read, the last alternate wins, as in feedparser.
ATOM_FIELDS = {name: name for name in ATOM_READERS} | {"link": ""}
