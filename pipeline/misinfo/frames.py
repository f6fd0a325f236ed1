"""Claim frames: what a claim or a sentence is about (crime, jobs, benefits, disease...), read from word
stems of any of EN/FR/ES over folded text, so an English fact-check and a Spanish sentence can be
compared by topic."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipeline.core.text import fold

# Each entry is a folded stem matched at the start of a word ("crimin" matches "criminals"); an
# entry ending in "$" must be the whole word ("nos$" is not "nostalgia"). EN, FR and ES together:
# the stems rarely collide across these languages.
_FRAMES: Mapping[str, tuple[str, ...]] = {
    "crime": (
        "crime", "crimin", "offenc", "offens", "offender", "delinquen", "violen", "rape", "rapist",
        "murder", "robber", "robbing", "burglar", "theft", "shoplift", "stabbing", "gang", "thug", "thief", "thieves",
        "break the law", "breaking the law", "lawless", "assault", "mugg", "insecurity", "crim", "delinq",
        "delit", "viol$", "viols$", "violeur", "meurtr", "agress", "cambriol", "braqu", "racaill",
        "insecurite", "voyou", "casier", "delincu", "crimen", "violac", "asesin", "atraco", "agresion",
        "agresiones", "robos$", "hurto", "inseguridad", "pandill"),
    "jobs": (
        "job", "employ", "unemploy", "work", "labour", "labor", "hire", "hiring", "emploi", "chomage",
        "chomeur", "travail", "boulot", "embauch", "poste", "metier", "empleo", "emplead", "desemple",
        "paro$", "trabaj", "curro", "puesto", "contrat"),
    "wages": (
        "wage", "salar", "earning", "payslip", "pay packet", "low pay", "lower pay", "our pay",
        "their pay", "pay down", "pay rise", "for peanuts", "for less", "cheap labour", "cheap labor",
        "salair", "remuner", "smic", "payes$", "la paye", "au rabais", "moins cher", "sueldo", "nomina",
        "por menos", "mano de obra barata"),
    "welfare": (
        "benefit", "welfare", "handout", "allowance", "social security", "social assistance", "live off",
        "living off", "scroung", "freebie", "free money", "easy money", "allocation", "aides$",
        "aide sociale", "aides sociales", "aide au", "prestation", "rsa$", "caf$", "assistanat", "assiste",
        "subvention", "ayuda", "subsidi", "paguita", "ingreso minimo", "vivir de", "viven de", "mantenid",
        "subvencion"),
    "disease": (
        "disease", "illness", "infect", "contag", "epidem", "pandem", "virus", "tubercul", "tb$",
        "scabies", "measles", "germ", "outbreak", "plague", "maladi", "gale$", "rougeole", "microbe",
        "enfermedad", "infecc", "sarna", "sarampion", "brote"),
    "health_system": (
        "hospital", "doctor", "nhs$", "gp$", "gps$", "gp surger", "a&e",
        "health service", "health care", "healthcare", "clinic", "nurse",
        "hopita", "urgences", "medecin", "soins", "sante", "infirmi", "sanidad", "sanitari", "urgencias",
        "medic", "centro de salud", "enfermer"),
    "housing": (
        "housing", "council home", "council house", "council flat", "social flat", "flat$", "flats$",
        "apartment", "rent", "tenant", "landlord", "accommodat", "shelter", "hostel", "hotel",
        "waiting list", "logement", "loge", "hlm$", "loyer", "locatai", "appartement", "heberg",
        "vivienda", "piso", "alquil", "inquilin", "alojamiento", "aloja", "albergue"),
    "taxes": (
        "tax", "treasury", "public purse", "public money", "exchequer", "national insurance", "impot",
        "contribuable", "fisc", "argent public", "deniers publics", "cotis", "budget de l'etat",
        "impuesto", "contribuyente", "hacienda", "irpf", "dinero publico", "cotiza", "seguridad social"),
    "money": (
        "euro$", "euros$", "pound", "dollar", "grand$", "cash", "money", "a month", "monthly", "argent",
        "par mois", "mensuel", "fric$", "dinero", "al mes", "mensual", "pasta$", "centim", "penny",
        "cent$", "centime"),
    "economic_motive": (
        "economic migrant", "better life", "better income", "well-paid", "better-paid", "bogus",
        "fake refugee", "so-called", "real refugee", "fleeing", "flee", "migrants economiques",
        "faux refugi", "pretendu", "soi-disant", "gagner", "fuient", "fuir", "migrantes economicos",
        "motivos economicos", "falsos refugiados", "supuestos", "ganar dinero", "huye", "huir",
        # coming to find work ("que buscan trabajo", "looking for work")
        "looking for work", "looking for a job", "better job", "chercher du travail", "cherchent du travail",
        "chercher un emploi", "buscan trabajo", "buscar trabajo", "busca de trabajo", "buscan empleo"),
    "invasion": (
        "invasion", "invad", "flood", "overrun", "swamp", "horde", "taking over", "replac", "submerg",
        "pouring in", "influx", "envahi", "deferl", "remplac", "vague", "afflux", "avalancha", "oleada",
        "sustitu", "reemplaz", "hordas", "aluvion"),
    "terrorism": (
        "terror", "jihad", "isis$", "islamic state", "islamist", "extremis", "djihad", "attentat", "daech",
        "yihad", "islamista", "atentado", "estado islamico"),
    "integration": (
        "integrat", "fit in", "assimil", "language", "learn english", "ghetto", "mix$", "own communit",
        "closed communit", "parallel societ", "own kind", "integr", "langue", "communautar", "entre eux",
        "repli", "asimil", "idioma", "lengua", "castellano", "gueto", "sus barrios", "entre ellos"),
    "schools": (
        "school", "pupil", "classroom", "ecole", "eleve", "classe", "scolaire", "escuela", "colegio",
        "alumno", "aula", "escolar"),
    "remittances": (
        "remittance", "send money", "sent money", "send their", "back home", "sent home", "home countr",
        "abroad", "transferts d'argent", "envoient", "au pays", "au bled", "pays d'origine",
        "a l'etranger", "remesa", "a su pais", "mandan", "envian", "al extranjero", "fuera del pais"),
    "sea_rescue": (
        "rescue", "boat", "ship", "ngo$", "ngos$", "smuggler", "pull factor", "crossing", "sauvetage",
        "bateau", "navire", "ong$", "passeur", "appel d'air", "traversee", "rescat", "barco", "patera",
        "cayuco", "mafia", "efecto llamada"),
    "voting": (
        "vote", "voting", "election", "ballot", "scrutin", "voto", "votar", "eleccion"),
    "pensions": (
        "pension", "retiree", "elderly", "grandparent", "old age", "retraite", "grands-parents", "personnes agees",
        "jubilad", "abuelo", "ancianos"),
    "borders": (
        "border", "fence", "frontiere", "frontera", "valla"),
    "religion": (
        "muslim", "islam", "mosque", "musulman", "mosquee", "mezquita"),
    "numbers": (
        "number of", "true number", "real number", "real figure", "how many", "hidden", "hiding",
        "cover up", "covering up", "covered up", "official figures", "lie about", "lying about",
        "nombre de", "nombre reel", "vrai nombre", "vrais chiffres", "cache", "ment$", "mentent",
        "numero real", "cifra real", "cifras reales", "cuantos", "ocult", "esconde", "mienten"),
    "population_share": (
        "share of the population", "of the population", "half of", "percentage", "proportion",
        "de la population", "la moitie", "pourcentage", "de la poblacion", "la mitad", "porcentaje",
        # a proportion of the group ("one in two", "un sur deux", "uno de cada dos")
        "one in two", "one in three", "one in four", "sur deux", "sur trois", "sur quatre", "de cada dos",
        "de cada tres", "de cada cuatro"),
    "young_men": (
        "young men", "military age", "jeunes hommes", "hombres jovenes", "varones jovenes"),
    "unprecedented": (
        "unprecedented", "never before", "never seen", "sans precedent", "jamais vu", "sin precedentes",
        "nunca visto", "como nunca"),
    "freebies": (
        "smartphone", "phone", "telephone", "movil", "driving licen", "permis de conduire",
        "carne de conducir", "carnet de conducir", "free of charge", "for free", "gratuit", "gratis",
        "offert", "regal"),
    "skills": (
        "unskilled", "skilled", "qualif", "diploma", "degree", "diplom", "cualific", "estudios", "titulo"),
}


def stem_pattern(entries: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for the entries: a stem at the start of a word, or a whole word when it ends in $."""
    parts = sorted((re.escape(e[:-1]) + r"(?![\w'’])" if e.endswith("$") else re.escape(e) for e in entries),
                   key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


_FRAME_PATTERNS = {name: stem_pattern(tuple(fold(e) for e in entries)) for name, entries in _FRAMES.items()}
# Phrases whose words would raise a wrong frame: development aid is no welfare benefit.
_NOT_FRAMES = re.compile(r"\b(?:development aid|foreign aid|aide au developpement|aide publique au developpement"
                         r"|ayuda al desarrollo|ayuda oficial al desarrollo)\b")


def frames_of(text: str) -> frozenset[str]:
    """The frames a text is about (folded stems of any of the three languages)."""
    folded = _NOT_FRAMES.sub(" ", fold(text))
    return frozenset(name for name, pattern in _FRAME_PATTERNS.items() if pattern.search(folded))
