"""The functional suite (models/evaluation/functional/hate_cases.jsonl): well formed, and a pinned floor."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from models.evaluation.functional import load_cases, run_suite

HATEFUL = {"explicit_dehumanisation", "implicit_dehumanisation", "threat", "hate_as_question", "hate_as_opinion",
           "obfuscated_spelling", "slur_or_derogatory_label"}
# Measured with head 1.1.0: 0.654; head 1.2.0: 0.778. Raise it when the model improves; lowering it
# needs a reason in the log.
ACCURACY_FLOOR = 0.74


def test_cases_are_well_formed() -> None:
    cases = load_cases()
    assert len({c["id"] for c in cases}) == len(cases) == 234
    assert set(Counter((c["lang"], c["phenomenon"]) for c in cases).values()) == {6}
    for case in cases:
        assert case["label"] == int(case["phenomenon"] in HATEFUL)
        assert (case["target"] is None) == (case["label"] == 0)


@pytest.mark.slow
def test_suite_accuracy_floor(classifier: Any) -> None:
    result = run_suite(classifier.hate, load_cases())
    assert len(result["by_phenomenon"]) == 13
    assert result["accuracy"] >= ACCURACY_FLOOR
