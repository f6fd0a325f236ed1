"""`xenowatch demo`: the main job on the bundled sample, served over loopback, through the Prefect flows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from pipeline.award.rank import OutletScore
from pipeline.award.ties import is_tied, rank_label
from pipeline.cli._util import State, app, echo_err, print_ingest_summary
from pipeline.core.config import Settings
from pipeline.db.database import Database
from pipeline.db.sources import upsert_sources
from pipeline.ingest.sources import load_sources
from pipeline.sample.server import DEFAULT_PORT, serve_sample, write_sources

DEMO_DB = Path("xenowatch-demo.duckdb")


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
    typer.echo(f"{'rank':>5}  {'outlet':<28} {'score':>6}  {'95% CI':<13} {'n':>3}")
    for ln in lines:
        ci = f"{ln.ci_low:.1f}-{ln.ci_high:.1f}" if ln.score is not None else ""
        score = f"{ln.score:.1f}" if ln.score is not None else "-"
        tied = "  tied (intervals overlap)" if is_tied(ln) else ""
        typer.echo(f"{rank_label(ln):>5}  {ln.outlet[:28]:<28} {score:>6}  {ci:<13} {ln.n_articles:>3}"
                   + ("" if ln.score is not None else f"  {ln.status}") + tied)


def count_lines(result: dict[str, Any], year: int, min_articles: int) -> list[str]:
    """What each number of the demo counts: items classified and scored this run, articles in the ranking."""
    lines: list[OutletScore] = result["lines"]
    ranked = [ln for ln in lines if ln.status == "ranked"]
    return [f"classified {result['classified']} new items (language, relevance, hate speech, myths); "
            f"{result['scored']} of them are about migration and were scored on the ILO fair-reporting rubric",
            f"the {year} ranking counts {sum(ln.n_articles for ln in lines)} scored migration articles published "
            f"in {year} by {len(lines)} news outlets (social posts are never ranked); "
            f"{sum(ln.n_articles for ln in ranked)} of them are in the {len(ranked)} outlets with enough "
            f"articles to rank (at least {min_articles})"]


def print_result(result: dict[str, Any], year: int, settings: Settings) -> None:
    """The counts, the ranking with what its columns mean, and where the database and the report are."""
    print_ingest_summary(result["ingest"])
    head, counted = count_lines(result, year, settings.min_articles)
    typer.echo(f"{head}\n\nFair migration reporting ranking {year} (snapshot {result['snapshot']['id']}):")
    typer.echo(f"score: 0-100, higher is fairer (the outlet's mean rubric score, shrunk towards the mean of all "
               f"articles when it has few); 95% CI: bootstrap interval; n: scored migration articles of {year}")
    print_ranking(result["lines"])
    report, db = Path(result["report"]).resolve(), settings.db.resolve()
    typer.echo(f"{counted}\n\ndemo database: {db} (kept apart from your own database; to use it, pass "
               f"--db, e.g. xenowatch --db {db} rank --year {year})\n"
               f"report:   {report}\nranking:  {report.parent / 'ranking.csv'}")


@app.command()
def demo(out: Path = typer.Option(Path("xenowatch-report"), "--out", help="Report folder."),
         year: int = typer.Option(2026, "--year", help="Year to rank."),
         runner: str | None = typer.Option(None, "--runner", help="threads or dask (default: the runner setting).")
         ) -> None:
    """The main job end to end on the bundled sample, offline, in its own database (./xenowatch-demo.duckdb)."""
    settings = State.settings().with_values({"runner": runner} if runner else {})
    # The sample's fictional outlets must never land in the user's database: only an explicit --db puts them there.
    settings = settings if State.db_on_command_line else replace(settings, db=DEMO_DB)
    print_result(run_demo(settings, out, year, echo_err), year, settings)
