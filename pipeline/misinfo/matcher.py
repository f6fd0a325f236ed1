"""Misinformation stage: match article sentences against a library of recurring migration myths."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.encoders.base import Encoder
from pipeline.core.errors import ConfigError
from pipeline.core.record import Article, ClaimMatch, Span
from pipeline.core.text import fold, sentence_spans
from pipeline.misinfo.claimscore import SCALE, claim_view, linked_myths, offset, sentence_view
from pipeline.misinfo.frames import frames_of
from pipeline.misinfo.library import LANGUAGES, RATINGS, Claim, ClaimLibrary, default_claims_path, load_claims
from pipeline.misinfo.speech import reported_claim

__all__ = ["LANGUAGES", "RATINGS", "Claim", "ClaimLibrary", "ClaimMatcher", "default_claims_path", "load_claims",
           "match_articles"]


# similarity = 0.8 * cosine (multilingual USE: paraphrase, translation) + 0.2 * Jaccard overlap
# of content-word stems, maximised over a claim's phrasings; the overlap rewards reusing a
# myth's own words, which separates it from neutral sentences on the same topic. The decision
# score adjusts it for claim-likeness, frames and polarity (pipeline/misinfo/claimscore.py).
COSINE_WEIGHT = 0.8
# Chosen with the claimscore weights on the dev splits of pipeline/misinfo/data/matching.jsonl (plus
# the calib half of claims_cases.jsonl) and pipeline/misinfo/data/crosslingual.jsonl: the best F1
# among thresholds with precision >= 0.9 (a false flag against an outlet costs more than a miss).
# `xenowatch factchecks eval --calibrate --split dev` re-checks them; test figures: README.
DEFAULT_THRESHOLD = 0.53
# Imported fact-checks have one phrasing in one language (myths have several in each, and a fact-check
# borrows those of the myths it is linked to), so their scores run lower and have their own threshold.
FACTCHECK_THRESHOLD = 0.50

# Function words of three letters or more (shorter words never count as content).
_STOPWORDS = frozenset((
    "the", "and", "but", "for", "from", "with", "are", "was", "were", "been", "being", "its",
    "this", "that", "these", "those", "they", "them", "their", "there", "here", "our", "you",
    "your", "his", "her", "does", "did", "have", "has", "had", "will", "would", "can", "could",
    "should", "may", "might", "just", "only", "very", "than", "then", "too", "also", "more",
    "most", "all", "any", "some", "such", "what", "which", "who", "when", "where", "why", "how",
    "into", "about", "over", "after", "les", "une", "des", "mais", "donc", "car", "pas", "plus",
    "que", "qui", "dont", "aux", "dans", "par", "pour", "sur", "avec", "sans", "cet", "cette",
    "ces", "ils", "elle", "elles", "nous", "vous", "leur", "leurs", "lui", "son", "ses",
    "notre", "nos", "votre", "vos", "est", "sont", "etait", "ont", "fait", "tout", "tous",
    "toute", "toutes", "los", "las", "unos", "unas", "pero", "del", "por", "para", "con", "sin",
    "sobre", "quien", "cual", "como", "cuando", "donde", "sus", "nuestro", "nuestra",
    "nuestros", "nuestras", "son", "fue", "ser", "esta", "estan", "este", "esto", "hay", "han",
    "todo", "todos", "toda", "todas", "porque", "muy", "mas"))

# Explicit refutations ("It is a myth that ...", "c'est faux", "es un bulo") are not
# flagged: the stage reports articles that repeat a myth, not those that debunk it. Bare
# "faux"/"falso" are not cues because myths use them ("faux réfugiés", "refugiados falsos").
_REFUTATION = re.compile(
    r"\b(?:myths?|misconceptions?|debunk\w*|no evidence|not true|untrue|falsely"
    r"|(?:is|are|was|it's) false|contrary to|disprove\w*|fact.?check\w*|contradict\w*|contredi\w*|contradic\w*"
    r"|mythes?|idees? recues?|aucune preuve|(?:est|c'est) faux|pas vrai|infonde\w*"
    r"|contrairement a|dementi\w*|intox"
    r"|mitos?|bulos?|es falso|son falsos|no es (?:cierto|verdad)|no hay (?:pruebas|evidencia)"
    r"|sin pruebas|ninguna prueba|desmient\w*|desmentid\w*|contrariamente a)\b"
    r"|\b(?:false|faux|fausse|falso|falsa)\s*[:!]"
    r"|^\W*(?:no|non)\s*[,:!]")  # a sentence that opens with a flat "No," / "Non," denies

# A figure attributed to a source ("according to the statistics office, 14 percent ...")
# reports a measurement; myths assert without one. Such sentences lose SOURCED_PENALTY, set
# on the dev split of pipeline/misinfo/data/matching.jsonl where neutral sourced statistics
# scored 0.47-0.55 against the nearest myth.
_SOURCED = re.compile(
    r"\b(?:according to|figures|statistics|data (?:show|from)|study|survey|report|census"
    r"|selon|d'apres|chiffres|statistiques|etude|enquete|rapport|insee|ofpra"
    r"|segun|datos|estadistica|estudio|encuesta|informe|ine)\b")
SOURCED_PENALTY = 0.08


def is_sourced_figure(sentence: str) -> bool:
    """Whether a sentence gives a figure and attributes it to a source."""
    folded = fold(sentence)
    return bool(re.search(r"\d", folded)) and _SOURCED.search(folded) is not None


# Plain denials ("migrants do not take jobs") embed close to the myth itself, so a sentence
# is not matched to a claim when a negation cue governs one of the claim's own words: a
# content word at most _SCOPE words after the cue, in the same clause, whose stem occurs in
# the claim's phrasings but is not negated there ("pay no taxes" is part of a myth).
_NEGATORS = frozenset(("not", "no", "never", "none", "nobody", "nothing", "cannot", "hardly",
                      "without", "ne", "pas", "jamais", "aucun", "aucune", "rien", "sans", "nunca",
                      "jamas", "ningun", "ninguno", "ninguna", "nada", "ni", "sin"))
_SCOPE = 3
# Negators inside fixed expressions that deny nothing ("unaccompanied minors", "not only",
# "sans-papiers"), and the French restrictive "ne ... que" ("on ne voit que des hommes": only men).
_NOT_NEGATION = re.compile(r"\b(?:not|non|no) (accompagn\w*|acompanad\w*|only|seulement"
                           r"|solo|solamente)\b|\b(?:sans|sin)[- ](papiers|papeles)\b|\bne (\w+ que)\b")


def _stem(word: str) -> str:
    """Crude stem of a folded word: plural s (or the es of "taxes") dropped, first five letters."""
    return (word[:-2] if word.endswith("xes") else word.rstrip("s"))[:5]


def _is_content(word: str) -> bool:
    """Whether a folded word carries content (not a stopword, not a short particle)."""
    return len(word) > 2 and word not in _STOPWORDS


def content_stems(text: str) -> frozenset[str]:
    """Stems of the content words of a text (folded, stopwords dropped)."""
    return frozenset(_stem(w) for w in re.findall(r"[^\W\d_]+", fold(text)) if _is_content(w))


def negated_stems(text: str) -> frozenset[str]:
    """Stems of the content words up to _SCOPE words after a negation cue, within a clause."""
    folded = re.sub(r"\bn['’]", "ne ", re.sub(r"n['’]t\b", " not", fold(text)))
    folded = _NOT_NEGATION.sub(lambda m: next(g for g in m.groups() if g), folded)
    out: set[str] = set()
    for clause in re.split(r"[,;:()—–]", folded):
        words = re.findall(r"[^\W\d_]+", clause)
        for i, word in enumerate(words):
            if word in _NEGATORS:
                out.update(_stem(w) for w in words[i + 1:i + 1 + _SCOPE] if _is_content(w) and w not in _NEGATORS)
    return frozenset(out)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two sets (0 when both are empty)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def is_refutation(sentence: str) -> bool:
    """Whether a sentence explicitly calls something a myth, false or unproven."""
    return _REFUTATION.search(fold(sentence)) is not None


def _prefixes(per_language: Mapping[str, tuple[str, ...]]) -> re.Pattern[str]:
    """Regex matching any of the (folded) stems, in any language, at the start of a word."""
    stems = sorted({s for group in per_language.values() for s in group}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + ")")


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A sentence that passed the keyword gate of at least one claim."""

    text_index: int
    start: int
    end: int
    claims: tuple[int, ...]


class ClaimMatcher:
    """Flags sentences that restate a known myth; embeds the claim phrasings once."""

    def __init__(self, library: ClaimLibrary, encoder: Encoder, threshold: float = DEFAULT_THRESHOLD,
                 extra: Sequence[Claim] = (), extra_vectors: np.ndarray | None = None,
                 factcheck_threshold: float = FACTCHECK_THRESHOLD) -> None:
        """`extra`: imported fact-checks (one phrasing each), with their cached embeddings if known;
        `threshold` is the myths', `factcheck_threshold` theirs."""
        if not 0.0 < threshold <= 1.0 or not 0.0 < factcheck_threshold <= 1.0:
            raise ConfigError(f"thresholds must be in (0, 1], got {threshold!r} and {factcheck_threshold!r}")
        self.library, self.encoder, self.threshold = library, encoder, threshold
        self.factcheck_threshold = factcheck_threshold
        self.claims = library.claims + tuple(extra)
        phrasings = [(i, text) for i, c in enumerate(self.claims) for _, text in c.phrasings()]
        owners = np.array([i for i, _ in phrasings], dtype=np.int64)
        self._rows = [np.flatnonzero(owners == i) for i in range(len(self.claims))]
        mine = sum(len(c.phrasings()) for c in library.claims)
        own = encoder.encode([text for _, text in phrasings[:mine]])
        if extra_vectors is None and len(phrasings) > mine:
            extra_vectors = encoder.encode([text for _, text in phrasings[mine:]])
        self._vectors = own if extra_vectors is None or not len(extra_vectors) else np.vstack([own, extra_vectors])
        self._stems = [content_stems(text) for _, text in phrasings]
        self._negated = [negated_stems(text) for _, text in phrasings]
        self._claim_stems = [frozenset[str]().union(*(self._stems[r] for r in rows))
                             for rows in self._rows]
        self._claim_negated = [frozenset[str]().union(*(self._negated[r] for r in rows))
                               for rows in self._rows]
        # An imported fact-check has no keyword list: its gate is its own content stems
        # plus the subject stems, so a translated sentence that names migrants still gets in.
        self._gates = [_prefixes(c.keywords if c.kind == "myth" else
                                 {"own": tuple(k for ks in c.keywords.values() for k in ks), **library.subjects})
                       for c in self.claims]
        self._subjects = _prefixes(library.subjects)
        self._views = [claim_view([text for _, text in c.phrasings()]) for c in self.claims]
        self._links = self._link_factchecks([lang for c in self.claims for lang, _ in c.phrasings()])
        # The rows whose cosine can lift a claim: its own phrasings and those of the myths it borrows.
        self._reach = [np.concatenate([self._rows[i], *(self._rows[m] for m in self._links[i])])
                       for i in range(len(self.claims))]

    def _link_factchecks(self, phrasing_langs: list[str]) -> list[tuple[int, ...]]:
        """For each imported fact-check, the myths on the same claim whose phrasings it borrows."""
        myths = [i for i, c in enumerate(self.claims) if c.kind == "myth"]
        languages = [set(c.text) for c in self.claims]
        return [() if c.kind == "myth" else
                linked_myths(self._views, languages, myths, self._vectors, self._rows, phrasing_langs, i)
                for i, c in enumerate(self.claims)]

    @property
    def subject_gate(self) -> re.Pattern[str]:
        """The regex for stems that name migrants (folded text)."""
        return self._subjects

    def match(self, texts: Sequence[str],
              langs: Sequence[str | None] | None = None) -> list[tuple[ClaimMatch, ...]]:
        """Claims restated in each text: at most one match per claim (its best sentence)."""
        if langs is not None and len(langs) != len(texts):
            raise ValueError(f"got {len(langs)} languages for {len(texts)} texts")
        candidates = self._candidates(texts)
        best: dict[tuple[int, int], tuple[float, _Candidate]] = {}
        if candidates:
            sentences = [texts[c.text_index][c.start:c.end] for c in candidates]
            views = self._embedded_views(sentences)
            scored: dict[str, list[tuple[float, int]]] = {}
            for cand, sentence in zip(candidates, sentences, strict=True):
                if sentence not in scored:
                    scored[sentence] = self._sentence_scores(cand.claims, sentence, views[sentence])
                for score, claim_index in scored[sentence]:
                    if score > best.get((cand.text_index, claim_index), (-1.0, cand))[0]:
                        best[(cand.text_index, claim_index)] = (score, cand)
        found: list[list[tuple[float, int, _Candidate]]] = [[] for _ in texts]
        for (text_index, claim_index), (score, cand) in best.items():
            found[text_index].append((score, claim_index, cand))
        return [self._emit(text, langs[i] if langs else None, found[i])
                for i, text in enumerate(texts)]

    def _embedded_views(self, sentences: Sequence[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each distinct sentence with its cosines to every phrasing, plus its reported clause (speech.py) with
        theirs when it attributes the claim to a speaker; all embedded in one batch."""
        # A sentence repeated in the batch (wire copy, a re-polled article) is embedded and scored once.
        clauses = {sentence: reported_claim(sentence) for sentence in dict.fromkeys(sentences)}
        embedded = list(dict.fromkeys([*clauses, *(c for c in clauses.values() if c)]))
        cosine = dict(zip(embedded, self.encoder.encode(embedded) @ self._vectors.T, strict=True))
        return {sentence: [(text, cosine[text]) for text in (sentence, clause) if text]
                for sentence, clause in clauses.items()}

    def _candidates(self, texts: Sequence[str]) -> list[_Candidate]:
        """Sentences that pass some claim's keyword gate and are not refutations."""
        out: list[_Candidate] = []
        gated: dict[str, tuple[int, ...]] = {}
        for index, text in enumerate(texts):
            if not text or not self._subjects.search(fold(text)):
                continue
            for start, end in sentence_spans(text):
                sentence = text[start:end]
                if sentence not in gated:
                    gated[sentence] = () if is_refutation(sentence) else self._gated(sentence)
                if gated[sentence]:
                    out.append(_Candidate(index, start, end, gated[sentence]))
        return out

    def _gated(self, sentence: str) -> tuple[int, ...]:
        """The claims a sentence is compared with: it has one of their keywords, or shares a frame with a
        myth ("les cambriolages explosent" reaches the crime myth without its keywords)."""
        folded, frames = fold(sentence), frames_of(sentence)
        return tuple(i for i, gate in enumerate(self._gates)
                     if gate.search(folded) or (self.claims[i].kind == "myth" and frames & self._views[i].frames))

    def _sentence_scores(self, claims: tuple[int, ...], sentence: str,
                         views: list[tuple[str, np.ndarray]]) -> list[tuple[float, int]]:
        """Score one sentence against its gated claims: its best myth and fact-checks over their thresholds.
        `views`: the sentence and, if it reports speech, its reported clause, each with its cosines."""
        view = sentence_view(sentence)
        penalty = SOURCED_PENALTY if is_sourced_figure(sentence) else 0.0
        offsets = {ci: offset(view, self._views[ci]) - penalty for ci in claims}
        # The overlap term is at most 1 - COSINE_WEIGHT, so a claim whose best cosine (its phrasings and
        # those it borrows) is below this cannot reach its threshold: skipping it changes no result.
        cosine = np.maximum.reduce([cos for _, cos in views])
        reachable = [ci for ci in claims if cosine[self._reach[ci]].max() * COSINE_WEIGHT
                     >= self._floor(ci) * SCALE - offsets[ci] - (1.0 - COSINE_WEIGHT)]
        if not reachable:
            return []
        negated = negated_stems(sentence)
        stemmed = [(content_stems(text), cos) for text, cos in views]
        gated = set(claims)
        similarity: dict[int, float] = {}

        def similar(ci: int) -> float:
            """The claim's similarity to the sentence (0 when gated out or denied), memoised."""
            if ci not in similarity:
                similarity[ci] = (0.0 if ci not in gated or self._denies(negated, ci)
                                  else max(self._score(stems, negated, cos, ci) for stems, cos in stemmed))
            return similarity[ci]

        scores = [(self._decision(ci, similar, offsets[ci]), ci) for ci in reachable]
        return [(score, ci) for score, ci in self._kept(scores) if score >= self._floor(ci)]

    def _floor(self, claim_index: int) -> float:
        """The threshold of a claim: the myths' or the imported fact-checks'."""
        return self.threshold if self.claims[claim_index].kind == "myth" else self.factcheck_threshold

    def _decision(self, claim_index: int, similar: Callable[[int], float], moved: float) -> float:
        """The decision score of a claim in 0..1: its similarity (a fact-check's own, or that of a myth it is
        linked to, whichever is higher) moved by the sentence's offset (claimscore.offset), over SCALE."""
        base = max([similar(claim_index), *(similar(m) for m in self._links[claim_index])])
        return max(0.0, (base + moved) / SCALE) if base > 0 else 0.0

    def _kept(self, scores: list[tuple[float, int]]) -> list[tuple[float, int]]:
        """The sentence's best myth and every fact-check: neighbouring myths ("take jobs" / "do not
        work") share words and embeddings and a sentence restates one of them, while each imported
        fact-check is its own publisher's verdict, reported beside the myth (keeping only fact-checks
        close to the best score lost cross-lingual recall on the dev splits)."""
        myths = [item for item in scores if self.claims[item[1]].kind == "myth"]
        return [item for item in scores if self.claims[item[1]].kind != "myth"] + ([max(myths)] if myths else [])

    def _denies(self, negated: frozenset[str], claim_index: int) -> bool:
        """Whether a sentence's negated words deny the claim (see _NEGATORS)."""
        return bool((negated & self._claim_stems[claim_index]) - self._claim_negated[claim_index])

    def _score(self, stems: frozenset[str], negated: frozenset[str], cosine: np.ndarray,
               claim_index: int) -> float:
        """Best combined score over the claim's phrasings that the sentence does not contradict."""
        affirmed = stems - negated  # a phrasing that negates these ("pay no taxes") is skipped
        rows = [r for r in self._rows[claim_index] if not self._negated[r] & affirmed]
        if not rows:
            return 0.0
        overlap = np.array([jaccard(stems, self._stems[r]) for r in rows], dtype=np.float32)
        combined = COSINE_WEIGHT * cosine[rows] + (1.0 - COSINE_WEIGHT) * overlap
        return float(combined.max())

    def _emit(self, text: str, lang: str | None,
              found: list[tuple[float, int, _Candidate]]) -> tuple[ClaimMatch, ...]:
        """ClaimMatch records for one text, best score first."""
        lang = (lang or "en").split("-")[0].lower()
        found.sort(key=lambda item: (-item[0], item[2].start))
        return tuple(_claim_match(self.claims[ci], text, cand, score, lang)
                     for score, ci, cand in found)


def _claim_match(claim: Claim, text: str, cand: _Candidate, score: float,
                 lang: str | None) -> ClaimMatch:
    """One ClaimMatch with its evidence span."""
    span = Span(cand.start, cand.end, text[cand.start:cand.end], label=claim.id)
    return ClaimMatch(claim_id=claim.id, claim=claim.text_in(lang), rating=claim.rating,
                      source=claim.source, url=claim.url, similarity=score, evidence=span,
                      publisher=claim.source, language=claim.language_for(lang),
                      date=claim.date, kind=claim.kind)


def match_articles(articles: Sequence[Article], matcher: ClaimMatcher) -> list[Article]:
    """Copies of the articles with `misinformation` and `check_worthy` set (from the body text)."""
    from pipeline.misinfo.checkworthy import check_worthy

    results = matcher.match([a.text for a in articles], [a.lang for a in articles])
    return [a.evolve(misinformation=m, check_worthy=check_worthy(a.text, matcher.subject_gate))
            for a, m in zip(articles, results, strict=True)]
