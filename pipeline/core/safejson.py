"""JSON from untrusted files and feeds: nesting depth bounded before parsing, huge numbers kept apart.

Python's parser recurses once per nesting level, so a document of 100,000 brackets raises
RecursionError (and deeper structures are expensive to walk). Depth is measured first, cheaply:
strings are removed by one regular expression, the brackets that remain are counted.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 256
MAX_INT_DIGITS = 64
TOO_DEEP = "\x00xenowatch:too-deep"  # what prune_deep puts in place of a subtree
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_STRING_B = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [1 if b in b"[{" else -1 for b in range(256)]


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than allowed."""


class HugeNumber(str):
    """An integer with more digits than any field needs, kept as its text (never converted)."""


def nesting_depth(data: bytes | str) -> int:
    """How deeply the JSON in `data` nests arrays and objects (brackets inside strings do not count)."""
    if isinstance(data, str):
        brackets = re.sub(r"[^\[\]{}]+", "", _STRING.sub("", data)).encode("ascii")
    else:
        brackets = _STRING_B.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads with the depth checked first (JsonTooDeep) and long integers kept as HugeNumber."""
    depth = nesting_depth(data)
    if depth > max_depth:
        raise JsonTooDeep(f"nested {depth} levels deep, over the limit of {max_depth}")
    try:
        return json.loads(data, parse_int=_int)
    except RecursionError as exc:  # a bracket form the depth scan missed: still a clear error
        raise JsonTooDeep(f"nested too deeply to parse (over {max_depth} levels)") from exc


def loads_pruned(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads of a document whose too-deep subtrees became TOO_DEEP (see hazard), long integers HugeNumber."""
    try:
        return json.loads(prune_deep(text, max_depth), parse_int=_int)
    except RecursionError as exc:
        raise JsonTooDeep(f"nested too deeply to parse (over {max_depth} levels)") from exc


def _int(text: str) -> int | HugeNumber:
    """An integer, or its text when it is too long to be a real value."""
    return HugeNumber(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def prune_deep(text: str, max_depth: int = MAX_DEPTH) -> str:
    """The document with every array or object deeper than max_depth replaced by the string TOO_DEEP."""
    if nesting_depth(text) <= max_depth:
        return text
    out: list[str] = []
    depth, kept_to, cut_at = 0, 0, -1
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if depth == max_depth + 1:
                cut_at = match.start()
            continue
        if depth == max_depth + 1 and cut_at >= 0:
            out += [text[kept_to:cut_at], json.dumps(TOO_DEEP)]
            kept_to, cut_at = match.end(), -1
        depth -= 1
    out.append(text[kept_to:] if cut_at < 0 else text[kept_to:cut_at])
    return "".join(out)


def hazard(value: Any, limit: int = 64) -> str | None:
    """Why a parsed (pruned) value is unusable: a subtree too deep, or a huge integer; None when fine."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, HugeNumber):
            return f"a number with {len(item.lstrip('-'))} digits is out of range"
        if item == TOO_DEEP:
            return f"nested deeper than {limit} levels"
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    return None
