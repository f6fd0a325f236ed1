"""A synthetic news corpus for the end-to-end benchmark: seeded, mixed EN/FR/ES/DE/IT, about 5 % about
migration (some of it hateful), spread over a year and many outlets. Every sentence is written here."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

LANGS = ("en", "fr", "es", "de", "it")
ITEMS_PER_FEED = 100
MIGRATION_SHARE, HATEFUL_SHARE = 0.05, 0.2  # hateful: a share of the migration articles
YEAR = 2026

VOCAB = {
    "en": "council budget school library bakery festival museum bridge repairs bus route tram river farmers harvest "
          "prices energy solar panels volunteers election mayor police station closure union talks agreement record "
          "season match coach hospital nurses housing rents market fishermen quota weather garden".split(),
    "fr": "conseil budget école bibliothèque boulangerie festival musée pont travaux bus ligne tramway rivière "
          "agriculteurs récolte prix énergie panneaux bénévoles élection maire police gare fermeture syndicat accord "
          "record saison match entraîneur hôpital infirmières logement loyers marché pêcheurs".split(),
    "es": "ayuntamiento presupuesto escuela biblioteca panadería festival museo puente obras autobús línea tranvía "
          "río agricultores cosecha precios energía paneles voluntarios elecciones alcalde policía estación cierre "
          "sindicato acuerdo récord temporada partido entrenador hospital enfermeras vivienda".split(),
    "de": "Gemeinderat Haushalt Schule Bibliothek Bäckerei Festival Museum Brücke Reparatur Bus Linie Straßenbahn "
          "Fluss Landwirte Ernte Preise Energie Solaranlage Freiwillige Wahl Bürgermeister Polizei Bahnhof Schließung "
          "Gewerkschaft Einigung Rekord Saison Spiel Trainer Krankenhaus Pflegekräfte Wohnungen Mieten Markt".split(),
    "it": "consiglio bilancio scuola biblioteca panetteria festival museo ponte lavori autobus linea tram fiume "
          "agricoltori raccolto prezzi energia pannelli volontari elezioni sindaco polizia stazione chiusura "
          "sindacato accordo record stagione partita allenatore ospedale infermiere alloggi affitti mercato".split(),
}
MIGRATION = {
    "en": "Migrant workers at the harbour describe long shifts, and asylum seekers wait months for a work permit.",
    "fr": "Les travailleurs migrants du port décrivent de longues journées et les demandeurs d'asile attendent "
          "des mois leur permis de travail.",
    "es": "Los trabajadores migrantes del puerto describen jornadas largas y los solicitantes de asilo esperan "
          "meses un permiso de trabajo.",
    "de": "Migranten im Hafen berichten von langen Schichten, und Asylbewerber warten monatelang auf eine "
          "Arbeitserlaubnis.",
    "it": "I lavoratori migranti del porto raccontano turni lunghi e i richiedenti asilo aspettano mesi un "
          "permesso di lavoro.",
}
HATEFUL = {
    "en": "These illegals are vermin invading our towns; send the migrants back before they breed.",
    "fr": "Ces clandestins sont des parasites, une invasion de migrants qu'il faut renvoyer chez eux.",
    "es": "Estos ilegales son una plaga, una invasión de migrantes que hay que expulsar ya.",
    "de": "Diese Illegalen sind Ungeziefer, eine Invasion von Migranten, schickt sie alle zurück.",
    "it": "Questi clandestini sono parassiti, un'invasione di migranti da rimandare a casa.",
}


@dataclass(frozen=True, slots=True)
class Item:
    """One synthetic article."""

    title: str
    text: str
    published: datetime
    topic: str  # "news", "migration" or "hateful"


def lang_of(feed: int) -> str:
    """An outlet publishes in one language; outlets cycle through the five."""
    return LANGS[feed % len(LANGS)]


def item(feed: int, n: int) -> Item:
    """Item n of a feed (seeded by its position, so the server and the checks agree)."""
    rng = random.Random(feed * 1_000_003 + n)
    lang, roll = lang_of(feed), rng.random()
    topic = "news" if roll >= MIGRATION_SHARE else ("hateful" if roll < MIGRATION_SHARE * HATEFUL_SHARE
                                                   else "migration")
    words = VOCAB[lang]
    filler = " ".join(rng.choice(words) for _ in range(rng.randint(40, 90)))
    lead = {"news": "", "migration": MIGRATION[lang] + " ", "hateful": HATEFUL[lang] + " "}[topic]
    title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
    published = datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))
    return Item(title=f"{title} ({feed}.{n})", text=f"{lead}{filler}.", published=published, topic=topic)


def feed_xml(feed: int, items: int = ITEMS_PER_FEED) -> bytes:
    """Feed number `feed` as RSS 2.0."""
    entries = []
    for n in range(items):
        it = item(feed, n)
        entries.append(f"<item><title>{escape(it.title)}</title><link>http://outlet{feed}.test/a/{n}</link>"
                       f"<guid>o{feed}-{n}</guid><pubDate>{format_datetime(it.published)}</pubDate>"
                       f"<description>{escape(it.text)}</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet {feed}</title>'
            f"<link>http://outlet{feed}.test/</link><description>synthetic</description>"
            f"<language>{lang_of(feed)}</language>{''.join(entries)}</channel></rss>").encode()


def topics(feeds: int, items: int = ITEMS_PER_FEED) -> dict[str, int]:
    """How many items of each topic the corpus holds (what the pipeline should find)."""
    counts = {"news": 0, "migration": 0, "hateful": 0}
    for f in range(feeds):
        for n in range(items):
            counts[item(f, n).topic] += 1
    return counts
