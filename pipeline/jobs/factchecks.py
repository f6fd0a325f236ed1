"""Imported fact-checks as matcher claims, with their embeddings cached in the database; the
classifier and the misinformation evaluation built with them."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from models.encoders.base import Encoder
from pipeline.classify.classifier import Classifier, load_classifier
from pipeline.core.config import Settings
from pipeline.core.errors import StoreError
from pipeline.core.factcheck import FactCheck
from pipeline.db import factchecks as factchecks_db
from pipeline.db.database import Database
from pipeline.misinfo.matcher import Claim, ClaimLibrary, ClaimMatcher, content_stems, load_claims


def as_claim(fc: FactCheck) -> Claim:
    """A matchable fact-check in the matcher's claim shape (one phrasing, its own stems as gate)."""
    lang = fc.lang or "en"
    return Claim(id=claim_id(fc.id), topic="factcheck", rating=fc.rating, source=fc.publisher,
                 url=fc.url, text={lang: fc.claim}, paraphrases={}, evidence={},
                 keywords={lang: tuple(sorted(s for s in content_stems(fc.claim) if len(s) >= 4))},
                 kind="factcheck", date=fc.date or "")


REFRESH_WAIT_S = 1.0  # how long a batch waits on another process's write lock to read the fact-check version


def claim_id(factcheck_id: str) -> str:
    """The matcher's claim id of a stored fact-check."""
    return f"factcheck:{factcheck_id[:16]}"


def encoder_key(encoder: Encoder) -> str:
    """The name@version that cached embeddings are valid for."""
    return f"{encoder.name}@{encoder.version}"


def stored_claims(db: Database, encoder: Encoder) -> tuple[list[Claim], np.ndarray]:
    """Matchable fact-checks and their embeddings; missing ones are computed and cached."""
    checks = factchecks_db.list_factchecks(db, matchable_only=True)
    if not checks:
        return [], np.zeros((0, encoder.dim), dtype=np.float32)
    key = encoder_key(encoder)
    cached = factchecks_db.embeddings(db, key)
    todo = [fc for fc in checks if fc.id not in cached]
    if todo:
        fresh = encoder.encode([fc.claim for fc in todo]).astype(np.float32)
        computed = {fc.id: row.tobytes() for fc, row in zip(todo, fresh, strict=True)}
        factchecks_db.save_embeddings(db, key, computed)
        cached.update(computed)
    vectors = np.vstack([np.frombuffer(cached[fc.id], dtype=np.float32) for fc in checks])
    return [as_claim(fc) for fc in checks], vectors


def matcher_with_store(library: ClaimLibrary, encoder: Encoder, db: Path | None,
                       thresholds: tuple[float, float] | None = None) -> ClaimMatcher:
    """The myth matcher, plus the fact-checks imported into `db` when that database exists; `thresholds`:
    (myths', fact-checks'), the calibrated ones when not given."""
    extra: list[Claim] = []
    vectors: np.ndarray | None = None
    if db is not None and Path(db).exists():
        extra, vectors = stored_claims(Database.open(db), encoder)
    if thresholds is None:
        return ClaimMatcher(library, encoder, extra=extra, extra_vectors=vectors)
    return ClaimMatcher(library, encoder, thresholds[0], extra=extra, extra_vectors=vectors,
                        factcheck_threshold=thresholds[1])


def classifier_for(settings: Settings) -> Classifier:
    """The classify stage's models, the fact-checks imported into `settings.db` (when that database
    exists) matched with the bundled myths."""
    from models.encoders.registry import MULTILINGUAL, load_encoder

    version = stored_version(settings.db)  # read first: an import meanwhile is picked up on the next batch
    clf = load_classifier(settings, matcher_with_store(load_claims(), load_encoder(MULTILINGUAL), settings.db))
    return replace(clf, factchecks=version)


def stored_version(db: Path | None) -> str:
    """The version of the fact-checks imported into a database ('' when it does not exist)."""
    return factchecks_db.version(Database.open(db)) if db is not None and Path(db).exists() else ""


def refreshed(clf: Classifier, db: Database | Path | None) -> Classifier:
    """`clf`, or a copy whose matcher has the fact-checks imported since it was built (their embeddings are
    cached, so only the myth phrasings are encoded again): a running worker checks this per batch. Given a
    Database, the check reads through its held connection when it has one (no second open)."""
    path = db.path if isinstance(db, Database) else db
    if path is None or not Path(path).exists():
        return clf
    store = db if isinstance(db, Database) else Database(path, lock_wait_s=REFRESH_WAIT_S)
    try:  # one short read (the file was migrated when clf was loaded); a writer holding it: next batch
        version = factchecks_db.version(store)
    except StoreError:
        return clf
    if version == clf.factchecks:
        return clf
    thresholds = (clf.claims.threshold, clf.claims.factcheck_threshold)
    matcher = matcher_with_store(clf.claims.library, clf.claims.encoder, path, thresholds)
    return replace(clf, claims=matcher, factchecks=version)


def eval_matcher(encoder: Any, factchecks: Path, low: float = 0.05) -> ClaimMatcher:
    """The bundled myths plus the fact-checks of a file imported into a throwaway database (as an
    import would store them), matching at a low threshold for the evaluation."""
    from pipeline.misinfo.factchecks import parse_file

    parsed = parse_file(factchecks)
    with tempfile.TemporaryDirectory(prefix="xw-misinfo-eval-") as tmp:
        db = Database.open(Path(tmp) / "eval.duckdb")
        factchecks_db.add_factchecks(db, [fc for _, fc in parsed.records], str(factchecks))
        return matcher_with_store(load_claims(), encoder, db.path, (low, low))
