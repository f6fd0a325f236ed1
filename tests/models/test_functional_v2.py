"""The functional suite v2 (models/evaluation/functional_v2/): size, coverage, labels, a locked split, the loader."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter, defaultdict
from types import ModuleType

import pytest

from models.evaluation.suite import LANGS, SUITE, Case, load_cases, summary

FUNCTIONALITIES = {
    "derogation", "dehumanisation", "threat_direct", "threat_normative", "slur", "profanity", "pronoun_reference",
    "subclause_reference", "negated_hate", "negated_positive", "question", "opinion", "neutral_statement",
    "positive_statement", "counter_quote", "counter_reference", "abuse_individual", "abuse_object",
    "abuse_nonprotected", "spell_char_swap", "spell_char_deletion", "spell_space_added", "spell_space_removed",
    "spell_leet"}
HATEFUL_ONLY = {"derogation", "dehumanisation", "threat_direct", "threat_normative", "negated_positive"}
NON_HATEFUL_ONLY = {"negated_hate", "neutral_statement", "positive_statement", "counter_quote", "counter_reference",
                    "abuse_individual", "abuse_object", "abuse_nonprotected"}
BOTH = {"slur", "profanity", "pronoun_reference", "subclause_reference", "question", "opinion"}
MIGRATION = {"migrants", "refugees", "asylum_seekers", "foreign_workers"}


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("functional_v2_build", SUITE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_size_and_languages(cases: list[Case]) -> None:
    assert len(cases) >= 1200
    per_lang = Counter(c.lang for c in cases)
    assert set(per_lang) == set(LANGS)
    assert min(per_lang.values()) >= 200


def test_every_functionality_in_every_language(cases: list[Case]) -> None:
    assert {c.functionality for c in cases} == FUNCTIONALITIES
    for lang in LANGS:
        assert {c.functionality for c in cases if c.lang == lang} == FUNCTIONALITIES, lang


def test_labels_follow_the_functionality(cases: list[Case]) -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        labels[case.functionality].add(case.label)
    assert all(labels[f] == {"hateful"} for f in HATEFUL_ONLY)
    assert all(labels[f] == {"non-hateful"} for f in NON_HATEFUL_ONLY)
    for functionality in BOTH:
        for lang in LANGS:
            got = {c.label for c in cases if c.functionality == functionality and c.lang == lang}
            assert got == {"hateful", "non-hateful"}, (functionality, lang)
    spelling = {c.label for c in cases if c.functionality.startswith("spell_")}
    assert spelling == {"hateful", "non-hateful"}


def test_fields_ids_and_texts_are_unique_and_well_formed(cases: list[Case]) -> None:
    assert len({c.id for c in cases}) == len(cases)
    assert len({c.text for c in cases}) == len(cases)
    assert len({" ".join(c.text.casefold().split()) for c in cases}) == len(cases)
    for case in cases:
        assert case.split in ("dev", "test") and case.label in ("hateful", "non-hateful")
        assert case.text == case.text.strip() and "{" not in case.text and "|" not in case.text
        assert case.family.startswith(f"{case.lang}-") and case.id.startswith(f"{case.family}-")
    assert all(c.target_group != "none" for c in cases if c.hateful)


def test_splits_are_balanced(cases: list[Case]) -> None:
    for group in [cases] + [[c for c in cases if c.lang == lang] for lang in LANGS]:
        dev = sum(c.split == "dev" for c in group)
        assert abs(dev / len(group) - 0.5) <= 0.05


def test_families_never_straddle_splits(cases: list[Case]) -> None:
    splits: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        splits[case.family].add(case.split)
    assert all(len(s) == 1 for s in splits.values())
    for case in cases:
        if case.functionality.startswith("spell_"):
            originals = [c for c in cases if c.family == case.family and not c.functionality.startswith("spell_")]
            assert len(originals) == 1 and originals[0].label == case.label


def test_migration_groups_are_well_represented(cases: list[Case]) -> None:
    assert sum(c.target_group in MIGRATION for c in cases) >= 0.25 * len(cases)
    for lang in LANGS:
        targets = {c.target_group for c in cases if c.lang == lang}
        assert MIGRATION | {"religion", "ethnicity", "gender", "sexuality", "disability"} <= targets, lang


def test_loader_filters(cases: list[Case]) -> None:
    dev, test = load_cases(split="dev"), load_cases(split="test")
    assert {c.split for c in dev} == {"dev"} and {c.split for c in test} == {"test"}
    assert len(dev) + len(test) == len(cases)
    french = load_cases(lang="fr")
    assert french and {c.lang for c in french} == {"fr"}
    assert load_cases(split="test", lang="es") == [c for c in test if c.lang == "es"]
    with pytest.raises(ValueError):
        load_cases(split="train")
    with pytest.raises(ValueError):
        load_cases(lang="pt")


def test_summary_counts(cases: list[Case]) -> None:
    counts = summary(cases)
    assert counts["total"]["cases"] == len(cases)
    assert sum(counts["lang"].values()) == sum(counts["label"].values()) == len(cases)
    assert set(counts["split"]) == {"dev", "test"} and set(counts["functionality"]) == FUNCTIONALITIES
    assert summary([])["total"]["cases"] == 0


def test_committed_files_match_the_sources() -> None:
    build = _build_module()
    for name, text in build.build().items():
        assert (SUITE / name).read_text(encoding="utf-8") == text, f"{name} is stale: run build.py"
