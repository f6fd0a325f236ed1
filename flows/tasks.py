"""Prefect tasks: each wraps one plain function of pipeline.jobs.steps with retries and caching policy."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from functools import lru_cache

from prefect import task
from prefect.cache_policies import NO_CACHE

from pipeline.classify.classifier import Classifier, classify_batch
from pipeline.core.config import Settings
from pipeline.core.outlets import Feed
from pipeline.core.record import Article
from pipeline.ingest.feeds import FeedResult
from pipeline.jobs import steps as jobs
from pipeline.jobs.factchecks import classifier_for, refreshed
from pipeline.rubric.score import Rubric, load_rubric

NOT_MODEL_SETTINGS = ("relevance_gate", "min_articles", "runner", "dask_address", "user_agent", "timeout_s",
                      "max_body_bytes", "fetch_pages", "per_host", "politeness_s", "retries", "respect_robots",
                      "feed_concurrency", "retention_days", "classify_chunk",
                      "allow_private_hosts", "max_item_chars")
# Models loaded by this process, by process id (a Dask worker answers for itself; tests read it).
LOADS: Counter[int] = Counter()


def model_settings(settings: Settings) -> Settings:
    """The settings with those that never change the loaded models reset, so that a run with another
    gate, runner or fetch policy reuses this worker's models (any other setting, the database with
    its imported fact-checks included, keys the cache)."""
    defaults = Settings()
    return replace(settings, **{name: getattr(defaults, name) for name in NOT_MODEL_SETTINGS})


# The classifier of each model configuration in this process: loaded once, its fact-checks following the
# database's (checked per chunk).
_CURRENT: dict[Settings, Classifier] = {}


def classifier(settings: Settings) -> Classifier:
    """The classifier, loaded once per worker process; fact-checks imported since are added to its matcher."""
    key = model_settings(settings)
    if key not in _CURRENT:
        LOADS[os.getpid()] += 1
        _CURRENT[key] = classifier_for(key)
    _CURRENT[key] = clf = refreshed(_CURRENT[key], settings.db)
    return clf


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


# Runs on a worker (a thread here, or a Dask worker process): compute only; the flow writes the results.
# No cache key: hashing a chunk of articles costs time, and the database already skips classified articles.
@task(name="classify-chunk", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def classify_chunk(articles: list[Article], settings: Settings, fallbacks: dict[str, str | None]) -> list[Article]:
    """Language, relevance, then hate speech and myths for the relevant ones, with this worker's models."""
    return classify_batch(articles, classifier(settings), settings.relevance_gate, fallbacks)


@task(name="score-pending")
def score_pending(settings: Settings) -> int:
    """Apply the rubric to relevant classified articles (rule-based: no model in this process)."""
    from pipeline.classify.classifier import classifier_tag
    from pipeline.db.database import Database

    return jobs.score_pending(Database(settings.db), classifier_tag(settings), rubric())
