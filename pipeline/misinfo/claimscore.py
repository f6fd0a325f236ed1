"""The matcher's decision score: a sentence's similarity to a claim, adjusted for whether the sentence is
claim-like, shares the claim's frames and its polarity; and the myths an imported fact-check borrows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.misinfo.cues import claim_cues, is_negative, report_cues
from pipeline.misinfo.frames import frames_of

# Chosen together with the thresholds on the dev splits of the matching and cross-lingual sets (grid
# search, best F1 at precision >= 0.9; 5-fold cross-validation inside dev, weights chosen on 4 folds:
# P 0.92 / R 0.89, against 0.98 / 0.90 fitted on all of dev). The cue lexicons were written with dev in
# view and fit it better than new text: README "Misinformation and fact-checks" has the test figures.
# Each is in similarity units.
CLAIM_BONUS = 0.15  # the sentence generalises, names an in-group, blames, uses a hostile word or quotes one
REPORT_PENALTY = 0.30  # per report cue, at most two: one dated event, an institution's figure, a rule...
FRAME_BONUS = 0.15  # times the share of the claim's frames that the sentence shares
FRAME_CONFLICT = 0.15  # the sentence has frames and none is the claim's (crime against a jobs claim)
POLARITY_PENALTY = 0.10  # every phrasing of the claim negates ("pay no taxes"), the sentence does not
NEGATION_PENALTY = 0.05  # the claim affirms, the sentence has a negation cue
# Scores are divided by this so that the best case (similarity 1, claim-like, every frame) is 1.0.
SCALE = 1.0 + CLAIM_BONUS + FRAME_BONUS
# A fact-check borrows a myth's EN/FR/ES phrasings when the myth's frames are all among its own and
# their embeddings are this close in the fact-check's language (on the bundled sets the links are
# 0.67-0.92; the closest claims left out: "un migrant sur deux ... casier judiciaire" to the crime-wave
# myth 0.57, "council homes ahead of local families" to the housing-crisis myth 0.62).
LINK_COSINE = 0.65


@dataclass(frozen=True, slots=True)
class SentenceView:
    """What the score needs to know about a sentence besides its similarity."""

    frames: frozenset[str]
    claim_like: bool
    reports: int
    negative: bool


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A claim's core frames (in more than a third of its phrasings) and whether every phrasing negates."""

    frames: frozenset[str]
    negative: bool


def sentence_view(sentence: str) -> SentenceView:
    """Frames, claim cue, report cues and negation of one sentence."""
    return SentenceView(frames=frames_of(sentence), claim_like=bool(claim_cues(sentence)),
                        reports=len(report_cues(sentence)), negative=is_negative(sentence))


def claim_view(phrasings: Sequence[str]) -> ClaimView:
    """The frames most of a claim's phrasings share, and its polarity."""
    counts = Counter(frame for text in phrasings for frame in frames_of(text))
    return ClaimView(frames=frozenset(f for f, n in counts.items() if n * 3 > len(phrasings)),
                     negative=bool(phrasings) and all(is_negative(text) for text in phrasings))


def offset(sentence: SentenceView, claim: ClaimView) -> float:
    """What claim-likeness, frames and polarity add to the similarity (negative when they lower it)."""
    moved = CLAIM_BONUS * sentence.claim_like - REPORT_PENALTY * min(sentence.reports, 2)
    if claim.frames:
        shared = len(sentence.frames & claim.frames) / len(claim.frames)
        moved += FRAME_BONUS * shared
        if sentence.frames and not shared:
            moved -= FRAME_CONFLICT
    if claim.negative != sentence.negative:
        moved -= POLARITY_PENALTY if claim.negative else NEGATION_PENALTY
    return moved


def adjusted(similarity: float, sentence: SentenceView, claim: ClaimView) -> float:
    """The decision score in 0..1: the similarity moved by claim-likeness, frames and polarity."""
    return max(0.0, (similarity + offset(sentence, claim)) / SCALE)


def linked_myths(views: Sequence[ClaimView], languages: Sequence[set[str]], myths: Sequence[int],
                 vectors: np.ndarray, rows: Sequence[np.ndarray], phrasing_langs: Sequence[str],
                 factcheck: int) -> tuple[int, ...]:
    """The myths a fact-check is the same claim as: frames included in its own, embeddings close."""
    own = vectors[rows[factcheck]]
    linked: list[int] = []
    for myth in myths:
        if not views[myth].frames or not views[myth].frames <= views[factcheck].frames:
            continue
        same = [r for r in rows[myth] if phrasing_langs[r] in languages[factcheck]]
        if same and float((vectors[same] @ own.T).max()) >= LINK_COSINE:
            linked.append(myth)
    return tuple(linked)
