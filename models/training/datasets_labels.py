"""Per-dataset label mappings (../shared/data/README.md): binary hate, target group, kind of hate."""

from __future__ import annotations

from typing import Any

from models.hate.network import KINDS, TARGET_GROUPS

__all__ = ["KINDS", "TARGET_GROUPS"]

# The README's mapping of each normalized label; "offensive" is never hate (Davidson, SBIC, GermEval INSULT and
# PROFANITY), "undecided" (Stormfront relation / idk) is left out.
_BINARY = {"hatespeech": 1, "normal": 0, "offensive": 0}
BINARY_NEW = ("dynahate_devtest", "hatemojibuild", "davidson2017", "sbic_devtest", "stormfront_degibert2018",
              "germeval2018", "ftr_french_racism")

# DynaHate / HatemojiBuild target codes, by the first dot-separated part (women/men suffixes stripped).
_MIGRANT_CODES = {"immig", "ref", "for", "asylum", "asy"}
_RELIGION_CODES = {"mus", "jew", "sikh", "hind", "christian"}
_ETHNIC_CODES = {"bla", "arab", "hispanic", "hisp", "asi", "african", "indig", "mixed", "mix", "non", "ethnic",
                 "ethmin", "trav", "eastern", "europe", "russian", "pol", "nat", "mex", "ind", "abo"}
_UNKNOWN_CODES = {"", "none", "notgiven", "notargetrecorded", "nazis", "hitler", "other.glorification"}
# Glorifying Nazis or Hitler names no attacked group: unknown, not other_group.
_KIND_CODES = {"derogation": "derogation", "animosity": "animosity", "dehumanization": "dehumanisation",
               "dehumanizinglanguage": "dehumanisation", "threatening": "threat", "threateninglanguage": "threat",
               "support": "support_for_hateful_groups"}

_MIGRANT_WORDS = ("immigra", "migrant", "refugee", "asylum", "foreigner")
_RELIGION_WORDS = ("muslim", "jew", "christian", "catholic", "islam", "hindu", "sikh", "buddhis", "atheist",
                   "priest", "mormon", "religio")
_MLMA_GROUPS = {"refugees": "migrants_refugees", "immigrants": "migrants_refugees", "muslims": "religion",
                "jews": "religion", "christian": "religion", "arabs": "ethnicity_nationality",
                "african_descent": "ethnicity_nationality", "asians": "ethnicity_nationality",
                "hispanics": "ethnicity_nationality", "indian/hindu": "ethnicity_nationality",
                "women": "other_group", "gay": "other_group", "special_needs": "other_group",
                "left_wing_people": "other_group"}
_MLMA_TARGETS = {"origin": "ethnicity_nationality", "religion": "religion", "gender": "other_group",
                 "sexual_orientation": "other_group", "disability": "other_group"}
_ETHOS = (("religion", "religion"), ("national_origin", "ethnicity_nationality"), ("race", "ethnicity_nationality"),
          ("gender", "other_group"), ("sexual_orientation", "other_group"), ("disability", "other_group"))
_PRIORITY = {g: i for i, g in enumerate(TARGET_GROUPS)}


def label_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The row's extra label fields (`labels`), empty when it has none."""
    labels = row.get("labels")
    return labels if isinstance(labels, dict) else {}


def new_binary_label(row: dict[str, Any]) -> int | None:
    """The binary label of the seven sets staged 2026-12-07 (their normalized `label` is already mapped)."""
    return _BINARY.get(str(row.get("label")))


def target_group(dataset: str, row: dict[str, Any], label: int) -> str | None:
    """The attacked group of a hateful row (None where unknown); `none` for a row that is not hateful."""
    if label == 0:
        return "none"
    labels = label_fields(row)
    if dataset in ("dynahate_devtest", "hatemojibuild"):
        raw = labels.get("target")
        return _from_codes(raw if isinstance(raw, list) else str(raw or "").split(","))
    if dataset == "sbic_devtest":
        return _sbic(labels)
    if dataset == "mlma":
        group = _MLMA_GROUPS.get(str(labels.get("group")))
        return group or _MLMA_TARGETS.get(str(row.get("target")))
    if dataset == "ethos":
        return _ethos(labels)
    if dataset == "iwg_german_refugees":  # every tweet is about refugees (README)
        return "migrants_refugees"
    return None  # haspeede TW mixes immigrants, Roma and Muslims; the other sets have no target field


def kind(dataset: str, row: dict[str, Any], label: int) -> str | None:
    """The kind of hate of a hateful row where the data says it; None otherwise (and for rows that are not hate)."""
    labels = label_fields(row)
    if label != 1:
        return None
    if dataset in ("dynahate_devtest", "hatemojibuild"):
        return _KIND_CODES.get(str(labels.get("type")))
    if dataset == "ethos" and _score(labels.get("violence")) >= 0.5:
        return "threat"
    return None


def _from_codes(codes: list[Any]) -> str | None:
    """The highest-priority group among DynaHate / HatemojiBuild target codes."""
    groups = [_code_group(str(c).strip().lower()) for c in codes]
    known = [g for g in groups if g is not None]
    return min(known, key=_PRIORITY.__getitem__) if known else None


def _code_group(code: str) -> str | None:
    """One target code as a group."""
    if code in _UNKNOWN_CODES:
        return None
    if code in ("other.religion", "other.national"):
        return "religion" if code == "other.religion" else "ethnicity_nationality"
    head = code.split(".")[0]
    for suffix in ("wom", "man"):
        if head.endswith(suffix) and head[: -len(suffix)] in _ETHNIC_CODES | _RELIGION_CODES | {"gay"}:
            head = head[: -len(suffix)]
    if head in _MIGRANT_CODES:
        return "migrants_refugees"
    if head in _RELIGION_CODES:
        return "religion"
    if head in _ETHNIC_CODES:
        return "ethnicity_nationality"
    return "other_group"


def _sbic(labels: dict[str, Any]) -> str | None:
    """SBIC: migrants or religion from targetMinority, else ethnicity for race/culture, else other."""
    minority = " ".join(str(m) for m in labels.get("targetMinority") or []).lower()
    categories = {str(c) for c in labels.get("targetCategory") or []}
    if any(w in minority for w in _MIGRANT_WORDS):
        return "migrants_refugees"
    if any(w in minority for w in _RELIGION_WORDS):
        return "religion"
    if categories & {"race", "culture"}:
        return "ethnicity_nationality"
    return "other_group" if categories or minority else None


def _ethos(labels: dict[str, Any]) -> str | None:
    """ETHOS: the first category scoring at least 0.5, in the order of _ETHOS."""
    for name, group in _ETHOS:
        if _score(labels.get(name)) >= 0.5:
            return group
    return None


def _score(value: Any) -> float:
    """A fractional annotator score, 0 when missing."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
