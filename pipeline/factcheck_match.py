"""Imported fact-checks as matcher claims, with their embeddings cached in the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.encoder import Encoder
from pipeline.factchecks import FactCheck
from pipeline.misinfo import Claim, ClaimLibrary, ClaimMatcher, content_stems
from pipeline.store import Store, migrations


def as_claim(fc: FactCheck) -> Claim:
    """A matchable fact-check in the matcher's claim shape (one phrasing, its own stems as gate)."""
    lang = fc.lang or "en"
    return Claim(id=f"factcheck:{fc.id[:16]}", topic="factcheck", rating=fc.rating, source=fc.publisher,
                 url=fc.url, text={lang: fc.claim}, paraphrases={}, evidence={},
                 keywords={lang: tuple(sorted(s for s in content_stems(fc.claim) if len(s) >= 4))},
                 kind="factcheck", date=fc.date or "")


def encoder_key(encoder: Encoder) -> str:
    """The name@version that cached embeddings are valid for."""
    return f"{encoder.name}@{encoder.version}"


def stored_claims(store: Store, encoder: Encoder) -> tuple[list[Claim], np.ndarray]:
    """Matchable fact-checks and their embeddings; missing ones are computed and cached."""
    checks = store.factchecks(matchable_only=True)
    if not checks:
        return [], np.zeros((0, encoder.dim), dtype=np.float32)
    key = encoder_key(encoder)
    cached = store.factcheck_embeddings(key)
    todo = [fc for fc in checks if fc.id not in cached]
    if todo:
        fresh = encoder.encode([fc.claim for fc in todo]).astype(np.float32)
        computed = {fc.id: row.tobytes() for fc, row in zip(todo, fresh, strict=True)}
        store.save_factcheck_embeddings(key, computed)
        cached.update(computed)
    vectors = np.vstack([np.frombuffer(cached[fc.id], dtype=np.float32) for fc in checks])
    return [as_claim(fc) for fc in checks], vectors


def matcher_with_store(library: ClaimLibrary, encoder: Encoder, db: Path | None,
                       threshold: float | None = None) -> ClaimMatcher:
    """The myth matcher, plus the fact-checks imported into `db` when that database exists."""
    extra: list[Claim] = []
    vectors: np.ndarray | None = None
    if db is not None and Path(db).exists():
        store = Store(db)
        if store.schema_version() < migrations()[-1][0]:  # a read first: Dask workers share one writer
            store.migrate()
        extra, vectors = stored_claims(store, encoder)
    if threshold is None:
        return ClaimMatcher(library, encoder, extra=extra, extra_vectors=vectors)
    return ClaimMatcher(library, encoder, threshold, extra=extra, extra_vectors=vectors)
