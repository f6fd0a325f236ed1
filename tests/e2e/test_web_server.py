"""A real `xenowatch serve` process: reviewers post decisions while another process keeps writing articles
and classifications; no reviewer sees an error and every decision reaches the database."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path

from benchmarks.serve_bench import PASSWORD, free_port, login, seed, start_server, stop
from pipeline.db.database import Database
from pipeline.db.review import create_user
from pipeline.web.auth import hash_password

REVIEWERS = 4
DECISIONS_EACH = 8


def review(base: str, user: str, ids: list[str], op_ids: list[str], failures: list[str]) -> None:
    """Sign in and post decisions on random items through the API, as fast as the server answers."""
    rng = random.Random(user)
    try:
        client = login(base, user)
    except Exception as exc:  # recorded, so that the test fails with the reason
        failures.append(f"login {user}: {exc}")
        return
    try:
        token = client.get("/api/me").json()["csrf_token"]
        for _ in range(DECISIONS_EACH):
            item = rng.choice(ids)
            reply = client.post(f"/api/items/{item}/decision", headers={"X-CSRF-Token": token},
                                json={"decision": rng.choice(["confirm", "reject"]), "severity": "derogatory"})
            if reply.status_code != 200:
                failures.append(f"POST {item}: {reply.status_code} {reply.text[:200]}")
                continue
            op_ids.append(reply.json()["op_id"])
            page = client.get(f"/items/{item}")
            if page.status_code != 200:
                failures.append(f"GET {item}: {page.status_code} {page.text[:200]}")
    finally:
        client.close()


def test_concurrent_writers_and_reviewers_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    database = Database.open(db)
    ids = seed(database, 200)
    digest = hash_password(PASSWORD)
    for k in range(REVIEWERS):
        create_user(database, f"rev{k}", "monitor", digest)
    server = start_server(db, free_port())
    port = int(server.args[server.args.index("--port") + 1])
    writer = subprocess.Popen([sys.executable, "-m", "benchmarks.serve_bench", "--writer", str(db), "4"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    op_ids: list[str] = []
    failures: list[str] = []
    try:
        threads = [threading.Thread(target=review, args=(f"http://127.0.0.1:{port}", f"rev{k}", ids, op_ids,
                                                         failures)) for k in range(REVIEWERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        out, err = writer.communicate(timeout=120)
    finally:
        stop(server)  # a clean shutdown flushes whatever still waits in the landing file
    assert writer.returncode == 0, err.decode()[-2000:]
    written = int(out.decode().strip())
    assert failures == [] and len(op_ids) == REVIEWERS * DECISIONS_EACH
    with Database(db).connect() as con:
        stored = {r[0] for r in con.execute("SELECT op_id FROM reviews WHERE op_id IS NOT NULL").fetchall()}
        articles = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
    assert set(op_ids) <= stored and len(stored) == len(op_ids)
    assert written > 0 and articles == 200 + written  # the flow kept writing while reviewers worked
    assert not db.with_name(db.name + ".landing.jsonl").exists()
