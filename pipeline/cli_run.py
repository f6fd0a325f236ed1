"""The main job's commands: demo, run, ingest, classify, score, rank, report."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator, List

import typer

from pipeline.cli import FORMATS, State, app, echo_err
from pipeline.config import Settings
from pipeline.errors import ConfigError, InputError
from pipeline.jsonl import Process
from pipeline.progress import progress_bar
from pipeline.rank import OutletScore
from pipeline.sources import Feed
from pipeline.store import Store


def _feeds_for(store: Store, targets: List[str]) -> list[Feed]:
    """Registered feeds, or feeds for the given URLs and local files (unknown ones registered)."""
    from pipeline.ingest import local_feed
    from pipeline.sources import Outlet, slugify

    if not targets:
        feeds = store.feeds()
        if not feeds:
            raise InputError("no feeds registered; run 'xenowatch sources import FILE' or pass feed URLs or files")
        return feeds
    known = {f.url: f for f in store.feeds()}
    outlets, feeds, new_outlets = store.outlets(), [], []
    for target in targets:
        if target.startswith(("http://", "https://")):
            from urllib.parse import urlsplit

            host = slugify(urlsplit(target).hostname or "feed")
            feed = known.get(target) or Feed(url=target, outlet_id=host)
            outlet = None if feed.outlet_id in outlets else Outlet(id=host, name=host)
        elif Path(target).is_file():
            feed, outlet = local_feed(Path(target), outlets)
        else:
            raise InputError(f"{target}: not a URL and no such file; give http(s) feed URLs or feed files")
        feeds.append(feed)
        if outlet:
            new_outlets.append(outlet)
            outlets[outlet.id] = outlet
    store.upsert_sources(new_outlets, [f for f in feeds if f.url not in known])
    return feeds


def print_ingest_summary(summary: dict[str, Any]) -> None:
    """The ingest summary: counts, then each failed feed with its reason."""
    typer.echo(f"feeds: {summary['feeds_ok']} ok, {summary['feeds_failed']} failed; items: {summary['new']} new, "
               f"{summary['duplicate']} duplicate, {summary['rejected']} rejected")
    for url, reason in summary["failures"]:
        typer.echo(f"  failed {url}: {reason}")


@app.command()
def ingest(targets: List[str] = typer.Argument(None, help="Feed URLs or files; default: every registered feed."),
           strict: bool = typer.Option(False, "--strict", help="Exit 1 when any feed fails.")) -> None:
    """Fetch feeds and store their new articles."""
    from pipeline import jobs

    settings = State.settings()
    store = Store(settings.db)
    store.migrate()
    feeds = _feeds_for(store, targets or [])
    run_id = store.start_run("ingest")
    with progress_bar("ingest", len(feeds)) as tick:
        summary = jobs.ingest_feeds(store, settings, feeds, run_id, tick).as_dict()
    store.finish_run(run_id, summary)
    print_ingest_summary(summary)
    if strict and summary["feeds_failed"]:
        raise typer.Exit(1)


@app.command()
def run(targets: List[str] = typer.Argument(None, help="Feed URLs or files; default: every registered feed.")) -> None:
    """The monitoring flow once (Prefect): ingest -> classify -> score."""
    from flows.monitor import monitor_flow

    settings = State.settings()
    store = Store(settings.db)
    store.migrate()
    feeds = _feeds_for(store, targets or [])
    result = monitor_flow(settings, feeds)
    print_ingest_summary(result["ingest"])
    typer.echo(f"classified {result['classified']} articles, scored {result['scored']} migration articles")


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


def _run_jsonl(src: str, dst: str, fn: Process, label: str) -> None:
    """Process a JSONL file line by line and report the counts on stderr."""
    from pipeline import jsonl

    with _open_io(src, dst) as (fin, fout), progress_bar(label, None) as tick:
        ok, failed = jsonl.process(fin, fout, "stdin" if src == "-" else src, fn, on_batch=tick)
    echo_err(f"{label}: {ok} lines done, {failed} lines with errors" + (" (see their 'error' field)" if failed else ""))


@app.command()
def classify(jsonl_in: str = typer.Option(..., "--jsonl", help="Input JSONL ('-' for stdin)."),
             out: str = typer.Option("-", "--out", help="Output JSONL ('-' for stdout).")) -> None:
    """Score every line for relevance, hate speech and known myths."""
    from pipeline.classify import classify_batch, load_classifier
    from pipeline.serialize import classification_fields

    clf = load_classifier(State.settings())
    model = clf.describe()
    _run_jsonl(jsonl_in, out, lambda arts: [classification_fields(a, model) for a in classify_batch(arts, clf)],
               "classify")


@app.command()
def score(jsonl_in: str = typer.Option(..., "--jsonl", help="Input JSONL ('-' for stdin)."),
          out: str = typer.Option("-", "--out", help="Output JSONL ('-' for stdout).")) -> None:
    """Apply the ILO fair-reporting rubric to every line (classifying lines that lack classify fields)."""
    from pipeline.scoring import score_lines

    _run_jsonl(jsonl_in, out, score_lines(State.settings()), "score")


def _ranking(settings: Settings, year: int) -> tuple[list[OutletScore], dict[str, Any]]:
    """A year's ranking (stored as a snapshot)."""
    from pipeline import jobs
    from pipeline.classify import classifier_tag
    from pipeline.rubric import load_rubric

    store = Store(settings.db)
    store.migrate()
    lines, snapshot, _ = jobs.rank_year(store, settings, year, classifier_tag(settings), load_rubric().version)
    return lines, snapshot


def _audit(settings: Settings, year: int, snapshot_id: str) -> None:
    """Recompute a stored snapshot; exit 1 unless it is reproduced exactly."""
    from pipeline.award import audit_snapshot
    from pipeline.rubric import load_rubric

    store = Store(settings.db)
    store.migrate()
    audit = audit_snapshot(store, snapshot_id, load_rubric())
    if audit["year"] != year:
        raise ConfigError(f"snapshot {snapshot_id} ranks {audit['year']}, not {year}; pass --year {audit['year']}")
    typer.echo(json.dumps(audit, ensure_ascii=False, indent=2))
    if not audit["reproduced"]:
        echo_err(f"snapshot {snapshot_id} is not reproduced: the data now gives {audit['recomputed']} "
                 f"({len(audit['added_articles'])} articles added, {len(audit['removed_articles'])} removed, "
                 f"{len(audit['verdicts_changed'])} verdicts changed)")
        raise typer.Exit(1)


@app.command()
def rank(year: int = typer.Option(..., "--year", help="Year to rank."),
         fmt: str = typer.Option("csv", "--format", help="csv, json or html."),
         snapshot_id: str | None = typer.Option(None, "--snapshot",
                                          help="Audit a stored snapshot: recompute it and compare.")) -> None:
    """The outlet ranking of a year, every category (overall, country, media type, most improved)."""
    from pipeline.report import ranking_csv, render_html
    from pipeline.report_data import report_context
    from pipeline.rubric import load_rubric

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is invalid; must be one of: {', '.join(FORMATS)}")
    settings = State.settings()
    if snapshot_id:
        _audit(settings, year, snapshot_id)
        return
    lines, snapshot = _ranking(settings, year)
    if not lines:
        echo_err(f"not enough data: no scored migration articles in {year}")
    if fmt == "csv":
        typer.echo(ranking_csv(snapshot["rows"]), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps({"year": year, "snapshot": snapshot["id"] if lines else None,
                               "status": "ranked" if lines else "not enough data",
                               "rubric_version": snapshot["rubric_version"],
                               "ranking": snapshot["rows"], "indicators": snapshot.get("indicators", {})},
                              ensure_ascii=False, indent=2))
    else:
        context = report_context(Store(settings.db), year, lines, snapshot, load_rubric())
        typer.echo(render_html(context))


@app.command()
def report(year: int = typer.Option(..., "--year"), out: Path = typer.Option(..., "--out")) -> None:
    """Build the static HTML report (ranking, categories, trends, breakdown, evidence packs, methodology)."""
    from pipeline import jobs

    settings = State.settings()
    lines, snapshot = _ranking(settings, year)
    index = jobs.report_year(Store(settings.db), out, year, lines, snapshot)
    if not lines:
        echo_err(f"not enough data: no scored migration articles in {year}; the report says so")
    typer.echo(f"report: {index}")


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
    from pipeline.demo import run_demo

    settings = State.settings().with_values({"runner": runner} if runner else {})
    result = run_demo(settings, out, year, echo_err)
    print_ingest_summary(result["ingest"])
    typer.echo(f"classified {result['classified']}, scored {result['scored']} migration articles\n")
    typer.echo(f"Fair migration reporting ranking {year} (snapshot {result['snapshot']['id']}):")
    print_ranking(result["lines"])
    report_path = Path(result["report"]).resolve()
    typer.echo(f"\ndatabase: {settings.db.resolve()}\nreport:   {report_path}\n"
               f"ranking:  {report_path.parent / 'ranking.csv'}")
