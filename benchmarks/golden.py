"""Classify outputs of a fixed sample, written to a file that `tests/classify/test_results_identical.py`
compares against: speed work must leave every result as it was (`python -m benchmarks.golden --out FILE`)."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from benchmarks import corpus
from pipeline.core.config import Settings, load_settings
from pipeline.core.record import Article
from pipeline.sample.server import sample_items

FEEDS, PER_FEED = 5, 24  # 120 bench articles, one feed per language, a few about migration
GATE = 0.1


def golden_articles() -> list[Article]:
    """The bundled sample's items, then a slice of the `bench e2e` corpus."""
    items = [Article(url=f"sample:{it['id']}", outlet=it["outlet"], kind=it["kind"], title=it.get("title", ""),
                     text=it["text"]) for it in sample_items()]
    for f in range(FEEDS):
        for n in range(PER_FEED):
            it = corpus.item(f, n)
            items.append(Article(url=f"bench:{f}:{n}", outlet=f"outlet-{f}", title=it.title, text=it.text))
    return items


def exact_settings() -> Settings:
    """Default settings in float32, so that results compare exactly (bf16 is compared with a tolerance)."""
    settings = load_settings(env={})
    return replace(settings, precision="fp32") if "precision" in {f.name for f in fields(settings)} else settings


def classify_rows(settings: Settings) -> list[dict[str, Any]]:
    """Every golden article's stored classification values, keyed by name."""
    from pipeline.classify.classifier import classify_batch, load_classifier
    from pipeline.db._rows import classification_row

    clf = load_classifier(settings)
    fallbacks = {f"outlet-{f}": corpus.lang_of(f) for f in range(FEEDS)}
    arts = golden_articles()
    done = [a for s in range(0, len(arts), 256) for a in classify_batch(arts[s:s + 256], clf, GATE, fallbacks)]
    names = ("id", "model", "content_hash", "relevance", "gated", "hate", "hate_score", "target", "severity",
             "evidence", "misinformation", "check_worthy")
    return [{"url": a.url, "lang": a.lang, **dict(zip(names, classification_row(a, "", GATE)))} for a in done]


def main() -> None:
    """Write the rows as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    rows = classify_rows(exact_settings())
    parser.parse_args().out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


if __name__ == "__main__":
    main()
