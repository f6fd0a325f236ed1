"""The bundled sample corpus served over a loopback HTTP server, so the demo runs the real fetch path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.core.errors import XenowatchError
from pipeline.core.loopback import LoopbackServer, QuietHandler, running

SAMPLE = "pipeline.sample"
# A fixed port keeps the sample's URLs, and so its article ids, the same from one demo to the next.
DEFAULT_PORT = 8765


@lru_cache(maxsize=1)
def sample_items() -> tuple[dict[str, Any], ...]:
    """Every item of the bundled corpus (items_*.jsonl), in file order."""
    items: list[dict[str, Any]] = []
    for entry in sorted(resources.files(SAMPLE).iterdir(), key=lambda e: e.name):
        if entry.name.startswith("items_") and entry.name.endswith(".jsonl"):
            items += [json.loads(line) for line in entry.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(items)


def sources_text() -> str:
    """The sample sources file, with {base} placeholders."""
    return resources.files(SAMPLE).joinpath("sources.yaml").read_text(encoding="utf-8")


def _feed_kinds() -> dict[str, str]:
    """Outlet id -> feed kind, from the sample sources."""
    data = yaml.safe_load(sources_text())
    return {o["id"]: o["feeds"][0]["kind"] for o in data["outlets"]}


def _date(item: dict[str, Any]) -> datetime:
    """An item's publication time."""
    return datetime.fromisoformat(item["published"].replace("Z", "+00:00"))


def _first_paragraph(text: str) -> str:
    """The lead paragraph, as a feed summary."""
    return text.split("\n\n", 1)[0]


def rss(outlet: str, base: str, items: list[dict[str, Any]], social: bool) -> str:
    """An RSS 2.0 document for one outlet (posts carry their whole text and author)."""
    entries = []
    for it in items:
        link = f"{base}/{outlet}/{it['id']}.html"
        body = it["text"] if social else _first_paragraph(it["text"])
        author = f"<author>{escape(it['author'])}</author>" if social else ""
        entries.append(f"<item><title>{escape(it['title'])}</title><link>{link}</link>"
                       f"<guid isPermaLink=\"false\">{it['id']}</guid><pubDate>{format_datetime(_date(it))}</pubDate>"
                       f"{author}<description>{escape(body)}</description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(outlet)}</title><link>{base}/{outlet}/</link>"
            f"<description>Sample feed</description>{''.join(entries)}</channel></rss>")


def atom(outlet: str, base: str, items: list[dict[str, Any]]) -> str:
    """An Atom document for one outlet."""
    entries = "".join(
        f"<entry><title>{escape(it['title'])}</title><link href=\"{base}/{outlet}/{it['id']}.html\"/>"
        f"<id>urn:xenowatch:{it['id']}</id><updated>{_date(it).isoformat()}</updated>"
        f"<author><name>{escape(it['author'])}</name></author>"
        f"<summary>{escape(_first_paragraph(it['text']))}</summary></entry>" for it in items)
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(outlet)}</title><id>urn:xenowatch:{outlet}</id>"
            f"<updated>2026-11-20T00:00:00+00:00</updated>{entries}</feed>")


def page(item: dict[str, Any]) -> str:
    """An article page with site furniture around the text, as trafilatura meets it in the wild."""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in item["text"].split("\n\n"))
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(item['title'])}</title>"
            f"<meta name=\"author\" content=\"{escape(item['author'])}\">"
            f"<meta property=\"article:published_time\" content=\"{item['published']}\"></head><body>"
            "<nav><a href=\"/\">Home</a> | <a href=\"/news\">News</a> | <a href=\"/sport\">Sport</a></nav>"
            f"<article><h1>{escape(item['title'])}</h1><p class=\"byline\">By {escape(item['author'])}</p>"
            f"{paragraphs}</article><aside>Most read: subscribe to our newsletter.</aside>"
            "<footer>© Sample outlet. All rights reserved.</footer></body></html>")


class _Handler(QuietHandler):
    """Serves /feeds/<outlet>.xml and /<outlet>/<id>.html from the sample corpus."""

    server: SampleServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        """Answer one GET."""
        body, ctype = self.server.resolve(self.path)
        self.reply(200 if body is not None else 404, (body or "not found").encode("utf-8"), {"Content-Type": ctype})


class SampleServer(LoopbackServer):
    """A loopback server over the sample items."""

    def __init__(self, port: int = DEFAULT_PORT) -> None:
        super().__init__(_Handler, port=port)
        self.kinds = _feed_kinds()
        self.items = {it["id"]: it for it in sample_items()}

    def resolve(self, path: str) -> tuple[str | None, str]:
        """Body and content type for a path (None when unknown)."""
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) == 2 and parts[0] == "feeds" and parts[1].endswith(".xml"):
            outlet = parts[1][:-4]
            items = [it for it in self.items.values() if it["outlet"] == outlet]
            kind = self.kinds.get(outlet)
            if kind == "atom":
                return atom(outlet, self.base, items), "application/atom+xml; charset=utf-8"
            if kind is None:
                return None, "text/plain"
            return rss(outlet, self.base, items, kind == "social"), "application/rss+xml; charset=utf-8"
        if len(parts) == 2 and parts[1].endswith(".html") and parts[1][:-5] in self.items:
            return page(self.items[parts[1][:-5]]), "text/html; charset=utf-8"
        return None, "text/plain"


@contextmanager
def serve_sample(port: int = DEFAULT_PORT) -> Iterator[SampleServer]:
    """Run the sample server in a background thread for the duration of a block."""
    try:
        server = SampleServer(port)
    except OSError as exc:
        raise XenowatchError(f"cannot serve the sample on 127.0.0.1:{port} ({exc.strerror}); "
                             "stop what uses that port or set XENOWATCH_DEMO_PORT") from exc
    with running(server):
        yield server


def write_sources(base: str, path: Path) -> Path:
    """The sample sources file with the server's address filled in."""
    path.write_text(sources_text().replace("{base}", base), encoding="utf-8")
    return path
