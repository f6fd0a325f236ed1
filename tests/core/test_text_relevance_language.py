"""Sentence spans, accent folding, language identification and the relevance lexicon."""

from __future__ import annotations

import pytest

from models.relevance.lexicon import load_lexicon, relevance_score
from pipeline.core.language import detect
from pipeline.core.text import fold, sentence_spans


def test_sentence_spans_are_offsets() -> None:
    text = "First one. « Second ! » Third?\n\nFourth para"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "« Second ! »", "Third?", "Fourth para"]


def test_fold_keeps_length() -> None:
    for s in ("Émigrés à Ñandú", "İstanbul", "ﬁn", "straße"):
        assert len(fold(s)) == len(s)
    assert fold("Réfugiés") == "refugies"


@pytest.mark.parametrize("text, lang", [
    ("Les demandeurs d'asile attendent une réponse de la préfecture.", "fr"),
    ("Los solicitantes de asilo esperan una respuesta del ministerio.", "es"),
    ("Asylum seekers are waiting for an answer from the ministry.", "en"),
])
def test_detect(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_short_text_uses_fallback() -> None:
    assert detect("ok!", "fr") == "fr"


@pytest.mark.parametrize("text, lang", [
    ("Forty migrants were rescued at sea on Monday.", "en"),
    ("Des sans-papiers manifestent devant la préfecture.", "fr"),
    ("Llegan dos pateras con 60 personas migrantes a Almería.", "es"),
    ("Die Flüchtlinge kamen gestern an.", "de"),
])
def test_relevant(text: str, lang: str) -> None:
    assert relevance_score("", text, lang, load_lexicon()) >= 0.3


@pytest.mark.parametrize("text, lang", [
    ("Flood warnings were issued for the weekend as a heat wave ends.", "en"),
    ("I have a migraine after the match.", "en"),
    ("Le PSG a battu Lyon deux buts à un.", "fr"),
    ("El Real Madrid gana la liga.", "es"),
])
def test_not_relevant(text: str, lang: str) -> None:
    assert relevance_score("", text, lang, load_lexicon()) < 0.2


def test_title_counts_more_than_body() -> None:
    lex = load_lexicon()
    body = "The council met on Tuesday. " * 10
    assert relevance_score("Refugees", body, "en", lex) > relevance_score("", body + " Refugees", "en", lex)


def test_obfuscated_terms_count() -> None:
    lex = load_lexicon()
    assert relevance_score("", "Another boatload of 1nvaders landed this morning.", "en", lex) >= 0.2
    assert relevance_score("", "Des mi-grants partout devant la mairie.", "fr", lex) >= 0.3


def test_fold_table_matches_the_character_by_character_definition() -> None:
    import random
    import unicodedata

    def by_hand(text: str) -> str:
        return "".join(unicodedata.normalize("NFKD", ch.lower())[:1] or ch for ch in text)

    tricky = "İstanbul ÉCOLE Straße ẞ Ñandú ﬁ 𝔘 😀 中文 ǅ ΣΑΣ Ĳ \u0301x a\u0300"
    chars, rng = [chr(c) for c in range(0x20, 0x3000)], random.Random(7)
    sample = "".join(rng.choice(chars) for _ in range(20_000))
    for text in (tricky, sample, ""):
        assert fold(text) == by_hand(text) and len(fold(text)) == len(text)
