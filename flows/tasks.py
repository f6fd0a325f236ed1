"""Prefect tasks: each wraps one plain function of pipeline.jobs with retries and caching policy."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from prefect import task

from pipeline import jobs
from pipeline.classify import Classifier, load_classifier
from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.ingest import FeedResult
from pipeline.rubric import Rubric, load_rubric
from pipeline.sources import Feed


def _retryable(task: Any, task_run: Any, state: Any) -> bool:
    """Retry timeouts and 5xx answers only; a malformed feed will not get better."""
    exc = state.data
    return isinstance(exc, FetchError) and exc.retryable


@lru_cache(maxsize=2)
def classifier(settings: Settings) -> Classifier:
    """The classifier, loaded once per worker process."""
    return load_classifier(settings)


@lru_cache(maxsize=2)
def rubric() -> Rubric:
    """The rubric, loaded once per worker process."""
    return load_rubric()


@task(name="fetch-feed", retries=2, retry_delay_seconds=[1, 4], retry_condition_fn=_retryable,
      task_run_name="fetch {feed.url}")
def fetch_feed(feed: Feed, settings: Settings) -> FeedResult:
    """Fetch and parse one feed and its pages."""
    return jobs.fetch_feed(feed, settings, raise_retryable=True)


@task(name="classify-pending")
def classify_pending(settings: Settings) -> int:
    """Classify stored articles that the current models have not seen."""
    from pipeline.store import Store

    return jobs.classify_pending(Store(settings.db), settings, classifier(settings))


@task(name="score-pending")
def score_pending(settings: Settings) -> int:
    """Apply the rubric to relevant classified articles."""
    from pipeline.store import Store

    return jobs.score_pending(Store(settings.db), classifier(settings).tag, rubric())
