"""The lemma-aware relevance lexicon: inflected forms in EN/FR/ES/DE/IT, caching, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.relevance.lexicon import lemma_of, lemma_table, load_lexicon, relevance_hits, relevance_score
from pipeline.core.errors import ConfigError


@pytest.mark.parametrize("text, lang, word", [
    ("Two overstayers were detained at the port.", "en", "overstayers"),
    ("The stateless family has waited ten years.", "en", "stateless"),
    ("Les familles ont été refoulées à la frontière.", "fr", "refoulées"),
    ("Ils ont été expulsés vers la Tunisie mardi.", "fr", "expulsés"),
    ("El Gobierno deportó a 40 personas ayer.", "es", "deportó"),
    ("Muchos jóvenes emigraron a Alemania en 2012.", "es", "emigraron"),
    ("Die Familie wurde gestern abgeschoben.", "de", "abgeschoben"),
    ("Viele Geflüchtete suchen eine Wohnung.", "de", "Geflüchtete"),
    ("Sessanta migranti sono sbarcati a Lampedusa.", "it", "migranti"),
    ("Sessanta persone sono sbarcate a Lampedusa.", "it", "sbarcate"),
])
def test_inflected_forms_match_through_their_lemma(text: str, lang: str, word: str) -> None:
    hits = [span.text for span, _ in relevance_hits(text, lang, load_lexicon())]
    assert word in hits


def test_lemma_tables_are_loaded_once_per_language() -> None:
    assert lemma_of("réfugiées", "fr") == "réfugié"
    assert lemma_of("Flüchtlingen", "de") == "Flüchtling"
    before = lemma_table.cache_info().hits
    lemma_of("migrantes", "fr")
    assert lemma_table.cache_info().hits == before + 1


def test_pattern_and_lemma_do_not_count_one_word_twice() -> None:
    lex = load_lexicon()
    hits = relevance_hits("Les réfugiées sont arrivées.", "fr", lex)
    assert [span.text for span, _ in hits] == ["réfugiées"]


def test_inflection_raises_the_score_over_the_gate() -> None:
    lex = load_lexicon()
    assert relevance_score("", "Ils ont été expulsés et refoulés vers l'Algérie.", "fr", lex) >= 0.3
    assert relevance_score("", "Sessanta persone sono sbarcate stanotte a Lampedusa.", "it", lex) >= 0.2


@pytest.mark.parametrize("text, lang", [
    ("The bank completed the migration of its accounts to the cloud.", "en"),
    ("Les vacanciers ont quitté les plages après l'orage.", "fr"),
    ("Los vecinos se refugiaron en un bar durante la tormenta.", "es"),
])
def test_other_senses_stay_below_the_gate(text: str, lang: str) -> None:
    assert relevance_score("", text, lang, load_lexicon()) < 0.5


def test_unknown_lemma_language_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lex.yaml"
    path.write_text("version: x\nterms:\n  en: []\nlemmas:\n  xx: {foo: 1.0}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unsupported language"):
        load_lexicon(path)
