"""Check-worthy claims: sentences in migration coverage asserting numbers, causes or consequences."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pipeline.core.record import Article, CheckWorthy, Span
from pipeline.core.text import fold, sentence_spans

# Cue patterns over folded text (lowercase, no accents), EN/FR/ES together: the cues rarely
# collide across these languages, and mixed-language posts exist.
_CUES: Mapping[str, re.Pattern[str]] = {
    "number": re.compile(
        r"\d|\b(?:hundreds?|thousands?|millions?|billions?|half|third|quarter|twice|double[sd]?|tripl\w*"
        r"|majority|most of|per ?cent|percent|centaines?|milliers?|milliards?|moitie|tiers|quart"
        r"|majorite|la plupart|pour ?cent|cientos|miles|millon\w*|mitad|tercio|cuarto|mayoria"
        r"|por ?ciento|doubl\w*|duplic\w*|number of|nombre de|numero de|cifras?|chiffres?)\b|%"),
    "cause": re.compile(
        r"\b(?:because|due to|caus\w*|lead[s]? to|led to|result\w* in|responsible|blame\w*|fuel\w*"
        r"|driv\w* (?:up|down)|push\w* (?:up|down)|a cause|en raison|provoqu\w*|entrain\w*|responsables?"
        r"|la faute|fait (?:baisser|monter|augmenter|exploser)|por culpa|debido a|provoca\w*|culpables?"
        r"|hace[n]? que|dispara\w*|hund\w*|tir\w* vers le bas|explos\w*)\b"),
    "consequence": re.compile(
        r"\b(?:crim\w*|offen\w*|violen\w*|rap\w*|murder\w*|terror\w*|jobs?|unemploy\w*|wages?|salar\w*"
        r"|benefits?|welfare|taxe?s?|cost\w*|hospital\w*|diseases?|epidemic\w*|housing|rents?|schools?"
        r"|invasion|replac\w*|delinq\w*|viol(?:s|ent\w*)?|meurtr\w*|emplois?|chomage|allocations?"
        r"|aides? sociales?|impots?|cout\w*|hopita\w*|maladies?|logements?|loyers?|ecoles?"
        r"|remplacement|submersion|delitos?|asesinat\w*|empleos?|paro|sueldos?|ayudas?|subsidios?"
        r"|impuestos?|coste\w*|enfermedad\w*|vivienda\w*|alquiler\w*|escuelas?|invasion|reemplazo"
        r"|sustitucion|inseguridad|insecurite|insecurity)\b"),
    "trend": re.compile(
        r"\b(?:more|fewer|less|increas\w*|ris\w*|rose|surg\w*|soar\w*|record|fall\w*|fell|drop\w*"
        r"|plus de|moins de|hausse|augment\w*|baiss\w*|record|envol\w*|mas de|menos de|aument\w*"
        r"|subid\w*|bajad\w*|creci\w*|récord)\b"),
}
_WEIGHTS = {"subject": 0.35, "number": 0.25, "cause": 0.2, "consequence": 0.2, "trend": 0.1}
# Questions and declared opinions assert less; a refuting cue does not make a sentence less
# worth checking (a debunk is checked by its own sources), so it is not penalised here.
_HEDGE = re.compile(r"\?\s*$|\b(?:i think|i believe|in my opinion|je pense|je crois|a mon avis"
                    r"|creo que|en mi opinion|pienso que)\b")
# Subject + number (0.6), or subject + two of cause / consequence / trend: asserted facts
# about migrants, not topic words alone. Chosen on the dev half of
# pipeline/misinfo/data/checkworthy.jsonl.
THRESHOLD = 0.6


def score_sentence(sentence: str, subjects: re.Pattern[str]) -> tuple[float, tuple[str, ...]]:
    """A check-worthiness score in 0..1 and the cues that raised it."""
    folded = fold(sentence)
    reasons = ["subject"] if subjects.search(folded) else []
    reasons += [name for name, cue in _CUES.items() if cue.search(folded)]
    score = sum(_WEIGHTS[r] for r in reasons)
    if _HEDGE.search(folded.strip()):
        score -= 0.2
        reasons.append("hedged")
    return max(0.0, min(1.0, round(score, 4))), tuple(reasons)


def check_worthy(text: str, subjects: re.Pattern[str], threshold: float = THRESHOLD) -> tuple[CheckWorthy, ...]:
    """The check-worthy sentences of a text (about migrants, at or above the threshold)."""
    out: list[CheckWorthy] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        score, reasons = score_sentence(sentence, subjects)
        if "subject" in reasons and score >= threshold:
            out.append(CheckWorthy(Span(start, end, sentence, label="check_worthy"), score, reasons))
    return tuple(out)


def subject_pattern(per_language: Mapping[str, Sequence[str]]) -> re.Pattern[str]:
    """Regex for the stems that name migrants (the claim library's `subjects`)."""
    stems = sorted({fold(s) for group in per_language.values() for s in group}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + ")")


def mark_articles(articles: Sequence[Article], subjects: re.Pattern[str]) -> list[Article]:
    """Copies of the articles with `check_worthy` set from their body text."""
    return [a.evolve(check_worthy=check_worthy(a.text, subjects)) for a in articles]
