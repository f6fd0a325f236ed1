"""Rubric terms found through their lemmas (inflected forms the patterns miss), and metaphors used
literally (flood waters, a wave breaking on the shore), decided from what the word is said of."""

from __future__ import annotations

from functools import lru_cache

from pipeline.core.record import Span
from pipeline.rubric.base import Ctx, Field, is_critique
from pipeline.rubric.nlp import Token, linked, lookup_lemmas, parsed, tokens
from pipeline.rubric.spec import Term

# What a flood, a wave or a tide is literally said of (folded lemmas).
NATURE = {
    "en": frozenset("water rain rainfall downpour river stream storm sea ocean lake dam snow mud surf wind "
                    "sewage torrent".split()),
    "fr": frozenset("eau pluie riviere fleuve ruisseau orage tempete mer ocean lac barrage neige boue crue "
                    "vent torrent".split()),
    "es": frozenset("agua lluvia rio arroyo tormenta temporal mar oceano lago presa nieve barro riada "
                    "viento torrente".split()),
}
PRENOMINAL = frozenset("nouveau jeune autre premier dernier petit grand vieux ancien pretendu soi-disant".split())
WINDOW = 3  # without a parse: a nature word this many words either side makes the use literal


def lemma_hits(entries: list[Term], f: Field, lo: int, hi: int, ctx: Ctx, lang: str) -> list[tuple[Span, Term]]:
    """Uncritical words of f.text[lo:hi] whose lemma (and part of speech, where a term asks for one and a
    parser gives it) is one of a term's lemmas; a sentence is parsed only when a lookup lemma of it makes
    a hit possible, so most sentences cost a few dictionary look-ups."""
    with_lemmas = [t for t in entries if t.lemmas]
    out: list[tuple[Span, Term]] = []
    for s0, s1 in (s for s in f.sentences if s[0] < hi and s[1] > lo) if with_lemmas else ():
        s0, s1 = max(s0, lo), min(s1, hi)
        near = [t for t in with_lemmas if any(stem in f.folded[s0:s1] for stem in _stems(t))]
        have = lookup_lemmas(f.text[s0:s1], lang) if near else set()
        wanted = [t for t in near if have.intersection(t.lemmas) and (not t.pos or parsed(lang))]
        toks = tokens(f.text[s0:s1], lang) if wanted else ()
        out += [(Span(s0 + tok.start, s0 + tok.end, f.text[s0 + tok.start:s0 + tok.end], term.id, f.name), term)
                for term in wanted for tok in toks
                if tok.lemma in term.lemmas and _as_pos(toks, tok.i, term.pos)
                and not is_critique(f, s0 + tok.start, s0 + tok.end, ctx)]
    return out


@lru_cache(maxsize=1024)
def _stems(term: Term) -> tuple[str, ...]:
    """What a form of each lemma must contain (all but its last three letters, at least four): a
    substring test that spares the look-ups on almost every sentence."""
    return tuple(lemma[:max(4, len(lemma) - 3)] for lemma in term.lemmas)


def _as_pos(toks: tuple[Token, ...], i: int, pos: str) -> bool:
    """Whether token i has the part of speech a term asks for (any when none)."""
    if not pos or toks[i].pos != pos:
        return not pos
    # A "noun" right after a noun, or after an adjective that is not one placed before nouns, is an
    # adjective the small pipelines mistag ('passager(s) clandestin(s)'): a person called 'clandestin'
    # follows a determiner, a number, a preposition or 'jeunes', 'nouveaux'...
    before = toks[i - 1] if i > 0 else None
    return before is None or not (before.pos in ("NOUN", "PROPN")
                                  or (before.pos == "ADJ" and before.lemma not in PRENOMINAL))


def literal(f: Field, lo: int, hi: int, span: Span, lang: str) -> bool:
    """Whether a metaphor in f.text[lo:hi] is used literally: with a parse, when what it is said of (a
    verb's subject, a noun's head or complement) is water, rain, a river...; else, or when the parse
    links it to nothing, when such a word is within WINDOW words of it."""
    nature = NATURE.get(lang)
    if not nature:
        return False
    toks = tokens(f.text[lo:hi], lang)
    at = next((t.i for t in toks if t.start <= span.start - lo < t.end), None)
    if at is None:
        return False
    said_of = {t.lemma for t in linked(toks, at)} if parsed(lang) else set()
    if said_of:
        return bool(said_of & nature)
    return any(t.lemma in nature for t in toks[max(0, at - WINDOW):at + WINDOW + 1] if t.i != at)
