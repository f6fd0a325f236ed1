"""Crash safety: an ingest killed with SIGKILL at any point, then run again, stores every item exactly once."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from html import escape
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FEEDS, ITEMS, DELAY_S = 12, 15, 0.2
KILLS, SEED = 3, 20260303


def item_url(feed: int, n: int) -> str:
    """The URL of item n of feed `feed` (already canonical)."""
    return f"http://kill.test/f{feed}/story-{n}"


def feed_body(feed: int) -> bytes:
    """An RSS feed of ITEMS items."""
    items = "".join(
        f"<item><title>Feed {feed} story {n}</title><link>{item_url(feed, n)}</link><guid>f{feed}-{n}</guid>"
        f"<pubDate>Tue, 03 Mar 2026 {n % 24:02d}:00:00 +0000</pubDate>"
        f"<description>{escape(f'Story {n} of feed {feed}: text <b>with</b> markup.')}</description></item>"
        for n in range(ITEMS))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>http://kill.test/</link><description>d</description>{items}</channel></rss>").encode()


@pytest.fixture
def feed_urls(http: Any) -> list[str]:
    """FEEDS feeds on the loopback server, each answered after DELAY_S (so a run takes seconds)."""
    def delayed(body: bytes) -> Any:
        def handler(req: Any) -> tuple[int, dict[str, str], bytes]:
            time.sleep(DELAY_S)
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, body
        return handler

    for f in range(FEEDS):
        http.table[f"/feed{f}.xml"] = delayed(feed_body(f))
    return [f"{http.base}/feed{f}.xml" for f in range(FEEDS)]


def start_ingest(db: Path, urls: list[str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m pipeline --db DB ingest URL...` in a child process (in its own process group, so that
    the test can find and end whatever the child started), output to a file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENOWATCH_")}
    env.update(XENOWATCH_FETCH_PAGES="false", XENOWATCH_POLITENESS_S="0", PYTHONUNBUFFERED="1")
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "pipeline", "--db", str(db), "ingest", *urls], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def end_group(pgid: int) -> None:
    """SIGKILL what is left of a process group this test started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def run_to_completion(db: Path, urls: list[str], log: Path) -> tuple[str, float]:
    """Run an ingest to the end; its output and how long it took."""
    began, start = time.monotonic(), log.stat().st_size if log.exists() else 0
    proc = start_ingest(db, urls, log)
    try:
        proc.wait(timeout=120)
    finally:
        end_group(proc.pid)
    out = log.read_bytes()[start:].decode("utf-8", errors="replace")
    assert proc.returncode == 0, out
    return out, time.monotonic() - began


def kill_after(db: Path, urls: list[str], delay: float, log: Path) -> tuple[bool, bool]:
    """Start an ingest and SIGKILL its process after `delay` seconds: whether it was still running then, and
    whether anything it started outlived it by a second (those are then ended too)."""
    proc = start_ingest(db, urls, log)
    try:
        time.sleep(delay)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 1.0
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = group_alive(proc.pid)
    finally:
        end_group(proc.pid)
    return alive, orphans


def check_stored_once(db: Path, urls: list[str]) -> None:
    """Every item served is stored exactly once, under its feed; the file opens read-only and answers."""
    with duckdb.connect(str(db), read_only=True) as con:
        total, distinct_urls, distinct_ids = con.execute(
            "SELECT count(*), count(DISTINCT url), count(DISTINCT id) FROM articles").fetchone()
        assert (total, distinct_urls, distinct_ids) == (FEEDS * ITEMS,) * 3
        per_feed = dict(con.execute("SELECT feed_url, count(*) FROM articles GROUP BY feed_url").fetchall())
        assert per_feed == {url: ITEMS for url in urls}
        stored = {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
        assert stored == {item_url(f, n) for f in range(FEEDS) for n in range(ITEMS)}
        duplicates = con.execute("SELECT url FROM articles GROUP BY url HAVING count(*) > 1").fetchall()
        assert not duplicates
        guids = con.execute("SELECT feed_url, guid FROM articles GROUP BY feed_url, guid "
                            "HAVING count(*) > 1").fetchall()
        assert not guids
        feeds = con.execute("SELECT count(*) FROM feeds WHERE url IN (SELECT unnest(?))", [urls]).fetchone()
        assert feeds == (FEEDS,)
        con.execute("SELECT outlet_id, count(*), min(published), max(title) FROM articles GROUP BY ALL").fetchall()


def test_killed_ingest_then_rerun_stores_every_item_once(feed_urls: list[str], tmp_path: Path) -> None:
    log, rng = tmp_path / "ingest.log", random.Random(SEED)
    full_s, interrupted = 0.0, []
    for k in range(KILLS):
        # Kill points spread over the run: the first during start-up and migration, the others over the
        # length of a whole run (measured by the first rerun): fetching, parsing, storing.
        delay = rng.uniform(0.3, 1.2) if k == 0 else rng.uniform((k - 1) * full_s / 2, k * full_s / 2)
        db = tmp_path / f"killed-{k}.duckdb"
        interrupted.append(kill_after(db, feed_urls, delay, log)[0])
        out, took = run_to_completion(db, feed_urls, log)
        full_s = full_s or took
        assert f"feeds: {FEEDS} ok, 0 failed" in out, f"rerun after a kill at {delay:.2f}s: {out}"
        check_stored_once(db, feed_urls)
    assert sum(interrupted) >= KILLS - 1, f"most kills came after the run had ended ({full_s:.2f}s): {interrupted}"


def test_uninterrupted_ingest_stores_every_item_once(feed_urls: list[str], tmp_path: Path) -> None:
    """The control: without a kill, one run stores everything."""
    db = tmp_path / "reference.duckdb"
    out, _ = run_to_completion(db, feed_urls, tmp_path / "ingest.log")
    assert f"feeds: {FEEDS} ok, 0 failed; items: {FEEDS * ITEMS} new, 0 duplicate" in out, out
    check_stored_once(db, feed_urls)


def group_members(pgid: int) -> list[int]:
    """Processes of a process group (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            # fields after the command: state, ppid, pgrp, ...; a zombie (Z) has exited and holds
            # nothing open: only its new parent has yet to reap it
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_killed_ingest_leaves_no_orphan_processes(feed_urls: list[str], tmp_path: Path) -> None:
    """A supervisor that SIGKILLs the ingest (OOM killer, `kill -9`, a timeout) must not leave processes
    behind: they would live on and keep the output pipe open, so whoever reads it never sees the end."""
    proc = start_ingest(tmp_path / "orphans.duckdb", feed_urls, tmp_path / "ingest.log")
    try:
        deadline, helpers = time.monotonic() + 30, []
        while proc.poll() is None and time.monotonic() < deadline and not helpers:
            helpers = [pid for pid in group_members(proc.pid) if pid != proc.pid]
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # only the ingest process, as `kill -9 PID` would
        proc.wait(timeout=30)
        time.sleep(1.0)
        left = [pid for pid in group_members(proc.pid) if pid != proc.pid]
    finally:
        end_group(proc.pid)
    assert not left, (f"processes {left} started by the ingest (helpers seen while it ran: {helpers}) "
                      "outlived its SIGKILL")
