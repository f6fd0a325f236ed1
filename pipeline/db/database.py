"""The DuckDB file: connections that wait politely on another writer's lock, transactions, migrations
and backups. The SQL of each aggregate lives in its own module next to this one."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from pipeline.core.errors import StoreError

LOCK_WAIT_S = 60.0
# How long a job's write groups share one connection (see Database.kept).
KEEP_S = 10.0
# DuckDB checkpoints whenever its write-ahead log passes 16 MB by default, and each checkpoint rewrites the
# articles' indexes whole: at 100k articles ingest spent 8.2 s in commits. A larger log checkpoints a few
# times per job (and on the last close) instead: 3.7-4.7 s in all.
CHECKPOINT_WAL = "256MB"


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migration files shipped in pipeline/db/migrations: (version, name, SQL), in order."""
    found = []
    for entry in resources.files("pipeline.db.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


# DuckDB shares one database instance among a process's connections to a file, and creates or drops it
# when the first connection opens or the last one closes. A connection opened in one thread while another
# closed the last one got an instance without the table function behind registered Python objects
# ("pandas_scan does not exist"), so opening and closing are serialised within the process.
_LIFECYCLE = threading.Lock()


def close(con: duckdb.DuckDBPyConnection) -> None:
    """Close a connection under the process's open/close lock."""
    with _LIFECYCLE:
        con.close()


class Database:
    """A DuckDB file opened for short transactions, waiting politely on another writer's lock."""

    def __init__(self, path: Path | str, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = Path(path)
        self.lock_wait_s = lock_wait_s
        self._held: duckdb.DuckDBPyConnection | None = None
        self._in_transaction = False
        self._kept: duckdb.DuckDBPyConnection | None = None
        self._keep_s, self._kept_since = 0.0, 0.0

    @classmethod
    def open(cls, path: Path | str, lock_wait_s: float = LOCK_WAIT_S) -> Database:
        """The database at `path`, created or migrated first when its schema is behind the code's."""
        db = cls(path, lock_wait_s)
        # A read first: Dask workers and the web app share one writer, and a current file needs none.
        if not db.path.exists() or db.schema_version() < migrations()[-1][0]:
            db.migrate()
        return db

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
            close(con)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep one connection for a short burst of writes: opening a file per statement is slow,
        holding it for a whole run would lock other writers out for minutes."""
        if self._held is not None:
            yield
            return
        if self._kept is None:
            self._held, self._kept_since = self._open(False), time.monotonic()
        else:
            self._held = self._kept
        try:
            yield
        finally:
            con, self._held = self._held, None
            if self._keep_s and time.monotonic() - self._kept_since < self._keep_s:
                self._kept = con
            else:
                self._kept = None
                close(con)

    @contextmanager
    def kept(self, keep_s: float = KEEP_S) -> Iterator[None]:
        """Inside this block, held() keeps its connection for the next held() until it is `keep_s` old: closing
        the last connection checkpoints the file (0.1 s, growing with the file), too dear for every small write
        group of a long job; another process's writer waits at most about that long."""
        outer, self._keep_s = self._keep_s, keep_s
        try:
            yield
        finally:
            self._keep_s = outer  # an inner block leaves the connection to the outer one
            if not outer and self._kept is not None:
                con, self._kept = self._kept, None
                close(con)

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying lock conflicts with jittered backoff."""
        if read_only and not self.path.exists():
            raise StoreError(f"database {self.path} does not exist; run 'xenowatch db migrate' or an ingest first")
        deadline, delay = time.monotonic() + self.lock_wait_s, 0.05
        while True:
            try:
                with _LIFECYCLE:
                    con = duckdb.connect(str(self.path), read_only=read_only)
                if not read_only:
                    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_WAL}'")
                return con
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

    def open_connection(self) -> duckdb.DuckDBPyConnection:
        """A new read-write connection (waiting on another process's lock) that the caller closes."""
        return self._open(False)

    @contextmanager
    def using(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Run every statement on a connection the caller keeps open (the web app's lease)."""
        previous, self._held = self._held, con
        try:
            yield
        finally:
            self._held = previous

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

    def schema_version(self) -> int:
        """The highest migration applied, 0 for a new file."""
        with self.connect() as con:
            exists = con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'schema_migrations'").fetchall()
            if not exists or not exists[0][0]:
                return 0
            row = con.execute("SELECT max(version) FROM schema_migrations").fetchall()
            return int(row[0][0] or 0) if row else 0

    def compact(self) -> None:
        """Rewrite the file from its live rows only, so that nothing erased stays in freed blocks (DuckDB
        reuses them but never zeroes them): copied inside one connection, which holds the file lock, and
        moved over the old file before the lock is let go, so no writer sees it half-way."""
        if self._held is not None or self._kept is not None:
            raise StoreError(f"database {self.path}: cannot rewrite the file while a connection is held; "
                             "call compact() outside held(), kept(), transaction() and using()")
        fresh = self.path.with_name(f".{self.path.name}.compact")
        fresh.unlink(missing_ok=True)
        with self.connect() as con:
            name = con.execute("SELECT current_database()").fetchall()[0][0]
            con.execute("CHECKPOINT")
            con.execute("ATTACH ? AS xw_compact", [str(fresh)])
            try:
                try:
                    con.execute(f'COPY FROM DATABASE "{name}" TO xw_compact').fetchall()
                finally:
                    con.execute("DETACH xw_compact")
                os.chmod(fresh, self.path.stat().st_mode & 0o7777)  # keep the old file's permissions
                os.replace(fresh, self.path)
            except BaseException:
                fresh.unlink(missing_ok=True)
                raise

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
