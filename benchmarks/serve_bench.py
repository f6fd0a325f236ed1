"""Workbench latency under load: N users on loopback browse the queue and items of a real server process,
first alone, then while another process writes articles and classifications (as ingest and classify do).

Also the synthetic data and the writer used by the web tests: `seed()` and `python -m benchmarks.serve_bench
--writer DB SECONDS`."""

from __future__ import annotations

import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from pipeline.core.outlets import Outlet
from pipeline.core.record import Article, Criterion, HateResult, RubricResult, Span
from pipeline.db import articles as articles_db
from pipeline.db import results, review, sources
from pipeline.db.database import Database

MODEL = "bench-model@1"
SEVERITIES = ("offensive", "derogatory", "dehumanising", "incitement")
TARGETS = ("migrants", "refugees", "asylum_seekers", "nationality_ethnicity", "religion")
PASSWORD = "bench-password"
HATE = "They are vermin and must be thrown out."


def synthetic(i: int, rng: random.Random, outlets: Sequence[str]) -> Article:
    """One article, about migration, flagged as hateful one time in two, with evidence and a rubric result."""
    hateful = i % 2 == 0
    text = f"Story {i} about the harbour and the people who arrived this week. " + (HATE if hateful else
                                                                                    "Volunteers helped them settle.")
    start = text.find(HATE)
    evidence = (Span(start, start + len(HATE), HATE, "hate"),) if hateful else ()
    hate = HateResult(hateful, round(rng.uniform(0.6, 0.99) if hateful else rng.uniform(0, 0.4), 4),
                      rng.choice(TARGETS) if hateful else None, rng.choice(SEVERITIES) if hateful else "none",
                      evidence, MODEL)
    crit = Criterion("hate_flag", 0.2 if hateful else 1.0, 1.0, "Hateful sentence." if hateful else "None.", "EJN",
                     evidence)
    published = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=i % 300, hours=i % 24)
    return Article(url=f"https://news{i % 7}.example/{i}", outlet=outlets[i % len(outlets)], title=f"Headline {i}",
                   text=text, published=published, lang=("en", "fr", "es")[i % 3], relevance=0.9, hate=hate,
                   rubric=RubricResult(60.0 if hateful else 90.0, "bench-rubric", (crit,)))


def seed(db: Database, count: int, start: int = 0) -> list[str]:
    """Write `count` synthetic articles with classifications and rubric results; returns their ids."""
    outlets = [Outlet(id=f"outlet-{k}", name=f"Outlet {k}", country=("GB", "FR", "ES")[k % 3], language="en",
                      media_type="newspaper") for k in range(5)]
    rng = random.Random(start)
    articles = [synthetic(i, rng, [o.id for o in outlets]) for i in range(start, start + count)]
    with db.held():
        sources.upsert_sources(db, outlets, [])
        articles_db.insert_articles(db, articles, None)
        results.save_classifications(db, articles, MODEL, 0.2)
        results.save_rubric(db, articles, MODEL)
    return [a.id for a in articles]


def writer_loop(db: Path, seconds: float, batch: int = 40, start: int = 1_000_000) -> int:
    """Write batches of new articles for `seconds` (each batch one burst on the lock, like an ingest flush
    followed by a classify batch); returns how many were written."""
    database, written = Database(db), 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seed(database, batch, start + written)
        written += batch
        time.sleep(0.05)
    return written


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, secure_cookies: bool = False) -> subprocess.Popen[bytes]:
    """`xenowatch serve` in its own process (by default with plain-http cookies, for httpx clients); waits until
    it answers."""
    flags = [] if secure_cookies else ["--insecure-cookies"]
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--db", str(db), "serve", "--port", str(port), *flags],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start within 60 s")


def stop(proc: subprocess.Popen[Any]) -> None:
    """Stop a child process (SIGTERM, then SIGKILL)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def login(base: str, user: str, password: str = PASSWORD) -> httpx.Client:
    """A client with a signed-in session."""
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    page = client.get("/login")
    token = csrf_of(page.text)
    reply = client.post("/login", data={"username": user, "password": password, "csrf_token": token})
    if reply.status_code != 200 or "/login" in str(reply.url):
        raise RuntimeError(f"login of {user} failed: {reply.status_code}")
    return client


def csrf_of(html: str) -> str:
    """The CSRF token of a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def browse(client: httpx.Client, ids: Sequence[str], seconds: float, rng: random.Random,
           latencies: list[float], errors: list[str]) -> None:
    """Open queue pages and items in turn for `seconds`, recording each latency and each failure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        path = f"/queue?page={rng.randint(1, 5)}" if rng.random() < 0.5 else f"/items/{rng.choice(ids)}"
        t0 = time.perf_counter()
        try:
            status = client.get(path).status_code
        except httpx.HTTPError as exc:
            errors.append(f"{path}: {type(exc).__name__}")
            continue
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            errors.append(f"{path}: HTTP {status}")


def phase(base: str, users: int, ids: Sequence[str], seconds: float) -> tuple[list[float], list[str]]:
    """All users browsing at once; latencies (ms) and errors."""
    latencies: list[float] = []
    errors: list[str] = []
    clients = [login(base, f"user{k}") for k in range(users)]
    threads = [threading.Thread(target=browse, args=(c, ids, seconds, random.Random(k), latencies, errors))
               for k, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    """A percentile (ms, rounded)."""
    return round(statistics.quantiles(values, n=100)[int(q) - 1], 1) if len(values) > 1 else 0.0


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run_bench(quick: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """The benchmark: returns users, p50_ms, p95_ms (while writing), the same without the writer, errors."""
    from pipeline.web.auth import hash_password

    users, seconds, articles = (4, 6.0, 400) if quick else (8, 20.0, 3000)
    with tempfile.TemporaryDirectory(prefix="xw-serve-bench-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        database = Database.open(db)
        ids = seed(database, articles)
        digest = hash_password(PASSWORD)
        for k in range(users):
            review.create_user(database, f"user{k}", "monitor", digest)
        alone = _writer(db, seconds).communicate(timeout=300)[0]  # the writer's pace with no server
        port = free_port()
        server = start_server(db, port)
        base = f"http://127.0.0.1:{port}"
        try:
            progress(f"serve bench: {users} users, {seconds:.0f} s without and {seconds:.0f} s with a writer")
            quiet, quiet_errors = phase(base, users, ids, seconds)
            writer = _writer(db, seconds)
            loaded, errors = phase(base, users, ids, seconds)
            out, _ = writer.communicate(timeout=120)
            rss = peak_rss_mb(server.pid)
        finally:
            stop(server)
    written, written_alone = int(out.decode().strip() or 0), int(alone.decode().strip() or 0)
    return {"users": users, "requests": len(loaded), "p50_ms": pct(loaded, 50), "p95_ms": pct(loaded, 95),
            "errors": len(errors), "p50_ms_no_writer": pct(quiet, 50), "p95_ms_no_writer": pct(quiet, 95),
            "errors_no_writer": len(quiet_errors),
            "p95_ratio_writer_vs_none": round(pct(loaded, 95) / max(pct(quiet, 95), 0.1), 2),
            "requests_per_s": round(len(loaded) / seconds, 1), "articles_written": written,
            "articles_written_alone": written_alone, "writer_ratio_vs_alone": round(written / max(written_alone, 1), 2),
            "writer_exit": writer.returncode, "server_peak_rss_mb": rss, "error_samples": sorted(set(errors))[:5]}


def _writer(db: Path, seconds: float) -> subprocess.Popen[bytes]:
    """The writer in its own process (prints how many articles it wrote)."""
    return subprocess.Popen([sys.executable, "-m", "benchmarks.serve_bench", "--writer", str(db), str(seconds)],
                            stdout=subprocess.PIPE)


def main(argv: Sequence[str]) -> None:
    """`--writer DB SECONDS`: write articles for that long and print the count."""
    if len(argv) == 3 and argv[0] == "--writer":
        print(writer_loop(Path(argv[1]), float(argv[2])))
        return
    raise SystemExit("usage: python -m benchmarks.serve_bench --writer DB SECONDS")


if __name__ == "__main__":
    main(sys.argv[1:])
