"""Rubric 2.0 criteria (status in crime reports, facts and context, labour and gender angles,
identities, headline against body, sourcing with gender), reviewers' verdicts, the labelled set."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from benchmarks.rubric_eval import evaluate, load_cases
from pipeline.cli import app
from pipeline.core.errors import ConfigError, InputError
from pipeline.core.record import Article, Criterion, HateResult
from pipeline.rubric.score import Rubric, apply_rubric, apply_verdict, default_rubric_path, load_rubric


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


def crit(rubric: Rubric, cid: str, text: str, lang: str = "en", title: str = "", **kw: Any) -> Criterion:
    art = Article(url="https://example.org/a", outlet="o", title=title, text=text, lang=lang, **kw)
    return next(c for c in apply_rubric(art, rubric).criteria if c.id == cid)


def test_every_criterion_has_title_description_and_reference(rubric: Rubric) -> None:
    assert rubric.version == "ilo-rubric-2.4"
    assert {c.id for c in rubric.criteria} >= {"status_mention", "facts_context", "labour_angle", "gender_angle",
                                               "identity_protection", "headline_body"}
    assert all(c.title and c.description and c.reference for c in rubric.criteria)


def test_status_mention_flags_irrelevant_nationality(rubric: Rubric) -> None:
    text = "A 23-year-old Algerian was charged with robbery in Leeds."
    c = crit(rubric, "status_mention", text)
    assert c.score == 0.5 and [s.text for s in c.evidence] == ["23-year-old Algerian"]
    assert "'23-year-old Algerian'" in c.explanation and c.reference in c.explanation
    relevant = crit(rubric, "status_mention", "Two Albanian men were convicted of people smuggling.")
    assert relevant.score == 1.0 and "relevant" in relevant.explanation
    assert crit(rubric, "status_mention", "Thieves robbed an Indian restaurant.").score == 1.0
    assert crit(rubric, "status_mention", "Moroccan workers picked strawberries.").score == 1.0


def test_status_mention_fr_es(rubric: Rubric) -> None:
    assert crit(rubric, "status_mention", "Un Tunisien de 19 ans a été interpellé à Marseille.", "fr").score < 1
    assert crit(rubric, "status_mention", "Un marroquí de 25 años, condenado por un robo.", "es").score < 1


def test_facts_context_counts_elements(rubric: Rubric) -> None:
    full = crit(rubric, "facts_context", "According to UNHCR, 3,000 people arrived. They fled war. "
                                         "The Refugee Convention protects them.")
    assert full.score == 1.0 and {s.label for s in full.evidence} == {"sourced_figure", "causes", "law"}
    none = crit(rubric, "facts_context", "Thousands of migrants arrived on Tuesday.")
    assert none.score == pytest.approx(0.4) and "none of" in none.explanation
    partial = crit(rubric, "facts_context", "Selon le HCR, 1 200 personnes sont arrivées.", "fr")
    assert partial.score == pytest.approx(0.6) and "but not the law and causes" in partial.explanation


def test_labour_and_gender_angles(rubric: Rubric) -> None:
    present = crit(rubric, "labour_angle", "Seasonal workers paid recruitment fees and arrived in debt.")
    assert present.score == 1.0 and present.evidence
    absent = crit(rubric, "labour_angle", "The farm hired 200 seasonal workers for the harvest.")
    assert absent.score == 0.6 and not absent.evidence
    assert "does not apply" in crit(rubric, "labour_angle", "Refugee children started school.").explanation
    women = crit(rubric, "gender_angle", "Las mujeres migrantes denuncian abusos en Huelva.", "es")
    assert women.score == 1.0 and women.evidence[0].label == "women_migrants"
    assert crit(rubric, "gender_angle", "Young men made up most arrivals.").score == 0.85


def test_identity_protection(rubric: Rubric) -> None:
    named = crit(rubric, "identity_protection", "Trafficking victim Anna Kowalski, 19, was forced to work.")
    assert named.score < 1 and named.evidence[0].text == "Anna Kowalski"
    changed = "Trafficking victim Anna (not her real name), 19, was forced to work."
    assert crit(rubric, "identity_protection", changed).score == 1.0
    official = "Detective Inspector Sarah Jones said the victims are safe."
    assert crit(rubric, "identity_protection", official).score == 1.0


def test_headline_against_body(rubric: Rubric) -> None:
    c = crit(rubric, "headline_body", "About 1,000 people crossed in May.", title="Migrant crisis: 10,000 coming")
    assert {s.text for s in c.evidence} == {"crisis", "10,000"} and all(s.field == "title" for s in c.evidence)
    ok = crit(rubric, "headline_body", "The housing crisis leaves 300 refugees homeless.",
              title="Housing crisis: 300 refugees homeless")
    assert ok.score == 1.0
    assert "No headline" in crit(rubric, "headline_body", "Body only.").explanation


def test_sourcing_records_speaker_gender(rubric: Rubric) -> None:
    c = crit(rubric, "migrant_voices", '"We are paid nothing," she said, a migrant worker from Nepal.')
    assert c.evidence[0].label == "quote:migrant:woman"
    c = crit(rubric, "migrant_voices", "« On dort dehors », raconte un exilé soudanais, père de deux enfants.", "fr")
    assert c.evidence[0].label == "quote:migrant:man"


def test_verdicts_replace_the_hate_criterion(rubric: Rubric) -> None:
    hate = HateResult(True, 0.9, "migrants", "dehumanising", (), "m")
    result = apply_rubric(Article(url="u", outlet="o", text="Text.", hate=hate), rubric)
    stored = [c.to_dict() for c in result.criteria]
    same, _ = apply_verdict(stored, None, rubric)
    assert same == pytest.approx(result.score, abs=0.01)
    cleared, criteria = apply_verdict(stored, {"decision": "reject"}, rubric)
    hate_c = next(c for c in criteria if c["id"] == "hate_flag")
    assert cleared > result.score and hate_c["score"] == 1.0 and "rejected" in hate_c["explanation"]
    worst, criteria = apply_verdict(stored, {"decision": "confirm", "severity": "incitement", "target": "refugees"},
                                    rubric)
    hate_c = next(c for c in criteria if c["id"] == "hate_flag")
    assert worst < result.score and hate_c["score"] == 0.0 and "refugees" in hate_c["explanation"]
    default, _ = apply_verdict(stored, {"decision": "confirm", "severity": None}, rubric)
    assert worst < default < cleared  # no severity given: 'derogatory'


def test_misinformation_explanation_cites_the_fact_check(rubric: Rubric) -> None:
    from pipeline.core.record import ClaimMatch, Span

    match = ClaimMatch("c1", "Migrants take our jobs", "false", "FactCheckers", "https://fc.example/1", 0.9,
                       Span(0, 5, "text!", "claim"))
    c = crit(rubric, "misinformation_flag", "text!", misinformation=(match,))
    assert "FactCheckers" in c.explanation and "https://fc.example/1" in c.explanation


# ---- validation of the rubric file ----------------------------------------------------------------

@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("key", "message"), [("title", "needs a 'title'"), ("description", "needs a 'description'")])
def test_missing_title_or_description(tmp_path: Path, raw: dict[str, Any], key: str, message: str) -> None:
    data = copy.deepcopy(raw)
    del data["criteria"][2][key]
    with pytest.raises(ConfigError, match=f"rubric.yaml: criterion 'status_mention' {message}"):
        load_rubric(write(tmp_path, data))


def test_new_criterion_missing_language_and_negative_weight(tmp_path: Path, raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    del data["criteria"][4]["lexicon"]["fr"]
    with pytest.raises(ConfigError, match="criterion 'facts_context' has no lexicon for 'fr'"):
        load_rubric(write(tmp_path, data))
    data = copy.deepcopy(raw)
    data["criteria"][7]["weight"] = -0.5
    with pytest.raises(ConfigError, match=r"criterion 'identity_protection' has weight -0.5; must be a number >= 0"):
        load_rubric(write(tmp_path, data))


# ---- the labelled evaluation set ----------------------------------------------------------------

# Floors pinned from the measured figures (README); lowering one must be a deliberate edit.
FLOORS = {"terminology": (0.9, 1.0), "dehumanising": (0.85, 1.0), "status_mention": (0.95, 0.95),
          "migrant_voices": (0.95, 0.85), "identity_protection": (0.95, 0.95), "headline_body": (0.95, 0.95)}


def test_labelled_set_precision_and_recall_floors() -> None:
    result = evaluate()
    assert result["cases"] >= 120 and result["accuracy"] >= 0.95
    langs = {c["lang"] for c in load_cases()}
    assert langs == {"en", "fr", "es"}
    for cid, (precision, recall) in FLOORS.items():
        row = result["criteria"][cid]
        assert row["precision"] >= precision and row["recall"] >= recall, (cid, row)


def test_bad_cases_file(tmp_path: Path) -> None:
    bad = tmp_path / "cases.yaml"
    bad.write_text("cases:\n- {c: nonsense, lang: en, e: true, text: x}\n", encoding="utf-8")
    with pytest.raises(InputError, match="case 1 needs c"):
        load_cases(bad)


def test_bench_rubric_cli() -> None:
    result = CliRunner().invoke(app, ["bench", "rubric"])
    assert result.exit_code == 0, result.output
    assert "terminology" in result.stdout and "precision" in result.stdout


def test_bench_rubric_reads_another_cases_file_and_gives_figures_per_language(tmp_path: Path) -> None:
    cases = tmp_path / "batch.yaml"
    cases.write_text("cases:\n"
                     "- {c: terminology, lang: en, e: true, text: \"Police detained two illegal immigrants.\"}\n"
                     "- {c: terminology, lang: fr, e: true, text: \"Deux clandestins ont été interpellés.\"}\n"
                     "- {c: terminology, lang: fr, e: false, text: \"Le travail clandestin coûte cher.\"}\n",
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "rubric", "--cases", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    row = yaml.safe_load(result.stdout)["criteria"]["terminology"]
    assert row["n"] == 3 and row["languages"]["fr"]["tn"] == 1 and row["languages"]["en"]["recall"] == 1.0
    table = CliRunner().invoke(app, ["bench", "rubric", "--cases", str(cases)])
    assert "3 cases" in table.stdout and "fr 1.00 / 1.00" in table.stdout


@pytest.mark.parametrize("text", [
    "Un menor marroquí no acompañado fue detenido por un hurto en Ceuta.",  # 2.1 read only 'menores'
    "Un joven paquistaní, condenado por un robo en Badalona.",  # 2.1 read only 'paquistanies'
    "Detenido un ciudadano rumano por robar en varias viviendas de Castellón.",
])
def test_status_mention_spanish_singulars_and_arrests(rubric: Rubric, text: str) -> None:
    assert crit(rubric, "status_mention", text, "es").score < 1


def test_a_boat_skipper_is_a_relevant_mention(rubric: Rubric) -> None:
    text = "Condenado un patrón de patera argelino por la muerte de cuatro migrantes."
    c = crit(rubric, "status_mention", text, "es")
    assert c.score == 1.0 and "relevant" in c.explanation


@pytest.mark.parametrize("text, lang, flagged", [
    ("Describing refugees as a \"flood\" turns people into a natural disaster, the guide warns.", "en", False),
    ("The MP was describing a flood of migrants at the rally.", "en", True),  # not quoted: used, not mentioned
    ("Hablar de «avalancha» de personas migrantes las convierte en una catástrofe, advierte la guía.", "es", False),
    ("El diputado habló de una avalancha de inmigrantes en la frontera.", "es", True),
    # 2.3: human tides, heat waves, and a passive flood said of its 'with' / 'by' complement
    ("Une marée humaine de migrants déferle sur l'Europe, selon l'affiche.", "fr", True),
    ("Una oleada de calor azota el campamento de refugiados.", "es", False),
    ("Una oleada de migrantes llega cada noche a Almería, según el tertuliano.", "es", True),
    ("The migrant shelter was flooded when the river burst its banks.", "en", False),  # passive: said of the river
    ("The town was flooded with migrants, the leaflet claimed.", "en", True),
    ("A wave of heat hit the migrant camp.", "en", False),
    ("Una avalancha de subsaharianos intentó saltar la valla.", "es", True),  # people named by region
    ("El diputado alertó de una invasión de menas en Ceuta.", "es", True),
    # 2.4: a verb joined by 'and' without its own subject is said of the first verb's subject
    ("The storm hit the coast and flooded the migrant camp overnight.", "en", False),
    ("Migrants crossed the border and flooded the town, the leaflet claimed.", "en", True),
])
def test_quoted_metaphors_human_tides_heat_waves_and_passive_floods(rubric: Rubric, text: str, lang: str,
                                                                     flagged: bool) -> None:
    assert (crit(rubric, "dehumanising", text, lang).score < 1) is flagged


@pytest.mark.parametrize("text, lang, migrant", [
    ("\"We were told we would earn £500 a week,\" said Tomasz, a Polish warehouse worker.", "en", True),
    ("\"The numbers are falling,\" a Polish border guard said at the crossing.", "en", False),
    ("« Je veux juste travailler », explique Mamadou, arrivé du Mali en 2019.", "fr", True),
    ("« Le dispositif sera renforcé », a indiqué le préfet, arrivé de Lyon en septembre.", "fr", False),
    ("«Llevo tres años esperando los papeles», dice Yaneth, cuidadora colombiana en Bilbao.", "es", True),
    ("«Vine a trabajar», dice Óscar, llegado de Honduras hace dos años.", "es", True),
    # a nationality alone is not a migrant: the lorry driver of a smuggling story
    ("« Je ne savais rien », affirme le chauffeur, un Roumain de 44 ans.", "fr", False),
    ("«No sabía nada», dijo el conductor, un rumano de 40 años.", "es", False),
    # 2.3: their own journey inside the quote, a trade two words from the nationality, a city of departure
    ("\"I fled from Khartoum with nothing,\" Adam told the inquiry.", "en", True),
    ("\"I crossed the finish line in tears,\" said the marathon winner.", "en", False),
    ("\"We came to Britain from Leeds,\" joked the comedian.", "en", True),  # a journey to a country counts
    ("\"The boss kept our passports,\" said a Nepali security guard.", "en", True),
    ("« On nous paie quatre euros de l'heure », témoigne Ana, ouvrière agricole roumaine.", "fr", True),
    ("« J'ai laissé mes enfants au pays », confie Fatou, arrivée de Dakar il y a trois ans.", "fr", True),
    ("« Nous avons traversé la ville à vélo », racontent les deux retraités.", "fr", False),
    ("«Vine en cayuco desde Dakar con diecisiete años», recuerda Ousmane.", "es", True),
    ("«Llegamos de Sevilla en tren para ver el partido», contaron los aficionados.", "es", False),
    ("«Trabajamos sin contrato», denuncia Rosa, empleada del hogar nicaragüense.", "es", True),
    ("\"I want my son to go to school here,\" said Fatima, who sought asylum after fleeing Sudan.", "en", True),
    ("\"We fled the building when the alarm went off,\" said a hotel guest.", "en", False),
])
def test_a_speaker_named_by_nationality_and_trade_or_origin_or_telling_their_journey_is_a_migrant(
        rubric: Rubric, text: str, lang: str, migrant: bool) -> None:
    c = crit(rubric, "migrant_voices", text, lang)
    assert any(s.label.startswith("quote:migrant") for s in c.evidence) is migrant, c.evidence


@pytest.mark.parametrize("cid, text, lang, flagged", [
    ("status_mention", "Detenido un marroquí por robar en un supermercado de Ceuta.", "es", True),  # 2.2: an age
    ("status_mention", "Un Marocain a été interpellé pour vol à Nice.", "fr", True),
    # one nationality list per language (`sets`), so those added for migrants' voices count here too
    ("status_mention", "A Filipino man was arrested for theft in Leeds.", "en", True),
    ("status_mention", "Un Philippin a été interpellé pour vol à Nice.", "fr", True),
    ("status_mention", "Detenido un hombre nicaragüense por robar en Madrid.", "es", True),
    ("terminology", "The columnist wants every illegal deported before Christmas.", "en", True),  # a singular noun
    ("terminology", "Every illegal download costs the music industry money.", "en", False),
    ("terminology", "Interceptada una patera con treinta ilegales a bordo.", "es", True),  # a number word
    ("terminology", "Vingt illégaux ont été interpellés sur l'autoroute.", "fr", True),
])
def test_nouns_for_people_in_crime_reports_and_terminology(rubric: Rubric, cid: str, text: str, lang: str,
                                                          flagged: bool) -> None:
    assert (crit(rubric, cid, text, lang).score < 1) is flagged
