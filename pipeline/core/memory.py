"""Handing freed heap memory back to the operating system between batches."""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from typing import Any


@cache
def _trim() -> Any | None:
    """glibc's malloc_trim, or None where the C library has none (macOS, musl, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed() -> None:
    """Return the heap's free pages to the OS. A classify batch's tensors and arrays are freed when it ends,
    but glibc keeps the pages, and the next batch's allocations land elsewhere: the peak of a long job was
    the sum of such leftovers (30k articles: 2,334 MiB of RSS, 2,211 with a trim after each batch)."""
    trim = _trim()
    if trim is not None:
        trim(0)
