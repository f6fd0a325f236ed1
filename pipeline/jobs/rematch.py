"""Fact-checks imported after articles were classified: the stored articles matched against only those."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from models.encoders.base import Encoder
from pipeline.core.record import ClaimMatch
from pipeline.db import factchecks as factchecks_db
from pipeline.db.database import Database
from pipeline.jobs.factchecks import claim_id, stored_claims
from pipeline.misinfo.matcher import ClaimMatcher, load_claims

PAGE = 500  # articles read and matched at a time
Candidate = tuple[str, str, str, str | None, str]  # article id, model, text, language, stored matches JSON


def rematch_new(db: Database, encoder: Encoder | None = None) -> tuple[int, int]:
    """Match every stored article that went through the matcher against the fact-checks not yet re-matched,
    add what they match to its stored matches (its rubric result is dropped, to be rescored) and mark those
    fact-checks done. Returns (fact-checks matched, articles that gained a match)."""
    fresh = factchecks_db.not_rematched(db)
    if not fresh:
        return 0, 0
    if not factchecks_db.rematch_candidates(db, "", 1):  # nothing classified yet: no encoder to load
        factchecks_db.mark_rematched(db, sorted(fresh))
        return len(fresh), 0
    matcher = _matcher_for(db, fresh, encoder)
    gained, after = 0, ""
    while page := factchecks_db.rematch_candidates(db, after, PAGE):
        rows = _rematched(matcher, page)
        if rows:
            factchecks_db.save_rematches(db, rows)
        gained += len({r[0] for r in rows})
        after = page[-1][0]
    factchecks_db.mark_rematched(db, sorted(fresh))
    return len(fresh), gained


def _matcher_for(db: Database, fresh: set[str], encoder: Encoder | None) -> ClaimMatcher:
    """A matcher of only the given fact-checks (no myths: those were matched at classification)."""
    if encoder is None:
        from models.encoders.registry import MULTILINGUAL, load_encoder

        encoder = load_encoder(MULTILINGUAL)
    claims, vectors = stored_claims(db, encoder)
    wanted = {claim_id(i) for i in fresh}
    keep = [i for i, c in enumerate(claims) if c.id in wanted]
    library = replace(load_claims(), claims=())
    return ClaimMatcher(library, encoder, extra=[claims[i] for i in keep], extra_vectors=vectors[keep])


def _rematched(matcher: ClaimMatcher, page: Sequence[Candidate]) -> list[tuple[str, str, str]]:
    """(article id, model, merged matches JSON) of the rows that match a new fact-check."""
    found = matcher.match([r[2] for r in page], [r[3] for r in page])
    return [(row[0], row[1], json.dumps(_merged(json.loads(row[4]), matches), ensure_ascii=False))
            for row, matches in zip(page, found, strict=True) if matches]


def _merged(stored: list[dict[str, Any]], fresh: Sequence[ClaimMatch]) -> list[dict[str, Any]]:
    """Stored matches plus new ones (a new one replaces a stored one of the same claim), best first."""
    ids = {m.claim_id for m in fresh}
    merged = [m for m in stored if m.get("claim_id") not in ids] + [m.to_dict() for m in fresh]
    return sorted(merged, key=lambda m: -float(m.get("similarity") or 0.0))
