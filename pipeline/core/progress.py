"""Progress bars on stderr for long work, silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A bar for `total` units; yields a function that advances it."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   transient=True, disable=not sys.stderr.isatty(), console=Console(stderr=True))
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
