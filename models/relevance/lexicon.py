"""Migration relevance: a weighted multilingual lexicon (patterns plus spaCy lookup lemmas), cheap
enough to run on every item."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import models
from models.features import deobfuscated as _deobfuscated
from pipeline.core.config import read_yaml_mapping
from pipeline.core.errors import ConfigError, ModelError
from pipeline.core.record import Article, Span
from pipeline.core.text import fold

if TYPE_CHECKING:
    from models.relevance.model import RelevanceModel

MAX_HITS_PER_TERM = 3
TITLE_BOOST = 2.0
LEMMA_LANGUAGES = ("en", "fr", "es", "de", "it")
MEMO_LIMIT = 200_000  # words remembered per language (their lemma decision), then forgotten
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled relevance terms: (pattern, weight) and {lemma: weight} per language, the score scale, and
    the cascade's implicit cues per language with the lexicon score it trusts without the embedding."""

    version: str
    scale: float
    terms: dict[str, tuple[tuple[re.Pattern[str], float], ...]]
    lemmas: dict[str, dict[str, float]]
    cues: dict[str, re.Pattern[str]] = field(default_factory=dict)
    sure: float = 1.0
    lookalikes: dict[str, re.Pattern[str]] = field(default_factory=dict)
    generic: re.Pattern[str] = re.compile("(?!)")
    memo: dict[str, dict[str, str | None]] = field(default_factory=dict, compare=False, repr=False)
    any_term: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)
    any_cues: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def patterns(self, lang: str | None) -> tuple[tuple[re.Pattern[str], float], ...]:
        """Terms for a language plus the shared ones; every language when unknown."""
        if lang in self.terms:
            return self.terms["all"] + self.terms[lang]
        return tuple(t for group in self.terms.values() for t in group)

    def any_pattern(self, lang: str | None) -> re.Pattern[str]:
        """One alternation of a language's patterns: it finds a match exactly when one of them does."""
        key = lang if lang in self.terms else ""
        if key not in self.any_term:
            self.any_term[key] = _alternation(p for p, _ in self.patterns(lang))
        return self.any_term[key]

    def has_cue(self, text: str, lang: str | None) -> bool:
        """Whether a text holds an implicit migration cue (shared ones, its language's; all when unknown)."""
        return bool(self.any_cue(lang).search(_deobfuscated(text)))

    def any_cue(self, lang: str | None) -> re.Pattern[str]:
        """One alternation of the shared cues and a language's (every language's when unknown)."""
        key = lang if lang in self.cues else ""
        if key not in self.any_cues:
            keys = ("all", lang) if key else tuple(self.cues)
            self.any_cues[key] = _alternation(self.cues[k] for k in keys if k in self.cues)
        return self.any_cues[key]


def _alternation(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern that matches where any of these does (never, for none)."""
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns) or "(?!)")


@lru_cache(maxsize=4)
def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read and compile the relevance lexicon."""
    path = path or Path(models.__file__).parent / "lexicons" / "relevance.yaml"
    data = read_yaml_mapping(path, "relevance lexicon")
    try:
        terms = {lang: tuple((re.compile(r"\b(?:" + t["pattern"] + ")"), float(t["weight"]))
                             for t in entries) for lang, entries in data["terms"].items()}
        lemmas = {lang: {fold(str(k)): float(w) for k, w in entries.items()}
                  for lang, entries in (data.get("lemmas") or {}).items()}
        cues = {lang: re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in entries) + ")")
                for lang, entries in (data.get("cues") or {}).items() if entries}
        sure = float(data.get("sure", 1.0))
        lookalikes = {lang: re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in entries) + r")(?!\w)")
                      for lang, entries in (data.get("lookalikes") or {}).items() if entries}
        generic = re.compile(r"(?:" + str(data.get("generic") or "(?!)") + r")\Z")
    except (KeyError, TypeError, AttributeError, ValueError, re.error) as exc:
        raise ConfigError(f"relevance lexicon {path} is invalid: {exc}") from exc
    unknown = set(lemmas) - set(LEMMA_LANGUAGES)
    if unknown:
        raise ConfigError(f"relevance lexicon {path}: lemmas for unsupported language(s) "
                          f"{', '.join(sorted(unknown))}; use one of: {', '.join(LEMMA_LANGUAGES)}")
    terms.setdefault("all", ())
    return Lexicon(version=str(data.get("version", "unversioned")), scale=float(data.get("scale", 1.4)),
                   terms=terms, lemmas=lemmas, cues=cues, sure=sure, lookalikes=lookalikes, generic=generic)


@lru_cache(maxsize=len(LEMMA_LANGUAGES))
def lemma_table(lang: str) -> Any:
    """spaCy's lookup lemma table for a language (spacy-lookups-data), loaded once per process."""
    from spacy.lookups import load_lookups

    try:
        return load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
    except (ImportError, OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot load the {lang!r} lemma table ({exc}); "
                         "install it with: pip install spacy-lookups-data") from exc


def lemma_of(word: str, lang: str) -> str:
    """The lookup lemma of a word (its own form, then lowercased; the word itself when unknown)."""
    table = lemma_table(lang)
    found = table.get(word) or table.get(word.lower()) or word
    return str(found[0] if isinstance(found, list) else found)


def relevance_hits(text: str, lang: str | None, lexicon: Lexicon) -> list[tuple[Span, float]]:
    """Every lexicon match in a text (read through obfuscation such as '1nvaders'), with its weight."""
    return [(span, weight) for span, weight, _ in _keyed_hits(text, lang, lexicon)]


def _keyed_hits(text: str, lang: str | None, lexicon: Lexicon) -> list[tuple[Span, float, str]]:
    """Pattern hits on the de-obfuscated text, then lemma hits; each with the term it counts as."""
    folded = _deobfuscated(text)
    patterns = lexicon.patterns(lang)
    best: dict[int, tuple[Span, float]] = {}
    # Most items hold no term: one scan of the alternation proves it, instead of one scan per pattern.
    for pattern, weight in patterns if lexicon.any_pattern(lang).search(folded) else ():
        for m in pattern.finditer(folded):
            if m.start() not in best or best[m.start()][1] < weight:
                best[m.start()] = (Span(m.start(), m.end(), text[m.start():m.end()], "migration"), weight)
    hits = [(span, weight, span.text.lower()) for span, weight in (best[k] for k in sorted(best))]
    return hits + _lemma_hits(text, lang, lexicon, patterns)


def _lemma_hits(text: str, lang: str | None, lexicon: Lexicon,
                patterns: tuple[tuple[re.Pattern[str], float], ...]) -> list[tuple[Span, float, str]]:
    """Words whose lookup lemma (or form) is a listed lemma and that no pattern matched already."""
    table = lexicon.lemmas.get(lang or "")
    if not table or not text:
        return []
    memo = lexicon.memo.setdefault(str(lang), {})
    keys = {word: _memo_key(word, str(lang), memo, table, patterns) for word in set(_WORD.findall(text))}
    if all(key is None for key in keys.values()):  # most items: no listed lemma, so no second pass for the spans
        return []
    return [(Span(m.start(), m.end(), m.group(0), "migration"), table[key], key)
            for m in _WORD.finditer(text) if (key := keys[m.group(0)]) is not None]


def _memo_key(word: str, lang: str, memo: dict[str, str | None], table: dict[str, float],
              patterns: tuple[tuple[re.Pattern[str], float], ...]) -> str | None:
    """A word's listed lemma (`_lemma_key`), remembered per language up to MEMO_LIMIT words."""
    if word not in memo:
        if len(memo) > MEMO_LIMIT:
            memo.clear()
        memo[word] = _lemma_key(word, lang, table, patterns)
    return memo[word]


def _lemma_key(word: str, lang: str, table: dict[str, float],
               patterns: tuple[tuple[re.Pattern[str], float], ...]) -> str | None:
    """The listed lemma a word counts as, or None (also when a pattern already counts it)."""
    form = fold(word.lower())
    lemma = fold(lemma_of(word, lang).lower())
    key = next((k for k in (lemma, form, form[:-1]) if k in table), None)  # form[:-1]: plural -s
    if key is None or any(p.match(form) for p, _ in patterns):
        return None
    return key


def relevance_score(title: str, text: str, lang: str | None, lexicon: Lexicon) -> float:
    """0..1: saturating in the weighted number of migration terms, title hits counting double."""
    total = 0.0
    for body, boost in ((title, TITLE_BOOST), (text, 1.0)):
        counts: dict[str, tuple[int, float]] = {}
        for _, weight, key in _keyed_hits(body, lang, lexicon):
            n, _ = counts.get(key, (0, weight))
            counts[key] = (n + 1, weight)
        total += boost * sum(min(n, MAX_HITS_PER_TERM) * w for n, w in counts.values())
    length_norm = 1.0 + math.log1p(len(text.split()) / 150.0)
    return 1.0 - math.exp(-total / (lexicon.scale * length_norm))


def uncertain(title: str, text: str, lang: str | None, score: float, lexicon: Lexicon) -> bool:
    """Whether the lexicon leaves an item to the embedding head: a score under `sure` that is not 0,
    or 0 with an implicit cue."""
    return score < lexicon.sure and (score > 0.0 or lexicon.has_cue(title, lang) or lexicon.has_cue(text, lang))


def lookalike(title: str, text: str, lang: str | None, lexicon: Lexicon) -> bool:
    """Whether an item speaks of the migration of animals, data or cells and names no migrant (see the
    lexicon's `lookalikes`): its lexicon hits are all generic words such as "migration"."""
    patterns = [lexicon.lookalikes[lang]] if lang in lexicon.lookalikes else list(lexicon.lookalikes.values())
    bodies = [_deobfuscated(body) for body in (title, text) if body]  # cached: the lexicon score read them
    if not any(p.search(body) for p in patterns for body in bodies):
        return False
    keys = (key for body in (title, text) if body for _, _, key in _keyed_hits(body, lang, lexicon))
    return all(lexicon.generic.match(fold(key)) for key in keys)


def cascade(docs: Sequence[tuple[str, str, str | None]], lexical: Sequence[float], lexicon: Lexicon,
            model: RelevanceModel | None = None) -> list[float]:
    """The lexicon score where the lexicon is sure, the calibrated combined score where it is not (without a
    model, the lexicon score), and 0 for look-alikes: the head is never asked about them."""
    out = [float(s) for s in lexical]
    # Only items that could pass are checked: the rest score 0 without a cue and stay out anyway.
    unsure = [model is not None and uncertain(title, text, lang, out[i], lexicon)
              for i, (title, text, lang) in enumerate(docs)]
    for i, (title, text, lang) in enumerate(docs):
        if (out[i] > 0 or unsure[i]) and lookalike(title, text, lang, lexicon):
            out[i], unsure[i] = 0.0, False
    ask = [i for i, flag in enumerate(unsure) if flag]
    if ask and model is not None:
        combined = model.predict([docs[i][:2] for i in ask], [out[i] for i in ask])
        for i, score in zip(ask, combined, strict=True):
            out[i] = float(score)
    return out


def score_batch(articles: Sequence[Article], lexicon: Lexicon | None = None,
                model: RelevanceModel | None = None) -> list[Article]:
    """Set `relevance` on each article: the lexicon score, or with a model the cascade's score."""
    lexicon = lexicon or load_lexicon()
    lexical = [relevance_score(a.title, a.text, a.lang, lexicon) for a in articles]
    lexical = cascade([(a.title, a.text, a.lang) for a in articles], lexical, lexicon, model)
    return [a.evolve(relevance=score) for a, score in zip(articles, lexical, strict=True)]
