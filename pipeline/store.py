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
from pipeline.factchecks import FactCheck
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

    def __init__(self, path: Path | str, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = Path(path)
        self.lock_wait_s = lock_wait_s
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
        deadline, delay = time.monotonic() + self.lock_wait_s, 0.05
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

    # The ranking input: one (outlet_id, score) row per scored article of the year,
    # social media types left out (they are monitored, never ranked).
    _RANK_INPUT = (
        "SELECT a.outlet_id, r.score FROM articles a JOIN rubric_results r "
        "ON r.article_id = a.id AND r.rubric_version = ? AND r.model = ? AND r.content_hash = a.content_hash "
        "LEFT JOIN outlets o ON o.id = a.outlet_id WHERE year(coalesce(a.published, a.first_seen)) = ? "
        "AND coalesce(o.media_type, 'other') NOT IN (SELECT unnest(?))")

    def review_verdicts(self, article_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each article's verdict: its latest 'confirm' or 'reject' review ('note' rows change nothing)."""
        if not article_ids:
            return {}
        sql = ("SELECT article_id, id, reviewer, decision, severity, target, created_at FROM reviews "
               "WHERE decision IN ('confirm', 'reject') AND article_id IN (SELECT unnest(?)) "
               "QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY created_at DESC, id DESC) = 1")
        with self.connect() as con:
            rows = con.execute(sql, [list(article_ids)]).fetchall()
        return {r[0]: {"review_id": r[1], "reviewer": r[2], "decision": r[3], "severity": r[4],
                       "target": r[5], "created_at": str(r[6])} for r in rows}

    def outlet_bins(self, year: int, rubric_version: str, model: str, unranked: Sequence[str],
                    bin_width: float) -> list[tuple[str, list[int], list[int], list[float]]]:
        """Per outlet, the histogram of article scores (bin keys, counts, sums): the aggregation
        behind the ranking."""
        with self.connect() as con:
            return _score_bins(con, self._RANK_INPUT, [rubric_version, model, year, list(unranked)], bin_width)

    def synthetic_scores(self, rows: int, outlets: int, seed: int) -> None:
        """Fill table bench_scores with synthetic scored articles (for `bench rank`), inside DuckDB."""
        with self.connect() as con:
            con.execute("DROP TABLE IF EXISTS bench_scores")
            con.execute(f"SELECT setseed({(seed % 1000) / 1000.0})")
            con.execute(
                "CREATE TABLE bench_scores AS SELECT md5(i::VARCHAR) AS article_id, "
                f"'outlet-' || lpad((i % {int(outlets)})::VARCHAR, 5, '0') AS outlet_id, "
                f"round(least(100, greatest(0, 40 + (i % {int(outlets)}) * 40.0 / {int(outlets)} "
                "+ 20 * (random() + random() + random() - 1.5))), 2) AS score "
                f"FROM range({int(rows)}) t(i)")

    def bench_bins(self, bin_width: float) -> list[tuple[str, list[int], list[int], list[float]]]:
        """outlet_bins over bench_scores: the same aggregation SQL as the product's."""
        with self.connect() as con:
            return _score_bins(con, "SELECT outlet_id, score FROM bench_scores", [], bin_width)

    def bench_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(outlet ids, scores) of bench_scores as arrays: the per-article baseline's input."""
        with self.connect() as con:
            cols = con.execute("SELECT outlet_id, score FROM bench_scores ORDER BY outlet_id").fetchnumpy()
        return np.asarray(cols["outlet_id"]), np.asarray(cols["score"], dtype=float)

    def yearly_outlet_means(self, outlet_ids: Sequence[str], rubric_version: str,
                            model: str) -> dict[str, dict[int, tuple[float, int]]]:
        """Each outlet's mean article score and article count per year, for the trend chart."""
        if not outlet_ids:
            return {}
        sql = ("SELECT a.outlet_id, year(coalesce(a.published, a.first_seen)) AS y, avg(r.score), count(*) "
               "FROM articles a JOIN rubric_results r ON r.article_id = a.id AND r.rubric_version = ? "
               "AND r.model = ? AND r.content_hash = a.content_hash WHERE a.outlet_id IN (SELECT unnest(?)) "
               "GROUP BY ALL ORDER BY ALL")
        out: dict[str, dict[int, tuple[float, int]]] = {}
        with self.connect() as con:
            for oid, y, mean, n in con.execute(sql, [rubric_version, model, list(outlet_ids)]).fetchall():
                out.setdefault(oid, {})[int(y)] = (round(float(mean), 1), int(n))
        return out

    def save_award_snapshot(self, snapshot: dict[str, Any]) -> bool:
        """Store a ranking snapshot with every category's rows once (id = hash of inputs); True when new."""
        details = {k: snapshot[k] for k in ("verdicts", "indicators", "previous") if k in snapshot}
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM ranking_snapshots WHERE id = ?", [snapshot["id"]]).fetchall():
                return False
            con.execute("INSERT INTO ranking_snapshots (id, year, rubric_version, models, parameters, "
                        "article_ids, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [snapshot["id"], snapshot["year"], snapshot["rubric_version"],
                         json.dumps(snapshot["models"]), json.dumps(snapshot["parameters"]),
                         json.dumps(snapshot["article_ids"]), json.dumps(details, default=str)])
            _executemany(con, "INSERT INTO ranking_rows (snapshot_id, category, outlet_id, rank, score, "
                         "ci_low, ci_high, n_articles, status, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [[snapshot["id"], r["category"], r["outlet_id"], r["rank"], r["score"], r["ci_low"],
                           r["ci_high"], r["n_articles"], r["status"], r["change"]] for r in snapshot["rows"]])
        return True

    def award_snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        """A stored snapshot with its rows (as saved), or None."""
        with self.connect() as con:
            head = con.execute("SELECT id, year, rubric_version, models, parameters, article_ids, details "
                               "FROM ranking_snapshots WHERE id = ?", [snapshot_id]).fetchall()
            if not head:
                return None
            cur = con.execute("SELECT category, outlet_id, rank, score, ci_low, ci_high, n_articles, status, "
                              "change FROM ranking_rows WHERE snapshot_id = ? ORDER BY category, outlet_id",
                              [snapshot_id])
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur.fetchall()]
        sid, year, version, models, params, ids, details = head[0]
        return {"id": sid, "year": year, "rubric_version": version, "models": json.loads(models),
                "parameters": json.loads(params), "article_ids": json.loads(ids),
                **json.loads(details or "{}"), "stored_rows": rows}


    # --- workbench: users, reviews, audit, trends (issue 6) --------------------------------

    # The latest classification of each article, the verdict (latest confirm/reject row) and the
    # status of its review: shared by the queue, the trends and the export.
    _WB_CTE = (
        "WITH c AS (SELECT * FROM classifications QUALIFY row_number() OVER "
        " (PARTITION BY article_id ORDER BY created_at DESC, model DESC) = 1), "
        "r AS (SELECT * FROM reviews WHERE decision IN ('confirm', 'reject')), "
        "v AS (SELECT * FROM r QUALIFY row_number() OVER "
        " (PARTITION BY article_id ORDER BY created_at DESC, id DESC) = 1), "
        "rl AS (SELECT * FROM r QUALIFY row_number() OVER "
        " (PARTITION BY article_id, reviewer ORDER BY created_at DESC, id DESC) = 1), "
        "st AS (SELECT article_id, count(DISTINCT decision) AS kinds FROM rl GROUP BY article_id), "
        "w AS (SELECT a.id, a.title, coalesce(a.lang, o.language) AS lang, a.kind, "
        " coalesce(a.published, a.first_seen) AS seen_at, a.outlet_id, "
        " coalesce(o.name, a.outlet_id) AS outlet, coalesce(o.country, 'unknown') AS country, "
        " c.hate, c.hate_score, c.gated, coalesce(json_array_length(c.misinformation), 0) AS myths, "
        " CASE WHEN v.decision = 'confirm' THEN coalesce(v.severity, c.severity) ELSE c.severity END AS severity, "
        " CASE WHEN v.decision = 'confirm' THEN coalesce(v.target, c.target) ELSE c.target END AS target, "
        " v.decision AS verdict, "
        " CASE WHEN v.decision IS NULL THEN 'unreviewed' WHEN st.kinds > 1 AND NOT coalesce(v.final, false) "
        "  THEN 'disputed' WHEN v.decision = 'confirm' THEN 'confirmed' ELSE 'rejected' END AS status, "
        " (CASE c.severity WHEN 'incitement' THEN 5 WHEN 'dehumanising' THEN 4 WHEN 'derogatory' THEN 3 "
        "  WHEN 'offensive' THEN 2 ELSE 1 END) * coalesce(c.hate_score, 0) AS priority "
        " FROM articles a JOIN c ON c.article_id = a.id LEFT JOIN outlets o ON o.id = a.outlet_id "
        " LEFT JOIN v ON v.article_id = a.id LEFT JOIN st ON st.article_id = a.id {where}) ")
    # The queue reads flagged items only: filtering inside `w` spares the joins for the rest.
    _WB_FLAGGED = "WHERE coalesce(c.hate, false) OR coalesce(json_array_length(c.misinformation), 0) > 0"
    _WB_FILTERS = {"outlet": "outlet_id = ?", "lang": "lang = ?", "target": "target = ?",
                   "severity": "severity = ?", "status": "status = ?",
                   "assignee": "id IN (SELECT article_id FROM assignments WHERE reviewer = ?)"}

    def open_connection(self) -> duckdb.DuckDBPyConnection:
        """A new read-write connection (waiting on another process's lock) that the caller closes."""
        return self._open(False)

    @contextmanager
    def using(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Run this store's methods on a connection the caller keeps open (the web app's lease)."""
        previous, self._held = self._held, con
        try:
            yield
        finally:
            self._held = previous

    @staticmethod
    def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        """The rows of an executed query as dicts."""
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def create_user(self, name: str, role: str, password_hash: str) -> bool:
        """Add an account; False when the name is taken."""
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchall():
                return False
            con.execute("INSERT INTO users (name, role, password_hash) VALUES (?, ?, ?)", [name, role, password_hash])
        return True

    def users(self) -> dict[str, dict[str, Any]]:
        """Every account by name: role, password hash, active flag, creation time."""
        with self.connect() as con:
            rows = self._dicts(con.execute("SELECT name, role, password_hash, active, created_at FROM users "
                                           "ORDER BY name"))
        return {r["name"]: r for r in rows}

    def record_ops(self, ops: Sequence[dict[str, Any]]) -> int:
        """Store decisions, assignments and audit events, each with its audit row, in one transaction; an op
        whose op_id is already in the audit log is skipped (a replay from the landing file). Returns the new ones."""
        done = 0
        with self.transaction() as con:
            for op in ops:
                if con.execute("SELECT 1 FROM audit_log WHERE op_id = ?", [op["op_id"]]).fetchall():
                    continue
                at = datetime.fromisoformat(op["at"])
                if op["kind"] == "decision":
                    # Not final while the item is in double review (two assignees), unless a lead adjudicates.
                    double = con.execute("SELECT count(*) >= 2 FROM assignments WHERE article_id = ?",
                                         [op["article_id"]]).fetchall()[0][0]
                    final = op["decision"] != "note" and (op.get("round", 1) == 2 or not double)
                    con.execute("INSERT INTO reviews (article_id, reviewer, decision, severity, target, note, "
                                "created_at, round, final, op_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [op["article_id"], op["actor"], op["decision"], op.get("severity"), op.get("target"),
                                 op.get("note"), at, op.get("round", 1), final, op["op_id"]])
                elif op["kind"] == "assign":
                    con.execute("DELETE FROM assignments WHERE article_id = ?", [op["article_id"]])
                    for name in op["reviewers"]:
                        con.execute("INSERT INTO assignments (article_id, reviewer, assigned_by, assigned_at) "
                                    "VALUES (?, ?, ?, ?)", [op["article_id"], name, op["actor"], at])
                detail = {k: v for k, v in op.items() if k not in ("op_id", "at", "actor", "kind", "article_id")}
                con.execute("INSERT INTO audit_log (op_id, created_at, actor, action, article_id, detail) VALUES "
                            "(?, ?, ?, ?, ?, ?)", [op["op_id"], at, op["actor"], op.get("action", op["kind"]),
                                                   op.get("article_id"), json.dumps(detail, ensure_ascii=False)])
                done += 1
        return done

    def article_exists(self, article_id: str) -> bool:
        """True when an article has this id."""
        with self.connect() as con:
            return bool(con.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchall())

    def queue(self, filters: dict[str, str], limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Flagged items (hate or a myth), highest severity x confidence first; filters by the keys of
        _WB_FILTERS. Returns a page of rows and the total."""
        where = ["(hate OR myths > 0)"] + [self._WB_FILTERS[k] for k in filters]
        sql = (self._WB_CTE.format(where=self._WB_FLAGGED) + "SELECT *, count(*) OVER () AS total, "
               "(SELECT string_agg(reviewer, ', ' ORDER BY reviewer) FROM assignments s WHERE s.article_id = w.id) "
               "AS assignees FROM w WHERE " + " AND ".join(where)
               + f" ORDER BY priority DESC, id LIMIT {int(limit)} OFFSET {int(offset)}")
        with self.connect() as con:
            rows = self._dicts(con.execute(sql, list(filters.values())))
        return rows, int(rows[0]["total"]) if rows else 0

    def queue_ids(self, filters: dict[str, str], limit: int = 10_000) -> list[str]:
        """The queue's article ids in order (for next/previous on the item page)."""
        where = ["(hate OR myths > 0)"] + [self._WB_FILTERS[k] for k in filters]
        sql = (self._WB_CTE.format(where=self._WB_FLAGGED) + "SELECT id FROM w WHERE " + " AND ".join(where)
               + f" ORDER BY priority DESC, id LIMIT {int(limit)}")
        with self.connect() as con:
            return [r[0] for r in con.execute(sql, list(filters.values())).fetchall()]

    def queue_facets(self) -> dict[str, list[Any]]:
        """The values the queue filters offer: outlets (id, name), languages and targets."""
        with self.connect() as con:
            outlets = con.execute("SELECT id, name FROM outlets ORDER BY name").fetchall()
            langs = [r[0] for r in con.execute(
                "SELECT DISTINCT coalesce(a.lang, o.language) FROM articles a LEFT JOIN outlets o "
                "ON o.id = a.outlet_id WHERE coalesce(a.lang, o.language) IS NOT NULL ORDER BY 1").fetchall()]
            targets = [r[0] for r in con.execute("SELECT DISTINCT target FROM classifications WHERE target IS "
                                                 "NOT NULL ORDER BY 1").fetchall()]
        return {"outlets": outlets, "langs": langs, "targets": targets}

    def review_item(self, article_id: str) -> dict[str, Any] | None:
        """One article with its outlet, latest classification and rubric result, reviews and assignees."""
        with self.connect() as con:
            found = self._dicts(con.execute(
                "SELECT a.*, coalesce(o.name, a.outlet_id) AS outlet, o.country, o.language AS outlet_language "
                "FROM articles a "
                "LEFT JOIN outlets o ON o.id = a.outlet_id WHERE a.id = ?", [article_id]))
            if not found:
                return None
            item = found[0]
            cls = self._dicts(con.execute("SELECT * FROM classifications WHERE article_id = ? "
                                          "ORDER BY created_at DESC, model DESC LIMIT 1", [article_id]))
            rub = self._dicts(con.execute("SELECT * FROM rubric_results WHERE article_id = ? "
                                          "ORDER BY created_at DESC LIMIT 1", [article_id]))
            item["reviews"] = self._dicts(con.execute(
                "SELECT id, reviewer, decision, severity, target, note, created_at, round, final FROM reviews "
                "WHERE article_id = ? ORDER BY created_at, id", [article_id]))
            item["assignees"] = [r[0] for r in con.execute(
                "SELECT reviewer FROM assignments WHERE article_id = ? ORDER BY reviewer", [article_id]).fetchall()]
        item["classification"] = cls[0] if cls else None
        item["rubric"] = rub[0] if rub else None
        return item

    def review_labels(self) -> list[tuple[str, str, str]]:
        """(article id, reviewer, decision): each reviewer's latest independent (round 1) confirm/reject."""
        sql = ("SELECT article_id, reviewer, decision FROM reviews WHERE decision IN ('confirm', 'reject') "
               "AND coalesce(round, 1) = 1 QUALIFY row_number() OVER (PARTITION BY article_id, reviewer "
               "ORDER BY created_at DESC, id DESC) = 1 ORDER BY article_id, reviewer")
        with self.connect() as con:
            return [(r[0], r[1], r[2]) for r in con.execute(sql).fetchall()]

    def audit_entries(self, limit: int, offset: int) -> list[dict[str, Any]]:
        """The audit log, newest first."""
        with self.connect() as con:
            return self._dicts(con.execute(
                "SELECT id, created_at, actor, action, article_id, detail FROM audit_log "
                f"ORDER BY created_at DESC, id DESC LIMIT {int(limit)} OFFSET {int(offset)}"))

    def trend_counts(self, period: str) -> list[dict[str, Any]]:
        """Relevant and flagged counts per period (week or month) and outlet, country, language and target;
        a reviewer's verdict overrides the model's flag. Aggregates only: no text, no author."""
        if period not in ("week", "month"):
            raise StoreError(f"period {period!r} is invalid; must be one of: week, month")
        sql = (self._WB_CTE.format(where="") + "SELECT CAST(date_trunc(?, seen_at) AS DATE) AS period, "
               "outlet, country, coalesce(lang, 'unknown') AS lang, coalesce(target, 'none') AS target, "
               "count(*) FILTER (WHERE gated) AS relevant, count(*) FILTER (WHERE coalesce(verdict = 'confirm', "
               "hate, false)) AS flagged FROM w GROUP BY ALL ORDER BY period")
        with self.connect() as con:
            return self._dicts(con.execute(sql, [period]))

    def snapshot_years(self) -> list[int]:
        """Years with a stored ranking snapshot, newest first."""
        with self.connect() as con:
            return [int(r[0]) for r in con.execute("SELECT DISTINCT year FROM ranking_snapshots "
                                                   "ORDER BY year DESC").fetchall()]

    def latest_ranking(self, year: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The newest snapshot of a year (article ids decoded) and its rows with outlet names."""
        with self.connect() as con:
            snaps = self._dicts(con.execute("SELECT * FROM ranking_snapshots WHERE year = ? "
                                            "ORDER BY created_at DESC LIMIT 1", [year]))
            if not snaps:
                return None, []
            rows = self._dicts(con.execute(
                "SELECT r.*, coalesce(o.name, r.outlet_id) AS outlet, o.country, o.media_type FROM ranking_rows r "
                "LEFT JOIN outlets o ON o.id = r.outlet_id WHERE r.snapshot_id = ? "
                "ORDER BY r.category, r.rank NULLS LAST, outlet", [snaps[0]["id"]]))
        snap = snaps[0]
        for key in ("article_ids", "models", "parameters"):
            snap[key] = json.loads(snap[key])
        return snap, rows

    def reviewed_texts(self) -> list[dict[str, Any]]:
        """Articles with a verdict (latest confirm/reject) and their text, for training data."""
        sql = (self._WB_CTE.format(where="") + "SELECT w.id, a.title, a.text, w.lang, w.verdict, v.severity, "
               "w.target FROM w JOIN articles a ON a.id = w.id JOIN v ON v.article_id = w.id "
               "WHERE w.verdict IS NOT NULL AND coalesce(a.extraction, '') <> 'purged' ORDER BY w.id")
        with self.connect() as con:
            return self._dicts(con.execute(sql))


    # --- fact-checks (issue 7) ------------------------------------------------------------

    def add_factchecks(self, records: Sequence[FactCheck], source_file: str) -> list[str]:
        """Insert fact-checks whose id is new (the first of repeats); return the ids already stored."""
        with self.transaction() as con:
            known = {r[0] for r in con.execute("SELECT id FROM factchecks").fetchall()}
            fresh = list({f.id: f for f in reversed(records) if f.id not in known}.values())[::-1]
            _executemany(con, "INSERT INTO factchecks (id, claim, rating, publisher, url, lang, reviewed, "
                         "matchable, note, source_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [[f.id, f.claim, f.rating, f.publisher, f.url, f.lang, f.date, f.matchable,
                           f.note, source_file] for f in fresh])
        return [f.id for f in records if f.id in known]

    def factchecks(self, matchable_only: bool = False) -> list[FactCheck]:
        """Stored fact-checks, oldest import first."""
        where = " WHERE matchable" if matchable_only else ""
        with self.connect() as con:
            rows = con.execute("SELECT claim, rating, publisher, url, lang, reviewed, matchable, note "
                               f"FROM factchecks{where} ORDER BY imported_at, id").fetchall()
        return [FactCheck(*row) for row in rows]

    def factcheck_embeddings(self, encoder: str) -> dict[str, bytes]:
        """Cached embeddings (float32 bytes) of matchable fact-checks, by id, for one encoder."""
        with self.connect() as con:
            rows = con.execute("SELECT id, embedding FROM factchecks WHERE matchable AND encoder = ? "
                               "AND embedding IS NOT NULL", [encoder]).fetchall()
        return {r[0]: bytes(r[1]) for r in rows}

    def save_factcheck_embeddings(self, encoder: str, vectors: dict[str, bytes]) -> None:
        """Cache fact-check embeddings computed by an encoder."""
        with self.transaction() as con:
            for fid, blob in vectors.items():
                con.execute("UPDATE factchecks SET encoder = ?, embedding = ? WHERE id = ?", [encoder, blob, fid])

    # --- scale: archive and resilience (issue 8) ------------------------------------------

    def export_parquet(self, out: Path, year: int | None = None) -> dict[str, int]:
        """Articles, classifications and rubric results as Parquet partitioned by year, month and outlet
        (one COPY per table, with the archive's layout in ARCHIVE_TABLES), and the outlets in one file;
        rows written per table."""
        where = "" if year is None else f"WHERE p.year = {int(year)}"
        written: dict[str, int] = {}
        with self.connect() as con:
            for table, key in ARCHIVE_TABLES.items():
                src = (f"SELECT a.*, {_PARTITION_COLUMNS} FROM articles a" if table == "articles" else
                       f"SELECT t.*, {_PARTITION_COLUMNS}, a.outlet_id FROM {table} t "
                       f"JOIN articles a ON a.id = t.{key}")
                sql = (f"COPY (SELECT * FROM ({src}) p {where}) TO {_quote(out / table)} (FORMAT parquet, "
                       "COMPRESSION zstd, PARTITION_BY (year, month, outlet_id), OVERWRITE_OR_IGNORE)")
                written[table] = int(con.execute(sql).fetchall()[0][0])
            con.execute(f"COPY (SELECT * FROM outlets ORDER BY id) TO {_quote(out / 'outlets.parquet')} "
                        "(FORMAT parquet)").fetchall()
        return written

    def stage_counts(self, model: str, rubric_version: str) -> dict[str, int]:
        """How far the stages got: articles, classified (current content), relevant, flagged, scored."""
        sql = ("SELECT (SELECT count(*) FROM articles), count(c.article_id), count(*) FILTER (WHERE c.gated), "
               "count(*) FILTER (WHERE c.hate), (SELECT count(*) FROM rubric_results r WHERE r.rubric_version = ? "
               "AND r.model = ?) FROM classifications c JOIN articles a ON a.id = c.article_id "
               "AND a.content_hash = c.content_hash WHERE c.model = ?")
        with self.connect() as con:
            row = con.execute(sql, [rubric_version, model, model]).fetchall()[0]
        return dict(zip(("articles", "classified", "relevant", "hate_flagged", "scored"), map(int, row)))

    def load_archive(self, root: Path, years: Sequence[int]) -> dict[str, int]:
        """Fill this new, migrated database with the outlets and the rows of a Parquet archive that a
        ranking of `years` reads: scored articles, their results and reviews (only those years'
        partitions are read, and article texts of unscored news never leave the files); rows per table."""
        loaded: dict[str, int] = {}
        present = [t for t in ARCHIVE_TABLES if any((root / t).rglob("*.parquet"))]
        scored = f"(SELECT article_id FROM {_archive(root, 'rubric_results')} WHERE year IN (SELECT unnest($1)))"
        with self.transaction() as con:
            for table in ("outlets", *(present if "rubric_results" in present else [])):
                cols = ", ".join(r[0] for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position", [table]).fetchall())
                src = (f"read_parquet({_quote(root / 'outlets.parquet')})" if table == "outlets" else
                       f"(SELECT * FROM {_archive(root, table)} WHERE year IN (SELECT unnest($1)) "
                       f"AND {ARCHIVE_TABLES[table]} IN {scored})")
                before = _count(con, table)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {src}",
                            [] if table == "outlets" else [list(years)])
                loaded[table] = _count(con, table) - before
        return loaded


# Archive tables and the column that links each to its article (its partition comes from the article).
ARCHIVE_TABLES = {"articles": "id", "classifications": "article_id", "rubric_results": "article_id",
                  "reviews": "article_id"}
_PARTITION_COLUMNS = ("year(coalesce(a.published, a.first_seen)) AS year, "
                      "month(coalesce(a.published, a.first_seen)) AS month")
_HIVE_TYPES = "{'year': INTEGER, 'month': INTEGER, 'outlet_id': VARCHAR}"


def _quote(path: Path) -> str:
    """A path as an SQL string literal (COPY and read_parquet take no parameters for it)."""
    return "'" + str(path).replace("'", "''") + "'"


def _archive(root: Path, table: str) -> str:
    """A partitioned table of a Parquet archive, read with its partition columns."""
    return (f"read_parquet({_quote(root / table / '**' / '*.parquet')}, hive_partitioning = true, "
            f"hive_types = {_HIVE_TYPES})")


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


def _score_bins(con: duckdb.DuckDBPyConnection, source: str, params: list[Any],
                bin_width: float) -> list[tuple[str, list[int], list[int], list[float]]]:
    """Per-outlet score histograms (bin keys, counts, sums) of (outlet_id, score) rows."""
    sql = (f"WITH binned AS (SELECT outlet_id, floor(score / ?)::BIGINT AS b, count(*) AS c, sum(score) AS s "
           f"FROM ({source}) GROUP BY ALL) SELECT outlet_id, list(b ORDER BY b), list(c ORDER BY b), "
           "list(s ORDER BY b) FROM binned GROUP BY outlet_id ORDER BY outlet_id")
    rows = con.execute(sql, [bin_width, *params]).fetchall()
    return [(r[0], list(r[1]), list(r[2]), list(r[3])) for r in rows]


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
