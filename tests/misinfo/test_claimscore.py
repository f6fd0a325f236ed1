"""Issue 15: claim frames, claim-likeness cues, the adjusted decision score and fact-checks borrowing the
phrasings of the myth on the same claim (pipeline/misinfo/frames.py, cues.py, claimscore.py, matcher.py).

The matcher tests run the real multilingual USE encoder and the bundled myths."""

from __future__ import annotations

import pytest

from models.encoders.use import MultilingualUSE, load_multilingual_encoder
from pipeline.core.factcheck import FactCheck
from pipeline.jobs.factchecks import as_claim
from pipeline.misinfo.claimscore import SCALE, ClaimView, SentenceView, adjusted, claim_view, sentence_view
from pipeline.misinfo.cues import claim_cues, is_negative, report_cues
from pipeline.misinfo.frames import frames_of, stem_pattern
from pipeline.misinfo.matcher import ClaimMatcher, load_claims, negated_stems

TAXES = "https://factcheck.example/no-taxes"
SALARY = "https://factcheck.example/asylum-salary"


def factcheck(text: str, url: str) -> FactCheck:
    """An English fact-check as an import would store it."""
    return FactCheck(claim=text, rating="False", publisher="Crosscheck Desk", url=url, lang="en")


@pytest.fixture(scope="module")
def encoder() -> MultilingualUSE:
    """The real encoder, loaded once for the module."""
    return load_multilingual_encoder()


@pytest.fixture(scope="module")
def matcher(encoder: MultilingualUSE) -> ClaimMatcher:
    """The bundled myths plus two English fact-checks: one on a myth's claim, one on no myth's."""
    return ClaimMatcher(load_claims(), encoder, extra=[
        as_claim(factcheck("Immigrants pay no taxes at all.", TAXES)),
        as_claim(factcheck("The state pays every asylum seeker a monthly salary of 2000 euros.", SALARY))])


# --- lexicons -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "frames"), [
    ("Migrants commit more crimes than natives.", {"crime"}),
    ("Les immigrés nous prennent nos emplois et font baisser les salaires.", {"jobs", "wages"}),
    ("Los refugiados están propagando enfermedades infecciosas.", {"disease"}),
    ("Les étrangers passent devant tout le monde pour avoir un HLM.", {"housing"}),
    ("The football team won on Saturday.", set()),
    ("GP surgeries are struggling and shoplifting thefts are up.", {"health_system", "crime"}),
    ("Un migrant sur deux serait au chômage.", {"population_share", "jobs"}),  # a proportion of the group
])
def test_frames_are_read_in_each_language(text: str, frames: set[str]) -> None:
    assert frames_of(text) == frames


def test_a_dollar_entry_is_a_whole_word() -> None:
    pattern = stem_pattern(("nos$", "crimin"))
    assert pattern.search("ils prennent nos emplois") and pattern.search("criminals")
    assert not pattern.search("nostalgia") and not pattern.search("incriminate")


@pytest.mark.parametrize(("sentence", "cues"), [
    ("Migrant workers steal our jobs.", {"hostile", "ingroup"}),
    ("La plupart des demandeurs d'asile sont en réalité des migrants économiques.", {"general"}),
    ("Por culpa de los extranjeros, los de aquí se quedan sin curro.", {"blame", "ingroup"}),
    ("Refugees are given a brand new car by the council, neighbours claim.", {"attributed"}),
    ("Les réfugiés paient des impôts comme tout le monde.", set()),  # "tout le monde" generalises nothing
    # hedged reporting: the French/Spanish conditional of hearsay, a hedging verb, "mainly"
    ("Les immigrés toucheraient davantage que les retraités.", {"attributed"}),
    ("Los extranjeros cobrarían más que los jubilados.", {"attributed"}),
    ("The councillor suggested that asylum seekers come mainly for the handouts.", {"attributed", "general"}),
    ("Il a publié un portrait des exilés.", set()),  # "portrait" is no conditional
])
def test_claim_cues(sentence: str, cues: set[str]) -> None:
    assert claim_cues(sentence) == cues


@pytest.mark.parametrize(("sentence", "cues"), [
    ("Two asylum seekers were injured in a fire at their hostel last night.", {"event", "help"}),
    ("Selon l'Insee, les immigrés sont plus souvent locataires que propriétaires.", {"institution"}),
    ("Los solicitantes de asilo pueden trabajar seis meses después de presentar su solicitud.", {"procedure"}),
    ("Los inmigrantes aportan a la Seguridad Social con sus cotizaciones.", {"contribution"}),
    ("Los inmigrantes no aportan ni un céntimo a Hacienda.", set()),  # a contribution denied is a claim
    ("Migrants refuse to integrate.", set()),
    # an unsourced rumour is no institution: "according to a viral post" reports nothing
    ("According to a viral post, migrants get free phones.", set()),
    ("According to a study, migrants get the same phones as everyone.", {"institution", "equal"}),
])
def test_report_cues(sentence: str, cues: set[str]) -> None:
    assert report_cues(sentence) == cues


def test_negation_cues() -> None:
    assert is_negative("Les migrants n'ont aucune qualification.") and is_negative("Immigrants don't pay tax.")
    assert is_negative("Los inmigrantes no pagan ningún impuesto.")
    assert not is_negative("Les immigrés paient des impôts.") and not is_negative("Migrants take our jobs.")
    # "ne ... que" restricts and "sans-papiers" names people: neither denies the words after it
    assert negated_stems("On ne voit que des hommes jeunes, pas de femmes.") == {"femme"}
    assert negated_stems("Les sans-papiers nous prennent le travail.") == frozenset()
    assert "quali" in negated_stems("Les immigrés sont sans qualification.")


# --- the decision score -----------------------------------------------------------------------

def test_adjusted_score_moves_with_each_cue() -> None:
    claim = ClaimView(frames=frozenset({"jobs"}), negative=False)
    plain = SentenceView(frames=frozenset(), claim_like=False, reports=0, negative=False)
    claim_like = SentenceView(frames=frozenset({"jobs"}), claim_like=True, reports=0, negative=False)
    report = SentenceView(frames=frozenset(), claim_like=False, reports=1, negative=False)
    elsewhere = SentenceView(frames=frozenset({"crime"}), claim_like=False, reports=0, negative=False)
    negated = SentenceView(frames=frozenset(), claim_like=False, reports=0, negative=True)
    base = adjusted(0.6, plain, claim)
    assert base == pytest.approx(0.6 / SCALE)
    assert adjusted(0.6, claim_like, claim) > base > adjusted(0.6, elsewhere, claim) > adjusted(0.6, report, claim)
    assert adjusted(0.6, negated, claim) < base
    assert adjusted(1.0, claim_like, claim) == pytest.approx(1.0) and adjusted(0.1, report, claim) == 0.0
    # a claim negated in every phrasing ("pay no taxes") is not restated by an affirmative sentence
    taxes = claim_view(["Migrants pay no taxes.", "Les immigrés ne paient pas d'impôts."])
    assert taxes == ClaimView(frames=frozenset({"taxes"}), negative=True)
    paying = sentence_view("Les réfugiés paient des impôts.")
    assert adjusted(0.7, paying, taxes) < adjusted(0.7, sentence_view("Les réfugiés ne paient aucun impôt."), taxes)


# --- the matcher ------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "sentence"), [
    ("fr", "Les immigrés ne versent pas un centime au fisc."),
    ("es", "Los inmigrantes no aportan ni un céntimo a Hacienda."),
])
def test_a_translation_reaches_an_english_factcheck_through_its_myth(matcher: ClaimMatcher, lang: str,
                                                                      sentence: str) -> None:
    [found] = matcher.match([sentence], [lang])
    assert {(m.kind, m.url if m.kind == "factcheck" else m.claim_id) for m in found} == {
        ("factcheck", TAXES), ("myth", "migrants-pay-no-taxes")}


def test_a_factcheck_on_no_myth_borrows_nothing(matcher: ClaimMatcher) -> None:
    [found] = matcher.match(["Refugees are bringing contagious diseases with them."])
    assert [m.claim_id for m in found] == ["migrants-bring-disease"]  # no fact-check borrowed the myth


@pytest.mark.parametrize("sentence", [
    "Une famille de migrants a été expulsée de son logement mardi.",  # one dated event (0.55 before)
    "Les réfugiés paient des impôts comme tout le monde.",  # affirms what the tax claim negates
    "Immigrants keep our hospitals and care homes running.",  # a contribution, not a harm
])
def test_same_topic_reports_are_not_flagged(matcher: ClaimMatcher, sentence: str) -> None:
    assert matcher.match([sentence]) == [()]


def test_a_sentence_that_contradicts_a_myth_is_not_flagged(matcher: ClaimMatcher) -> None:
    # the conditional makes it hearsay, but the sentence refutes it
    assert matcher.match(["Ces données contredisent l'idée selon laquelle les immigrés prendraient nos emplois."],
                         ["fr"]) == [()]
    [found] = matcher.match(["Les immigrés prendraient nos emplois, affirme le candidat."], ["fr"])
    assert [m.claim_id for m in found] == ["migrants-take-jobs"]


def test_a_shared_frame_opens_the_keyword_gate(matcher: ClaimMatcher) -> None:
    # "cambriolages" is none of the crime myth's keywords, but the crime frame's
    [found] = matcher.match(["Depuis l'arrivée des migrants, les cambriolages explosent dans le quartier."], ["fr"])
    assert [m.claim_id for m in found] == ["migrants-cause-crime-wave"]
