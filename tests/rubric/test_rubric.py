"""Tests for the ILO fair-reporting rubric: what each criterion scores (models/lexicons/rubric.yaml)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.core.record import (
    Article,
    ClaimMatch,
    Criterion,
    HateResult,
    RubricResult,
    Span,
)
from pipeline.rubric.score import (
    KINDS,
    Rubric,
    apply_rubric,
    load_rubric,
    score_batch,
)


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    """The bundled rubric."""
    return load_rubric()


def article(text: str = "", lang: str | None = None, **changes: Any) -> Article:
    """A minimal article."""
    return Article(url="https://example.org/a", outlet="Example", text=text, lang=lang,
                   **changes)


def criterion(result: RubricResult, cid: str) -> Criterion:
    """One criterion of a result, by id."""
    return next(c for c in result.criteria if c.id == cid)


def score(rubric: Rubric, text: str, cid: str, lang: str | None = None,
          **changes: Any) -> Criterion:
    """Apply the rubric to a text and return one criterion."""
    return criterion(apply_rubric(article(text, lang, **changes), rubric), cid)


# ---- loading --------------------------------------------------------------------------------

def test_bundled_rubric_loads(rubric: Rubric) -> None:
    assert rubric.version == "ilo-rubric-2.4"
    assert rubric.languages == ("en", "fr", "es")
    assert [c.id for c in rubric.criteria] == list(KINDS)
    assert all(c.weight >= 0 and c.reference for c in rubric.criteria)


# ---- terminology ----------------------------------------------------------------------------

TERMINOLOGY = [
    ("en", "Police detained 40 illegal immigrants near Dover.", "illegal immigrants",
     "illegal_immigrant", "irregular migrant"),
    ("en", "Officials called for tougher rules on bogus asylum seekers.", "bogus asylum seekers",
     "illegal_asylum_seeker", "asylum seeker"),
    ("en", "Some 300 illegals were found.", "illegals", "illegals", "undocumented migrants"),
    ("en", "Life in the host country is hard.", "host country", "host_country",
     "country of destination"),
    ("fr", "Les clandestins ont été expulsés vers la Libye.", "clandestins", "clandestin",
     "migrants en situation irrégulière"),
    ("fr", "Des migrants illégaux ont été arrêtés à Menton.", "migrants illégaux",
     "migrant_illegal", "migrant en situation irrégulière"),
    ("fr", "La France, pays d'accueil, durcit sa loi.", "pays d'accueil", "pays_d_accueil",
     "pays de destination"),
    ("fr", "Le ministre dénonce de faux demandeurs d'asile.", "faux demandeurs d'asile",
     "faux_demandeur_asile", "demandeur d'asile"),
    ("es", "Detenidos 30 inmigrantes ilegales en Almería.", "inmigrantes ilegales",
     "inmigrante_ilegal", "migrante en situación irregular"),
    ("es", "Los sin papeles protestaron en Madrid.", "sin papeles", "sin_papeles",
     "migrantes en situación irregular"),
    ("es", "España, país de acogida, recibe a miles.", "país de acogida", "pais_de_acogida",
     "país de destino"),
    ("es", "Denuncian a falsos solicitantes de asilo.", "falsos solicitantes de asilo",
     "falso_solicitante_asilo", "solicitante de asilo"),
]


@pytest.mark.parametrize(("lang", "text", "surface", "label", "suggestion"), TERMINOLOGY)
def test_terminology_hit_with_offsets_and_suggestion(
        rubric: Rubric, lang: str, text: str, surface: str, label: str, suggestion: str) -> None:
    crit = score(rubric, text, "terminology", lang)
    assert [s.label for s in crit.evidence] == [label]
    span = crit.evidence[0]
    assert text[span.start:span.end] == surface == span.text
    assert span.field == "text"
    assert suggestion in crit.suggestions
    assert crit.score == pytest.approx(0.75)
    assert f"'{surface}'" in crit.explanation and crit.reference in crit.explanation


def test_terminology_in_title_has_title_offsets(rubric: Rubric) -> None:
    title = "Boat with Illegal Immigrants lands in Kent"
    crit = score(rubric, "Forty people arrived.", "terminology", "en", title=title)
    (span,) = crit.evidence
    assert span.field == "title"
    assert title[span.start:span.end] == "Illegal Immigrants"


def test_repeated_term_counts_each_time(rubric: Rubric) -> None:
    text = "Illegal immigrants work here. The illegal immigrants are paid less. Illegal aliens too."
    crit = score(rubric, text, "terminology", "en")
    assert len(crit.evidence) == 3
    assert crit.score == pytest.approx(0.25)
    assert "'Illegal immigrants' twice" in crit.explanation
    assert crit.explanation.endswith(").") and "\n" not in crit.explanation


def test_four_violations_floor_at_zero(rubric: Rubric) -> None:
    text = "illegals, illegals, illegals, illegals and illegals."
    assert score(rubric, text, "terminology", "en").score == 0.0


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Brazil is the host country of the World Cup."),
    ("fr", "Le travail clandestin coûte cher à l'État."),
    ("fr", "Deux passagers clandestins ont été découverts."),
    ("es", "La policía incautó armas ilegales."),
    ("es", "Los migrantes sin papeles trabajan en el campo."),
    ("en", "Irregular migrants and undocumented workers were interviewed."),
    ("en", "The Illegal Migration Act became law in 2023."),
])
def test_neutral_uses_are_not_violations(rubric: Rubric, lang: str, text: str) -> None:
    crit = score(rubric, text, "terminology", lang)
    assert crit.evidence == () and crit.score == 1.0


def test_sentence_accents_and_case_do_not_shift_offsets(rubric: Rubric) -> None:
    text = "Él dijo: ÉSTOS son INMIGRANTES ILEGALES según el Ministerio."
    (span,) = score(rubric, text, "terminology", "es").evidence
    assert text[span.start:span.end] == "INMIGRANTES ILEGALES"


# ---- language selection -----------------------------------------------------------------------

def test_article_language_selects_lexicon(rubric: Rubric) -> None:
    text = "Des illegal immigrants, dit-il."
    assert score(rubric, text, "terminology", "fr").evidence == ()
    assert len(score(rubric, text, "terminology", "en-GB").evidence) == 1
    assert len(score(rubric, text, "terminology", None).evidence) == 1
    assert len(score(rubric, text, "terminology", "de").evidence) == 1


# ---- quoting to criticise -----------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text"), [
    ("en", 'The phrase "illegal immigrants" is wrong.'),
    ("en", "The so-called 'illegals' are workers without papers."),
    ("en", "Never use the word “illegals” about people."),
    ("en", "Instead of illegal immigrants, write irregular migrants."),
    ("en", 'Critics attacked the "Illegal Migration Act" passed by parliament.'),
    ("fr", "Il faut bannir « clandestins », ce mot qui criminalise des personnes."),
    ("fr", "Le terme « pays d'accueil » suppose que les migrants sont des invités."),
    ("es", "La expresión «inmigrantes ilegales» criminaliza a las personas."),
    ("es", "En lugar de inmigrantes ilegales, diga migrantes en situación irregular."),
])
def test_quoted_critique_is_not_a_violation(rubric: Rubric, lang: str, text: str) -> None:
    assert score(rubric, text, "terminology", lang).evidence == ()


@pytest.mark.parametrize("text", [
    'He said "illegal immigrants" were to blame.',           # quoted, but no critical cue
    "In other words, illegal immigrants are to blame.",      # cue, but not quoted
])
def test_quote_and_cue_are_both_needed(rubric: Rubric, text: str) -> None:
    assert len(score(rubric, text, "terminology", "en").evidence) == 1


# ---- dehumanising ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "surface"), [
    ("en", "A flood of migrants reached the coast.", "flood"),
    ("en", "Tabloids warned of swarms of refugees at Calais.", "swarms"),
    ("en", "He warned of an invasion of migrants.", "invasion"),
    ("fr", "Une vague de migrants arrive à Lampedusa.", "vague"),
    ("fr", "Des hordes d'étrangers, selon le tract.", "hordes"),
    ("es", "Una avalancha de inmigrantes llegó en pateras.", "avalancha"),
    ("es", "Hablan de una invasión de extranjeros.", "invasión"),
])
def test_dehumanising_metaphor_with_migration_term(
        rubric: Rubric, lang: str, text: str, surface: str) -> None:
    crit = score(rubric, text, "dehumanising", lang)
    (span,) = crit.evidence
    assert text[span.start:span.end] == surface
    assert crit.score < 1.0 and crit.suggestions
    assert crit.reference in crit.explanation


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "A flood warning was issued for the valley."),
    ("en", "A wave of heat hit the city."),
    ("en", "Flood warnings were issued. Migrants were moved to a school."),  # other sentence
    ("en", "Russia's invasion of Ukraine forced millions of refugees to flee."),
    ("en", "Heat wave: migrants suffer in the camps."),
    ("fr", "L'invasion de l'Ukraine a poussé des réfugiés vers la Pologne."),
    ("es", "La marea negra llegó a la costa."),
    ("en", 'Calling refugees a "swarm" is dehumanising language.'),
])
def test_dehumanising_not_flagged(rubric: Rubric, lang: str, text: str) -> None:
    crit = score(rubric, text, "dehumanising", lang)
    assert crit.evidence == () and crit.score == 1.0


# ---- migrant voices -------------------------------------------------------------------------------

VOICES = {
    "migrant_en": ('"We work 14 hours a day," said Amina, a migrant worker from Nepal.',
                   '"We work 14 hours a day,"'),
    "migrant_before": (('Amina, a domestic worker from Kenya, told us: "We are not paid. '
                        'We sleep in the kitchen."'),
                       '"We are not paid. We sleep in the kitchen."'),
    "migrant_fr": ("« Nous dormons dehors », raconte Awa, une migrante ivoirienne.",
                   "« Nous dormons dehors »"),
    "migrant_self_es": ("«Soy refugiado y quiero trabajar aquí», dice Omar.",
                        "«Soy refugiado y quiero trabajar aquí»"),
    "migrant_adjacent": (("Karim is an asylum seeker from Sudan. “I have waited two years "
                          "for an answer,” he says."),
                         "“I have waited two years for an answer,”"),
}


@pytest.mark.parametrize("case", sorted(VOICES))
def test_migrant_voice_in_quote(rubric: Rubric, case: str) -> None:
    text, quote = VOICES[case]
    crit = score(rubric, text, "migrant_voices")
    assert crit.score == 1.0
    assert any(text[s.start:s.end] == quote and s.label.startswith("quote:migrant")
               for s in crit.evidence)


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "The migrants said they had not been paid for three months."),
    ("es", "Los temporeros denuncian que no cobran desde marzo."),
])
def test_reported_speech_of_migrants_counts(rubric: Rubric, lang: str, text: str) -> None:
    crit = score(rubric, text, "migrant_voices", lang)
    assert crit.score == 1.0 and crit.evidence[0].label == "reported:migrant"
    assert text[crit.evidence[0].start:crit.evidence[0].end] == text


@pytest.mark.parametrize("text", [
    'Police found 30 migrants in a lorry. "We acted quickly," said the police chief.',
    '"The migrants will be returned," the minister told reporters.',
    "« Les migrants seront renvoyés », a déclaré le préfet.",
    "La Guardia Civil rescató a 50 migrantes. «Estaban exhaustos», explicó un agente.",
    'The minister visited 200 migrants in the camp. "We will act soon," he said.',
])
def test_official_only_quote_is_not_a_migrant_voice(rubric: Rubric, text: str) -> None:
    crit = score(rubric, text, "migrant_voices")
    assert crit.score == 0.25
    assert crit.evidence and all(s.label == "quote:official" for s in crit.evidence)
    assert "no migrant" in crit.explanation


@pytest.mark.parametrize("text", [
    "Police arrested the migrants, said a spokesman.",
    'The phrase "illegal immigrants" is wrong.',                # a quoted term is not a voice
    "Forty migrants arrived in Lampedusa on Sunday.",
])
def test_no_quotes_scores_half(rubric: Rubric, text: str) -> None:
    crit = score(rubric, text, "migrant_voices", "en")
    assert crit.score == 0.5 and crit.evidence == ()


# ---- classifier flags -------------------------------------------------------------------------------

def test_hate_flag_uses_classifier_score_and_evidence(rubric: Rubric) -> None:
    evidence = (Span(0, 12, "Kick them out", "hate"),)
    hate = HateResult(hate=True, score=0.8, target="migrants", severity="high",
                      evidence=evidence, model="test-1")
    crit = score(rubric, "Kick them out now.", "hate_flag", hate=hate)
    assert crit.score == pytest.approx(0.2)
    assert crit.evidence == evidence
    assert "migrants" in crit.explanation and "0.80" in crit.explanation
    assert crit.reference in crit.explanation


@pytest.mark.parametrize("hate", [
    None, HateResult(hate=False, score=0.1, target=None, severity="none", evidence=(), model="m"),
])
def test_hate_flag_clean_or_missing_scores_one(rubric: Rubric, hate: HateResult | None) -> None:
    assert score(rubric, "Neutral text.", "hate_flag", hate=hate).score == 1.0


def claim(i: int) -> ClaimMatch:
    """A constructed misinformation match."""
    return ClaimMatch(claim_id=f"c{i}", claim="Migrants take our jobs", rating="false",
                      source="FactCheck", url="https://example.org/fc", similarity=0.9,
                      evidence=Span(i, i + 5, "text!", "claim"))


@pytest.mark.parametrize(("n", "expected"), [(0, 1.0), (1, 0.5), (2, 0.0), (3, 0.0)])
def test_misinformation_flag(rubric: Rubric, n: int, expected: float) -> None:
    matches = tuple(claim(i) for i in range(n))
    crit = score(rubric, "Some text here.", "misinformation_flag", misinformation=matches)
    assert crit.score == pytest.approx(expected)
    assert crit.evidence == tuple(m.evidence for m in matches)
    if n:
        assert "Migrants take our jobs" in crit.explanation and "FactCheck" in crit.explanation


# ---- overall score --------------------------------------------------------------------------------

FAIR = ('Forty irregular migrants reached Lampedusa on Sunday, the coast guard said. '
        '"We left Libya after three months without pay," said Ahmed, a migrant worker from '
        'Sudan. The number of arrivals is lower than last year, according to UNHCR.')
POOR = ("A flood of illegal immigrants swarmed the host country. Illegals are everywhere, "
        '"We will stop the invasion," said the minister.')


def test_scores_are_bounded_and_fair_beats_poor(rubric: Rubric) -> None:
    hate = HateResult(hate=True, score=0.9, target="migrants", severity="high", evidence=(),
                      model="m")
    fair = apply_rubric(article(FAIR, "en"), rubric)
    poor = apply_rubric(article(POOR, "en", hate=hate, misinformation=(claim(0),)), rubric)
    assert fair.score >= 90.0
    assert 0.0 <= poor.score < 55.0 < fair.score - 30
    assert fair.version == poor.version == rubric.version
    assert all(0.0 <= c.score <= 1.0 for c in fair.criteria + poor.criteria)


def test_score_is_weighted_mean(rubric: Rubric) -> None:
    result = apply_rubric(article(POOR, "en"), rubric)
    weights = sum(c.weight for c in result.criteria)
    expected = 100 * sum(c.weight * c.score for c in result.criteria) / weights
    assert result.score == pytest.approx(expected, abs=0.01)
    json.dumps([c.to_dict() for c in result.criteria])  # JSON-ready


@pytest.mark.parametrize("text", [FAIR, POOR, ""])
def test_every_explanation_is_one_sentence_citing_its_reference(rubric: Rubric,
                                                                 text: str) -> None:
    hate = HateResult(hate=True, score=0.7, target=None, severity="medium", evidence=(),
                      model="m")
    for hate_result in (None, hate):
        result = apply_rubric(article(text, "en", hate=hate_result,
                                      misinformation=(claim(0),)), rubric)
        for crit in result.criteria:
            assert crit.explanation.endswith(f"({crit.reference}).")
            body = crit.explanation[: -len(crit.reference) - 3].replace("e.g.", "eg")
            assert "\n" not in body and ". " not in body and "{" not in body


def test_score_batch_attaches_results(rubric: Rubric) -> None:
    articles = [article(FAIR, "en"), article(POOR, "en")]
    scored = score_batch(articles, rubric)
    assert [a.url for a in scored] == [a.url for a in articles]
    assert all(a.rubric is None for a in articles)
    assert scored[0].rubric is not None and scored[1].rubric is not None
    assert scored[0].rubric.score > scored[1].rubric.score


def test_empty_article_scores(rubric: Rubric) -> None:
    result = apply_rubric(article(""), rubric)
    assert 0.0 <= result.score <= 100.0
