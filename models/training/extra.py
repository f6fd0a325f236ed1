"""Extra labelled JSONL for `xenowatch train --extra FILE` (e.g. items reviewed in the workbench)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from models.training.datasets import Example
from pipeline.core.errors import InputError

LABELS = {"hatespeech": 1, "normal": 0, "offensive": 0}
SPLITS = ("train", "val", "test")
FIELDS = ("text", "label", "lang", "target", "split", "source_id")
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]+)?$")
SHOWN = 10  # errors listed in the message; the rest are counted


def load_extra(path: Path) -> tuple[list[Example], dict[str, Any]]:
    """Every line of an extra file as an example, and a summary for the model's metadata.
    Any bad line refuses the whole file (training on half a file would be silent data loss)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"--extra {path}: cannot read it ({exc.strerror or exc}); "
                         "give an existing JSONL file") from exc
    examples, errors = [], []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            examples.append(parse_line(line, f"extra:{path.name}"))
        except ValueError as exc:
            errors.append(f"line {n}: {exc}")
    if errors:
        more = f" (and {len(errors) - SHOWN} more)" if len(errors) > SHOWN else ""
        raise InputError(f"--extra {path}: {len(errors)} bad lines, nothing was trained: "
                         + "; ".join(errors[:SHOWN]) + more)
    if not examples:
        raise InputError(f"--extra {path}: no labelled lines; each line needs {', '.join(FIELDS)}")
    return examples, summary(path, raw, examples)


def parse_line(line: bytes, dataset: str) -> Example:
    """One line in the normalized format, or ValueError saying what is wrong with it."""
    try:
        row = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"invalid UTF-8 at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise ValueError(f"a line must be a JSON object, not {type(row).__name__}")
    missing = [f for f in FIELDS if f not in row]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    return Example(_text(row["text"]), _label(row["label"]), _lang(row["lang"]), dataset,
                   _split(row["split"]), _target(row["target"]))


def _text(value: Any) -> str:
    """A non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("text must be a non-empty string")
    return value.strip()


def _label(value: Any) -> int:
    """The binary label of hatespeech / normal / offensive."""
    if value not in LABELS:
        raise ValueError(f"label {value!r} is invalid; must be one of: {', '.join(LABELS)}")
    return LABELS[value]


def _lang(value: Any) -> str:
    """A language code such as en, fr or es."""
    if not isinstance(value, str) or not _LANG.match(value):
        raise ValueError(f"lang {value!r} is invalid; give a language code such as en, fr or es")
    return value.split("-")[0].split("_")[0]


def _split(value: Any) -> str:
    """train, val or test."""
    if value not in SPLITS:
        raise ValueError(f"split {value!r} is invalid; must be one of: {', '.join(SPLITS)}")
    return str(value)


def _target(value: Any) -> str | None:
    """The target group, or null."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"target {value!r} must be a string or null")
    return value or None


def summary(path: Path, raw: bytes, examples: list[Example]) -> dict[str, Any]:
    """What the model's metadata records about an extra file."""
    return {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest(), "examples": len(examples),
            "splits": dict(sorted(Counter(e.split for e in examples).items())),
            "languages": dict(sorted(Counter(e.lang for e in examples).items()))}
