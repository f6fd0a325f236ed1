"""Text normalisation against spelling obfuscation, and lexicon features for the hate head."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipeline.core.config import read_yaml_mapping
from pipeline.core.text import fold

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_MIXED = re.compile(r"\b(?=[\w@$!]*[a-z])(?=[\w@$!]*[0-9@$])[\w@$!]{3,}\b")
_SPACED = re.compile(r"\b(?:[a-z][ .\-*_]){3,}[a-z]\b")
_INNER = re.compile(r"(?<=[a-z])[.\-*_](?=[a-z])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"<user>|@\w+")
_NUMBER = re.compile(r"<number>|\d+(?:[.,]\d+)*")
_NOT_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")

FEATURE_NAMES = ("dehumanising", "threat", "counter", "target", "target_x_dehumanising", "target_x_threat")


def deobfuscate(text: str) -> str:
    """Fold case and accents and undo common obfuscation: leetspeak, s.p.a.c.i.n.g, looong letters."""
    out = fold(_URL.sub(" ", text))
    out = _MIXED.sub(lambda m: m.group(0).translate(_LEET) if not m.group(0).isdigit() else m.group(0), out)
    out = _SPACED.sub(lambda m: re.sub(r"[ .\-*_]", "", m.group(0)), out)
    out = _INNER.sub("", out)
    return _REPEATS.sub(r"\1\1", out)


# The classify stage reads each title and body several times (relevance score, cues, the alarm check): one
# de-obfuscation each. Two entries per item of a classify batch (256).
deobfuscated = lru_cache(maxsize=2048)(deobfuscate)


def model_text(text: str) -> str:
    """What the encoders and lexicon features read: de-obfuscated, with users, numbers and punctuation
    written the way the largest training set (HateXplain) writes them, so that form is no signal."""
    return _model_form(deobfuscate(text))


def _model_form(clean: str) -> str:
    """model_text's second half, on de-obfuscated text."""
    out = _NUMBER.sub(" number ", _USER.sub(" user ", clean))
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", out)).strip()


def document_model_text(title: str, text: str) -> str:
    """model_text(f"{title}\n{text}") from the cached de-obfuscation of each part: no pattern of either step
    crosses a line break, and the break becomes the space that joins the parts."""
    return " ".join(part for part in (_model_form(deobfuscated(title)), _model_form(deobfuscated(text))) if part)


@dataclass(frozen=True, slots=True)
class HateLexicon:
    """Compiled target, dehumanising, threat and counter-speech patterns."""

    version: str
    targets: tuple[tuple[str, re.Pattern[str]], ...]
    dehumanising: re.Pattern[str]
    threats: re.Pattern[str]
    counter: re.Pattern[str]

    def target(self, normalised: str) -> str | None:
        """The first target group named in a de-obfuscated text."""
        for group, pattern in self.targets:
            if pattern.search(normalised):
                return group
        return None

    def alarming(self, normalised: str) -> bool:
        """Whether a text names a dehumanising term or a threat."""
        return bool(self.dehumanising.search(normalised) or self.threats.search(normalised))

    def features(self, normalised: str) -> np.ndarray:
        """Lexicon features of one de-obfuscated text, in FEATURE_NAMES order."""
        dehum = len(self.dehumanising.findall(normalised))
        threat = len(self.threats.findall(normalised))
        counter = len(self.counter.findall(normalised))
        target = 1.0 if self.target(normalised) else 0.0
        return np.array([min(dehum, 3), min(threat, 3), min(counter, 3), target,
                         target * min(dehum, 1), target * min(threat, 1)], dtype=np.float32)


def _union(patterns: list[str]) -> re.Pattern[str]:
    """One word-bounded alternation of several patterns."""
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")


@lru_cache(maxsize=2)
def load_hate_lexicon(path: Path | None = None) -> HateLexicon:
    """Read and compile models/lexicons/hate_terms.yaml."""
    path = path or Path(__file__).parent / "lexicons" / "hate_terms.yaml"
    data = read_yaml_mapping(path, "hate lexicon")
    targets = tuple((group, _union([pat])) for group, pat in data["targets"].items())
    return HateLexicon(version=str(data["version"]), targets=targets,
                       dehumanising=_union(data["dehumanising"]), threats=_union(data["threats"]),
                       counter=_union(data["counter_cues"]))


def lexicon_features(texts: list[str], lexicon: HateLexicon) -> np.ndarray:
    """Feature matrix (n, len(FEATURE_NAMES)) from model_text() forms."""
    out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float32)
    for i, norm in enumerate(texts):
        out[i] = lexicon.features(norm)
    return out
