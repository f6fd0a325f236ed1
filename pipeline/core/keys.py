"""The key behind social authors' pseudonyms: configured, or random per database and kept beside it."""

from __future__ import annotations

import os
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.core.errors import ConfigError


def key_path(db: Path) -> Path:
    """Where a database's pseudonym key lives: beside it, named after it."""
    return db.with_name(db.name + ".pseudonym-key")


def pseudonym_key(settings: Settings) -> str:
    """The configured pseudonym key, else the database's own random key (created, mode 0600, on first use)."""
    if settings.pseudonym_secret is not None:  # checked when the settings were made
        return settings.pseudonym_secret
    return _key_file(key_path(settings.db).absolute())


@lru_cache(maxsize=16)
def _key_file(path: Path) -> str:
    """The key in `path`, created atomically (readable by the owner only) when there is none yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mkstemp makes it 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, path)  # fails if another process made the key first: then theirs is read
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pseudonym key ({exc.strerror or exc}); "
                          "check its permissions") from exc
    if len(key) < 32:
        raise ConfigError(f"{path}: the pseudonym key is too short; restore it from a backup (a new key "
                          "gives the same authors new pseudonyms)")
    return key
