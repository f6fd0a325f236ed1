"""The web app's database access: one leased connection shared by request threads, and a landing file
for decisions that meet another process's lock."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from pipeline.core.errors import StoreError
from pipeline.db.database import Database, close
from pipeline.db.review import record_ops

# Opening the DuckDB file costs tens of milliseconds, and while it is open no other process can write.
# So the app keeps one connection for a short lease: closed after IDLE_S without a request, and after
# MAX_LEASE_S of continuous use it is closed for YIELD_S so that a flow waiting on the lock gets in.
IDLE_S = 0.25
MAX_LEASE_S = 0.6
YIELD_S = 0.3
READ_WAIT_S = 30.0
WRITE_WAIT_S = 2.0


def is_lock_error(exc: BaseException) -> bool:
    """True when the database could not be opened because another process holds it."""
    return isinstance(exc, StoreError) and "lock" in str(exc).lower()


class Lease:
    """A connection to the database, used by one request thread at a time and released often."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._gate = threading.Lock()
        self._db: Database | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened = 0.0
        self._used = 0.0
        self._reopen_after = 0.0
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, daemon=True, name="xw-db-reaper")
        self._reaper.start()

    @contextmanager
    def session(self, wait_s: float = READ_WAIT_S) -> Iterator[Database]:
        """The database on the leased connection; waits up to `wait_s` for the other requests and for another
        process's lock (a StoreError naming the lock after that)."""
        if not self._gate.acquire(timeout=wait_s):
            raise StoreError(f"database {self.path}: the lock is busy with another request's wait")
        try:
            if self._db is None or self._con is None:
                self._open(wait_s)
            assert self._db is not None and self._con is not None
            try:
                with self._db.using(self._con):
                    yield self._db
            finally:
                self._used = time.monotonic()
                if self._used - self._opened > MAX_LEASE_S:
                    self._close(yielding=True)
        finally:
            self._gate.release()

    def _open(self, wait_s: float) -> None:
        """Open the connection, after the yield pause if one is due."""
        pause = self._reopen_after - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        db = Database(self.path, lock_wait_s=wait_s)
        self._con = db.open_connection()
        self._db, self._opened = db, time.monotonic()

    def _close(self, yielding: bool = False) -> None:
        """Close the connection (the gate is held)."""
        if self._con is not None:
            close(self._con)
        self._db, self._con = None, None
        if yielding:
            self._reopen_after = time.monotonic() + YIELD_S

    def _reap(self) -> None:
        """Close an idle connection so that flows can write."""
        while not self._stop.wait(IDLE_S / 2):
            if self._db is not None and time.monotonic() - self._used > IDLE_S and self._gate.acquire(False):
                try:
                    if self._db is not None and time.monotonic() - self._used > IDLE_S:
                        self._close()
                finally:
                    self._gate.release()

    def close(self) -> None:
        """Stop the reaper and close the connection."""
        self._stop.set()
        with self._gate:
            self._close()


class Landing:
    """An append-only file of decisions not yet in the database (one JSON object a line), flushed into
    the database in order; each op carries an op_id, so a replay after a crash stores nothing twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, op: dict[str, Any]) -> None:
        """Add one op durably."""
        line = (json.dumps(op, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock, open(self.path, "ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def pending(self) -> list[dict[str, Any]]:
        """Ops waiting in the file (a torn last line, from a crash mid-write, is skipped)."""
        if not self.path.exists():
            return []
        ops = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                ops.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return ops

    def flush(self, lease: Lease, wait_s: float = WRITE_WAIT_S) -> int:
        """Move the waiting ops into the database; returns how many were stored (0 when the lock persists)."""
        with self._lock:
            ops = self.pending()
            if not ops:
                return 0
            try:
                with lease.session(wait_s) as db:
                    done = record_ops(db, ops)
            except StoreError as exc:
                if is_lock_error(exc):
                    return 0
                raise
            self.path.unlink()
            return done


class Writer:
    """Writes ops to the database, or to the landing file when another process keeps the lock."""

    def __init__(self, lease: Lease, landing: Landing) -> None:
        self.lease = lease
        self.landing = landing
        self.generation = 0  # bumped by every write, so that cached pages show it at once

    def write(self, op: dict[str, Any], try_store: bool = True) -> bool:
        """Store one op; True when it is in the database, False when it waits in the landing file (ops land
        in order: while older ones wait, a new one waits behind them)."""
        try:
            return self._write(op, try_store)
        finally:
            self.generation += 1

    def _write(self, op: dict[str, Any], try_store: bool) -> bool:
        """The database, or the landing file."""
        if try_store:
            self.landing.flush(self.lease)
        if not try_store or self.landing.pending():
            self.landing.append(op)
            return False
        try:
            with self.lease.session(WRITE_WAIT_S) as db:
                record_ops(db, [op])
            return True
        except StoreError as exc:
            if not is_lock_error(exc):
                raise
        self.landing.append(op)
        return False
