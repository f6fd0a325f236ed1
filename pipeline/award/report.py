"""The static annual report: ranking, categories, trends, breakdown, evidence packs, methodology."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline import __version__
from pipeline.award.rank import OutletScore
from pipeline.award.ties import is_tied, rank_label
from pipeline.core.csvsafe import csv_text
from pipeline.core.errors import XenowatchError
from pipeline.core.record import sha1

# New columns go at the end: readers of the earlier files keep working.
CSV_COLUMNS = ("rank", "outlet", "outlet_id", "country", "media_type", "score", "ci_low", "ci_high",
               "n_articles", "category", "status", "change", "rank_low", "rank_high", "p_first",
               "change_low", "change_high")
DIR_MODE, FILE_MODE = 0o755, 0o644  # a report is published: a web server's user must read it


def ranking_csv(lines: Sequence[OutletScore | Mapping[str, Any]]) -> str:
    """Ranking lines (of one or several categories) as CSV text."""
    return csv_text(CSV_COLUMNS, (asdict(line) if is_dataclass(line) and not isinstance(line, type) else dict(line)
                                  for line in lines))


def outlet_page(outlet_id: str) -> str:
    """The file name of an outlet's evidence pack (readable, safe, unique)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", outlet_id.lower()).strip("-")[:40] or "outlet"
    return f"outlet-{slug}-{sha1(outlet_id)[:6]}.html"


def _env() -> Environment:
    """Jinja with autoescape on for every template: all content is escaped."""
    env = Environment(loader=PackageLoader("pipeline.award", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals.update(version=__version__, outlet_page=outlet_page, rank_label=rank_label, is_tied=is_tied)
    return env


def render_html(context: Mapping[str, Any]) -> str:
    """The report's main page."""
    return _env().get_template("report.html.j2").render(**context)


def render_methodology(context: Mapping[str, Any]) -> str:
    """The methodology page, generated from the rubric file and the snapshot's parameters."""
    return _env().get_template("report_methodology.html.j2").render(**context)


def render_outlet(context: Mapping[str, Any], outlet_id: str) -> str:
    """One outlet's evidence pack: every flagged article with criterion, span and explanation."""
    return _env().get_template("report_outlet.html.j2").render(**context, outlet_id=outlet_id)


def write_report(out: Path, context: Mapping[str, Any]) -> Path:
    """Write the report folder; the previous report stays intact if writing fails."""
    pages = {"index.html": render_html(context), "methodology.html": render_methodology(context),
             "ranking.csv": ranking_csv(context["lines"]),
             "categories.csv": ranking_csv(context["snapshot"].get("rows", []))}
    pages.update({outlet_page(o): render_outlet(context, o) for o in context["evidence"]})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        for name, text in pages.items():
            (tmp / name).write_text(text, encoding="utf-8")
            (tmp / name).chmod(FILE_MODE)
        tmp.chmod(DIR_MODE)  # mkdtemp makes it 0700
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise XenowatchError(f"cannot write the report to {out}: {exc.strerror or exc}; "
                             "free some space or choose another --out (the previous report is intact)") from exc
    return out / "index.html"


def _swap(new: Path, out: Path) -> None:
    """Replace `out` by `new`, putting the old folder back if the move fails."""
    old = out.with_name(f".{out.name}-old") if out.exists() else None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
