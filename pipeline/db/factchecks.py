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


def version(db: Database) -> str:
    """What changes when matchable fact-checks are imported: their count and latest import time ('' for none)."""
    with db.connect() as con:
        row = con.execute("SELECT count(*), max(imported_at) FROM factchecks WHERE matchable").fetchone()
    count, latest = row or (0, None)
    return f"{count}:{latest}" if count else ""


def not_rematched(db: Database) -> set[str]:
    """Ids of matchable fact-checks not yet matched against the stored articles."""
    with db.connect() as con:
        rows = con.execute("SELECT id FROM factchecks WHERE matchable AND rematched_at IS NULL").fetchall()
    return {r[0] for r in rows}


def mark_rematched(db: Database, ids: Sequence[str]) -> None:
    """Record that these fact-checks were matched against the stored articles."""
    with db.transaction() as con:
        con.execute("UPDATE factchecks SET rematched_at = current_timestamp WHERE id IN (SELECT unnest(?))",
                    [list(ids)])


def rematch_candidates(db: Database, after: str = "", limit: int = 500) -> list[tuple[str, str, str, str | None, str]]:
    """(article id, model, text, language, misinformation JSON) of the current classifications that went
    through the matcher (hate is set), for the first `limit` such articles with an id after `after`."""
    current = ("FROM classifications c JOIN articles a ON a.id = c.article_id AND c.content_hash = a.content_hash "
               "WHERE c.hate IS NOT NULL")
    sql = (f"WITH page AS (SELECT DISTINCT a.id {current} AND a.id > ? ORDER BY a.id LIMIT ?) "
           "SELECT a.id, c.model, coalesce(a.text, ''), a.lang, coalesce(CAST(c.misinformation AS VARCHAR), '[]') "
           f"{current} AND a.id IN (SELECT id FROM page) ORDER BY a.id, c.model")
    with db.connect() as con:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in con.execute(sql, [after, limit]).fetchall()]


def save_rematches(db: Database, rows: Sequence[tuple[str, str, str]]) -> None:
    """Store (article id, model, misinformation JSON) and drop those articles' rubric results, which
    read the matches, so that the next `score` rescores them."""
    with db.transaction() as con:
        con.executemany("UPDATE classifications SET misinformation = ? WHERE article_id = ? AND model = ?",
                        [[m, a, model] for a, model, m in rows])
        con.execute("DELETE FROM rubric_results WHERE article_id IN (SELECT unnest(?))", [[r[0] for r in rows]])
