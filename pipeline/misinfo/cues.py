"""Claim-likeness cues: a generalising assertion about migrants as a group, or a report of one event,
a procedure or an institution's figure (EN/FR/ES over folded text)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipeline.core.text import fold
from pipeline.misinfo.frames import stem_pattern

# A myth speaks of migrants as a whole ("they all", "most", "never"), sets them against an in-group
# ("our jobs", "les nôtres", "los de aquí"), blames them, uses a hostile verb or label, or is put in
# someone's mouth ("neighbours claim").
_CLAIM: Mapping[str, tuple[str, ...]] = {
    "general": (
        "all$", "every", "each$", "any$", "most$", "majority", "bulk of", "nearly all", "almost all",
        "so many", "all these", "always", "never", "not one", "not a single", "a single", "nothing",
        "only$", "just$", "simply", "nothing but", "really", "none of", "hardly any", "whatsoever",
        "at all$", "tous$", "toutes$", "tout$", "chaque", "la plupart", "majorite", "presque tous",
        "toujours", "jamais", "pas un$", "aucun", "seulement", "uniquement", "rien que", "en realite",
        "vraiment", "todos$", "todas$", "cada$", "cualquier", "mayoria", "casi todos", "tantos$",
        "tantas$", "todo$", "siempre", "nunca", "jamas", "ni un$", "ni una$", "ningun", "solo$",
        "solamente", "unicamente", "en realidad", "casi ninguno",
        # "come mainly for...": a motive or trait put on the group as a whole
        "mainly", "mostly", "chiefly", "largely", "primarily", "principalement", "essentiellement",
        "sobre todo", "principalmente", "mayoritariamente"),
    "ingroup": (
        "our$", "ours$", "us$", "we$", "locals$", "local families", "local people", "local workers",
        "native$", "natives", "native-born", "born here", "our own", "the rest of us", "this country",
        "taxpayer", "nos$", "notre$", "nous$", "chez nous", "les notres", "d'ici", "de souche", "natifs",
        "les francais", "nos compatriotes", "notre pays", "contribuable", "nuestro", "nuestra", "de aqui",
        "los espanoles", "las familias espanolas", "de toda la vida", "nativos", "autoctonos",
        "nuestro pais", "contribuyente"),
    "blame": (
        "because of", "the fault of", "to blame", "are behind", "at the expense", "a cause d",
        "a cause des", "la faute", "responsables d", "au detriment", "por culpa", "a costa d", "culpa de"),
    "hostile": (
        "steal", "stole", "grab", "take our", "taking our", "took our", "flood", "invad", "overrun",
        "swamp", "spread", "import", "exploit$", "exploits$", "exploiting", "exploitent", "abus",
        "scroung", "sponge", "live off", "living off", "milk", "drain", "invasion", "terrorist",
        "jihadist", "djihadist", "yihadist", "replacing", "remplac", "sustitu", "ruina", "ruine",
        "before families", "before local", "avant les", "antes que a", "antes que las", "antes que los",
        "burden", "dump", "undercut", "bogus", "fake", "so-called", "breeding ground", "jump the queue",
        "jump straight", "ahead of", "left behind", "pocket", "for free", "for nothing",
        "disproportionate", "commit", "break the law", "handed", "lower wages", "drag", "push down",
        "pushing down", "bring", "brought", "vol$", "volent", "voler", "piqu", "prennent", "envahi",
        "submerg", "propag", "ramen", "profit", "crochets", "ruin", "plomb", "tirent", "faux$", "fausse",
        "pretendu", "soi-disant", "passent devant", "prioritaire", "en priorite", "pour rien",
        "surrepresent", "commettent", "trinqu", "roba", "roban", "quita", "se quedan con", "propaga",
        "contagi", "traen", "aprovech", "viven de", "vivir de", "chupa", "hunde", "rebaja", "supuest",
        "falsos", "embols", "se llevan", "por la cara", "el doble", "delinquen", "cometen", "transmett",
        "entrent", "entran"),
    # a claim put in someone's mouth ("neighbours claim", "a viral post says", "selon lui")
    "attributed": (
        "claim$", "claimed", "claim that", "claims that", "he claims", "she claims", "post claims",
        "insist", "he said", "she said", "he says", "she says", "post says", "video says", "viral",
        "leaflet", "a-t-il dit", "a-t-elle dit", "affirme", "pretend", "assure", "selon lui", "selon elle",
        "d'apres lui", "tract$", "asegura", "afirma", "dijo", "segun ella", "dice$", "dicen$",
        # hedged reporting verbs: the speaker's view, not a measurement
        "allege", "suggested", "insinu", "speculat", "argued", "warned", "wondered", "repeated the claim",
        "estime que", "a lance", "sostiene", "aseguran", "afirman"),
    # an unsourced rumour: its "according to a post" is no institution
    "rumour": (
        "viral", "a post", "posts$", "shared online", "shared widely", "social media", "video claims",
        "leaflet", "pamphlet", "message viral", "publication partag", "internaute", "reseaux sociaux",
        "mensaje viral", "publicacion", "en redes", "las redes", "circula"),
}

# A report: one dated event or one person ("a migrant", "on Tuesday"), an institution's figure
# ("according to a study", "selon l'Insee"), a rule or procedure ("can apply", "pueden"), migrants
# helped, hurt or protesting ("victim", "volunteers"), equal treatment ("like everyone else"), or what
# migrants contribute ("cotisent").
_REPORT: Mapping[str, tuple[str, ...]] = {
    "event": (
        "yesterday", "last night", "this week", "last week", "this morning", "on monday", "on tuesday",
        "on wednesday", "on thursday", "on friday", "on saturday", "on sunday", "this spring",
        "this summer", "this winter", "this autumn", "a migrant", "an asylum seeker", "a refugee",
        "an immigrant", "two men", "a family", "hier$", "ce matin", "cette semaine", "la semaine derniere",
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "cet ete", "cet hiver",
        "cet automne", "un migrant$", "une migrante", "un refugie", "une refugiee", "un demandeur",
        "un immigre", "une famille", "un etranger", "ayer$", "esta semana", "esta manana", "este verano",
        "este invierno", "el lunes", "el martes", "el miercoles", "el jueves", "el viernes", "el sabado",
        "el domingo", "un inmigrante", "una inmigrante", "un migrante", "una familia", "un refugiado",
        "dos migrantes", "varios migrantes", "tras$"),
    "institution": (
        "according to a", "according to the", "study", "survey", "report", "researchers", "census",
        "police said", "ministry", "the treasury said", "charity", "statistics office", "selon l'insee",
        "selon une etude", "selon la police", "selon le ministere", "une etude", "une enquete",
        "un rapport", "association", "insee", "ofii", "segun el ine", "segun un", "segun una",
        "segun la policia", "un estudio", "una encuesta", "un informe", "caritas", "cruz roja", "red cross"),
    "procedure": (
        "can apply", "can register", "can ask", "can request", "can work", "can claim", "may apply",
        "must$", "are allowed", "are entitled", "are eligible", "have the right", "apply for",
        "applied for", "register with", "work permit", "residence permit", "under the same rules",
        "peuvent demander", "peuvent deposer", "peuvent travailler", "peuvent acceder",
        "peuvent beneficier", "doivent", "ont droit", "ont acces", "titre de sejour", "pueden pedir",
        "pueden solicitar", "pueden trabajar", "pueden acceder", "pueden empadronarse", "deben$",
        "tienen derecho", "permiso de"),
    "help": (
        # migrants helped, hurt or voicing a grievance ("protested over unpaid overtime", "réclament")
        "victim", "injured", "wounded", "helped", "help ", "volunteer", "were attacked", "was attacked",
        "was stabbed", "victime", "blesse", "aident", "benevol", "victima", "herido", "ayudan",
        "voluntari", "atendio", "agredir a", "protest", "demand$", "demands$", "demanded", "demanding",
        "call for", "called for", "went on strike", "reclament$", "reclamaient", "reclaman$", "reclamaban",
        "manifestent", "manifestation", "manifestants", "denonc", "en greve", "denunci", "exigen", "huelga"),
    "equal": (
        "like everyone", "as everyone", "like any other", "the same rules", "the same as",
        "comme tout le monde", "comme les autres", "comme tous", "comme les", "como cualquier",
        "como los demas", "igual que", "como el resto",
        # paid by the legal floor or the collective agreement: a fact about pay, not a complaint
        "minimum wage", "legal minimum", "salaire minimum", "salario minimo"),
    # Read only in a sentence without negation: "they pay taxes" reports, "they pay no taxes" claims.
    "contribution": (
        "keep", "running", "contribut", "pay tax", "paid tax", "pay their tax", "support", "sustain",
        "fill", "shortage", "essential", "enrich", "boost", "font tourner", "fait tourner", "soutien",
        "contribuent", "paient des impots", "paient leurs", "cotisent", "enrichiss", "indispensable",
        "essentiel", "penurie", "sostienen", "aportan", "contribuyen", "cotizan", "pagan impuestos",
        "pagan sus", "enriquec", "imprescindible", "esencial", "escasez"),
}

_CLAIM_PATTERNS = {name: stem_pattern(tuple(fold(e) for e in entries)) for name, entries in _CLAIM.items()}
_REPORT_PATTERNS = {name: stem_pattern(tuple(fold(e) for e in entries)) for name, entries in _REPORT.items()}
_EVERYONE = re.compile(r"\btout le monde\b")
# The French and Spanish conditional of reported claims ("les migrants viendraient pour", "no pagarían"):
# the outlet relays a claim it does not vouch for.
_HEARSAY = re.compile(r"\b\w{2,}(?<!t)r(?:ait|aient)\b|\b\w{3,}rian\b")  # not "portrait", "extrait"
_NEGATION = re.compile(r"(?<!\w)(?:not|no|never|none|nobody|nothing|cannot|ne|pas|jamais|aucun|aucune"
                       r"|rien|nunca|jamas|ningun|ninguno|ninguna|nada|ni)(?!\w)|n't\b|(?<!\w)n'")


def claim_cues(sentence: str) -> frozenset[str]:
    """The claim cue groups a sentence shows (general, ingroup, blame, hostile, attributed)."""
    folded = _EVERYONE.sub(" ", fold(sentence))  # "comme tout le monde" generalises nothing
    found = {name for name, pattern in _CLAIM_PATTERNS.items() if pattern.search(folded)}
    return frozenset(found | {"attributed"} if _HEARSAY.search(folded) else found)


def report_cues(sentence: str) -> frozenset[str]:
    """The report cue groups a sentence shows (event, institution, procedure, help, equal, contribution)."""
    folded = fold(sentence)
    found = {name for name, pattern in _REPORT_PATTERNS.items() if pattern.search(folded)}
    if _CLAIM_PATTERNS["rumour"].search(folded):
        found.discard("institution")
    return frozenset(found - {"contribution"} if is_negative(sentence) else found)


def is_negative(text: str) -> bool:
    """Whether a text has a negation cue ("no taxes", "ne paient pas", "ni un céntimo")."""
    return _NEGATION.search(fold(text).replace("’", "'")) is not None
