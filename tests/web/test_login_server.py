"""Login limits against a real `xenowatch serve` process on 127.0.0.1: concurrent guesses stop at the limit,
the limit holds per account across client addresses (127.0.0.x), password hashing stays bounded in memory,
and X-Forwarded-For is believed only from the configured proxies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.serve_bench import csrf_of, free_port, peak_rss_mb, stop
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.auth import hash_password

PASSWORD = "granite willow harbour"
USERS = ("vic", "val", "xff", "fwd")


def serve(db: Path, trusted_proxies: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`xenowatch serve` (plain-http cookies) with the given trusted_proxies setting; waits until it answers."""
    env = {k: v for k, v in os.environ.items() if k != "XENOWATCH_TRUSTED_PROXIES"}
    if trusted_proxies is not None:
        env["XENOWATCH_TRUSTED_PROXIES"] = trusted_proxies
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--db", str(db), "serve", "--port", str(port),
                             "--insecure-cookies"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            httpx.get(base + "/login", timeout=2)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    raise AssertionError("the server did not answer within 60 s")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the test accounts."""
    path = tmp_path_factory.mktemp("login") / "login.duckdb"
    database = Database.open(path)
    digest = hash_password(PASSWORD)
    for name in USERS:
        assert review.create_user(database, name, "monitor", digest)
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The server with the default settings (no trusted proxy)."""
    proc, base = serve(db)
    try:
        yield proc, base
    finally:
        stop(proc)


def client(base: str, source: str = "127.0.0.1") -> tuple[httpx.Client, str]:
    """A client connecting from `source` (any 127.0.0.x on Linux), with its session cookie and CSRF token."""
    http = httpx.Client(base_url=base, timeout=60, transport=httpx.HTTPTransport(local_address=source))
    return http, csrf_of(http.get("/login").text)


def attempt(http: httpx.Client, token: str, user: str, password: str, headers: dict[str, str] | None = None) -> int:
    """One login POST; its status."""
    return http.post("/login", data={"username": user, "password": password, "csrf_token": token},
                     headers=headers or {}).status_code


def at_once(count: int, work: Callable[[int], int]) -> list[int]:
    """Run `work(k)` in `count` threads released together; their results."""
    ready = threading.Barrier(count)
    results: list[int] = []

    def run(k: int) -> None:
        ready.wait()
        results.append(work(k))

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_concurrent_guesses_stop_at_the_limit(server: tuple[subprocess.Popen[bytes], str]) -> None:
    clients = [client(server[1]) for _ in range(30)]
    statuses = at_once(30, lambda k: attempt(*clients[k], "vic", f"wrong guess {k}"))
    assert sorted(statuses) == [401] * 5 + [429] * 25
    assert attempt(*clients[0], "vic", PASSWORD) == 429  # the right password after the limit: still refused


def test_the_limit_holds_per_account_across_addresses(server: tuple[subprocess.Popen[bytes], str]) -> None:
    statuses = []
    for k in range(2, 6):  # four addresses, five wrong guesses each: the account's limit of twenty
        http, token = client(server[1], f"127.0.0.{k}")
        statuses += [attempt(http, token, "val", f"wrong guess {n}") for n in range(5)]
    assert statuses == [401] * 20
    http, token = client(server[1], "127.0.0.9")
    assert attempt(http, token, "val", PASSWORD) == 429


def test_password_hashing_is_bounded_in_memory(server: tuple[subprocess.Popen[bytes], str]) -> None:
    clients = [client(server[1], "127.0.0.20") for _ in range(30)]
    before = peak_rss_mb(server[0].pid)
    statuses = at_once(30, lambda k: attempt(*clients[k], f"nobody{k}", "wrong guess"))
    # Thirty names from one address: checked two at a time; on a slow machine the last may wait too long (429).
    assert set(statuses) <= {401, 429} and statuses.count(401) >= 2
    assert peak_rss_mb(server[0].pid) - before < 400  # argon2 takes 64 MiB per check: thirty at once took 0.9-1.9 GiB


def test_forwarded_for_is_ignored_from_an_untrusted_client(db: Path,
                                                           server: tuple[subprocess.Popen[bytes], str]) -> None:
    http, token = client(server[1])
    statuses = [attempt(http, token, "xff", "wrong guess", {"X-Forwarded-For": f"203.0.113.{k}"}) for k in range(6)]
    assert statuses == [401] * 5 + [429]  # the spoofed addresses did not give each guess a fresh limit
    proc, base = serve(db, "127.0.0.1")
    try:
        http, token = client(base)
        statuses = [attempt(http, token, "fwd", "wrong guess", {"X-Forwarded-For": f"198.51.100.{k}"})
                    for k in range(6)]
    finally:
        stop(proc)
    assert statuses == [401] * 6  # from a trusted proxy, each forwarded client has its own limit
    with Database(db).connect() as con:
        ips = dict(con.execute("SELECT actor, list(DISTINCT json_extract_string(detail, '$.ip')) FROM audit_log "
                               "WHERE action = 'login-failed' AND actor IN ('xff', 'fwd') GROUP BY actor").fetchall())
    assert ips["xff"] == ["127.0.0.1"] and sorted(ips["fwd"]) == [f"198.51.100.{k}" for k in range(6)]


def test_a_bad_trusted_proxies_setting_is_refused(db: Path) -> None:
    env = {**os.environ, "XENOWATCH_TRUSTED_PROXIES": "127.0.0.1, *"}
    failed = subprocess.run([sys.executable, "-m", "pipeline", "--db", str(db), "serve", "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0 and "'*' is not an IP address or network" in failed.stderr
