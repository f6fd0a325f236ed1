"""The rubric file: load, validate and compile the versioned criteria, weights and lexicons."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import models
from pipeline.core.config import read_yaml_mapping
from pipeline.core.errors import ConfigError
from pipeline.core.text import fold


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a criterion id needs from the rubric file."""

    groups: tuple[str, ...]
    templates: tuple[str, ...]
    params: tuple[str, ...]


# A reviewer's confirmed hate flag scores the hate criterion by severity (params of hate_flag).
SEVERITIES = ("offensive", "derogatory", "dehumanising", "incitement")
KINDS: dict[str, _Kind] = {
    "terminology": _Kind(("terms",), ("pass", "fail"), ("penalty",)),
    "dehumanising": _Kind(("metaphors", "migration"), ("pass", "fail"), ("penalty",)),
    "status_mention": _Kind(("crime", "status", "relevant"), ("pass", "fail", "relevant"),
                            ("penalty",)),
    "migrant_voices": _Kind(("migrants", "officials", "verbs", "self", "women", "men"),
                            ("migrant", "others", "none"), ("migrant", "others", "none")),
    "facts_context": _Kind(("figures", "sources", "law", "causes"), ("full", "partial", "none"),
                           ("base",)),
    "labour_angle": _Kind(("work", "rights"), ("present", "absent", "na"), ("absent",)),
    "gender_angle": _Kind(("women", "migrants"), ("present", "absent"), ("absent",)),
    "identity_protection": _Kind(("victims", "images", "protected", "not_names"), ("pass", "fail"),
                                 ("penalty",)),
    "headline_body": _Kind(("alarm",), ("pass", "fail", "na"), ("penalty",)),
    "hate_flag": _Kind((), ("pass", "fail", "missing", "confirmed", "rejected"), SEVERITIES),
    "misinformation_flag": _Kind((), ("pass", "fail"), ("penalty",)),
}
CRITIQUE_GROUPS = ("cues", "negations")
SET_REF = re.compile(r"<<(\w+)>>")  # a pattern names a shared list of the file's `sets` (one per language)
Sets = Mapping[str, str]
TEMPLATE_FIELDS = ("reference", "terms", "suggestions", "severity", "target", "score", "count",
                   "claims", "found", "missing")


@dataclass(frozen=True, slots=True)
class Term:
    """A lexicon entry: a pattern on folded text and the wording to suggest instead; optionally lemmas
    that also count (every inflection, through pipeline.rubric.nlp), only as a part of speech if `pos`."""

    id: str
    pattern: re.Pattern[str]
    suggestions: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    pos: str = ""


Lexicon = Mapping[str, tuple[Term, ...]]


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """One criterion as configured: weight, reference, templates, params, lexicon per language."""

    id: str
    title: str
    description: str
    weight: float
    reference: str
    templates: Mapping[str, str]
    params: Mapping[str, float]
    lexicons: Mapping[str, Lexicon]


@dataclass(frozen=True, slots=True)
class Rubric:
    """A validated rubric version with its regexes compiled."""

    version: str
    languages: tuple[str, ...]
    criteria: tuple[CriterionSpec, ...]
    critique: Mapping[str, Lexicon]


def default_rubric_path() -> Path:
    """The rubric bundled with the models package."""
    return Path(str(models.__file__)).parent / "lexicons" / "rubric.yaml"


def load_rubric(path: Path | None = None) -> Rubric:
    """Read, validate and compile a rubric file (default: the bundled one)."""
    path = path or default_rubric_path()
    raw, where = _read_yaml(path), str(path)
    version: Any = raw.get("version")
    langs: Any = raw.get("languages")
    items: Any = raw.get("criteria")
    _need(isinstance(version, str) and bool(version),
          f"{where}: 'version' must be a non-empty string, e.g. 'ilo-rubric-1.0'")
    _need(isinstance(langs, list) and bool(langs) and all(isinstance(x, str) for x in langs),
          f"{where}: 'languages' must be a list of language codes, e.g. [en, fr, es]")
    _need(isinstance(items, list) and bool(items), f"{where}: 'criteria' must be a non-empty list")
    sets = _sets(raw.get("sets"), where, tuple(langs))
    criteria = tuple(_criterion_spec(item, where, tuple(langs), sets) for item in items)
    ids = [c.id for c in criteria]
    for cid in ids:
        _need(ids.count(cid) == 1, f"{where}: criterion '{cid}' is listed more than once")
    _need(sum(c.weight for c in criteria) > 0, f"{where}: criterion weights sum to 0; give at "
          "least one of: " + ", ".join(ids) + " a weight > 0")
    critique = _lexicons(raw.get("critique"), f"{where}: critique", tuple(langs), CRITIQUE_GROUPS, sets)
    return Rubric(str(version), tuple(langs), criteria,
                  {lang: _anchor_negations(lex) for lang, lex in critique.items()})


def _need(ok: bool, message: str) -> None:
    """Raise ConfigError(message) unless ok."""
    if not ok:
        raise ConfigError(message)


def _read_yaml(path: Path) -> dict[str, Any]:
    """Parse the rubric file into a mapping."""
    return read_yaml_mapping(path, "rubric file (version, languages, criteria)")


def _sets(raw: Any, where: str, langs: tuple[str, ...]) -> dict[str, Sets]:
    """The shared lists per language (`sets: {lang: {name: 'a|b|c'}}`), each a valid alternation."""
    raw = {} if raw is None else raw
    _need(isinstance(raw, dict) and all(isinstance(v, dict) for v in raw.values()),
          f"{where}: 'sets' must map a language to named lists, e.g. sets: {{en: {{nationalities: 'afghans?|...'}}}}")
    out: dict[str, Sets] = {}
    for lang in langs:
        named = {str(k): v for k, v in raw.get(lang, {}).items()}
        for name, body in named.items():
            _need(isinstance(body, str) and bool(body), f"{where}: set '{name}' ({lang}) must be a non-empty string")
            _compile(body, f"{where}: set '{name}' ({lang})")
        out[lang] = named
    return out


def _is_number(value: Any, low: float, high: float = float("inf")) -> bool:
    """A real number (not a bool) in [low, high]."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _criterion_spec(item: Any, where: str, langs: tuple[str, ...], sets: Mapping[str, Sets]) -> CriterionSpec:
    """Validate and compile one entry of `criteria`."""
    cid: Any = item.get("id") if isinstance(item, dict) else None
    _need(cid in KINDS, f"{where}: criterion {cid!r} is unknown; must be one of: "
          + ", ".join(KINDS))
    kind, owner, weight = KINDS[cid], f"{where}: criterion '{cid}'", item.get("weight")
    _need(_is_number(weight, 0), f"{owner} has weight {weight!r}; must be a number >= 0")
    for key, what in (("title", "a short name"), ("description", "what it checks, for the "
                      "methodology page"), ("reference", "the guideline it rests on")):
        _need(isinstance(item.get(key), str) and bool(item[key].strip()),
              f"{owner} needs a '{key}' ({what})")
    return CriterionSpec(cid, item["title"].strip(), " ".join(item["description"].split()),
                         float(weight), item["reference"],
                         _templates(item.get("explanation"), owner, kind.templates),
                         _params(item.get("params"), owner, kind.params),
                         _lexicons(item.get("lexicon"), owner, langs, kind.groups, sets)
                         if kind.groups else {})


def _templates(raw: Any, owner: str, required: tuple[str, ...]) -> dict[str, str]:
    """Explanation templates: all required keys, only known {fields}."""
    _need(isinstance(raw, dict) and all(isinstance(raw.get(k), str) for k in required),
          f"{owner}: 'explanation' needs templates for: " + ", ".join(required))
    for key in required:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(raw[key]) if f is not None}
        except ValueError as exc:
            raise ConfigError(f"{owner}: explanation '{key}' is not a template: {exc}") from exc
        _need(fields <= set(TEMPLATE_FIELDS), f"{owner}: explanation '{key}' uses unknown fields "
              f"{sorted(fields - set(TEMPLATE_FIELDS))}; must be among: "
              + ", ".join(TEMPLATE_FIELDS))
    return {k: raw[k] for k in required}


def _params(raw: Any, owner: str, required: tuple[str, ...]) -> dict[str, float]:
    """Numeric params in [0, 1]."""
    raw = raw if isinstance(raw, dict) else {}
    for key in required:
        _need(_is_number(raw.get(key), 0, 1), f"{owner}: param '{key}' is {raw.get(key)!r}; "
              "must be a number in [0, 1] (needs: " + ", ".join(required) + ")")
    return {k: float(raw[k]) for k in required}


def _lexicons(raw: Any, owner: str, langs: tuple[str, ...], groups: tuple[str, ...],
              sets: Mapping[str, Sets]) -> dict[str, Lexicon]:
    """One lexicon per language, each with every required group."""
    raw = raw if isinstance(raw, dict) else {}
    out: dict[str, Lexicon] = {}
    for lang in langs:
        lex = raw.get(lang)
        _need(isinstance(lex, dict),
              f"{owner} has no lexicon for '{lang}'; languages: " + ", ".join(langs))
        for group in groups:
            _need(isinstance(lex.get(group), list) and bool(lex[group]),
                  f"{owner}: lexicon '{lang}' lacks a non-empty '{group}' list; needs: "
                  + ", ".join(groups))
        out[lang] = {g: _group(lex[g], f"{owner}, {lang} {g}", g, sets.get(lang, {})) for g in groups}
    return out


def _group(entries: list[Any], owner: str, name: str, sets: Sets) -> tuple[Term, ...]:
    """Compile a group: bare patterns into one alternation, {id, pattern, suggestion} each."""
    if all(isinstance(e, str) for e in entries):
        bare = [_expand(e, sets, owner) for e in entries]
        for e in bare:
            _compile(e, owner)
        return (Term(name, _compile("|".join(f"(?:{e})" for e in bare), owner)),)
    terms = []
    for e in entries:
        _need(isinstance(e, dict) and isinstance(e.get("id"), str)
              and isinstance(e.get("pattern"), str),
              f"{owner}: each entry needs 'id' and 'pattern' (and 'suggestion')")
        sugg, lemmas = e.get("suggestion") or [], e.get("lemmas") or []
        _need(isinstance(lemmas, list), f"{owner} '{e['id']}': 'lemmas' must be a list of words")
        terms.append(Term(e["id"], _compile(_expand(e["pattern"], sets, owner), f"{owner} '{e['id']}'"),
                          tuple([sugg] if isinstance(sugg, str) else map(str, sugg)),
                          tuple(fold(str(w).lower()) for w in lemmas), str(e.get("pos") or "")))
    return tuple(terms)


def _expand(pattern: str, sets: Sets, owner: str) -> str:
    """The pattern with each <<name>> replaced by that shared list, as one group."""
    def body(m: re.Match[str]) -> str:
        _need(m.group(1) in sets, f"{owner}: pattern names the set <<{m.group(1)}>>, which 'sets' does not "
              "define for this language; defined: " + (", ".join(sets) or "none"))
        return f"(?:{sets[m.group(1)]})"

    return SET_REF.sub(body, pattern)


def _compile(pattern: str, owner: str) -> re.Pattern[str]:
    """Compile a lexicon pattern, which must already be folded."""
    bare = pattern.replace("(?P<", "(?<").replace("(?P=", "(?=")
    _need(fold(bare) == bare, f"{owner}: pattern {pattern!r} must be lowercase without accents "
          r"(text is folded before matching; \W \S \D \B are not allowed)")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{owner}: invalid regex {pattern!r}: {exc}") from exc


def _anchor_negations(lex: Lexicon) -> Lexicon:
    """Negations must end at most two words (and a quote mark) before the term."""
    neg = lex["negations"][0].pattern.pattern
    anchored = re.compile(f"(?:{neg})(?:\\s+\\S+){{0,2}}\\s*[\"«“‘']?\\s*$")
    return {**lex, "negations": (Term("negations", anchored),)}

