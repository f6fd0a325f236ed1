"""The classify stage: every item gets language and relevance; the gate decides who gets the models."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.classify.classifier import classifier_tag, classify_batch
from pipeline.core.config import Settings
from pipeline.core.record import Article

pytestmark = pytest.mark.slow


def test_gate_lets_relevant_and_alarming_items_through(classifier: Any) -> None:
    items = [Article(url="a", outlet="o", text="Forty migrants were rescued off the coast on Monday."),
             Article(url="b", outlet="o", text="Muslims breed like rats. Vermin, the lot of them."),
             Article(url="c", outlet="o", text="The home side won the derby two goals to one.")]
    out = classify_batch(items, classifier, gate=0.3)
    assert [a.lang for a in out] == ["en", "en", "en"]
    assert out[0].hate is not None and out[1].hate is not None and out[2].hate is None
    assert out[1].hate.hate and out[1].hate.severity == "dehumanising"
    assert all(a.relevance is not None for a in out)


def test_without_gate_everything_is_scored(classifier: Any) -> None:
    out = classify_batch([Article(url="c", outlet="o", text="The home side won the derby.")], classifier)
    assert out[0].hate is not None and out[0].hate.hate is False


def test_tag_without_loading_models_matches(classifier: Any) -> None:
    assert classifier_tag(Settings()) == classifier.tag
