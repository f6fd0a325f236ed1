"""Misinformation stage speed: cached fact-check embeddings vs encoding them, and matching cost.

`python -m benchmarks.misinfo_bench [N]` imports N synthetic fact-checks into a temporary DuckDB
and prints ratios measured in this process (no wall-clock claims): loading the matcher from cached
embeddings against encoding every fact-check, and matching texts with N fact-checks against the
myth library alone. Peak RSS is printed too.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import peak_rss_mb, timed
from models.encoders.registry import MULTILINGUAL, load_encoder
from pipeline.core.factcheck import FactCheck
from pipeline.db.database import Database
from pipeline.db.factchecks import add_factchecks
from pipeline.jobs.factchecks import matcher_with_store
from pipeline.misinfo.evaluate import MATCHING_SET
from pipeline.misinfo.matcher import ClaimMatcher, load_claims

_TOPICS = ("free phones", "hotel rooms", "driving lessons", "voting rights", "cash cards", "free cars")


def synthetic(n: int) -> list[FactCheck]:
    """N distinct fictional fact-checks about migrants (benchmark data, never shipped)."""
    return [FactCheck(claim=f"Migrants in region {i} all receive {_TOPICS[i % len(_TOPICS)]} from the state.",
                      rating="False", publisher="Bench (fictional)", url=f"https://bench.example/{i}", lang="en")
            for i in range(n)]


def run(n: int) -> dict[str, float]:
    """The ratios for n fact-checks."""
    encoder, library = load_encoder(MULTILINGUAL), load_claims()
    texts = [json.loads(line)["text"] for line in MATCHING_SET.read_text(encoding="utf-8").splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        add_factchecks(Database.open(db), synthetic(n), "bench")
        cold = timed(lambda: matcher_with_store(library, encoder, db), repeat=1)  # encodes, then caches
        warm = timed(lambda: matcher_with_store(library, encoder, db), repeat=3)
        with_checks = matcher_with_store(library, encoder, db)
    myths_only = ClaimMatcher(library, encoder)
    base = timed(lambda: myths_only.match(texts), repeat=3)
    extended = timed(lambda: with_checks.match(texts), repeat=3)
    return {"factchecks": n, "texts": len(texts), "load_cold_over_warm": round(cold / warm, 2),
            "match_with_factchecks_over_myths_only": round(extended / base, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 300), indent=2))
