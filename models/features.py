"""Text normalisation against spelling obfuscation, and lexicon features for the hate head."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from pipeline.text import fold

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_MIXED = re.compile(r"\b(?=[\w@$!]*[a-z])(?=[\w@$!]*[0-9@$])[\w@$!]{3,}\b")
_SPACED = re.compile(r"\b(?:[a-z][ .\-*_]){3,}[a-z]\b")
_INNER = re.compile(r"(?<=[a-z])[.\-*_](?=[a-z])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_URL = re.compile(r"https?://\S+|www\.\S+")

FEATURE_NAMES = ("dehumanising", "threat", "counter", "target", "target_x_dehumanising",
                 "target_x_threat", "exclamations", "uppercase_ratio")


def deobfuscate(text: str) -> str:
    """Fold case and accents and undo common obfuscation: leetspeak, s.p.a.c.i.n.g, looong letters."""
    out = fold(_URL.sub(" ", text))
    out = _MIXED.sub(lambda m: m.group(0).translate(_LEET) if not m.group(0).isdigit() else m.group(0), out)
    out = _SPACED.sub(lambda m: re.sub(r"[ .\-*_]", "", m.group(0)), out)
    out = _INNER.sub("", out)
    return _REPEATS.sub(r"\1\1", out)


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

    def features(self, normalised: str) -> np.ndarray:
        """Lexicon features of one de-obfuscated text, in FEATURE_NAMES order."""
        dehum = len(self.dehumanising.findall(normalised))
        threat = len(self.threats.findall(normalised))
        counter = len(self.counter.findall(normalised))
        target = 1.0 if self.target(normalised) else 0.0
        return np.array([min(dehum, 3), min(threat, 3), min(counter, 3), target,
                         target * min(dehum, 1), target * min(threat, 1), 0.0, 0.0], dtype=np.float32)


def _union(patterns: list[str]) -> re.Pattern[str]:
    """One word-bounded alternation of several patterns."""
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")


@lru_cache(maxsize=2)
def load_hate_lexicon(path: Path | None = None) -> HateLexicon:
    """Read and compile models/lexicons/hate_terms.yaml."""
    path = path or Path(__file__).parent / "lexicons" / "hate_terms.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    targets = tuple((group, _union([pat])) for group, pat in data["targets"].items())
    return HateLexicon(version=str(data["version"]), targets=targets,
                       dehumanising=_union(data["dehumanising"]), threats=_union(data["threats"]),
                       counter=_union(data["counter_cues"]))


def lexicon_features(texts: list[str], raw: list[str], lexicon: HateLexicon) -> np.ndarray:
    """Feature matrix (n, len(FEATURE_NAMES)) from normalised texts and their raw forms."""
    out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float32)
    for i, (norm, original) in enumerate(zip(texts, raw)):
        out[i] = lexicon.features(norm)
        letters = [c for c in original if c.isalpha()]
        out[i, 6] = min(original.count("!"), 3)
        out[i, 7] = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    return out
