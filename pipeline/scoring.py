"""`score --jsonl`: the rubric over lines, classifying first the lines that lack classify fields."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pipeline.config import Settings
from pipeline.record import Article
from pipeline.rubric import load_rubric, score_batch
from pipeline.serialize import rubric_fields


def score_lines(settings: Settings) -> Callable[[list[Article]], list[dict[str, Any]]]:
    """A batch function for pipeline.jsonl.process; models load only if some line needs them."""
    rubric = load_rubric()

    @lru_cache(maxsize=1)
    def classifier() -> Any:
        from pipeline.classify import load_classifier

        return load_classifier(settings)

    def run(articles: list[Article]) -> list[dict[str, Any]]:
        from pipeline.classify import classify_batch

        todo = [i for i, a in enumerate(articles) if a.hate is None]
        if todo:
            done = classify_batch([articles[i] for i in todo], classifier())
            for i, article in zip(todo, done):
                articles[i] = article
        return [rubric_fields(a) for a in score_batch(articles, rubric)]

    return run
