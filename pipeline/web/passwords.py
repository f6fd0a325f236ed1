"""The password policy: long enough, varied enough, not a common password and not the user name."""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

from pipeline.core.errors import ConfigError

MIN_LENGTH = 12
MIN_DISTINCT = 5
# Long enough to stay far below any real passphrase, short enough that hashing it stays cheap.
MAX_LENGTH = 1024
_DECORATION = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case)."""
    text = resources.files("pipeline.web").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#")


def _is_common(password: str, name: str) -> bool:
    """True for a common password or the user name: as is, with digits and punctuation around or between
    ("Password123!", "dee-2026-dee"), or repeated ("passwordpassword")."""
    folded = password.casefold()
    core = "".join(ch for ch in folded if ch not in _DECORATION)
    words = common_passwords() | {name.casefold()}
    if not core or {folded, folded.strip(_DECORATION), core} & words:
        return True
    for size in range(1, len(core) // 2 + 1):  # one chunk repeated: "abcabcabcabc", "deedee"
        if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return True
    return False


def check_password(password: str, name: str) -> str:
    """The password, when the policy accepts it for the account `name`; a ConfigError saying why otherwise."""
    if len(password) < MIN_LENGTH:
        raise ConfigError(f"the password must have at least {MIN_LENGTH} characters (it has {len(password)}); "
                          "a few unrelated words make a good one")
    if len(password) > MAX_LENGTH:
        raise ConfigError(f"the password must have at most {MAX_LENGTH} characters (it has {len(password)})")
    if len(set(password)) < MIN_DISTINCT:
        raise ConfigError(f"the password must use at least {MIN_DISTINCT} different characters")
    if _is_common(password, name):
        raise ConfigError("the password is too common or too close to the user name; choose one that is hard "
                          "to guess, e.g. a few unrelated words")
    return password
