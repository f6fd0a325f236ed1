"""Issue 15, fact-check matching: claims relayed in reported speech are embedded without their attribution
(pipeline/misinfo/speech.py), and the lexicon fixes that came with it (negation, frames, report cues).

The matcher test runs the real multilingual USE encoder and the bundled myths."""

from __future__ import annotations

import pytest

import pipeline.misinfo.matcher as matcher_module
from models.encoders.use import load_multilingual_encoder
from pipeline.jobs.factchecks import eval_matcher
from pipeline.misinfo import evaluate
from pipeline.misinfo.cues import report_cues
from pipeline.misinfo.frames import frames_of
from pipeline.misinfo.matcher import ClaimMatcher, content_stems, load_claims, negated_stems
from pipeline.misinfo.speech import reported_claim


@pytest.mark.parametrize(("sentence", "clause"), [
    ("At the rally, the councillor said foreigners were stealing the jobs of young people.",
     "foreigners were stealing the jobs of young people"),
    ("The party leader insisted that migrants are bringing diseases into the country.",
     "migrants are bringing diseases into the country"),
    ("Campaigners claim that the figures on immigration are a cover-up.", "the figures on immigration are a cover-up"),
    ("Asylum seekers are all economic migrants in disguise, the broadcaster argued on air.",
     "Asylum seekers are all economic migrants in disguise"),
    ("Hospitals are overrun by migrants, the MP told reporters.", "Hospitals are overrun by migrants"),
    ("Le conseiller a affirmé que les étrangers volent le travail des jeunes.",
     "les étrangers volent le travail des jeunes"),
    ("Les migrants ramènent des maladies, a-t-il affirmé devant la presse.", "Les migrants ramènent des maladies"),
    ("« Les immigrés ne veulent pas travailler », affirme le député.", "Les immigrés ne veulent pas travailler"),
    ("El concejal aseguró que los extranjeros roban el trabajo a los jóvenes.",
     "los extranjeros roban el trabajo a los jóvenes"),
    ("Los inmigrantes no pagan impuestos, dijo el candidato en el mitin.", "Los inmigrantes no pagan impuestos"),
])
def test_the_reported_clause_is_found_in_each_language(sentence: str, clause: str) -> None:
    assert reported_claim(sentence) == clause


@pytest.mark.parametrize("sentence", [
    "Migrants take our jobs.",  # nobody is quoted
    "Is the government processing asylum claims quickly enough?",  # a noun, not a verb
    "The claim that refugees bring disease has been checked.",
    "According to the statistics office, migrants are 14 percent of the population.",  # a source, no verb
    "Según el INE, los extranjeros son el 13 % de la población.",
    "Migrants are criminals, he said.",  # too short a clause to stand alone: the sentence is it
])
def test_sentences_without_a_usable_attribution_have_no_clause(sentence: str) -> None:
    assert reported_claim(sentence) is None


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "At a packed town hall meeting, the councillor said foreigners were stealing the jobs of young people."),
    ("fr", "Le conseiller municipal a affirmé que les étrangers volent le travail des jeunes du quartier."),
])
def test_a_relayed_myth_scores_higher_through_its_clause(lang: str, sentence: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    matcher = ClaimMatcher(load_claims(), load_multilingual_encoder())
    with_clause = {m.claim_id: m.similarity for m in matcher.match([sentence], [lang])[0]}
    monkeypatch.setattr(matcher_module, "reported_claim", lambda _: None)
    without = {m.claim_id: m.similarity for m in matcher.match([sentence], [lang])[0]}
    assert with_clause["migrants-take-jobs"] >= without.get("migrants-take-jobs", 0.0) + 0.1


def test_a_negator_is_not_a_denied_word_and_taxes_is_tax() -> None:
    negated = negated_stems("Immigrants contribute nothing and never pay any tax.")
    assert "never" not in negated and {"pay", "tax"} <= negated
    assert content_stems("taxes") == content_stems("tax")


def test_development_aid_is_no_welfare_and_looking_for_work_is_a_motive() -> None:
    assert "welfare" not in frames_of("Las remesas superan la ayuda al desarrollo.")
    assert "welfare" in frames_of("Viven de las ayudas sociales.")
    assert "economic_motive" in frames_of("Los que piden asilo son inmigrantes que buscan trabajo.")


def test_pay_at_the_legal_minimum_is_a_report() -> None:
    assert "equal" in report_cues("Migrant workers on the farm said they were paid the legal minimum wage.")


def test_the_fifth_held_out_batch_keeps_its_blind_figures() -> None:
    # Written after this work and scored once (README): P 0.893 / R 0.735; the matcher before it had 0.909 / 0.588.
    cases = evaluate.load_cases(evaluate.HELDOUT_SETS[-1], ("text", "lang", "expected", "split"))
    matcher = eval_matcher(load_multilingual_encoder(), evaluate.SAMPLE_FACTCHECKS)
    found = evaluate.matching_scores(matcher, cases)
    report = evaluate.matching_report(cases, found, matcher_module.DEFAULT_THRESHOLD, "test",
                                      matcher_module.FACTCHECK_THRESHOLD)["languages"]
    assert report["all"]["recall"] >= 0.7 and report["all"]["precision"] >= 0.85
