"""Prefect tasks: each wraps one plain function of pipeline.jobs with retries and caching policy."""

from __future__ import annotations

from functools import lru_cache

from prefect import task

from pipeline import jobs
from pipeline.classify import Classifier, load_classifier
from pipeline.config import Settings
from pipeline.ingest import FeedResult
from pipeline.rubric import Rubric, load_rubric
from pipeline.sources import Feed


@lru_cache(maxsize=2)
def classifier(settings: Settings) -> Classifier:
    """The classifier, loaded once per worker process."""
    return load_classifier(settings)


@lru_cache(maxsize=2)
def rubric() -> Rubric:
    """The rubric, loaded once per worker process."""
    return load_rubric()


# Timeouts and 5xx answers are retried per request inside the fetcher, with backoff; a task retry
# is for the worker itself failing (a crash, a lost connection to the API), not for a bad feed.
@task(name="fetch-batch", retries=1, retry_delay_seconds=5)
def fetch_batch(feeds: list[Feed], settings: Settings) -> list[FeedResult]:
    """Fetch and parse a batch of feeds and their pages, concurrently."""
    return jobs.fetch_batch(feeds, settings)


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
