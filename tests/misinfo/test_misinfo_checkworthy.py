"""Check-worthy sentence detection (pipeline/checkworthy.py): cues, spans, the labelled set."""

from __future__ import annotations

import re

import pytest

from pipeline.misinfo.checkworthy import THRESHOLD, check_worthy, score_sentence, subject_pattern
from pipeline.misinfo.evaluate import CHECKWORTHY_SET, checkworthy_report, load_cases
from pipeline.misinfo.matcher import load_claims


@pytest.fixture(scope="module")
def subjects() -> re.Pattern[str]:
    """The stems that name migrants, from the bundled claim library."""
    return subject_pattern(load_claims().subjects)


@pytest.mark.parametrize("sentence, reasons", [
    ("Immigrants commit 40 percent of all crimes in the city.", {"subject", "number", "consequence"}),
    ("Les loyers explosent à cause de l'afflux de réfugiés.", {"subject", "cause", "consequence"}),
    ("El número de pateras que llegaron a Almería se duplicó.", {"subject", "number"}),
])
def test_claims_about_migrants_are_check_worthy(subjects: re.Pattern[str], sentence: str,
                                                reasons: set[str]) -> None:
    score, found = score_sentence(sentence, subjects)
    assert score >= THRESHOLD and reasons <= set(found)


@pytest.mark.parametrize("sentence", [
    "Crime rose 5 percent in the city last year.",            # numbers, but not about migrants
    "The refugee family opened a bakery on the high street.",  # about migrants, asserts nothing
    "¿De verdad nos quitan el trabajo los inmigrantes?",       # a question
    "Je pense que l'immigration fait baisser les salaires.",  # a declared opinion, not a figure
])
def test_other_sentences_are_not(subjects: re.Pattern[str], sentence: str) -> None:
    assert check_worthy(sentence, subjects) == ()


def test_spans_point_into_the_text(subjects: re.Pattern[str]) -> None:
    text = "A calm day in town. Migrants cost taxpayers 2 billion a year, the leaflet says. Rain later."
    [found] = check_worthy(text, subjects)
    assert text[found.evidence.start:found.evidence.end] == found.evidence.text
    assert found.evidence.text.startswith("Migrants cost") and found.to_dict()["reasons"][0] == "subject"
    assert 0.0 < found.to_dict()["score"] <= 1.0


def test_labelled_set_floors() -> None:
    cases = load_cases(CHECKWORTHY_SET, ("text", "lang", "label", "split"))
    assert len(cases) >= 60 and {c["lang"] for c in cases} == {"en", "fr", "es"}
    test = checkworthy_report(cases, "test")["languages"]
    assert test["all"]["precision"] >= 0.9 and test["all"]["recall"] >= 0.75
    assert all(test[lang]["recall"] >= 0.5 for lang in ("en", "fr", "es"))


def test_news_phrasing_sets_are_valid_and_keep_their_split() -> None:
    from pipeline.misinfo.evaluate import HELDOUT_SETS, NEWS_DEV_SET

    for path, split in ((NEWS_DEV_SET, "dev"), *((p, "test") for p in HELDOUT_SETS)):
        cases = load_cases(path, ("text", "lang", "expected", "split"))
        assert {c["split"] for c in cases} == {split}, path.name
        assert any(c["expected"] for c in cases) and any(not c["expected"] for c in cases), path.name
