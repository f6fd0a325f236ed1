"""Evidence highlighting from offsets, and links that are safe to render: plain data for templates,
which escape every piece (no raw HTML from a feed is ever put on a page)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

Segment = tuple[str, str | None]


def safe_url(url: Any) -> str | None:
    """The URL when it is an absolute http(s) address, else None (javascript:, data:, relative...)."""
    if not isinstance(url, str) or any(ch in url for ch in "\x00\n\r\t"):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def spans_of(raw: Any) -> list[dict[str, Any]]:
    """Evidence spans from a JSON column (a list of {start, end, text, label, field}), or []."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return []
    return [s for s in data or [] if isinstance(s, dict)]


def _locate(text: str, span: dict[str, Any]) -> tuple[int, int] | None:
    """Offsets of a span in the text: as given when they match its text, else its first occurrence."""
    try:
        start, end = int(span.get("start", -1)), int(span.get("end", -1))
    except (TypeError, ValueError):
        start, end = -1, -1
    quoted = str(span.get("text") or "")
    if 0 <= start < end <= len(text) and (not quoted or text[start:end] == quoted):
        return start, end
    found = text.find(quoted) if quoted else -1
    return (found, found + len(quoted)) if found >= 0 else None


def segments(text: str, spans: Sequence[dict[str, Any]], field: str = "text") -> list[Segment]:
    """The text cut into (piece, label or None) with overlapping spans of this field merged."""
    ranges: list[tuple[int, int, str]] = []
    for span in spans:
        if str(span.get("field") or "text") != field:
            continue
        where = _locate(text, span)
        if where:
            ranges.append((where[0], where[1], str(span.get("label") or "evidence")))
    ranges.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, label in ranges:
        if merged and start <= merged[-1][1]:
            first, stop, labels = merged[-1]
            merged[-1] = (first, max(stop, end), labels if label in labels.split(", ") else f"{labels}, {label}")
        else:
            merged.append((start, end, label))
    out: list[Segment] = []
    pos = 0
    for start, end, label in merged:
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], label))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out
