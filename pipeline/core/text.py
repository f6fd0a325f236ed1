"""Small text utilities shared by the stages: sentence spans, normalisation."""

from __future__ import annotations

import re
import unicodedata

_SENTENCE_END = re.compile(r"(?<=[.!?…])((?:\s?[\"»”’)])*)\s+(?=[\"«“‘(¿¡]?\s?[A-ZÀ-ÖØ-Þ0-9@#])|\n{2,}")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (or paragraphs) of a text, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end(1) if match.group(1) is not None else match.start()
        _append_trimmed(text, start, end, spans)
        start = match.end()
    _append_trimmed(text, start, len(text), spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Add [start, end) without surrounding whitespace, if anything is left."""
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right > left:
        spans.append((start + left, start + right))


class _FoldTable(dict[int, str]):
    """Each character's folded form, computed on first sight: str.translate then runs the fold in C."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        base = unicodedata.normalize("NFKD", ch.lower())[:1]
        self[code] = value = base if base else ch
        return value


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lowercase without accents, for lexicon matching (same length as the input)."""
    # One character in, one out, so a table is exact; it was the largest per-article cost of classify.
    return text.translate(_FOLD)
