"""The severity guideline (models/SEVERITY.md) as plain blocks for the item page: headings, paragraphs and
tables of text pieces, which the template escapes (no HTML from the file ever reaches a page)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

# Read as package data, not imported: the workbench never imports the models package's code.
GUIDE_PACKAGE, GUIDE_FILE = "models", "SEVERITY.md"
Piece = tuple[str, bool]  # (text, shown as code)


@lru_cache(maxsize=1)
def severity_guideline() -> list[dict[str, Any]]:
    """The guideline's blocks; [] when the file is not installed."""
    try:
        text = resources.files(GUIDE_PACKAGE).joinpath(GUIDE_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return []
    return parse_blocks(text)


def parse_blocks(markdown: str) -> list[dict[str, Any]]:
    """Headings ('#'), tables ('|' rows, the separator row dropped) and paragraphs (other runs of lines)."""
    blocks: list[dict[str, Any]] = []
    for chunk in _chunks(markdown.splitlines()):
        if chunk[0].startswith("#"):
            blocks.append({"kind": "heading", "pieces": inline(chunk[0].lstrip("#").strip())})
        elif chunk[0].startswith("|"):
            rows = [_cells(line) for line in chunk if not set(line.replace("|", "").strip()) <= set("-: ")]
            blocks.append({"kind": "table", "head": rows[0], "rows": rows[1:]})
        else:
            blocks.append({"kind": "paragraph", "pieces": inline(" ".join(line.strip() for line in chunk))})
    return blocks


def _chunks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines; a heading is a run of its own."""
    chunks: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("#"):
            chunks += [[line], []]
        elif line.strip():
            chunks[-1].append(line)
        else:
            chunks.append([])
    return [chunk for chunk in chunks if chunk]


def _cells(line: str) -> list[list[Piece]]:
    """A table row's cells, each as inline pieces."""
    return [inline(cell.strip()) for cell in line.strip().strip("|").split("|")]


def inline(text: str) -> list[Piece]:
    """Text cut at backticks into (piece, is code)."""
    return [(part, i % 2 == 1) for i, part in enumerate(text.split("`")) if part]
