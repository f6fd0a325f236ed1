"""The sources registry: outlets and their feeds, imported from OPML, CSV or YAML."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

from pipeline.core.errors import InputError
from pipeline.core.outlets import FEED_KINDS, MEDIA_TYPES, Feed, Outlet, slugify


def load_sources(path: Path, base_url: str | None = None) -> tuple[list[Outlet], list[Feed]]:
    """Read and validate a sources file; any bad row refuses the whole file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read sources file {path}: {exc}") from exc
    if base_url:
        text = text.replace("{base}", base_url.rstrip("/"))
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        rows = _yaml_rows(text, path)
    elif suffix == ".csv":
        rows = _csv_rows(text)
    elif suffix in (".opml", ".xml"):
        rows = _opml_rows(text, path)
    else:
        raise InputError(f"{path}: unknown sources format {suffix!r}; must be one of: .opml, .csv, .yaml")
    return _validate(rows, path)


def _yaml_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Outlets from YAML: a list (or `outlets:` list) of mappings with a `feeds` list."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML: {exc}") from exc
    items = data.get("outlets") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError(f"{path}: expected a list of outlets (or a mapping with 'outlets:')")
    lines = _yaml_item_lines(text)
    return [(lines[i] if i < len(lines) else i + 1, item) for i, item in enumerate(items)]


def _yaml_item_lines(text: str) -> list[int]:
    """Line numbers of top-level list items, for error messages."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"^\s{0,2}- ", line)]


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    """One feed per CSV row; columns name, feed_url and optional outlet fields."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    for row in reader:
        feed = (row.get("feed_url") or "").strip()
        item: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k and k != "feed_url"}
        item["feeds"] = [{"url": feed, "kind": item.pop("kind", "") or "rss"}] if feed else []
        rows.append((reader.line_num, item))
    return rows


def _opml_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    """One outlet per OPML outline with an xmlUrl."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise InputError(f"{path}: invalid OPML: {exc}") from exc
    rows = []
    for n, node in enumerate(root.iter("outline"), 1):
        url = node.get("xmlUrl")
        if url:
            rows.append((n, {"name": node.get("title") or node.get("text") or "",
                             "website": node.get("htmlUrl"), "language": node.get("language"),
                             "country": node.get("country"), "media_type": node.get("mediaType"),
                             "feeds": [{"url": url, "kind": node.get("type") or "rss"}]}))
    return rows


def _validate(rows: list[tuple[int, dict[str, Any]]], path: Path) -> tuple[list[Outlet], list[Feed]]:
    """Turn raw rows into outlets and feeds, or refuse the file naming the first bad row."""
    outlets: dict[str, Outlet] = {}
    feeds: list[Feed] = []
    for line, row in rows:
        outlet = _outlet(row, path, line)
        outlets[outlet.id] = outlet
        listed = row.get("feeds") or []
        if not isinstance(listed, list):
            raise InputError(f"{path}:{line}: 'feeds' must be a list of URLs or of {{url, kind}} mappings")
        for feed in listed:
            feeds.append(_feed(feed, outlet.id, path, line))
    if not outlets:
        raise InputError(f"{path}: no outlets found; see README 'Sources' for the expected columns")
    return list(outlets.values()), feeds


def _outlet(row: dict[str, Any], path: Path, line: int) -> Outlet:
    """One validated outlet."""
    if not isinstance(row, dict) or not str(row.get("name") or "").strip():
        raise InputError(f"{path}:{line}: outlet without a name; every outlet needs 'name'")
    media_type = str(row.get("media_type") or "other").strip().lower()
    if media_type not in MEDIA_TYPES:
        raise InputError(f"{path}:{line}: media_type {media_type!r} is invalid; "
                         f"must be one of: {', '.join(MEDIA_TYPES)}")
    name = str(row["name"]).strip()
    return Outlet(id=str(row.get("id") or slugify(name)), name=name,
                  country=_opt(row.get("country")), language=_opt(row.get("language")),
                  media_type=media_type, owner=_opt(row.get("owner")), website=_opt(row.get("website")))


def _feed(feed: Any, outlet_id: str, path: Path, line: int) -> Feed:
    """One validated feed."""
    url = str(feed.get("url") if isinstance(feed, dict) else feed or "").strip()
    kind = str(feed.get("kind") or "rss").lower() if isinstance(feed, dict) else "rss"
    if not re.match(r"^(https?://|file:)", url):
        raise InputError(f"{path}:{line}: feed URL {url!r} must start with http://, https:// or file:")
    if kind not in FEED_KINDS:
        raise InputError(f"{path}:{line}: feed kind {kind!r} is invalid; must be one of: {', '.join(FEED_KINDS)}")
    return Feed(url=url, outlet_id=outlet_id, kind=kind)


def _opt(value: Any) -> str | None:
    """A stripped string, or None for empty values."""
    text = str(value).strip() if value is not None else ""
    return text or None
