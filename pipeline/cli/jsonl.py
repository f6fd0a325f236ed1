"""The JSONL commands: classify and score, from a file or stdin to a file or stdout."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import IO, Iterator

import typer

from pipeline.cli._util import State, app, echo_err
from pipeline.core.errors import InputError
from pipeline.core.jsonl import Process
from pipeline.core.progress import progress_bar


@contextmanager
def _open_io(src: str, dst: str) -> Iterator[tuple[IO[bytes], IO[str]]]:
    """Input as bytes and output as text; '-' means stdin and stdout."""
    try:
        fin = sys.stdin.buffer if src == "-" else open(src, "rb")
        fout = sys.stdout if dst == "-" else open(dst, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot open {exc.filename}: {exc.strerror}") from exc
    try:
        yield fin, fout
    finally:
        if fin is not sys.stdin.buffer:
            fin.close()
        if fout is not sys.stdout:
            fout.close()


def check_io(src: str, dst: str) -> None:
    """Refuse a missing, unreadable or non-JSONL input and an output folder that does not exist, before
    any model loads (that takes tens of seconds)."""
    from pathlib import Path

    from pipeline.core.jsonl import HEAD_BYTES, check_head

    if dst != "-" and not Path(dst).resolve().parent.is_dir():
        raise InputError(f"--out {dst}: folder {Path(dst).resolve().parent} does not exist; create it first")
    if src == "-":
        return
    path = Path(src)
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise InputError(f"--jsonl {src}: {what}; give a JSONL file (one JSON object per line) or '-' for stdin")
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES + 1)
    except OSError as exc:
        raise InputError(f"--jsonl {src}: cannot read it: {exc.strerror}") from exc
    check_head(head[:HEAD_BYTES], len(head) <= HEAD_BYTES, src)


def _run_jsonl(src: str, dst: str, fn: Process, label: str) -> None:
    """Process a JSONL file line by line and report the counts on stderr."""
    from pipeline.core import jsonl

    with _open_io(src, dst) as (fin, fout), progress_bar(label, None) as tick:
        ok, failed = jsonl.process(fin, fout, "stdin" if src == "-" else src, fn, on_batch=tick)
    echo_err(f"{label}: {ok} lines done, {failed} lines with errors" + (" (see their 'error' field)" if failed else ""))


@app.command()
def classify(jsonl_in: str = typer.Option(..., "--jsonl", help="Input JSONL ('-' for stdin)."),
             out: str = typer.Option("-", "--out", help="Output JSONL ('-' for stdout).")) -> None:
    """Score every line for relevance, hate speech and known myths."""
    check_io(jsonl_in, out)
    from pipeline.classify.classifier import classify_batch
    from pipeline.core.serialize import classification_fields
    from pipeline.jobs.factchecks import classifier_for

    clf = classifier_for(State.settings())
    model = clf.describe()
    _run_jsonl(jsonl_in, out, lambda arts: [classification_fields(a, model) for a in classify_batch(arts, clf)],
               "classify")


@app.command()
def score(jsonl_in: str = typer.Option(..., "--jsonl", help="Input JSONL ('-' for stdin)."),
          out: str = typer.Option("-", "--out", help="Output JSONL ('-' for stdout).")) -> None:
    """Apply the ILO fair-reporting rubric to every line (classifying lines that lack classify fields)."""
    check_io(jsonl_in, out)
    from pipeline.jobs.scoring import score_lines

    _run_jsonl(jsonl_in, out, score_lines(State.settings()), "score")

