"""Near-duplicate detection for syndicated wire copy: word shingles, MinHash and banded LSH.

Duplicates are never dropped: each article gets a cluster id, the id of the first indexed
article of its cluster. Hash parameters come from blake2b, not numpy's RNG, so persisted
signatures stay comparable across numpy versions.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat

import numpy as np
import numpy.typing as npt

from pipeline.core.text import fold

Signature = npt.NDArray[np.uint64]

MERSENNE = (1 << 61) - 1
EMPTY_SLOT = (1 << 64) - 1  # every slot of an empty text's signature; real slots are < MERSENNE
_P = np.uint64(MERSENNE)
_LOW29 = np.uint64((1 << 29) - 1)
_LOW32 = np.uint64((1 << 32) - 1)
_S29, _S32, _S61 = np.uint64(29), np.uint64(32), np.uint64(61)
_CHUNK = 1 << 9  # shingles hashed per numpy pass: 512 KiB temporaries at 128 slots stay in cache (faster)
_NON_WORD = re.compile(r"[\W_]+")

Batch = tuple[list[int], Signature, list[int]]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MERGE_AT = 1 << 17  # recent band keys held in a dict before they join the sorted arrays
# A bitmap of the merged keys' top 26 bits (8 MiB): a band key whose bit is clear skips the binary search, which
# costs a cache miss per step once the sorted array outgrows the cache (3.2M keys at 100k articles).
_FILTER_SHIFT = np.uint64(64 - 26)
_SEVEN, _THREE = np.uint64(7), np.uint64(3)
# Signatures are stored in blocks of rows: no doubled copy while growing (100k articles: 98 MiB, not 128 + 64).
_BLOCK_BITS = 12
_BLOCK_ROWS, _ROW_MASK = 1 << _BLOCK_BITS, (1 << _BLOCK_BITS) - 1


class _FoldTable(dict[int, str]):
    """str.translate table that folds each character once with pipeline.core.text.fold, then caches it."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold(chr(code))
        return folded


_FOLD = _FoldTable()


def words(text: str) -> list[str]:
    """Folded words of a text: lowercase, no accents, punctuation and extra whitespace dropped."""
    return _NON_WORD.sub(" ", text.translate(_FOLD)).split()


def shingles(text: str, k: int = 5) -> set[int]:
    """Word k-shingles as stable 32-bit CRCs; under k words gives one shingle, no words none."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    tokens = words(text)
    if not tokens:
        return set()
    return {zlib.crc32(" ".join(tokens[i:i + k]).encode("utf-8")) for i in range(max(1, len(tokens) - k + 1))}


def _param(seed: int, i: int, role: str) -> int:
    """A stable hash parameter in [1, MERSENNE)."""
    digest = hashlib.blake2b(f"xenowatch-minhash:{seed}:{i}:{role}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % (MERSENNE - 1) + 1


def empty_signature(num_perm: int) -> Signature:
    """The signature of a text without words: all EMPTY_SLOT, similar to nothing, itself included."""
    return np.full(num_perm, EMPTY_SLOT, dtype=np.uint64)


def _is_empty(sig: Signature) -> bool:
    """Whether a signature is the empty-text one."""
    return bool(sig.size) and int(sig[0]) == EMPTY_SLOT


def _batches(sets: Sequence[set[int]], limit: int = _CHUNK) -> Iterator[Batch]:
    """Non-empty shingle sets packed into (rows, values, starts) chunks of about `limit` values."""
    rows: list[int] = []
    values: list[int] = []
    starts: list[int] = []
    for row, shingle_set in enumerate(sets):
        if not shingle_set:
            continue
        if values and len(values) + len(shingle_set) > limit:
            yield rows, np.fromiter(values, dtype=np.uint64, count=len(values)), starts
            rows, values, starts = [], [], []
        rows.append(row)
        starts.append(len(values))
        values.extend(shingle_set)
    if values:
        yield rows, np.fromiter(values, dtype=np.uint64, count=len(values)), starts


class MinHasher:
    """MinHash over k-shingles with universal hashes (a*x + b) mod 2**61-1, computed exactly in uint64."""

    def __init__(self, num_perm: int = 128, seed: int = 1, k: int = 5) -> None:
        if num_perm < 1:
            raise ValueError(f"num_perm must be >= 1, got {num_perm}")
        self.num_perm, self.seed, self.k = num_perm, seed, k
        a = np.array([_param(seed, i, "a") for i in range(num_perm)], dtype=np.uint64)
        self._a_hi, self._a_lo = a >> _S32, a & _LOW32
        self._b = np.array([_param(seed, i, "b") for i in range(num_perm)], dtype=np.uint64)

    def signature(self, text: str) -> Signature:
        """Signature of one text, shape (num_perm,)."""
        sig: Signature = self.signatures([text])[0]
        return sig

    def signatures(self, texts: Iterable[str]) -> Signature:
        """Signatures of many texts, shape (n, num_perm); texts without words get empty_signature."""
        sets = [shingles(text, self.k) for text in texts]
        out = np.full((len(sets), self.num_perm), EMPTY_SLOT, dtype=np.uint64)
        for rows, values, starts in _batches(sets):
            out[rows] = np.minimum.reduceat(self._hash(values), starts, axis=0)
        return out

    def _hash(self, x: Signature) -> Signature:
        """(a*x + b) mod p for each shingle (rows) and permutation (columns); x < 2**32, no overflow.
        In place, in three arrays: temporaries were half the time of a signature."""
        col = x[:, None]
        hi: Signature = col * self._a_hi  # < 2**61; a*x = hi * 2**32 + lo
        lo: Signature = col * self._a_lo  # < 2**64
        # 2**61 = 1 (mod p), so hi * 2**32 = (hi >> 29) + ((hi & low29) << 32), lo = (lo >> 61) + (lo & p)
        total: Signature = hi >> _S29
        np.bitwise_and(hi, _LOW29, out=hi)
        np.left_shift(hi, _S32, out=hi)
        total += hi
        np.right_shift(lo, _S61, out=hi)
        total += hi
        np.bitwise_and(lo, _P, out=lo)
        total += lo
        total += self._b  # sum < 2**63
        np.right_shift(total, _S61, out=hi)
        np.bitwise_and(total, _P, out=total)
        total += hi
        np.subtract(total, _P, out=total, where=total >= _P)
        return total


def jaccard_estimate(a: Signature, b: Signature) -> float:
    """Share of equal slots of two signatures; 0.0 when either comes from an empty text."""
    if a.shape != b.shape:
        raise ValueError(f"signatures differ in shape: {a.shape} vs {b.shape}")
    if _is_empty(a) or _is_empty(b):
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size


def signature_to_bytes(sig: Signature) -> bytes:
    """Little-endian uint64 bytes of a signature, for storage."""
    return np.asarray(sig, dtype="<u8").tobytes()


def signature_from_bytes(data: bytes) -> Signature:
    """A signature back from signature_to_bytes."""
    if len(data) % 8:
        raise ValueError(f"signature bytes must be a multiple of 8 long, got {len(data)}")
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)


class NearDupIndex:
    """Banded LSH: signatures sharing any band of `rows` slots are candidates for each other. Compact for a
    long window of articles: signatures in blocks of rows, each band hashed to a 64-bit key in one sorted array
    (a 64-bit collision only adds a candidate, which the full comparison then weighs) behind a bitmap of those
    keys, the keys added since the last merge in a dict (100k articles: 804 MiB of RSS as dicts of byte strings,
    198 MiB with one doubling matrix, 166 MiB here)."""

    def __init__(self, num_perm: int = 128, bands: int = 32) -> None:
        if num_perm < 1 or bands < 1 or num_perm % bands:
            choices = [d for d in range(1, num_perm + 1) if num_perm % d == 0] if num_perm > 0 else []
            raise ValueError(f"bands must divide num_perm={num_perm}, got bands={bands}; choose one of {choices}")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        self._keys: list[str] = []
        self._order: dict[str, int] = {}
        self._blocks: list[Signature] = []  # signature of position p: row p & _ROW_MASK of block p >> _BLOCK_BITS
        self._hashes = np.zeros(0, dtype=np.uint64)  # sorted band keys of the merged positions
        self._positions = np.zeros(0, dtype=np.int32)  # the position of each of those keys
        self._filter = np.zeros(0, dtype=np.uint8)  # bitmap of the merged keys (_FILTER_SHIFT), made at first merge
        self._recent: dict[int, int] = {}  # band key -> its first position, for keys added since the last merge
        self._more: dict[int, list[int]] = {}  # band key -> later positions sharing it, since the last merge
        self._salt = np.arange(1, bands + 1, dtype=np.uint64) * _GOLDEN
        self._mix = np.frombuffer(hashlib.blake2b(b"xenowatch-lsh", digest_size=8 * self.rows).digest(),
                                  dtype=np.uint64) | np.uint64(1)

    def __len__(self) -> int:
        """Number of indexed keys."""
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        """Whether a key is indexed."""
        return key in self._order

    def _check(self, sig: Signature) -> None:
        """Fail loudly on a signature of the wrong shape."""
        if sig.shape != (self.num_perm,):
            raise ValueError(f"signature shape must be ({self.num_perm},), got {sig.shape}")

    def _band_keys(self, sigs: Signature) -> Signature:
        """One 64-bit key per band of each signature (one, or rows of many): its slots times odd constants,
        summed modulo 2**64, salted with its number."""
        shape = (*sigs.shape[:-1], self.bands, self.rows)
        keys: Signature = (sigs.reshape(shape) * self._mix).sum(axis=-1, dtype=np.uint64)
        return keys ^ self._salt

    def _prepared(self, sig: Signature) -> tuple[Signature, Signature]:
        """The signature as stored (a uint64 copy) and its band keys (none for an empty text's)."""
        self._check(sig)
        own = np.array(sig, dtype=np.uint64)
        return own, np.zeros(0, dtype=np.uint64) if _is_empty(own) else self._band_keys(own)

    def add(self, key: str, sig: Signature) -> None:
        """Index a signature under a new key; empty-text signatures are kept but never bucketed."""
        self._insert(key, *self._prepared(sig))

    def _insert(self, key: str, own: Signature, band_keys: Signature, merge: bool = True) -> None:
        """Store a prepared signature and bucket it (merging the recent keys when they are many, unless told not)."""
        if key in self._order:
            raise ValueError(f"key {key!r} is already indexed")
        position = len(self._keys)
        if not position & _ROW_MASK:
            self._blocks.append(np.empty((_BLOCK_ROWS, self.num_perm), dtype=np.uint64))
        self._blocks[-1][position & _ROW_MASK] = own
        self._keys.append(key)
        self._order[key] = position
        keys = band_keys.tolist()
        shared = self._recent.keys() & keys  # a band already seen since the last merge: rare, kept apart
        for band in shared:
            self._more.setdefault(band, []).append(position)
        self._recent.update(zip((k for k in keys if k not in shared) if shared else keys, repeat(position)))
        if merge and len(self._recent) >= _MERGE_AT:
            self._merge()

    def _merge(self) -> None:
        """Move the recent band keys into the sorted arrays."""
        extra = [(k, p) for k, ps in self._more.items() for p in ps]
        fresh = np.concatenate([np.fromiter(self._recent.keys(), np.uint64, len(self._recent)),
                                np.array([k for k, _ in extra], dtype=np.uint64)])
        where = np.concatenate([np.fromiter(self._recent.values(), np.int32, len(self._recent)),
                                np.array([p for _, p in extra], dtype=np.int32)])
        order = np.argsort(fresh, kind="stable")
        at = np.searchsorted(self._hashes, fresh[order])
        self._hashes = np.insert(self._hashes, at, fresh[order])
        self._positions = np.insert(self._positions, at, where[order])
        if not len(self._filter):
            self._filter = np.zeros(1 << (64 - int(_FILTER_SHIFT) - 3), dtype=np.uint8)
        top = fresh >> _FILTER_SHIFT
        np.bitwise_or.at(self._filter, top >> _THREE, np.left_shift(1, top & _SEVEN).astype(np.uint8))
        self._recent.clear()
        self._more.clear()

    def signature(self, key: str) -> Signature:
        """The stored signature of a key (for persisting)."""
        return self._row(self._order[key]).copy()

    def _row(self, position: int) -> Signature:
        """The stored signature at a position (a view)."""
        return self._blocks[position >> _BLOCK_BITS][position & _ROW_MASK]

    def candidates(self, sig: Signature) -> set[str]:
        """Keys sharing at least one band with the signature."""
        return {self._keys[p] for p in self._sharing(self._prepared(sig)[1])}

    def _sharing(self, band_keys: Signature) -> set[int]:
        """Positions in any of these buckets."""
        found: set[int] = set()
        if not len(band_keys):
            return found
        if len(self._hashes):
            found.update(*self._merged_many(band_keys[None, :]))
        self._recent_sharing(band_keys, found)
        return found

    def _recent_sharing(self, band_keys: Signature, found: set[int]) -> None:
        """Add the positions of the recent (not yet merged) keys among these to `found`."""
        for key in self._recent.keys() & band_keys.tolist():
            found.add(self._recent[key])
            found.update(self._more.get(key, ()))

    def _merged_many(self, band_keys: Signature) -> list[set[int]]:
        """For each row of band keys (n, bands), the merged positions in any of its buckets."""
        found: list[set[int]] = [set() for _ in range(len(band_keys))]
        flat = band_keys.ravel()
        top = flat >> _FILTER_SHIFT
        maybe = np.flatnonzero((self._filter[top >> _THREE] >> (top & _SEVEN)) & 1)
        if not len(maybe):  # the common case: most bands of an article are its own
            return found
        low = np.searchsorted(self._hashes, flat[maybe])
        high = np.searchsorted(self._hashes, flat[maybe], side="right")
        for i in np.flatnonzero(high > low).tolist():
            found[int(maybe[i]) // band_keys.shape[1]].update(self._positions[low[i]:high[i]].tolist())
        return found

    def add_nearest_many(self, items: Sequence[tuple[str, Signature]], threshold: float) -> list[str | None]:
        """add_nearest() of each item in order, with the merged buckets of all looked up at once: merging waits
        until the end, so keys added meanwhile are found among the recent ones."""
        for _, sig in items:
            self._check(sig)
        own = np.array([sig for _, sig in items], dtype=np.uint64).reshape(len(items), self.num_perm)
        live = own[:, 0] != np.uint64(EMPTY_SLOT) if len(items) else np.zeros(0, dtype=bool)
        keys = self._band_keys(own)
        found = self._merged_many(keys[live]) if len(self._hashes) and live.any() else []
        merged = iter(found)
        matches: list[str | None] = []
        for i, (key, _) in enumerate(items):
            band_keys = keys[i] if live[i] else keys[i, :0]
            candidates = next(merged, set()) if live[i] else set()
            self._recent_sharing(band_keys, candidates)
            matches.append(self._best(own[i], candidates, threshold))
            self._insert(key, own[i], band_keys, merge=False)
        if len(self._recent) >= _MERGE_AT:
            self._merge()
        return matches

    def nearest(self, sig: Signature, threshold: float) -> str | None:
        """Most similar candidate at or above threshold; ties go to the earliest indexed."""
        own, band_keys = self._prepared(sig)
        return self._best(own, self._sharing(band_keys), threshold)

    def add_nearest(self, key: str, sig: Signature, threshold: float) -> str | None:
        """nearest(), then add() of the same signature: its band keys are made once."""
        return self.add_nearest_many([(key, sig)], threshold)[0]

    def _best(self, own: Signature, candidates: set[int], threshold: float) -> str | None:
        """The most similar of the candidates at or above threshold, the earliest indexed on a tie."""
        if not candidates:
            return None
        positions = sorted(candidates)
        # One vectorised comparison for all candidates (boilerplate can make them many).
        scores = (np.stack([self._row(p) for p in positions]) == own).mean(axis=1)
        best = int(np.argmax(scores))  # the first maximum: ties go to the earliest indexed
        return self._keys[positions[best]] if scores[best] >= threshold else None


def assign_clusters(items: Sequence[tuple[str, str]], index: NearDupIndex, hasher: MinHasher,
                    clusters: dict[str, str], threshold: float = 0.7) -> dict[str, str]:
    """Cluster ids of (article_id, text) items in order; indexes them and updates `clusters`."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if index.num_perm != hasher.num_perm:
        raise ValueError(f"index expects {index.num_perm} slots, hasher makes {hasher.num_perm}")
    sigs = hasher.signatures(text for _, text in items)
    return assign_signatures([(aid, sig) for (aid, _), sig in zip(items, sigs)], index, clusters, threshold)


def assign_signatures(items: Sequence[tuple[str, Signature]], index: NearDupIndex,
                      clusters: dict[str, str], threshold: float = 0.7) -> dict[str, str]:
    """assign_clusters for signatures computed elsewhere (in parser worker processes, say)."""
    todo: dict[str, Signature] = {}
    for article_id, sig in items:  # an id seen before keeps its cluster: re-runs are idempotent
        if article_id not in index and article_id not in todo:
            todo[article_id] = sig
    for article_id, match in zip(todo, index.add_nearest_many(list(todo.items()), threshold)):
        clusters[article_id] = article_id if match is None else clusters.get(match, match)
    return {article_id: clusters.get(article_id, article_id) for article_id, _ in items}
