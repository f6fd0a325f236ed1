"""`xenowatch bench e2e`: a synthetic corpus served as feeds on loopback, through ingest -> classify ->
score -> rank, at two sizes; articles/s end to end and how each stage's cost grows."""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks import corpus
from benchmarks.feedserver import FeedHost
from benchmarks.measure import peak_rss_mb
from pipeline.classify.classifier import Classifier
from pipeline.core.config import Settings
from pipeline.core.outlets import Feed, Outlet
from pipeline.db import results, sources
from pipeline.db.database import Database
from pipeline.jobs import steps as jobs
from pipeline.jobs.factchecks import classifier_for
from pipeline.rubric.score import Rubric, load_rubric

FULL, QUICK = (10_000, 100_000), (2_000, 10_000)
MAX_HOSTS = 100
LATENCY_S = 0.05
STAGES = ("ingest", "classify", "score", "rank")


def _serve(feeds: int, hosts: int, out: Any, stop: Any) -> None:
    """Child process: build the feeds, start the hosts (127.0.0.2..), report the URLs, serve until told."""
    urls: list[str] = [""] * feeds
    for h in range(hosts):
        mine = {f"/feed{f}.xml": corpus.feed_xml(f) for f in range(h, feeds, hosts)}
        server = FeedHost(f"127.0.0.{h + 2}", mine, LATENCY_S)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for f in range(h, feeds, hosts):
            urls[f] = f"{server.base}/feed{f}.xml"
    out.put(urls)
    stop.wait()


@contextmanager
def serve_corpus(feeds: int) -> Iterator[list[str]]:
    """Serve `feeds` synthetic feeds from their own process (servers do not share the client's CPU
    time, as remote sites would not); yield feed i's URL at position i."""
    context = multiprocessing.get_context("fork")
    out, stop = context.Queue(), context.Event()
    proc = context.Process(target=_serve, args=(feeds, min(MAX_HOSTS, feeds), out, stop), daemon=True)
    proc.start()
    try:
        yield out.get(timeout=300)
    finally:
        stop.set()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()


def register(db: Database, urls: list[str]) -> None:
    """One outlet per feed, in the feed's language."""
    outlets = [Outlet(f"outlet-{f}", f"Outlet {f}", language=corpus.lang_of(f), media_type="newspaper")
               for f in range(len(urls))]
    sources.upsert_sources(db, outlets, [Feed(url=u, outlet_id=f"outlet-{f}") for f, u in enumerate(urls)])


def run_size(articles: int, settings: Settings, clf: Classifier, rubric: Rubric,
             say: Callable[[str], None]) -> dict[str, Any]:
    """The whole job over `articles` synthetic articles in a fresh database; seconds per stage."""
    feeds = articles // corpus.ITEMS_PER_FEED
    expected = corpus.topics(feeds)
    with serve_corpus(feeds) as urls, tempfile.TemporaryDirectory() as tmp:
        db = Database.open(Path(tmp) / "e2e.duckdb")
        register(db, urls)
        conf = replace(settings, db=db.path, fetch_pages=False)
        say(f"bench e2e: {articles} articles, {feeds} outlets/feeds, {min(MAX_HOSTS, feeds)} loopback hosts")
        seconds: dict[str, float] = {}
        start = time.perf_counter()
        summary = jobs.ingest_feeds(db, conf, sources.feeds(db), None)
        seconds["ingest"] = time.perf_counter() - start
        seconds["classify"] = _timed(lambda: jobs.classify_pending(db, conf, clf))
        seconds["score"] = _timed(lambda: jobs.score_pending(db, clf.tag, rubric))
        lines: list[Any] = []
        seconds["rank"] = _timed(lambda: lines.extend(jobs.rank_year(db, conf, corpus.YEAR, clf.tag,
                                                                     rubric.version)[0]))
        found = results.stage_counts(db, clf.tag, rubric.version)
    total = sum(seconds.values())
    say(f"bench e2e: {articles} articles in {total:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return {"articles": articles, "stored": summary.new, "failed_feeds": summary.feeds_failed,
            "expected_migration": expected["migration"] + expected["hateful"],
            "expected_hateful": expected["hateful"], **found,
            "ranked_outlets": sum(1 for ln in lines if ln.rank), "total_s": round(total, 2),
            "articles_per_s": round(articles / total, 1),
            "stage_seconds": {k: round(v, 2) for k, v in seconds.items()}}


def _timed(fn: Callable[[], Any]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_benchmark(settings: Settings, quick: bool = False, say: Callable[[str], None] = print,
                  sizes: tuple[int, int] | None = None) -> dict[str, Any]:
    """Both sizes (10k and 100k; quick: 2k and 10k); the larger one is the headline."""
    small, large = sizes or (QUICK if quick else FULL)
    start = time.perf_counter()
    clf, rubric = classifier_for(settings), load_rubric()
    warm_up(clf, rubric)
    load_s = time.perf_counter() - start
    runs = [run_size(n, settings, clf, rubric, say) for n in (small, large)]
    growth = {s: round(runs[1]["stage_seconds"][s] / max(runs[0]["stage_seconds"][s], 1e-3), 2) for s in STAGES}
    head = runs[1]
    return {"articles": head["articles"], "articles_per_s": head["articles_per_s"],
            "stage_seconds": head["stage_seconds"], "size_ratio": round(large / small, 2),
            "stage_growth": growth, "model_load_s": round(load_s, 2), "runs": runs, "peak_rss_mb": peak_rss_mb()}


def warm_up(clf: Classifier, rubric: Rubric) -> None:
    """Load what the models load on first use (lemma tables and spaCy pipelines per language, the sentence
    encoder's weights), as a long-running worker has, so that model loading stays out of both sizes."""
    from pipeline.classify.classifier import classify_batch
    from pipeline.core.record import Article
    from pipeline.rubric.score import score_batch

    docs = [Article(url=f"warm:{lang}", outlet="warm", title=corpus.MIGRATION[lang], lang=lang,
                    text=f"{corpus.MIGRATION[lang]} {corpus.HATEFUL[lang]}") for lang in corpus.LANGS]
    score_batch(classify_batch(docs, clf), rubric)


def format_table(r: dict[str, Any]) -> str:
    """A human-readable summary."""
    rows = [f"{'articles':>9} {'art/s':>7} " + " ".join(f"{s + ' s':>11}" for s in STAGES)
            + f" {'relevant':>9} {'hateful':>8} {'ranked':>7}"]
    for run in r["runs"]:
        rows.append(f"{run['articles']:>9} {run['articles_per_s']:>7} "
                    + " ".join(f"{run['stage_seconds'][s]:>11}" for s in STAGES)
                    + f" {run['relevant']:>4}/{run['expected_migration']:<4} {run['hate_flagged']:>8}"
                      f" {run['ranked_outlets']:>7}")
    rows.append(f"growth x{r['size_ratio']} articles: "
                + ", ".join(f"{s} x{g}" for s, g in r["stage_growth"].items()))
    rows.append(f"model load {r['model_load_s']} s (not counted); peak RSS {r['peak_rss_mb']} MiB")
    return "\n".join(rows)
