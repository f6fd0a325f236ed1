"""Near-duplicate clustering of wire copy (texts in wirecopy.py): shingles, MinHash, banded LSH, cluster assignment."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import dedup
from pipeline.ingest.dedup import (
    MinHasher,
    NearDupIndex,
    assign_clusters,
    empty_signature,
    jaccard_estimate,
    shingles,
    signature_from_bytes,
    signature_to_bytes,
)
from tests.ingest.wirecopy import (
    DEPECHE,
    DEPECHE_REPRISE,
    DEPECHE_SANS_ACCENTS,
    DISPATCH_EN,
    OTHER_RESCUE,
    WIRE,
    WIRE_BOILERPLATE,
    WIRE_EDITED,
)

ROOT = Path(__file__).resolve().parents[2]
HASHER = MinHasher()


def estimate(a: str, b: str) -> float:
    """Estimated Jaccard of two texts with the shared hasher."""
    return jaccard_estimate(HASHER.signature(a), HASHER.signature(b))


def true_jaccard(a: str, b: str) -> float:
    """Exact Jaccard of the shingle sets."""
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def fresh() -> tuple[NearDupIndex, dict[str, str]]:
    """An empty index and cluster map."""
    return NearDupIndex(), {}


# --- shingles ---------------------------------------------------------------------------------------------

def test_shingles_ignore_case_accents_punctuation_and_spacing() -> None:
    folded = shingles("les refugies arrives hier soir a sardel")
    assert shingles("Les réfugiés, ARRIVÉS hier  soir à Sardel !") == folded
    assert shingles("l'île") == shingles("l ile")


def test_shingles_are_stable_crc32_values() -> None:
    assert shingles("One two three four five") == {zlib.crc32(b"one two three four five")}
    assert shingles("one two three four five six") == {zlib.crc32(b"one two three four five"),
                                                       zlib.crc32(b"two three four five six")}


def test_short_and_empty_texts() -> None:
    assert shingles("Boat capsized.") == {zlib.crc32(b"boat capsized")}
    assert shingles("") == set()
    assert shingles("  — … !? ") == set()
    with pytest.raises(ValueError, match="k must be >= 1"):
        shingles("text", k=0)


# --- wire copy ----------------------------------------------------------------------------------------------

def test_wire_copy_with_small_edits_clusters_together() -> None:
    items = [("wire", WIRE), ("other", OTHER_RESCUE), ("edited", WIRE_EDITED), ("boiler", WIRE_BOILERPLATE)]
    index, clusters = fresh()
    assert assign_clusters(items, index, HASHER, clusters) == {
        "wire": "wire", "other": "other", "edited": "wire", "boiler": "wire"}
    assert len(index) == 4
    for variant in (WIRE_EDITED, WIRE_BOILERPLATE):
        assert true_jaccard(WIRE, variant) >= 0.75
        assert estimate(WIRE, variant) >= 0.7


def test_different_stories_on_the_same_topic_stay_apart() -> None:
    assert true_jaccard(WIRE, OTHER_RESCUE) < 0.05
    assert estimate(WIRE, OTHER_RESCUE) < 0.2
    assert "wire" not in _indexed({"wire": WIRE}).candidates(HASHER.signature(OTHER_RESCUE))


def test_french_wire_copy_clusters_and_translation_does_not() -> None:
    items = [("afp", DEPECHE), ("en", DISPATCH_EN), ("reprise", DEPECHE_REPRISE),
             ("sans-accents", DEPECHE_SANS_ACCENTS), ("wire", WIRE)]
    index, clusters = fresh()
    assert assign_clusters(items, index, HASHER, clusters) == {
        "afp": "afp", "en": "en", "reprise": "afp", "sans-accents": "afp", "wire": "wire"}
    assert estimate(DEPECHE, DEPECHE_SANS_ACCENTS) > 0.9


def test_cluster_id_follows_the_chain_to_the_first_article() -> None:
    index, clusters = fresh()
    assign_clusters([("a", WIRE), ("b", WIRE_EDITED)], index, HASHER, clusters)
    assert assign_clusters([("c", WIRE_EDITED + "\nUpdated at 14:05.")], index, HASHER, clusters) == {"c": "a"}
    assert clusters == {"a": "a", "b": "a", "c": "a"}


def test_ties_go_to_the_earliest_indexed_article() -> None:
    index, clusters = fresh()
    clusters.update({"z": "cluster-z", "a": "cluster-a"})
    index.add("z", HASHER.signature(WIRE))
    index.add("a", HASHER.signature(WIRE))
    assert assign_clusters([("new", WIRE)], index, HASHER, clusters) == {"new": "cluster-z"}


def test_rerun_is_idempotent() -> None:
    items = [("wire", WIRE), ("other", OTHER_RESCUE), ("edited", WIRE_EDITED)]
    index, clusters = fresh()
    first = assign_clusters(items, index, HASHER, clusters)
    assert assign_clusters(items, index, HASHER, clusters) == first
    assert len(index) == 3


def test_threshold_and_size_are_checked() -> None:
    index, clusters = fresh()
    with pytest.raises(ValueError, match="threshold"):
        assign_clusters([("a", WIRE)], index, HASHER, clusters, threshold=1.5)
    with pytest.raises(ValueError, match="64 slots"):
        assign_clusters([("a", WIRE)], NearDupIndex(64, 16), HASHER, clusters)


# --- empty texts ----------------------------------------------------------------------------------------------

def test_empty_texts_get_a_signature_that_matches_nothing() -> None:
    sig = HASHER.signature("")
    assert np.array_equal(sig, empty_signature(128))
    assert np.array_equal(HASHER.signature(" …! "), sig)
    assert jaccard_estimate(sig, sig) == 0.0
    assert jaccard_estimate(sig, HASHER.signature(WIRE)) == 0.0
    index, clusters = fresh()
    assert assign_clusters([("e1", ""), ("e2", ""), ("w", WIRE), ("e3", "  ")], index, HASHER, clusters) == {
        "e1": "e1", "e2": "e2", "w": "w", "e3": "e3"}
    assert index.candidates(sig) == set()
    assert len(index) == 4


def test_batch_matches_single_signatures_across_chunks_and_empties() -> None:
    rng = random.Random(3)
    long_text = " ".join(f"w{rng.randrange(5000)}" for _ in range(1500))  # larger than one hashing chunk
    texts = ["", WIRE, long_text, "short one", "", DEPECHE, *[OTHER_RESCUE + str(i) for i in range(6)]]
    batch = HASHER.signatures(texts)
    assert batch.shape == (len(texts), 128) and batch.dtype == np.uint64
    for text, row in zip(texts, batch):
        assert np.array_equal(row, HASHER.signature(text))
    assert HASHER.signatures([]).shape == (0, 128)


def test_signature_matches_pure_python_minhash() -> None:
    text = "Forty-one migrants rescued after a night at sea near Cape Morrow"
    p = (1 << 61) - 1
    params = [(dedup._param(1, i, "a"), dedup._param(1, i, "b")) for i in range(128)]
    expected = [min((a * x + b) % p for x in shingles(text)) for a, b in params]
    assert HASHER.signature(text).tolist() == expected


# --- determinism and persistence --------------------------------------------------------------------------------

def test_same_seed_same_signatures_different_seed_differs() -> None:
    texts = [WIRE, DEPECHE, "", "short"]
    assert np.array_equal(MinHasher(seed=1).signatures(texts), MinHasher(seed=1).signatures(texts))
    assert not np.array_equal(MinHasher(seed=2).signature(WIRE), HASHER.signature(WIRE))
    runs = [assign_clusters([("a", WIRE), ("b", DEPECHE), ("c", WIRE_EDITED)], *fresh_with(MinHasher()))
            for _ in range(2)]
    assert runs[0] == runs[1]


def fresh_with(hasher: MinHasher) -> tuple[NearDupIndex, MinHasher, dict[str, str]]:
    """Arguments for assign_clusters with a new index and cluster map."""
    return NearDupIndex(), hasher, {}


def test_signatures_do_not_depend_on_the_process_hash_seed() -> None:
    code = "from pipeline.ingest.dedup import MinHasher, signature_to_bytes; import sys; " \
           "print(signature_to_bytes(MinHasher().signature(sys.argv[1])).hex())"
    outputs = {subprocess.run([sys.executable, "-c", code, WIRE], cwd=ROOT, env={"PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout.strip() for seed in ("1", "2")}
    assert outputs == {signature_to_bytes(HASHER.signature(WIRE)).hex()}


def test_signature_bytes_round_trip() -> None:
    sig = HASHER.signature(WIRE)
    data = signature_to_bytes(sig)
    assert len(data) == 128 * 8
    back = signature_from_bytes(data)
    assert back.dtype == np.uint64 and np.array_equal(back, sig)
    assert np.array_equal(signature_from_bytes(signature_to_bytes(HASHER.signature(""))), empty_signature(128))
    with pytest.raises(ValueError, match="multiple of 8"):
        signature_from_bytes(data[:-1])


def test_persisted_signatures_reload_into_a_new_index() -> None:
    index, clusters = fresh()
    assign_clusters([("wire", WIRE), ("edited", WIRE_EDITED)], index, HASHER, clusters)
    stored = {key: signature_to_bytes(index.signature(key)) for key in ("wire", "edited")}
    reloaded = NearDupIndex()
    for key, data in stored.items():
        reloaded.add(key, signature_from_bytes(data))
    assert assign_clusters([("boiler", WIRE_BOILERPLATE)], reloaded, HASHER, dict(clusters)) == {"boiler": "wire"}


# --- index ----------------------------------------------------------------------------------------------------

def _indexed(texts: dict[str, str]) -> NearDupIndex:
    """An index holding the given texts."""
    index = NearDupIndex()
    for key, text in texts.items():
        index.add(key, HASHER.signature(text))
    return index


def test_index_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match=r"bands must divide num_perm=128, got bands=30; choose one of \[1, 2, 4"):
        NearDupIndex(128, 30)
    with pytest.raises(ValueError, match="bands must divide"):
        NearDupIndex(128, 0)
    index = NearDupIndex(64, 16)
    assert index.rows == 4
    with pytest.raises(ValueError, match=r"shape must be \(64,\)"):
        index.add("a", HASHER.signature(WIRE))
    index = _indexed({"a": WIRE})
    with pytest.raises(ValueError, match="already indexed"):
        index.add("a", HASHER.signature(WIRE))
    with pytest.raises(ValueError, match="differ in shape"):
        jaccard_estimate(HASHER.signature(WIRE), MinHasher(64).signature(WIRE))


def test_candidates_and_len() -> None:
    index = _indexed({"wire": WIRE, "other": OTHER_RESCUE, "afp": DEPECHE})
    assert len(index) == 3 and "wire" in index and "nope" not in index
    assert index.candidates(HASHER.signature(WIRE_EDITED)) == {"wire"}
    assert index.candidates(HASHER.signature(DEPECHE_REPRISE)) == {"afp"}


@pytest.mark.parametrize("merge_at", [7, 1 << 17])
def test_candidates_are_the_keys_sharing_a_band_before_and_after_a_merge(merge_at: int,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "_MERGE_AT", merge_at)  # 7: the sorted arrays are rebuilt many times
    for name, value in (("_BLOCK_BITS", 2), ("_BLOCK_ROWS", 4), ("_ROW_MASK", 3)):  # 12 blocks of signatures
        monkeypatch.setattr(dedup, name, value)
    rng = random.Random(3)
    words = [f"w{i}" for i in range(60)]
    base = [" ".join(rng.choices(words, k=40)) for _ in range(12)]
    texts = [b if k == 0 else " ".join(w if rng.random() > 0.08 * k else rng.choice(words) for w in b.split())
             for b in base for k in range(4)]
    index, sigs = NearDupIndex(), [HASHER.signature(t) for t in texts]
    for i, sig in enumerate(sigs):
        index.add(f"k{i}", sig)
    def bands(sig: np.ndarray) -> set[bytes]:
        return {sig[b * 4:(b + 1) * 4].tobytes() + bytes([b]) for b in range(32)}
    shared = 0
    for sig in sigs:
        expected = {f"k{j}" for j, other in enumerate(sigs) if bands(sig) & bands(other)}
        assert index.candidates(sig) == expected
        shared += len(expected) > 1
    assert shared > 12  # near copies share bands, not only each text with itself
    assert [np.array_equal(index.signature(f"k{i}"), sig) for i, sig in enumerate(sigs)] == [True] * len(sigs)


@pytest.mark.parametrize("merge_at", [7, 1 << 17])
def test_batched_add_nearest_matches_one_at_a_time(merge_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "_MERGE_AT", merge_at)  # 7: merges fall inside batches, deferred to their end
    rng = random.Random(5)
    words = [f"w{i}" for i in range(50)]
    base = [" ".join(rng.choices(words, k=30)) for _ in range(10)]
    texts = [b if rng.random() < 0.3 else " ".join(w if rng.random() > 0.03 else rng.choice(words) for w in b.split())
             for b in base for _ in range(6)] + ["", "   "]
    rng.shuffle(texts)
    items = [(f"k{i}", HASHER.signature(t)) for i, t in enumerate(texts)]
    one = NearDupIndex()  # one at a time through nearest() and add(), which share no code with the batched path
    expected = []
    for key, sig in items:
        expected.append(one.nearest(sig, 0.6))
        one.add(key, sig)
    many = NearDupIndex()
    got = [m for start in range(0, len(items), 13) for m in many.add_nearest_many(items[start:start + 13], 0.6)]
    assert got == expected and sum(m is not None for m in got) > 30
    assert many.candidates(items[0][1]) == one.candidates(items[0][1])
    with pytest.raises(ValueError, match="shape"):
        many.add_nearest_many([("bad", np.zeros(3, dtype=np.uint64))], 0.6)


# --- properties -----------------------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(st.text(max_size=200))
def test_a_text_is_identical_to_itself(text: str) -> None:
    expected = 1.0 if shingles(text) else 0.0
    assert jaccard_estimate(HASHER.signature(text), HASHER.signature(text)) == expected


VOCAB = ["boat", "rescue", "migrants", "port"]
ITEMS = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.lists(st.sampled_from(VOCAB), max_size=9).map(" ".join)),
                 max_size=14)


@settings(max_examples=80, deadline=None)
@given(ITEMS, st.floats(min_value=0.05, max_value=1.0))
def test_clusters_are_always_ids_seen_so_far(items: list[tuple[str, str]], threshold: float) -> None:
    index, clusters = fresh()
    result = assign_clusters(items, index, HASHER, clusters, threshold)
    ids = [article_id for article_id, _ in items]
    assert set(result) == set(ids) and len(index) == len(set(ids))
    for article_id, cluster_id in result.items():
        assert cluster_id in ids[:ids.index(article_id) + 1]
        assert clusters[article_id] == cluster_id


# --- accuracy and speed -----------------------------------------------------------------------------------------

def _pairs(n: int) -> list[tuple[str, str]]:
    """Pairs of 200-word texts, the second with a growing share of words replaced."""
    rng = random.Random(11)
    pairs = []
    for i in range(n):
        words = [f"tok{rng.randrange(20000)}" for _ in range(200)]
        edited = list(words)
        for pos in rng.sample(range(200), 2 * i):
            edited[pos] = f"new{rng.randrange(20000)}"
        pairs.append((" ".join(words), " ".join(edited)))
    return pairs


def test_estimate_tracks_true_jaccard() -> None:
    pairs = _pairs(30)
    truths = [true_jaccard(a, b) for a, b in pairs]
    errors = [abs(estimate(a, b) - truth) for (a, b), truth in zip(pairs, truths)]
    assert min(truths) < 0.2 and max(truths) == 1.0
    print(f"\nmean |estimate - true Jaccard| over 30 pairs: {np.mean(errors):.4f} (max {max(errors):.4f})")
    assert np.mean(errors) < 0.15


def test_signatures_for_2000_texts_of_300_words() -> None:
    rng = random.Random(5)
    vocab = [f"mot{i}é" for i in range(3000)]
    texts = [" ".join(rng.choices(vocab, k=300)) for _ in range(2000)]
    start = time.perf_counter()
    sigs = HASHER.signatures(texts)
    print(f"\n2,000 signatures of 300-word texts: {time.perf_counter() - start:.2f} s")
    assert sigs.shape == (2000, 128)
    assert not (sigs == dedup.EMPTY_SLOT).any()
