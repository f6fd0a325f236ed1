"""The annual award flow: rank a year, freeze the ranking as a snapshot, publish the report."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task

import flows  # noqa: F401  (offline settings before Prefect loads)
from pipeline.classify.classifier import classifier_tag
from pipeline.core.config import Settings, load_settings
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.rubric.score import load_rubric


@task(name="rank-year")
def rank_year(settings: Settings, year: int) -> tuple[list[Any], dict[str, Any], bool]:
    """Rank the outlets of a year and store the snapshot."""
    return jobs.rank_year(Database(settings.db), settings, year, classifier_tag(settings), load_rubric().version)


@task(name="write-report")
def write_report(settings: Settings, out: Path, year: int, lines: list[Any], snapshot: dict[str, Any]) -> Path:
    """Write the static report of the snapshot."""
    return jobs.report_year(Database(settings.db), out, year, lines, snapshot)


def last_year() -> int:
    """The year that ended last: what a January run ranks."""
    return date.today().year - 1


@flow(name="xenowatch-award")
def award_flow(settings: Settings | None = None, year: int | None = None, out: Path | None = None) -> dict[str, Any]:
    """Rank a year -> snapshot -> report. A deployment's run passes nothing: the settings come from the worker's
    environment (XENOWATCH_*), the year is the last one, and the report goes to reports/YEAR."""
    settings = settings or load_settings()
    year = year or last_year()
    out = out or Path("reports") / str(year)
    lines, snapshot, new = rank_year(settings, year)
    index = write_report(settings, out, year, lines, snapshot)
    return {"lines": lines, "snapshot": snapshot, "new_snapshot": new, "report": index}


def main() -> None:
    """`python -m flows.award --year 2026 --out report/`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--db")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--out", type=Path, default=Path("report"))
    args = parser.parse_args()
    result = award_flow(load_settings(db=args.db), args.year, args.out)
    print(result["report"])


if __name__ == "__main__":
    main()
