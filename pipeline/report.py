"""The static annual report: HTML with a chart, the ranking as CSV, evidence per outlet."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline import __version__
from pipeline.errors import XenowatchError
from pipeline.rank import OutletScore

CSV_COLUMNS = ("rank", "outlet", "outlet_id", "country", "media_type", "score", "ci_low", "ci_high",
               "n_articles", "category", "status")


def ranking_csv(lines: Sequence[OutletScore]) -> str:
    """The ranking as CSV text."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for line in lines:
        writer.writerow({c: getattr(line, c) for c in CSV_COLUMNS})
    return buf.getvalue()


def evidence_by_outlet(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]],
                                                                  dict[str, dict[str, float]]]:
    """Flagged criteria per outlet, and each outlet's mean score per criterion."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    sums: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        for c in row["criteria"]:
            sums.setdefault(row["outlet_id"], {}).setdefault(c["id"], []).append(c["score"])
        flags = [c for c in row["criteria"] if c["score"] < 1.0]
        if flags:
            evidence.setdefault(row["outlet_id"], []).append({**row, "flags": flags})
    means = {o: {c: sum(v) / len(v) for c, v in crit.items()} for o, crit in sums.items()}
    return evidence, means


def render_html(year: int, lines: Sequence[OutletScore], snapshot: dict[str, Any],
                evidence_rows: Sequence[dict[str, Any]]) -> str:
    """The report page (every value escaped by Jinja's autoescape)."""
    env = Environment(loader=PackageLoader("pipeline", "templates"), autoescape=select_autoescape(["j2", "html"]))
    evidence, breakdown = evidence_by_outlet(evidence_rows)
    ranked = [ln for ln in lines if ln.score is not None]
    criteria_ids = sorted({c for row in breakdown.values() for c in row})
    names = {ln.outlet_id: ln.outlet for ln in lines}
    breakdown = {o: breakdown[o] for o in names if o in breakdown}
    evidence = {o: evidence[o] for o in names if o in evidence}
    return env.get_template("report.html.j2").render(
        year=year, lines=lines, ranked=ranked, snapshot=snapshot, criteria_ids=criteria_ids,
        breakdown=breakdown, evidence=evidence, names=names, version=__version__)


def write_report(out: Path, year: int, lines: Sequence[OutletScore], snapshot: dict[str, Any],
                 evidence_rows: Sequence[dict[str, Any]]) -> Path:
    """Write index.html and ranking.csv; the previous report stays intact if writing fails."""
    html = render_html(year, lines, snapshot, evidence_rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-new-", dir=out.parent))
    try:
        (tmp / "index.html").write_text(html, encoding="utf-8")
        (tmp / "ranking.csv").write_text(ranking_csv(lines), encoding="utf-8")
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
