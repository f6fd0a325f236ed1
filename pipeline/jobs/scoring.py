"""`score --jsonl`: the rubric over lines, classifying first the lines that lack classify fields."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pipeline.core.config import Settings
from pipeline.core.record import Article
from pipeline.core.serialize import rubric_fields
from pipeline.rubric.score import load_rubric, score_batch


def score_lines(settings: Settings) -> Callable[[list[Article]], list[dict[str, Any]]]:
    """A batch function for pipeline.core.jsonl.process; models load only if some line needs them."""
    rubric = load_rubric()

    @lru_cache(maxsize=1)
    def classifier() -> Any:
        from pipeline.jobs.factchecks import classifier_for

        return classifier_for(settings)

    def run(articles: list[Article]) -> list[dict[str, Any]]:
        from pipeline.classify.classifier import classify_batch

        todo = [i for i, a in enumerate(articles) if a.hate is None]
        if todo:
            done = classify_batch([articles[i] for i in todo], classifier())
            for i, article in zip(todo, done):
                articles[i] = article
        return [rubric_fields(a) for a in score_batch(articles, rubric)]

    return run
