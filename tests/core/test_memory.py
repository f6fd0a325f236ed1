"""Freed heap pages go back to the operating system between classify batches (glibc, the Linux this runs on)."""

from __future__ import annotations

import os

from pipeline.core.memory import _trim, release_freed


def rss_mb() -> float:
    """This process's resident set, MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_release_freed_returns_freed_small_blocks_to_the_os() -> None:
    assert _trim() is not None
    held = [bytes(1000) for _ in range(200_000)]  # 200 MB of small blocks on the heap, not mmap'ed
    keep = held[::1000]  # a few survivors in the middle keep glibc from shrinking the heap's top alone
    del held
    before = rss_mb()
    release_freed()
    assert rss_mb() < before - 100, "malloc_trim gave back less than half of the freed blocks"
    assert len(keep) == 200
