"""The claim library: recurring migration myths (models/lexicons/claims.yaml) with their phrasings per language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import models
from pipeline.core.config import read_yaml_mapping
from pipeline.core.errors import ConfigError
from pipeline.core.text import fold

LANGUAGES = ("en", "fr", "es")
RATINGS = ("false", "misleading", "unsupported")
_REQUIRED = ("id", "topic", "rating", "source", "url", "claim", "evidence", "keywords")


@dataclass(frozen=True, slots=True)
class Claim:
    """One recurring myth with its phrasings, rating, evidence and source."""

    id: str
    topic: str
    rating: str
    source: str
    url: str
    text: Mapping[str, str]
    paraphrases: Mapping[str, tuple[str, ...]]
    evidence: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]
    kind: str = "myth"
    date: str = ""

    def phrasings(self) -> tuple[tuple[str, str], ...]:
        """(language, text) for the claim and all its paraphrases."""
        pairs = [(lang, text) for lang, text in self.text.items()]
        pairs += [(lang, p) for lang, ps in self.paraphrases.items() for p in ps]
        return tuple(pairs)

    def language_for(self, lang: str | None) -> str:
        """The language the claim is shown in for a text: its own, else English, else the only one."""
        for choice in (lang or "en", "en"):
            if choice in self.text:
                return choice
        return next(iter(self.text))

    def text_in(self, lang: str | None) -> str:
        """The claim in a language, else English, else its only language (imported fact-checks)."""
        return self.text[self.language_for(lang)]


@dataclass(frozen=True, slots=True)
class ClaimLibrary:
    """A versioned set of claims, and the stems that name migrants (one must occur)."""

    version: str
    claims: tuple[Claim, ...]
    subjects: Mapping[str, tuple[str, ...]]

    def get(self, claim_id: str) -> Claim:
        """The claim with this id (KeyError if there is none)."""
        return {claim.id: claim for claim in self.claims}[claim_id]


def default_claims_path() -> Path:
    """The claim library bundled with the models package."""
    return Path(models.__file__).parent / "lexicons" / "claims.yaml"


def load_claims(path: Path | None = None) -> ClaimLibrary:
    """Read and validate a claim library (the bundled one by default)."""
    path = path or default_claims_path()
    raw = read_yaml_mapping(path, "claim library")
    if not raw.get("version") or not isinstance(raw.get("claims"), list):
        raise ConfigError(f"{path}: expected a mapping with 'version', 'subjects' and a list "
                          "'claims'; see models/lexicons/claims.yaml for the layout")
    subjects = _per_language(raw.get("subjects"), str(path), "subjects", many=True)
    if not any(subjects.values()):
        raise ConfigError(f"{path}: 'subjects' is empty; list stems that name migrants")
    claims: list[Claim] = []
    for index, entry in enumerate(raw["claims"]):
        claim = _parse_claim(entry, path, index)
        if any(c.id == claim.id for c in claims):
            raise ConfigError(f"{path}: claim {claim.id!r} appears twice; give each claim a unique id")
        claims.append(claim)
    return ClaimLibrary(version=str(raw["version"]), claims=tuple(claims),
                        subjects={k: tuple(fold(s) for s in v) for k, v in subjects.items()})


def _parse_claim(entry: Any, path: Path, index: int) -> Claim:
    """One validated claim from its YAML mapping."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: claim #{index + 1} is not a mapping; write it as 'id: ...' fields")
    where = f"{path}: claim {str(entry.get('id') or f'#{index + 1}')!r}"
    missing = [name for name in _REQUIRED if entry.get(name) in (None, "", [], {})]
    if missing:
        raise ConfigError(f"{where} lacks {', '.join(missing)}; "
                          f"every claim needs: {', '.join(_REQUIRED)}")
    if entry["rating"] not in RATINGS:
        raise ConfigError(f"{where} has rating {entry['rating']!r}; use one of: "
                          f"{', '.join(RATINGS)} (quoted: YAML reads a bare false as a boolean)")
    keywords = _per_language(entry["keywords"], where, "keywords", many=True)
    if not any(keywords.values()):
        raise ConfigError(f"{where}: 'keywords' is empty; list a few word stems per language")
    return Claim(
        id=str(entry["id"]), topic=str(entry["topic"]), rating=str(entry["rating"]),
        source=str(entry["source"]), url=str(entry["url"]),
        text=_per_language(entry["claim"], where, "claim", many=False),
        paraphrases=_per_language(entry.get("paraphrases") or {"en": []}, where, "paraphrases", many=True),
        evidence=_per_language(entry["evidence"], where, "evidence", many=False),
        keywords={lang: tuple(fold(k) for k in ks) for lang, ks in keywords.items()})


def _per_language(value: Any, where: str, name: str, many: bool) -> Any:
    """A {language: text} or {language: [texts]} mapping, checked."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {name!r} must map languages ({', '.join(LANGUAGES)}) to text")
    for lang, item in value.items():
        if lang not in LANGUAGES:
            raise ConfigError(f"{where}: {name!r} has unknown language {lang!r}; "
                              f"use one of: {', '.join(LANGUAGES)}")
        ok = (isinstance(item, list) and all(isinstance(t, str) and t.strip() for t in item)
              if many else isinstance(item, str) and item.strip())
        if not ok:
            kind = "a list of non-empty strings" if many else "a non-empty string"
            raise ConfigError(f"{where}: {name}.{lang} must be {kind}")
    if not many and "en" not in value:
        raise ConfigError(f"{where}: {name!r} needs an 'en' text (the fallback language)")
    return {lang: tuple(item) if many else item.strip() for lang, item in value.items()}
