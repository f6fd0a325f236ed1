"""Workbench hardening over HTTP (FastAPI's TestClient on a real DuckDB file): the login limiter's bounds, the
password policy, session revocation (logout, password change, deactivation, `xenowatch passwd`) and 400s with
the security headers for out-of-range parameters."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from benchmarks.serve_bench import seed
from pipeline.cli import app as cli_app
from pipeline.core.errors import ConfigError
from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web import auth
from pipeline.web.app import WebConfig, create_app
from pipeline.web.auth import hash_password, verify_password
from pipeline.web.limits import RateLimit
from pipeline.web.passwords import check_password
from tests.web.support import accounts_and_snapshot, csrf
from tests.web.support import signed_in as support_signed_in

PASSWORD = "tidal meadow lantern"
USERS = {"mia": "monitor", "lea": "lead", "ada": "admin", "cora": "council", "pat": "monitor", "dee": "monitor"}


@pytest.fixture(scope="module")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A database with 20 synthetic articles, a ranking snapshot and one account per name."""
    db = tmp_path_factory.mktemp("websec") / "websec.duckdb"
    database = Database.open(db)
    ids = seed(database, 20)
    accounts_and_snapshot(database, USERS, PASSWORD, ids)
    return db, ids


@pytest.fixture(scope="module")
def web_app(web_db: tuple[Path, list[str]]) -> Iterator[Any]:
    """The app on that database (plain-http cookies, as TestClient speaks http)."""
    app = create_app(WebConfig(db=web_db[0], secure_cookies=False))
    with TestClient(app):
        yield app


def signed_in(app: Any, user: str, password: str = PASSWORD) -> TestClient:
    """A client signed in as `user`."""
    return support_signed_in(app, user, password)


def copy_of(app: Any, client: TestClient) -> TestClient:
    """Another client holding a copy of the first one's session cookie (a stolen cookie)."""
    thief = TestClient(app, follow_redirects=False)
    thief.cookies.set("xw_session", client.cookies["xw_session"])
    return thief


def test_huge_usernames_are_refused_before_the_limiter_keeps_them(web_app: Any) -> None:
    client = TestClient(web_app, follow_redirects=False)
    token = csrf(client.get("/login").text)
    limits = web_app.state.bench.limits
    before = len(limits)
    for k in range(60):
        reply = client.post("/login", data={"username": f"{k}" + "u" * 900_000, "password": "x",
                                            "csrf_token": token})
        assert reply.status_code == 400 and "at most 64 characters" in reply.text
        assert reply.headers["x-frame-options"] == "DENY"
    assert len(limits) == before


def test_the_limiter_store_is_bounded_and_forgets_old_entries() -> None:
    limits = RateLimit(max_keys=50, window_s=0.2)
    for k in range(600):
        limits.attempt(f"10.0.{k // 256}.{k % 256}", f"user-{k:04d}-" + "x" * 50)
        assert len(limits) <= 50
    time.sleep(0.25)
    limits.attempt("10.9.9.9", "late")
    assert len(limits) == 3  # the pair, the IP and the account of the last attempt; the rest expired


def test_attempts_are_counted_before_the_password_is_checked() -> None:
    limits = RateLimit(per_user=5)
    start = threading.Barrier(30)
    passed: list[int] = []

    def guess() -> None:
        start.wait()
        passed.append(limits.attempt("198.51.100.7", "mia"))

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert passed.count(0) == 5 and all(wait > 0 for wait in passed if wait)
    many = RateLimit(per_user=100, per_ip=100, per_account=20)
    assert [many.attempt(f"203.0.113.{k}", "Mia") for k in range(21)][-1] > 0  # per account, across clients


def test_concurrent_password_hashing_is_bounded() -> None:
    digest = hash_password(PASSWORD)
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(verify_password(digest, PASSWORD))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8 and 1 <= auth.HASHING.peak <= auth.HASHING.slots == 2


@pytest.mark.parametrize("password", ["short pass", " " * 12, "aaaaaaaaaaaa", "abababababab", "password1234",
                                      "Password123456!", "qwertyuiop1234", "123456789012", "passwordpassword",
                                      "dee-2026-dee!", "DEE1234567890"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ConfigError, match="at least 12|different characters|too common"):
        check_password(password, "dee")


def test_strong_passwords_are_accepted() -> None:
    for password in (PASSWORD, "correct horse battery", "a long password", "Zq7!vR2#mK9p"):
        assert check_password(password, "dee") == password


def test_weak_passwords_are_refused_by_the_commands_and_the_pages(web_app: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    for weak, message in (("password", "at least 12"), (" " * 8, "at least 12"), ("password123456", "too common"),
                          ("nina12345678", "too common")):
        refused = runner.invoke(cli_app, ["--db", db, "createuser", "nina", "--role", "admin", "--password-stdin"],
                                input=weak + "\n")
        assert refused.exit_code != 0 and message in str(refused.exception)
    admin = signed_in(web_app, "ada")
    token = csrf(admin.get("/users").text)
    common = admin.post("/users", data={"csrf_token": token, "name": "nora", "role": "lead",
                                        "password": "iloveyou1234"})
    assert common.status_code == 400 and "too common" in common.text
    assert "nora" not in admin.get("/users").text


def test_logout_revokes_every_copy_of_the_cookie(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    mia = signed_in(web_app, "mia")
    other_device = signed_in(web_app, "mia")
    thief = copy_of(web_app, mia)
    item = web_db[1][0]
    assert thief.get("/queue").status_code == 200
    token = thief.get("/api/me").json()["csrf_token"]
    assert mia.post("/logout", data={"csrf_token": csrf(mia.get("/queue").text)}).status_code == 303
    assert thief.get("/queue").status_code == 303 and thief.get("/api/queue").status_code == 401
    write = thief.post(f"/api/items/{item}/decision", json={"decision": "note", "note": "after logout"},
                       headers={"X-CSRF-Token": token})
    assert write.status_code == 401
    assert other_device.get("/queue").status_code == 303  # logout ends every session of the user
    assert signed_in(web_app, "mia").get("/queue").status_code == 200  # signing in again works


def test_password_change_page_ends_other_sessions(web_app: Any) -> None:
    pat = signed_in(web_app, "pat")
    thief = copy_of(web_app, pat)
    page = pat.get("/account/password")
    assert page.status_code == 200 and 'name="again"' in page.text
    token = csrf(page.text)
    new = "quiet orchard telescope"
    for form, message in (({"current": "wrong password!", "new": new, "again": new}, "current password is wrong"),
                          ({"current": PASSWORD, "new": new, "again": new + "x"}, "differ"),
                          ({"current": PASSWORD, "new": "password1234", "again": "password1234"}, "too common")):
        refused = pat.post("/account/password", data={"csrf_token": token, **form})
        assert refused.status_code == 400 and message in refused.text
    assert pat.post("/account/password", data={"current": PASSWORD, "new": new, "again": new}).status_code == 403
    changed = pat.post("/account/password", data={"csrf_token": token, "current": PASSWORD, "new": new, "again": new})
    assert changed.status_code == 303 and changed.headers["location"] == "/account/password?changed=1"
    assert "Password changed" in pat.get(changed.headers["location"]).text  # this browser stays signed in
    assert thief.get("/queue").status_code == 303
    fresh = TestClient(web_app, follow_redirects=False)
    old = fresh.post("/login", data={"username": "pat", "password": PASSWORD,
                                     "csrf_token": csrf(fresh.get("/login").text)})
    assert old.status_code == 401
    assert signed_in(web_app, "pat", new).get("/queue").status_code == 200
    assert TestClient(web_app, follow_redirects=False).get("/account/password").status_code == 303


def wait_for(check: Callable[[], bool], seconds: float = 8.0) -> bool:
    """True once `check()` is, polling until the deadline (the app re-reads accounts every few seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_passwd_command_and_deactivation_end_sessions(web_app: Any, web_db: tuple[Path, list[str]]) -> None:
    db = web_db[0]
    dee = signed_in(web_app, "dee")
    runner = CliRunner()
    weak = runner.invoke(cli_app, ["--db", str(db), "passwd", "dee", "--password-stdin"], input="dee123456789\n")
    assert weak.exit_code != 0 and "too common" in str(weak.exception)
    missing = runner.invoke(cli_app, ["--db", str(db), "passwd", "nobody", "--password-stdin"],
                            input="amber fjord compass\n")
    assert missing.exit_code != 0 and "createuser" in str(missing.exception)
    bare = runner.invoke(cli_app, ["--db", str(db), "passwd", "dee"], input="amber fjord compass\n")
    assert bare.exit_code != 0 and "password-stdin" in str(bare.exception)
    ok = runner.invoke(cli_app, ["--db", str(db), "passwd", "dee", "--password-stdin"], input="amber fjord compass\n")
    assert ok.exit_code == 0 and "every session of dee has ended" in ok.stdout
    assert wait_for(lambda: dee.get("/queue").status_code == 303)
    dee = signed_in(web_app, "dee", "amber fjord compass")
    assert review.set_active(Database(db), "dee", False)
    assert wait_for(lambda: dee.get("/queue").status_code == 303)
    assert review.set_active(Database(db), "dee", True)
    time.sleep(5.5)  # past the app's account cache: the reactivated account's old cookie stays dead
    assert dee.get("/queue").status_code == 303


@pytest.mark.parametrize("url", ["/queue?page=" + "1" * 24, "/queue?page=-1", "/queue?page=abc", "/queue?page=0",
                                 "/audit?page=" + "9" * 30, "/api/queue?page=" + "1" * 24, "/api/queue?page=1e9",
                                 "/ranking?year=" + "1" * 24, "/ranking?year=-5", "/ranking?year=abc",
                                 "/api/ranking?year=" + "1" * 24, "/evidence/outlet-1?year=99999999999999999999",
                                 "/api/evidence/outlet-1?year=abc"])
def test_out_of_range_parameters_are_a_400_with_headers(web_app: Any, url: str) -> None:
    with TestClient(web_app, raise_server_exceptions=False, follow_redirects=False) as client:
        client.cookies.set("xw_session", signed_in(web_app, "ada").cookies["xw_session"])
        reply = client.get(url)
    assert reply.status_code == 400, (url, reply.status_code, reply.text[:200])
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["x-content-type-options"] == "nosniff" and reply.headers["cache-control"] == "no-store"
    assert "invalid" in reply.text


def test_an_unexpected_error_still_carries_the_headers(web_db: tuple[Path, list[str]]) -> None:
    app = create_app(WebConfig(db=web_db[0], secure_cookies=False))

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/broken", broken)
    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/broken", "/broken"):
            reply = client.get(path)
            assert reply.status_code == 500 and "a bug" not in reply.text
            assert reply.headers["x-frame-options"] == "DENY" and "default-src 'none'" in reply.headers[
                "content-security-policy"]
