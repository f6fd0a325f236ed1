"""Imported fact-checks, and their embeddings cached per encoder."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.core.factcheck import FactCheck
from pipeline.db._rows import executemany
from pipeline.db.database import Database


def add_factchecks(db: Database, records: Sequence[FactCheck], source_file: str) -> list[str]:
    """Insert fact-checks whose id is new (the first of repeats); return the ids already stored."""
    with db.transaction() as con:
        known = {r[0] for r in con.execute("SELECT id FROM factchecks").fetchall()}
        fresh = list({f.id: f for f in reversed(records) if f.id not in known}.values())[::-1]
        executemany(con, "INSERT INTO factchecks (id, claim, rating, publisher, url, lang, reviewed, "
                    "matchable, note, source_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [[f.id, f.claim, f.rating, f.publisher, f.url, f.lang, f.date, f.matchable,
                      f.note, source_file] for f in fresh])
    return [f.id for f in records if f.id in known]


def list_factchecks(db: Database, matchable_only: bool = False) -> list[FactCheck]:
    """Stored fact-checks (only the matchable ones if asked), oldest import first."""
    where = " WHERE matchable" if matchable_only else ""
    with db.connect() as con:
        rows = con.execute("SELECT claim, rating, publisher, url, lang, reviewed, matchable, note "
                           f"FROM factchecks{where} ORDER BY imported_at, id").fetchall()
    return [FactCheck(*row) for row in rows]


def embeddings(db: Database, encoder: str) -> dict[str, bytes]:
    """Cached embeddings (float32 bytes) of matchable fact-checks, by id, for one encoder (name@version)."""
    with db.connect() as con:
        rows = con.execute("SELECT id, embedding FROM factchecks WHERE matchable AND encoder = ? "
                           "AND embedding IS NOT NULL", [encoder]).fetchall()
    return {r[0]: bytes(r[1]) for r in rows}


def save_embeddings(db: Database, encoder: str, vectors: dict[str, bytes]) -> None:
    """Cache fact-check embeddings (float32 bytes by id) computed by an encoder (name@version)."""
    with db.transaction() as con:
        for fid, blob in vectors.items():
            con.execute("UPDATE factchecks SET encoder = ?, embedding = ? WHERE id = ?", [encoder, blob, fid])
