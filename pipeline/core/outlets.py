"""The records of the sources registry: media outlets and their feeds."""

from __future__ import annotations

import re
from dataclasses import dataclass

MEDIA_TYPES = ("newspaper", "broadcaster", "online", "magazine", "agency", "social", "other")
FEED_KINDS = ("rss", "atom", "reddit", "social", "jsonfeed", "mastodon", "bluesky", "export")
# Kinds whose items are social posts: monitored and shown in trends, never ranked nor published as outlets.
SOCIAL_KINDS = ("reddit", "social", "mastodon", "bluesky", "export")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Outlet:
    """A media outlet (or a social account or hashtag treated as one)."""

    id: str
    name: str
    country: str | None = None
    language: str | None = None
    media_type: str | None = "other"
    owner: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed of one outlet."""

    url: str
    outlet_id: str
    kind: str = "rss"
    etag: str | None = None
    last_modified: str | None = None


def slugify(name: str) -> str:
    """A lowercase id from a name."""
    return _SLUG.sub("-", name.lower()).strip("-") or "outlet"
