"""`xenowatch demo`: the main job on the bundled sample, served over loopback, through the Prefect flows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from pipeline.award.rank import OutletScore
from pipeline.cli._util import State, app, echo_err, print_ingest_summary
from pipeline.core.config import Settings
from pipeline.db.database import Database
from pipeline.db.sources import upsert_sources
from pipeline.ingest.sources import load_sources
from pipeline.sample.server import DEFAULT_PORT, serve_sample, write_sources


def run_demo(settings: Settings, out: Path, year: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Serve the sample, register its sources, run the monitoring flow, then the award flow."""
    from flows.award import award_flow
    from flows.monitor import monitor_flow

    db = Database.open(settings.db)
    port = int(os.environ.get("XENOWATCH_DEMO_PORT", DEFAULT_PORT))
    with serve_sample(port) as server, tempfile.TemporaryDirectory() as tmp:
        say(f"serving the sample corpus on {server.base}")
        outlets, feeds = load_sources(write_sources(server.base, Path(tmp) / "sources.yaml"))
        upsert_sources(db, outlets, feeds)
        say(f"monitoring flow: {len(feeds)} feeds of {len(outlets)} outlets (loading models takes a moment)")
        result = monitor_flow(settings, feeds)
    say(f"award flow: ranking {year}")
    award = award_flow(settings, year, out)
    return {**result, **award}


def print_ranking(lines: list[OutletScore]) -> None:
    """The ranking as an aligned table."""
    typer.echo(f"{'rank':>4}  {'outlet':<28} {'score':>6}  {'95% CI':<13} {'n':>3}")
    for ln in lines:
        ci = f"{ln.ci_low:.1f}-{ln.ci_high:.1f}" if ln.score is not None else ""
        score = f"{ln.score:.1f}" if ln.score is not None else "-"
        typer.echo(f"{ln.rank or '-':>4}  {ln.outlet[:28]:<28} {score:>6}  {ci:<13} {ln.n_articles:>3}"
                   + ("" if ln.score is not None else f"  {ln.status}"))


@app.command()
def demo(out: Path = typer.Option(Path("xenowatch-report"), "--out", help="Report folder."),
         year: int = typer.Option(2026, "--year", help="Year to rank."),
         runner: str | None = typer.Option(None, "--runner", help="threads or dask (default: the runner setting).")
         ) -> None:
    """The main job end to end on the bundled sample, offline, through the Prefect flows."""
    settings = State.settings().with_values({"runner": runner} if runner else {})
    result = run_demo(settings, out, year, echo_err)
    print_ingest_summary(result["ingest"])
    typer.echo(f"classified {result['classified']}, scored {result['scored']} migration articles\n")
    typer.echo(f"Fair migration reporting ranking {year} (snapshot {result['snapshot']['id']}):")
    print_ranking(result["lines"])
    report_path = Path(result["report"]).resolve()
    typer.echo(f"\ndatabase: {settings.db.resolve()}\nreport:   {report_path}\n"
               f"ranking:  {report_path.parent / 'ranking.csv'}")

