"""The only module that talks to DuckDB: connection, migrations and every SQL statement."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from pipeline.errors import StoreError
from pipeline.record import Article, sha1
from pipeline.sources import Feed, Outlet

LOCK_WAIT_S = 60.0


@dataclass(frozen=True, slots=True)
class ScoredRow:
    """One scored, migration-relevant article as the ranking reads it."""

    article_id: str
    outlet_id: str
    published: datetime | None
    score: float
    content_hash: str


def utc_naive(value: datetime | None) -> datetime | None:
    """DuckDB TIMESTAMP values are naive UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migration files shipped in pipeline/schema, in order."""
    found = []
    for entry in resources.files("pipeline.schema").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Store:
    """A DuckDB file opened for short transactions, waiting politely on another writer's lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._held: duckdb.DuckDBPyConnection | None = None
        self._in_transaction = False

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection (the held one inside `held()`); retried while another process holds the lock."""
        if self._held is not None:
            yield self._held
            return
        con = self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep one connection for a short burst of writes: opening a file per statement is slow,
        holding it for a whole run would lock other writers out for minutes."""
        if self._held is not None:
            yield
            return
        self._held = self._open(False)
        try:
            yield
        finally:
            self._held.close()
            self._held = None

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying lock conflicts with jittered backoff."""
        if read_only and not self.path.exists():
            raise StoreError(f"database {self.path} does not exist; run 'xenowatch db migrate' or an ingest first")
        deadline, delay = time.monotonic() + LOCK_WAIT_S, 0.05
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(f"cannot open database {self.path}: {exc}; check the path given "
                                     "with --db or XENOWATCH_DB") from exc
            time.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 1.0)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction: all of it lands, or none of it (an inner one joins the outer one)."""
        with self.held(), self.connect() as con:
            if self._in_transaction:
                yield con
                return
            con.execute("BEGIN TRANSACTION")
            self._in_transaction = True
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                self._in_transaction = False

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return the names applied."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        applied: list[str] = []
        with self.transaction() as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                        " name VARCHAR NOT NULL, applied_at TIMESTAMP DEFAULT current_timestamp)")
            done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, name, sql in migrations():
                if version not in done:
                    con.execute(sql)
                    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
                    applied.append(name)
        return applied

    def backup(self, target: Path) -> Path:
        """A consistent copy of the database in a new file: taken inside one connection, which holds
        the file lock, so writers wait (and retry) rather than change it half-way."""
        if target.exists():
            raise StoreError(f"{target} already exists; choose a new file for the backup")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        with self.held(), self.connect() as con:
            name = con.execute("SELECT current_database()").fetchall()[0][0]
            con.execute("ATTACH ? AS xw_backup", [str(partial)])
            try:
                con.execute(f'COPY FROM DATABASE "{name}" TO xw_backup').fetchall()
            finally:
                con.execute("DETACH xw_backup")
        partial.rename(target)
        return target

    def schema_version(self) -> int:
        """The highest migration applied, 0 for a new file."""
        with self.connect() as con:
            exists = con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'schema_migrations'").fetchall()
            if not exists or not exists[0][0]:
                return 0
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchall()
            return int(row[0][0] or 0) if row else 0

    # --- sources -------------------------------------------------------------------------

    def upsert_sources(self, outlets: Sequence[Outlet], feeds: Sequence[Feed]) -> None:
        """Register outlets and feeds in one transaction; existing ones are updated."""
        with self.transaction() as con:
            _executemany(con,
                "INSERT INTO outlets (id, name, country, language, media_type, owner, website) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                "country = excluded.country, language = excluded.language, media_type = excluded.media_type, "
                "owner = excluded.owner, website = excluded.website",
                [[o.id, o.name, o.country, o.language, o.media_type, o.owner, o.website] for o in outlets])
            _executemany(con,
                "INSERT INTO feeds (url, outlet_id, kind) VALUES (?, ?, ?) ON CONFLICT (url) "
                "DO UPDATE SET outlet_id = excluded.outlet_id, kind = excluded.kind",
                [[f.url, f.outlet_id, f.kind] for f in feeds])

    def feeds(self) -> list[Feed]:
        """Every registered feed."""
        with self.connect() as con:
            rows = con.execute("SELECT url, outlet_id, kind, etag, last_modified FROM feeds ORDER BY url").fetchall()
        return [Feed(url=r[0], outlet_id=r[1], kind=r[2], etag=r[3], last_modified=r[4]) for r in rows]

    def outlets(self) -> dict[str, Outlet]:
        """Every registered outlet, by id."""
        with self.connect() as con:
            rows = con.execute("SELECT id, name, country, language, media_type, owner, website "
                               "FROM outlets ORDER BY id").fetchall()
        return {r[0]: Outlet(*r) for r in rows}

    def feed_status(self) -> list[dict[str, Any]]:
        """Per-feed health for `sources status`."""
        with self.connect() as con:
            cur = con.execute(
                "SELECT f.url, f.outlet_id, f.last_success, f.last_error, f.consecutive_failures, "
                "(SELECT count(*) FROM articles a WHERE a.feed_url = f.url "
                " AND a.first_seen > now() - INTERVAL 7 DAY) AS items_7d FROM feeds f ORDER BY f.url")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def record_feed_results(self, rows: Sequence[tuple[str, str | None, str | None, str | None]]) -> None:
        """Remember each feed's last success (and its validators) or its last error:
        rows of (url, error or None, etag, last_modified)."""
        ok = [[url, etag, lm] for url, error, etag, lm in rows if error is None]
        failed = [[url, error] for url, error, _, _ in rows if error is not None]
        with self.connect() as con:
            if ok:
                con.execute("UPDATE feeds SET last_success = now(), consecutive_failures = 0, "
                            "etag = coalesce(v.etag, feeds.etag), last_modified = coalesce(v.lm, feeds.last_modified) "
                            f"FROM (VALUES {_groups(3, len(ok))}) v(url, etag, lm) WHERE feeds.url = v.url",
                            [x for row in ok for x in row])
            if failed:
                con.execute("UPDATE feeds SET last_error = v.error, last_error_at = now(), "
                            "consecutive_failures = consecutive_failures + 1 "
                            f"FROM (VALUES {_groups(2, len(failed))}) v(url, error) WHERE feeds.url = v.url",
                            [x for row in failed for x in row])

    # --- articles ------------------------------------------------------------------------

    def new_articles(self, articles: Sequence[Article]) -> list[Article]:
        """The articles not stored yet: unknown canonical URL, and no stored item of the same feed has
        their GUID (a GUID seen again with other content or URL is the same item, kept once)."""
        unique = list({a.id: a for a in articles}.values())
        if not unique:
            return []
        with self.connect() as con:
            known = {r[0] for r in con.execute("SELECT id FROM articles WHERE id IN (SELECT unnest(?))",
                                               [[a.id for a in unique]]).fetchall()}
            guids = {(r[0], r[1]) for r in con.execute(
                "SELECT feed_url, guid FROM articles WHERE guid IN (SELECT unnest(?))",
                [[a.guid for a in unique if a.guid]]).fetchall()}
        fresh, seen = [], set(guids)
        for a in unique:
            key = (a.feed_url, a.guid)
            if a.id not in known and not (a.guid and key in seen):
                fresh.append(a)
                seen.add(key)
        return fresh

    def insert_articles(self, articles: Sequence[Article], run_id: str | None,
                        clusters: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, int]:
        """Store new articles (with their near-duplicate cluster and signature); return (new, duplicate).
        Keyed by canonical URL and feed GUID, so reruns add nothing."""
        if not articles:
            return 0, 0
        new = self.insert_fresh(self.new_articles(articles), run_id, clusters)
        return new, len(articles) - new

    def insert_fresh(self, fresh: Sequence[Article], run_id: str | None,
                     clusters: dict[str, tuple[str, bytes]] | None = None) -> int:
        """Insert articles already filtered by new_articles(); return how many landed."""
        clusters = clusters or {}
        with self.transaction() as con:
            before = _count(con, "articles")
            _executemany(con,
                "INSERT INTO articles (id, url, outlet_id, feed_url, guid, kind, title, text, author, "
                "published, lang, extraction, content_hash, run_id, cluster_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                [_article_row(a, run_id) + [clusters.get(a.id, (a.id, b""))[0]] for a in fresh])
            _executemany(con, "INSERT INTO article_signatures (article_id, signature) VALUES (?, ?) "
                         "ON CONFLICT (article_id) DO NOTHING",
                         [[a.id, clusters[a.id][1]] for a in fresh if a.id in clusters])
            return _count(con, "articles") - before

    def purge_posts(self, before: datetime) -> int:
        """Erase the text, title, author and evidence of social posts published (or first seen) before
        a time; their scores stay for aggregate trends. Returns the number of posts purged."""
        where = ("kind = 'post' AND extraction <> 'purged' AND coalesce(published, first_seen) < ?")
        with self.transaction() as con:
            ids = [r[0] for r in con.execute(f"SELECT id FROM articles WHERE {where}", [before]).fetchall()]
            if ids:
                con.execute("UPDATE articles SET text = '', title = '', author = NULL, extraction = 'purged' "
                            "WHERE id IN (SELECT unnest(?))", [ids])
                con.execute("UPDATE classifications SET evidence = '[]', misinformation = '[]' "
                            "WHERE article_id IN (SELECT unnest(?))", [ids])
                con.execute("DELETE FROM rubric_results WHERE article_id IN (SELECT unnest(?))", [ids])
                con.execute("DELETE FROM article_signatures WHERE article_id IN (SELECT unnest(?))", [ids])
        return len(ids)

    def recent_signatures(self, days: int) -> list[tuple[str, str, bytes]]:
        """(article id, cluster id, MinHash signature) of articles first seen in the last `days` days."""
        with self.connect() as con:
            return [(r[0], r[1], bytes(r[2])) for r in con.execute(
                "SELECT a.id, coalesce(a.cluster_id, a.id), s.signature FROM articles a "
                "JOIN article_signatures s ON s.article_id = a.id "
                f"WHERE a.first_seen > now() - INTERVAL {int(days)} DAY ORDER BY a.first_seen, a.id").fetchall()]

    def cluster_sizes(self) -> dict[str, int]:
        """Number of articles per near-duplicate cluster, for clusters of two or more."""
        with self.connect() as con:
            rows = con.execute("SELECT cluster_id, count(*) FROM articles GROUP BY cluster_id "
                               "HAVING count(*) > 1").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def pending_classification(self, model: str, limit: int | None = None) -> list[Article]:
        """Articles with no classification by this model for their current content."""
        sql = (f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN classifications c "
               "ON c.article_id = a.id AND c.model = ? WHERE c.article_id IS NULL "
               "OR c.content_hash <> a.content_hash ORDER BY a.id")
        with self.connect() as con:
            rows = con.execute(sql + (f" LIMIT {int(limit)}" if limit else ""), [model]).fetchall()
        return [_article_from_row(r) for r in rows]

    def save_classifications(self, articles: Sequence[Article], model: str, gate: float) -> None:
        """Store relevance and classifier outputs, replacing older ones for the same model."""
        rows = [_classification_row(a, model, gate) for a in articles]
        with self.transaction() as con:
            _executemany(con,
                "INSERT OR REPLACE INTO classifications (article_id, model, content_hash, relevance, gated, "
                "hate, hate_score, target, severity, evidence, misinformation) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def pending_rubric(self, model: str, rubric_version: str) -> list[Article]:
        """Relevant, classified articles with no result for this rubric version."""
        sql = (f"SELECT {_ARTICLE_COLUMNS}, c.relevance, c.hate, c.hate_score, c.target, c.severity, "
               "c.evidence, c.misinformation FROM articles a JOIN classifications c "
               "ON c.article_id = a.id AND c.model = ? AND c.content_hash = a.content_hash "
               "LEFT JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? "
               "WHERE c.gated AND (r.article_id IS NULL OR r.content_hash <> a.content_hash) ORDER BY a.id")
        with self.connect() as con:
            rows = con.execute(sql, [model, rubric_version]).fetchall()
        from pipeline.serialize import classified_article

        return [classified_article(_article_from_row(r[:13]), r[13:], model) for r in rows]

    def save_rubric(self, articles: Sequence[Article], model: str) -> None:
        """Store rubric results (criteria as JSON), replacing older ones for the same version."""
        rows = [[a.id, a.rubric.version, model, a.content_hash, a.rubric.score,
                 json.dumps([c.to_dict() for c in a.rubric.criteria], ensure_ascii=False)]
                for a in articles if a.rubric is not None]
        with self.transaction() as con:
            _executemany(con, "INSERT OR REPLACE INTO rubric_results (article_id, rubric_version, model, "
                            "content_hash, score, criteria) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def scored_rows(self, year: int, rubric_version: str, model: str) -> list[ScoredRow]:
        """Scored articles of a year, with their outlet, for the ranking."""
        sql = ("SELECT a.id, a.outlet_id, a.published, r.score, a.content_hash FROM articles a "
               "JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? AND r.model = ? "
               "AND r.content_hash = a.content_hash WHERE year(coalesce(a.published, a.first_seen)) = ? "
               "ORDER BY a.id")
        with self.connect() as con:
            rows = con.execute(sql, [rubric_version, model, year]).fetchall()
        return [ScoredRow(*r) for r in rows]

    def evidence(self, article_ids: Sequence[str], rubric_version: str) -> list[dict[str, Any]]:
        """Flagged criteria of the given articles, for an outlet's evidence pack."""
        if not article_ids:
            return []
        sql = ("SELECT a.id, a.outlet_id, a.url, a.title, a.published, r.score, r.criteria "
               "FROM articles a JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? "
               "WHERE a.id IN (SELECT unnest(?)) ORDER BY a.outlet_id, r.score, a.id")
        with self.connect() as con:
            cur = con.execute(sql, [rubric_version, list(article_ids)])
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row)) for row in cur.fetchall()]
        for row in rows:
            row["criteria"] = json.loads(row["criteria"])
        return rows

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        tables = ("outlets", "feeds", "articles", "classifications", "rubric_results",
                  "ranking_snapshots", "ranking_rows", "runs", "rejected", "reviews")
        with self.connect() as con:
            return {t: _count(con, t) for t in tables}

    # --- runs and rejects ----------------------------------------------------------------

    def start_run(self, kind: str) -> str:
        """Record the start of a run and return its id."""
        started = datetime.now(UTC).replace(tzinfo=None)
        run_id = sha1(f"{kind}:{started.isoformat()}:{random.random()}")[:16]
        with self.connect() as con:
            con.execute("INSERT INTO runs (id, kind, started_at) VALUES (?, ?, ?)", [run_id, kind, started])
        return run_id

    def finish_run(self, run_id: str, summary: dict[str, Any]) -> None:
        """Record a run's counts and end time."""
        with self.connect() as con:
            con.execute(
                "UPDATE runs SET finished_at = now(), feeds_ok = ?, feeds_failed = ?, items_new = ?, "
                "items_duplicate = ?, items_rejected = ?, summary = ? WHERE id = ?",
                [summary.get("feeds_ok", 0), summary.get("feeds_failed", 0), summary.get("new", 0),
                 summary.get("duplicate", 0), summary.get("rejected", 0),
                 json.dumps(summary, default=str), run_id])

    def reject(self, run_id: str | None, stage: str, source: str, item: str, reason: str) -> None:
        """Quarantine one bad item with its reason; the same item and reason are kept once."""
        self.reject_many([(run_id, stage, source, item, reason)])

    def reject_many(self, rows: Sequence[tuple[str | None, str, str, str, str]]) -> None:
        """Quarantine bad items: rows of (run_id, stage, source, item, reason)."""
        unique = {sha1(f"{st}|{src}|{item}|{why}"): [run, st, src, item[:2000], why]
                  for run, st, src, item, why in rows}
        with self.connect() as con:
            _executemany(con, "INSERT INTO rejected (id, run_id, stage, source, item, reason) "
                         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                         [[key, *values] for key, values in unique.items()])

    # --- rankings ------------------------------------------------------------------------

    def save_snapshot(self, snapshot: dict[str, Any], rows: Sequence[dict[str, Any]]) -> bool:
        """Store a ranking snapshot once (its id is a hash of its inputs); True when new."""
        with self.transaction() as con:
            found = con.execute("SELECT 1 FROM ranking_snapshots WHERE id = ?", [snapshot["id"]]).fetchall()
            if found:
                return False
            con.execute("INSERT INTO ranking_snapshots (id, year, rubric_version, models, parameters, "
                        "article_ids) VALUES (?, ?, ?, ?, ?, ?)",
                        [snapshot["id"], snapshot["year"], snapshot["rubric_version"],
                         json.dumps(snapshot["models"]), json.dumps(snapshot["parameters"]),
                         json.dumps(snapshot["article_ids"])])
            _executemany(con, "INSERT INTO ranking_rows (snapshot_id, category, outlet_id, rank, score, "
                            "ci_low, ci_high, n_articles, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [[snapshot["id"], r["category"], r["outlet_id"], r["rank"], r["score"],
                              r["ci_low"], r["ci_high"], r["n_articles"], r["status"]] for r in rows])
        return True

    def snapshots(self, year: int) -> list[dict[str, Any]]:
        """Snapshots of a year, newest first."""
        with self.connect() as con:
            cur = con.execute("SELECT id, year, rubric_version, models, parameters, created_at "
                              "FROM ranking_snapshots WHERE year = ? ORDER BY created_at DESC", [year])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    # --- classification core (issue 4) ---------------------------------------------------

    # --- rubric, scorecards and award (issue 5) ------------------------------------------

    # --- workbench: users, reviews, audit, trends (issue 6) --------------------------------

    # --- fact-checks (issue 7) ------------------------------------------------------------

    # --- scale: archive and resilience (issue 8) ------------------------------------------


_ARTICLE_COLUMNS = ("a.url, a.outlet_id, a.title, a.text, a.kind, a.published, a.author, a.feed_url, "
                    "a.guid, a.extraction, a.lang, a.content_hash, a.id")


def _groups(width: int, count: int) -> str:
    """`count` placeholder groups of `width` values, for a multi-row VALUES list."""
    return ", ".join(["(" + ", ".join(["?"] * width) + ")"] * count)


def _executemany(con: duckdb.DuckDBPyConnection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows in one statement from columns registered as a view (DuckDB's executemany
    runs one statement per row: about 70 ms for 20 rows); accepts an empty batch."""
    if not rows:
        return
    head, tail = sql.split(" VALUES ", 1)
    suffix = tail[tail.index(")") + 1:]
    width = len(rows[0])
    columns = {f"c{i}": np.array([row[i] for row in rows], dtype=object) for i in range(width)}
    con.register("_xw_rows", columns)
    try:
        con.execute(f"{head} SELECT {', '.join(columns)} FROM _xw_rows{suffix}").fetchall()
    finally:
        con.unregister("_xw_rows")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in a table (names come from code, never from input)."""
    row = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(row[0][0]) if row else 0


def _article_row(a: Article, run_id: str | None) -> list[Any]:
    """Values for an articles INSERT."""
    return [a.id, a.url, a.outlet, a.feed_url, a.guid, a.kind, a.title, a.text, a.author,
            utc_naive(a.published), a.lang, a.extraction, a.content_hash, run_id]


def _article_from_row(row: Sequence[Any]) -> Article:
    """An Article from the columns in _ARTICLE_COLUMNS."""
    published = row[5].replace(tzinfo=UTC) if row[5] is not None else None
    return Article(url=row[0], outlet=row[1], title=row[2] or "", text=row[3] or "", kind=row[4],
                   published=published, author=row[6], feed_url=row[7], guid=row[8],
                   extraction=row[9] or "feed", lang=row[10])


def _classification_row(a: Article, model: str, gate: float) -> list[Any]:
    """Values for a classifications INSERT."""
    h = a.hate
    relevance = a.relevance or 0.0
    evidence = json.dumps([s.to_dict() for s in h.evidence], ensure_ascii=False) if h else None
    misinfo = json.dumps([m.to_dict() for m in a.misinformation], ensure_ascii=False)
    return [a.id, model, a.content_hash, relevance, relevance >= gate,
            h.hate if h else None, h.score if h else None, h.target if h else None,
            h.severity if h else None, evidence, misinfo]
