"""Loading skops files with an allow-list of types: never an unpickle of what a user hands us."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.errors import ModelError


def load_allowed(head_file: Path, allowed: frozenset[str] | set[str], hint: str) -> Any:
    """The object in a skops file, refusing an unreadable file or any type outside `allowed`."""
    import skops.io as sio

    try:
        untrusted = set(sio.get_untrusted_types(file=head_file))
    except Exception as exc:  # skops raises zipfile, JSON and key errors on a damaged file
        raise ModelError(f"{head_file} is not a readable skops file ({exc}); {hint}") from exc
    unsafe = untrusted - set(allowed)
    if unsafe:
        raise ModelError(f"{head_file} contains types that are not allowed: {', '.join(sorted(unsafe))}")
    return sio.load(head_file, trusted=sorted(untrusted))
