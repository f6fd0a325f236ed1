"""Purge erases physically: no purged text, handle or note is left anywhere in the DuckDB file."""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.record import Article
from pipeline.db import articles, results, review
from pipeline.db.database import Database

MARKER = "ZQXJ-purge-marker"
HANDLE = "@zqxj_private_handle"
NOTE = "ZQXJ-reviewer-note"


def _noise(n: int) -> str:
    """Random words, so that DuckDB stores the text uncompressed enough for a byte search to find it."""
    rng = random.Random(n)
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(40))


def _posts(count: int, year: int) -> list[Article]:
    """Social posts carrying the marker in text and title, and the handle in their address and guid."""
    return [Article(url=f"https://social.example/{HANDLE}/{year}{n}", outlet="s", title=f"{MARKER} {n}",
                    text=f"{MARKER} {n} {_noise(n)}", kind="post", author="author:0123",
                    guid=f"https://social.example/users/{HANDLE}/statuses/{year}{n}",
                    published=datetime(year, 1, 1, tzinfo=UTC)) for n in range(count)]


def _bytes_found(path: Path, *needles: str) -> list[str]:
    """The needles present anywhere in the database file or its write-ahead log (a grep -a)."""
    data = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + ".wal")) if p.exists())
    return [n for n in needles if n.encode() in data]


def _seed(db: Database) -> list[Article]:
    """Old posts with notes and audit entries about them, and a recent post kept."""
    old = _posts(200, 2024)
    articles.insert_articles(db, old + [Article(url="https://news.example/1", outlet="n", text="kept news",
                                                published=datetime(2024, 1, 1, tzinfo=UTC))], None)
    results.save_classifications(db, old, "m", 0.2)
    review.record_ops(db, [{"op_id": f"op-{n}", "at": "2026-05-01T12:00:00", "kind": "decision", "actor": "ana",
                            "article_id": a.id, "decision": "note", "note": f"{NOTE} quoting {MARKER}"}
                           for n, a in enumerate(old[:5])])
    with db.connect() as con:
        con.execute("CHECKPOINT")
    return old


def test_purge_leaves_no_purged_text_handle_or_note_in_the_file(db_path: Path) -> None:
    db = Database.open(db_path)
    old = _seed(db)
    assert _bytes_found(db_path, MARKER, HANDLE, NOTE) == [MARKER, HANDLE, NOTE]  # the search works
    db_path.chmod(0o600)
    assert articles.purge_posts(db, datetime(2025, 1, 1)) == 200
    assert _bytes_found(db_path, MARKER, HANDLE, NOTE) == []
    assert db_path.stat().st_mode & 0o777 == 0o600 and not list(db_path.parent.glob(".*compact*"))
    with db.connect() as con:
        row = con.execute("SELECT url, guid, text, extraction FROM articles WHERE id = ?", [old[0].id]).fetchone()
        notes = con.execute("SELECT DISTINCT note FROM reviews").fetchall()
        details = [json.loads(d) for (d,) in con.execute("SELECT detail FROM audit_log").fetchall()]
        kept = con.execute("SELECT text FROM articles WHERE kind = 'article'").fetchall()
    assert row == (f"purged:{old[0].id}", None, "", "purged")
    assert notes == [(articles.REDACTED,)] and kept == [("kept news",)]
    assert {d["note"] for d in details} == {articles.REDACTED} and {d["decision"] for d in details} == {"note"}
    assert articles.purge_posts(db, datetime(2025, 1, 1)) == 0  # the rewritten file is whole and usable
    articles.insert_articles(db, _posts(1, 2026), None)
    review.record_ops(db, [{"op_id": "op-after", "at": "2026-05-02T12:00:00", "kind": "decision", "actor": "ana",
                            "article_id": old[0].id, "decision": "confirm"}])


def test_purge_command_erases_physically(tmp_path: Path) -> None:
    path = tmp_path / "cli.duckdb"
    _seed(Database.open(path))
    result = CliRunner().invoke(app, ["--db", str(path), "purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "purged 200 social posts" in result.output
    assert _bytes_found(path, MARKER, HANDLE, NOTE) == []


def test_purge_erases_check_worthy_sentences_and_factcheck_requests(db_path: Path) -> None:
    from pipeline.core.record import CheckWorthy, Span

    db = Database.open(db_path)
    [post] = _posts(1, 2024)
    sentence = post.text[:60]
    post = post.evolve(check_worthy=(CheckWorthy(Span(0, 60, sentence, label="check_worthy"), 0.9, ("number",)),))
    articles.insert_articles(db, [post], None)
    results.save_classifications(db, [post], "m", 0.2)
    review.record_ops(db, [{"op_id": "fc-1", "at": "2026-05-01T12:00:00", "kind": "factcheck_request", "actor": "ana",
                            "article_id": post.id, "sentence": sentence, "start": 0, "end": 60}])
    assert review.factcheck_requests(db)[0]["sentence"] == sentence
    assert articles.purge_posts(db, datetime(2025, 1, 1)) == 1
    assert _bytes_found(db_path, MARKER) == []
    with db.connect() as con:
        detail = json.loads(con.execute("SELECT detail FROM audit_log WHERE op_id = 'fc-1'").fetchone()[0])
        worthy = con.execute("SELECT check_worthy FROM classifications").fetchone()[0]
    assert detail["sentence"] == articles.REDACTED and json.loads(worthy) == []
    assert review.factcheck_requests(db)[0]["sentence"] == articles.REDACTED
