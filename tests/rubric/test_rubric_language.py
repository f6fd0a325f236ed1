"""Rubric language handling: inflected forms through lemmas, literal against figurative metaphors, and
social posts left out of the journalism rubric."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.core.record import Article
from pipeline.db import articles, results
from pipeline.db.database import Database
from pipeline.rubric.nlp import parsed
from pipeline.rubric.score import apply_rubric, load_rubric, score_batch


def _criterion(text: str, lang: str, cid: str) -> tuple[float, list[str]]:
    result = apply_rubric(Article(url="u", outlet="o", text=text, lang=lang), load_rubric())
    (c,) = [c for c in result.criteria if c.id == cid]
    return c.score, [e.text for e in c.evidence]


def test_english_and_french_are_parsed_and_spanish_falls_back_to_lookup_lemmas() -> None:
    assert parsed("en") and parsed("fr") and not parsed("es")


@pytest.mark.parametrize("text, lang, cid, word", [
    ("Quarante clandestins ont été interpellés.", "fr", "terminology", "clandestins"),
    ("Plusieurs clandestins dormaient dans l'entrepôt.", "fr", "terminology", "clandestins"),
    ("Des immigrés illégaux envahissent les quartiers.", "fr", "dehumanising", "envahissent"),
    ("Les migrants submergent nos villes, a lancé le candidat.", "fr", "dehumanising", "submergent"),
    ("Migrants are invading our towns, the leaflet claimed.", "en", "dehumanising", "invading"),
    ("Los inmigrantes invaden los barrios, dice el panfleto.", "es", "dehumanising", "invaden"),
    ("Los migrantes inundan nuestras calles, afirmó el candidato.", "es", "dehumanising", "inundan"),
])
def test_inflected_forms_are_found_through_their_lemma(text: str, lang: str, cid: str, word: str) -> None:
    score, evidence = _criterion(text, lang, cid)
    assert score < 1.0 and word in evidence


@pytest.mark.parametrize("text, lang", [
    ("Deux passagers clandestins ont été débarqués du ferry à Calais.", "fr"),
    ("Le travail clandestin dans le bâtiment coûte des millions.", "fr"),
    ("Le terme « clandestins » est à proscrire, rappelle la charte de déontologie.", "fr"),
])
def test_adjectives_and_quoted_critique_are_not_terminology(text: str, lang: str) -> None:
    assert _criterion(text, lang, "terminology") == (1.0, [])


@pytest.mark.parametrize("text, lang", [
    ("Flood waters reached the migrant camp overnight.", "en"),
    ("Heavy rain flooded the tents of the refugees near the border.", "en"),
    ("Les eaux de la crue ont submergé le camp de migrants pendant la nuit.", "fr"),
    ("El agua de la riada inundó el campamento de migrantes.", "es"),
    ("La lluvia inundó las tiendas de los refugiados junto a la frontera.", "es"),
])
def test_literal_floods_are_not_metaphors(text: str, lang: str) -> None:
    assert _criterion(text, lang, "dehumanising") == (1.0, [])


def test_a_flood_of_people_is_still_a_metaphor() -> None:
    assert _criterion("Politicians warned of a flood of migrants at the border.", "en", "dehumanising")[0] < 1.0


def _post(n: int) -> Article:
    return Article(url=f"https://social.test/@a/{n}", outlet="s", kind="post", lang="en",
                   text="The Great Replacement is real: they are replacing us with migrants.",
                   published=datetime(2026, 3, 1, tzinfo=UTC))


def test_social_posts_get_no_journalism_score(tmp_path: Path) -> None:
    post, article = _post(1), Article(url="https://news.test/1", outlet="n", lang="en",
                                      text="Migrants arrived in Dover.", published=datetime(2026, 3, 1, tzinfo=UTC))
    scored = score_batch([post, article], load_rubric())
    assert scored[0].rubric is None and scored[1].rubric is not None
    db = Database.open(tmp_path / "x.duckdb")
    articles.insert_articles(db, [post, article], None)
    results.save_classifications(db, [post.evolve(relevance=0.9), article.evolve(relevance=0.9)], "m@1", 0.1)
    assert [a.id for a in results.pending_rubric(db, "m@1", "r1")] == [article.id]

