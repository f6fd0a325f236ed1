"""Line-by-line JSONL processing for `classify` and `score`: a bad line never stops the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from pipeline.core.errors import InputError
from pipeline.core.record import Article
from pipeline.core.serialize import article_from_line

MAX_TEXT_CHARS = 1_000_000
HEAD_BYTES = 64 * 1024  # how much of a file check_head() looks at
Process = Callable[[list[Article]], list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Line:
    """One input line: its record, or why it cannot be used."""

    number: int
    data: dict[str, Any] | None
    error: str | None


def read_lines(stream: Iterable[bytes], name: str) -> Iterator[Line]:
    """Parse each line on its own; invalid UTF-8, JSON or fields become per-line errors."""
    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield Line(number, None, f"{name}:{number}: invalid UTF-8 at byte {exc.start}; re-encode the file as UTF-8")
            continue
        except json.JSONDecodeError as exc:
            yield Line(number, None, f"{name}:{number}: invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        yield Line(number, data, _field_error(data, name, number))


def check_head(head: bytes, whole: bool, name: str) -> None:
    """Refuse a file that is not JSON Lines at all, judged by its first bytes (`whole`: they are the
    entire file): binary data, or not one complete line in them that is a UTF-8 JSON object. A file
    with some bad lines passes: those lines get their own error lines."""
    if b"\0" in head:
        raise InputError(f"{name}: a binary file (NUL bytes in its first {len(head)} bytes), not JSON Lines; "
                         "give a UTF-8 text file with one JSON object per line")
    checked = list(read_lines((head if whole else head[:head.rfind(b"\n") + 1]).splitlines(), name))
    if not checked or any(isinstance(line.data, dict) for line in checked):
        return  # empty, a first line longer than the head (judged line by line), or JSON Lines
    raise InputError(f"{name}: not JSON Lines: no line of the first {len(checked)} is a UTF-8 JSON object "
                     f"({checked[0].error}); give one JSON object per line, with a 'text' field")


def _field_error(data: Any, name: str, number: int) -> str | None:
    """Why a parsed line cannot be scored, or None."""
    if not isinstance(data, dict):
        return f"{name}:{number}: expected a JSON object with a 'text' field, got {type(data).__name__}"
    if "text" not in data:
        return f"{name}:{number}: missing 'text' field; every line needs the text to score"
    if not isinstance(data["text"], str):
        return f"{name}:{number}: 'text' must be a string, got {type(data['text']).__name__}"
    if len(data["text"]) > MAX_TEXT_CHARS:
        return f"{name}:{number}: 'text' is longer than {MAX_TEXT_CHARS} characters; split the document"
    return None


def process(stream: IO[bytes], out: IO[str], name: str, fn: Process, batch_size: int = 256,
            on_batch: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Run fn over batches of good lines; write one output line per input line, in order."""
    ok = failed = 0
    batch: list[Line] = []
    for line in read_lines(stream, name):
        batch.append(line)
        if len(batch) >= batch_size:
            ok, failed = _flush(batch, out, fn, ok, failed, on_batch)
    if batch:
        ok, failed = _flush(batch, out, fn, ok, failed, on_batch)
    return ok, failed


def _flush(batch: list[Line], out: IO[str], fn: Process, ok: int, failed: int,
           on_batch: Callable[[int], None] | None) -> tuple[int, int]:
    """Process one batch and write its lines; empties the batch."""
    good = [line for line in batch if line.error is None]
    results = iter(fn([article_from_line(line.data or {}, line.number) for line in good]) if good else [])
    for line in batch:
        if line.error is None:
            out.write(json.dumps({**(line.data or {}), **next(results)}, ensure_ascii=False, default=str) + "\n")
            ok += 1
        else:
            out.write(json.dumps(_error_line(line), ensure_ascii=False) + "\n")
            failed += 1
    if on_batch:
        on_batch(len(batch))
    batch.clear()
    return ok, failed


def _error_line(line: Line) -> dict[str, Any]:
    """The output line for an unusable input line: the input (when it parsed) plus the error."""
    base = dict(line.data) if isinstance(line.data, dict) else {}
    return {**base, "line": line.number, "error": line.error}
