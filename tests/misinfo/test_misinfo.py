"""Tests for the misinformation stage (pipeline/misinfo.py, models/use_encoder.py, claims.yaml).

These run the real multilingual USE encoder (numpy only, bundled weights, no network).
`python -m tests.misinfo.test_misinfo` prints precision and recall on pipeline/misinfo/data/claims_cases.jsonl.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from models.encoders.base import Encoder
from models.encoders.use import MultilingualUSE, load_multilingual_encoder
from pipeline.core.errors import ConfigError
from pipeline.core.record import Article, ClaimMatch
from pipeline.misinfo.matcher import (
    DEFAULT_THRESHOLD,
    LANGUAGES,
    RATINGS,
    ClaimLibrary,
    ClaimMatcher,
    default_claims_path,
    is_refutation,
    load_claims,
    match_articles,
    negated_stems,
)

CASES_PATH = Path(__file__).resolve().parents[2] / "pipeline" / "misinfo" / "data" / "claims_cases.jsonl"


@pytest.fixture(scope="module")
def encoder() -> MultilingualUSE:
    """The real encoder, loaded once for the module."""
    return load_multilingual_encoder()


@pytest.fixture(scope="module")
def library() -> ClaimLibrary:
    """The bundled claim library."""
    return load_claims()


@pytest.fixture(scope="module")
def matcher(library: ClaimLibrary, encoder: MultilingualUSE) -> ClaimMatcher:
    """A matcher at the default threshold."""
    return ClaimMatcher(library, encoder)


@pytest.fixture(scope="module")
def raw_claims() -> dict[str, Any]:
    """The bundled claims file as plain data, to derive broken variants from."""
    data: dict[str, Any] = yaml.safe_load(default_claims_path().read_text(encoding="utf-8"))
    return data


class CountingEncoder:
    """Wraps an encoder and records the size of every batch it embeds."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.calls: list[int] = []
        self.name, self.version, self.dim = inner.name, inner.version, inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed through the wrapped encoder, counting."""
        self.calls.append(len(texts))
        return self.inner.encode(texts)


def only(matches: tuple[ClaimMatch, ...]) -> ClaimMatch:
    """The single match of a text."""
    assert len(matches) == 1, [m.claim_id for m in matches]
    return matches[0]


def write_claims(tmp_path: Path, data: Any) -> Path:
    """A claims file with this content."""
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- the bundled library ---------------------------------------------------------------

def test_bundled_library_has_thirty_complete_trilingual_myths(library: ClaimLibrary) -> None:
    assert library.version == "myths-2.0"
    assert len(library.claims) >= 30
    assert len({c.id for c in library.claims}) == len(library.claims)
    for claim in library.claims:
        assert set(claim.text) == set(LANGUAGES) == set(claim.evidence) == set(claim.keywords)
        assert all(1 <= len(claim.paraphrases[lang]) <= 2 for lang in LANGUAGES), claim.id
        assert claim.rating in RATINGS and claim.topic and claim.source
        assert claim.url.startswith("https://")
    assert {c.topic for c in library.claims} >= {"crime", "jobs_wages", "welfare", "health",
                                                  "housing", "invasion_replacement", "numbers",
                                                  "taxes", "remittances", "education", "integration",
                                                  "asylum", "security", "pull_factors"}
    assert set(library.subjects) == set(LANGUAGES) and all(library.subjects.values())


# --- the encoder -----------------------------------------------------------------------

def test_encoder_follows_the_protocol(encoder: MultilingualUSE) -> None:
    assert isinstance(encoder, Encoder)
    assert encoder.name == "universal-sentence-encoder-multilingual-v3"
    assert encoder.dim == 512 and encoder.version not in ("", "unknown")
    vectors = encoder.encode(["Migrants take our jobs.", "Il pleut à Lyon.", ""])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 512)
    assert load_multilingual_encoder() is encoder


def test_encoder_rejects_a_bare_string(encoder: MultilingualUSE) -> None:
    with pytest.raises(TypeError):
        encoder.encode("one text")


def test_encoder_puts_translations_close(encoder: MultilingualUSE) -> None:
    en, fr, other = encoder.encode(["Migrants take our jobs.",
                                    "Les migrants prennent nos emplois.",
                                    "The football team won on Saturday."])
    assert float(en @ fr) > float(en @ other) + 0.3


# --- matching --------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "text", "claim_id"), [
    ("en", "He said migrants were stealing our jobs.", "migrants-take-jobs"),
    ("en", "Immigration costs the taxpayer billions every year.", "migrants-fiscal-drain"),
    ("en", "Our country is being overrun by illegal immigrants.", "migrant-invasion"),
    ("en", "The elites want to replace us with migrants.", "great-replacement"),
    ("fr", "Les migrants ramènent la gale et la tuberculose.", "migrants-bring-disease"),
    ("fr", "On nous cache le nombre réel de clandestins sur le territoire.", "real-numbers-hidden"),
    ("es", "Los inmigrantes nos están robando los puestos de trabajo.", "migrants-take-jobs"),
    ("es", "A los inmigrantes les dan los pisos sociales antes que a las familias españolas.",
     "migrants-priority-housing"),
    ("es", "Con los inmigrantes nos entran yihadistas.", "refugees-are-terrorists"),
])
def test_paraphrases_match_the_right_claim(matcher: ClaimMatcher, lang: str, text: str,
                                           claim_id: str) -> None:
    match = only(matcher.match([text], [lang])[0])
    assert match.claim_id == claim_id
    assert match.evidence.text == text and match.evidence.label == claim_id
    assert DEFAULT_THRESHOLD <= match.similarity <= 1.0


def test_evidence_offsets_point_at_the_sentence(matcher: ClaimMatcher) -> None:
    text = ("The mayor spoke at the rally on Sunday.  He said migrants were stealing our jobs. "
            "The crowd cheered.")
    match = only(matcher.match([text])[0])
    span = match.evidence
    assert text[span.start:span.end] == span.text == "He said migrants were stealing our jobs."
    assert (span.label, span.field) == ("migrants-take-jobs", "text")


def test_a_french_sentence_matches_and_gets_the_french_wording(
        matcher: ClaimMatcher, library: ClaimLibrary) -> None:
    text = "L'immigration coûte des milliards aux contribuables chaque année."
    in_french, unknown = (only(m) for m in matcher.match([text, text], ["fr", None]))
    claim = library.get("migrants-fiscal-drain")
    assert in_french.claim_id == unknown.claim_id == claim.id
    assert in_french.claim == claim.text["fr"] and unknown.claim == claim.text["en"]
    assert (in_french.rating, in_french.source, in_french.url) == (claim.rating, claim.source,
                                                                   claim.url)


@pytest.mark.parametrize("text", [
    "Migrants' employment rate rose to 70%, according to the statistics office.",
    "Asylum seekers are not allowed to work while their claims are being processed.",
    "The ministry said 12,000 people applied for asylum in the first quarter.",
    "Official statistics show net migration fell to 400,000 last year.",
    "Many hospitals rely on nurses recruited from the Philippines and India.",
    "Le taux d'emploi des immigrés a progressé de trois points en cinq ans, selon l'Insee.",
    "Salvamento Marítimo rescató a 40 personas de una patera cerca de Almería.",
    "Robots and automation are taking jobs in car factories.",
])
def test_same_topic_factual_sentences_are_not_flagged(matcher: ClaimMatcher, text: str) -> None:
    assert matcher.match([text]) == [()]


@pytest.mark.parametrize(("affirmed", "refuted"), [
    ("Migrants take jobs from local workers.",
     "It is a myth that migrants take jobs from local workers."),
    ("Migrants take jobs from local workers.", "Migrants do not take jobs from local workers."),
    ("Immigrants cause crime to rise.", "There is no evidence that immigrants cause crime to rise."),
    ("Les immigrés coûtent plus qu'ils ne rapportent.",
     "C'est faux : les immigrés ne coûtent pas plus qu'ils ne rapportent."),
    ("Los barcos de rescate crean un efecto llamada para los inmigrantes.",
     "El supuesto efecto llamada de los barcos de rescate para los inmigrantes es un mito."),
])
def test_refutations_are_not_flagged(matcher: ClaimMatcher, affirmed: str, refuted: str) -> None:
    said, denied = matcher.match([affirmed, refuted])
    assert len(said) == 1 and denied == ()


def test_texts_that_never_name_migrants_are_not_matched(matcher: ClaimMatcher) -> None:
    plain, about_migrants = matcher.match(["Crime is rising in the city centre.",
                                           "Crime is rising since the migrants arrived."])
    assert plain == () and only(about_migrants).claim_id == "migrants-cause-crime-wave"


def test_unrelated_and_empty_texts_give_no_matches(matcher: ClaimMatcher) -> None:
    texts = ["The football team won 3-1 on Saturday.", "Le festival de jazz commence vendredi.",
             "", "   \n\n  "]
    assert matcher.match(texts) == [(), (), (), ()]
    assert matcher.match([]) == []


def test_one_match_per_claim_keeps_the_best_sentence(matcher: ClaimMatcher) -> None:
    sentences = ["Some say jobs are scarce.", "He said migrants were stealing our jobs.",
                 "Foreigners take the jobs of local workers, he added."]
    alone = [only(m) for m in matcher.match(sentences[1:])]
    best = max(alone, key=lambda m: m.similarity)
    match = only(matcher.match([" ".join(sentences)])[0])
    assert match.claim_id == "migrants-take-jobs"
    assert (match.evidence.text, match.similarity) == (best.evidence.text, best.similarity)


def test_candidates_are_embedded_in_one_batch(library: ClaimLibrary,
                                              encoder: MultilingualUSE) -> None:
    counting = CountingEncoder(encoder)
    matcher = ClaimMatcher(library, counting)
    assert len(counting.calls) == 1  # the claim phrasings, once
    matcher.match(["Migrants take our jobs. They come for benefits.",
                   "Les migrants ramènent des maladies.", "Sunny today."])
    assert counting.calls[1:] == [3]
    matcher.match(["The football team won on Saturday."])
    assert counting.calls[1:] == [3]


def test_scores_vary_with_the_text(matcher: ClaimMatcher) -> None:
    texts = ["Migrants take our jobs.", "He said migrants were stealing our jobs."]
    scores = [only(m).similarity for m in matcher.match(texts)]
    assert scores[0] > scores[1] >= DEFAULT_THRESHOLD


def test_threshold_and_languages_are_checked(library: ClaimLibrary,
                                             encoder: MultilingualUSE,
                                             matcher: ClaimMatcher) -> None:
    for bad in (0.0, 1.5, -0.2):
        with pytest.raises(ConfigError, match="threshold"):
            ClaimMatcher(library, encoder, threshold=bad)
    with pytest.raises(ValueError, match="languages"):
        matcher.match(["a", "b"], ["en"])


def test_match_articles_sets_misinformation_on_the_text(matcher: ClaimMatcher,
                                                        library: ClaimLibrary) -> None:
    body = "Le maire a parlé dimanche. Selon lui, les immigrés refusent de s'intégrer."
    articles = [Article(url="https://example.org/1", outlet="Ex", title="Réunion", text=body,
                        lang="fr"),
                Article(url="https://example.org/2", outlet="Ex", text="Sunny today.")]
    flagged, clean = match_articles(articles, matcher)
    match = only(flagged.misinformation)
    assert match.claim == library.get("migrants-refuse-to-integrate").text["fr"]
    assert body[match.evidence.start:match.evidence.end] == match.evidence.text
    assert flagged.evolve(misinformation=()) == articles[0]
    assert clean.misinformation == ()


def test_negation_and_refutation_cues() -> None:
    assert "take" in negated_stems("Migrants don't take our jobs.")
    assert "salai" not in negated_stems("Pour trois fois rien, nos salaires dégringolent.")
    assert is_refutation("C'est faux : ils paient des impôts.")
    assert is_refutation("Es un bulo que los inmigrantes cobren más.")
    assert not is_refutation("Ces faux réfugiés viennent pour l'argent.")


# --- configuration errors --------------------------------------------------------------

def test_missing_field_names_file_claim_and_fix(tmp_path: Path,
                                                raw_claims: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_claims)
    del data["claims"][0]["evidence"]
    path = write_claims(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_claims(path)
    message = str(info.value)
    assert str(path) in message and "migrants-take-jobs" in message
    assert "evidence" in message and "every claim needs" in message


def test_unknown_language_is_rejected(tmp_path: Path, raw_claims: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_claims)
    data["claims"][2]["paraphrases"]["xx"] = ["Something."]
    with pytest.raises(ConfigError, match=r"claim 'migrants-come-for-benefits'.*'xx'.*en, fr, es"):
        load_claims(write_claims(tmp_path, data))


def test_duplicate_id_is_rejected(tmp_path: Path, raw_claims: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_claims)
    data["claims"].append(copy.deepcopy(data["claims"][0]))
    with pytest.raises(ConfigError, match="'migrants-take-jobs' appears twice; give each"):
        load_claims(write_claims(tmp_path, data))


@pytest.mark.parametrize(("change", "expected"), [
    (lambda c: c.update(rating=False), "quoted"),
    (lambda c: c.update(claim={"fr": "Seulement en français."}), "needs an 'en' text"),
    (lambda c: c.update(keywords=["job"]), "must map languages"),
    (lambda c: c["paraphrases"].update(en="not a list"), "list of non-empty strings"),
])
def test_malformed_claims_are_rejected(tmp_path: Path, raw_claims: dict[str, Any],
                                       change: Any, expected: str) -> None:
    data = copy.deepcopy(raw_claims)
    change(data["claims"][0])
    with pytest.raises(ConfigError, match=expected):
        load_claims(write_claims(tmp_path, data))


def test_subjects_are_required(tmp_path: Path, raw_claims: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_claims)
    del data["subjects"]
    with pytest.raises(ConfigError, match="'subjects' must map languages"):
        load_claims(write_claims(tmp_path, data))
    data["subjects"] = {"en": [], "fr": []}
    with pytest.raises(ConfigError, match="'subjects' is empty"):
        load_claims(write_claims(tmp_path, data))


def test_unreadable_or_invalid_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_claims(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("claims: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_claims(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="claim library must be a mapping, not list"):
        load_claims(bad)
    bad.write_text("version: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'version', 'subjects' and a list 'claims'"):
        load_claims(bad)


# --- quality on the hand-written case set -----------------------------------------------

def load_cases() -> list[dict[str, Any]]:
    """The labelled matching cases (text, lang, expected ids, acceptable ids, kind, split)."""
    lines = CASES_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def evaluate(matcher: ClaimMatcher, cases: list[dict[str, Any]]) -> dict[str, float]:
    """Precision and recall over (text, claim) pairs; 'acceptable' ids count as neither."""
    found = matcher.match([c["text"] for c in cases], [c["lang"] for c in cases])
    tp = fp = fn = 0
    for case, matches in zip(cases, found, strict=True):
        ids, expected = {m.claim_id for m in matches}, set(case["expected"])
        tp += len(ids & expected)
        fn += len(expected - ids)
        fp += len(ids - expected - set(case["acceptable"]))
    return {"precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1),
            "tp": tp, "fp": fp, "fn": fn, "n": len(cases)}


def test_case_set_is_well_formed(library: ClaimLibrary) -> None:
    cases = load_cases()
    ids = {c.id for c in library.claims}
    assert len(cases) >= 80
    assert all(set(c["expected"]) | set(c["acceptable"]) <= ids for c in cases)
    assert {c["split"] for c in cases} == {"calib", "holdout"}
    assert {c["lang"] for c in cases} == set(LANGUAGES)


def test_precision_and_recall_floors(matcher: ClaimMatcher) -> None:
    cases = load_cases()
    overall = evaluate(matcher, cases)
    holdout = evaluate(matcher, [c for c in cases if c["split"] == "holdout"])
    # Measured at 0.53 with the claim-likeness and frame adjustments: all P 0.97 R 0.72, holdout P 0.93
    # R 0.52 (calib R 0.92: the cue lexicons fit the dev half; before them, at 0.47, holdout R was 0.64).
    # Floors a case or two below.
    assert overall["precision"] >= 0.92 and overall["recall"] >= 0.66
    assert holdout["precision"] >= 0.85 and holdout["recall"] >= 0.45


if __name__ == "__main__":
    all_cases = load_cases()
    default = ClaimMatcher(load_claims(), load_multilingual_encoder())
    for split in ("calib", "holdout", None):
        subset = [c for c in all_cases if split is None or c["split"] == split]
        result = evaluate(default, subset)
        print(f"{split or 'all':8} n={result['n']:3} precision={result['precision']:.2f} "
              f"recall={result['recall']:.2f} (tp={result['tp']} fp={result['fp']} "
              f"fn={result['fn']})")
