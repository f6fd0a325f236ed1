"""The categories of an award ranking: their order on a page and their headings."""

from __future__ import annotations

ORDER = ("overall", "country", "media_type", "most_improved")


def sort_key(category: str) -> tuple[int, str]:
    """Overall first, then countries, media types and the most improved (unknown kinds last)."""
    kind = category.split(":", 1)[0]
    return (ORDER.index(kind) if kind in ORDER else len(ORDER), category)


def heading(category: str, year: int | None) -> str:
    """A readable heading: 'Overall', 'Country: ES', 'Media type: radio', 'Most improved (change on 2025)'."""
    if category == "most_improved":
        return f"Most improved (change on {year - 1})" if year else "Most improved"
    kind, _, value = category.partition(":")
    title = kind.replace("_", " ").capitalize()
    return f"{title}: {value}" if value else title
