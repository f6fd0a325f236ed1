"""Archive sizing: export a year of synthetic articles to Parquet, measure bytes per row and files, and
the time and peak memory of `archive rank` on it (in its own process). `python -m benchmarks.archive_sizing`."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import corpus
from pipeline.classify.classifier import classifier_tag
from pipeline.core.config import Settings
from pipeline.core.outlets import Feed, Outlet
from pipeline.core.record import Article
from pipeline.db import articles as articles_db
from pipeline.db import results, sources
from pipeline.db.database import Database
from pipeline.jobs import archive
from pipeline.rubric.score import load_rubric, score_batch

OUTLETS, ITEMS = 100, 200  # 20,000 articles over one year


def build(db: Database) -> None:
    """Synthetic articles with classifications (relevance from the corpus's topic) and rubric results."""
    sources.upsert_sources(db, [Outlet(f"o{f}", f"Outlet {f}", language=corpus.lang_of(f), media_type="newspaper")
                          for f in range(OUTLETS)], [Feed(f"http://o{f}.test/rss", f"o{f}") for f in range(OUTLETS)])
    items = [(f, n, corpus.item(f, n)) for f in range(OUTLETS) for n in range(ITEMS)]
    articles = [Article(url=f"http://o{f}.test/{n}", outlet=f"o{f}", title=it.title, text=it.text, kind="article",
                        published=it.published, lang=corpus.lang_of(f)) for f, n, it in items]
    articles_db.insert_articles(db, articles, None)
    relevant = {a.id for a, (_, _, it) in zip(articles, items) if it.topic != "news"}
    tag, rubric = classifier_tag(Settings()), load_rubric()
    results.save_classifications(db, [a.evolve(relevance=0.9 if a.id in relevant else 0.0) for a in articles], tag, 0.2)
    results.save_rubric(db, score_batch(results.pending_rubric(db, tag, rubric.version), rubric), tag)


def rank_in_child(db: Path, root: Path) -> dict[str, Any]:
    """`xenowatch archive rank` in its own process: seconds and peak RSS."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "pipeline", "--db", str(db), "archive", "rank", "--from", str(root),
                    "--year", str(corpus.YEAR)], check=True, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"rank_s": round(time.perf_counter() - start, 2), "rank_peak_rss_mb": round(max(peak, before) / 1024, 1)}


def main() -> None:
    """Build, export, rank; print the figures as JSON (the archive is kept in the folder given, if any)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp)
        db = Database.open(folder / "sizing.duckdb")
        build(db)
        start = time.perf_counter()
        stats = archive.export(db, folder / "archive").as_dict()
        stats["export_s"] = round(time.perf_counter() - start, 2)
        stats.update(rank_in_child(db.path, folder / "archive"))
        stats["db_bytes"] = db.path.stat().st_size
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
