"""Server-side request forgery (issue 14, finding 1): page links and redirects from feed content never
reach loopback, private, link-local or metadata addresses, after DNS resolution and at connect time;
a registered feed on a private host may fetch from its own origin only; allow_private_hosts allows all.

Real loopback servers: `http` serves the feed (a registered feed on 127.0.0.1, the demo's case),
`inner` on another port stands for an internal service whose pages must never be fetched.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.loopback import running
from pipeline.core.outlets import Feed
from pipeline.db.database import Database
from pipeline.ingest.guard import refusal
from pipeline.jobs import steps as jobs
from tests.conftest import Routes
from tests.ingest.badfeeds import RSS_TYPE, item, query, quick, rss

PAGE = ("<html><head><title>Story</title></head><body><article><h1>Story</h1>"
        + "<p>A long paragraph of the story, told in full on its own page for the reader. </p>" * 8
        + "</article></body></html>")
SECRET = "<html><body><p>internal secret: the admin password is hunter2</p></body></html>"


@pytest.fixture
def inner() -> Iterator[Routes]:
    """An internal service on another loopback port."""
    with running(Routes()) as server:
        server.add("/secret", SECRET, content_type="text/html")
        yield server


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Fake DNS answers per host name (each lookup takes the next answer; the last one repeats; NXDOMAIN fails)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in answers:
            ip = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            if ip == "NXDOMAIN":
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (ip, int(port or 0)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


def feed_linking(http: Routes, links: list[str], name: str = "feed") -> Feed:
    """A registered feed on the `http` server whose items link to the given URLs."""
    items = [item(f"Story {n}", link, f"{name}-{n}", description=f"Feed text {n}.") for n, link in enumerate(links)]
    return Feed(url=http.add(f"/{name}.xml", rss(items), content_type=RSS_TYPE), outlet_id=name)


def rejects(db: Database) -> dict[str, str]:
    """Reason per rejected item."""
    return {str(url): str(reason) for url, reason in query(db, "SELECT item, reason FROM rejected")}


def test_page_links_to_internal_hosts_are_refused(http: Routes, inner: Routes, db: Database, db_path: Path,
                                                 dns: dict[str, list[str]]) -> None:
    dns["news.example"] = ["127.0.0.1"]  # a public-looking name that resolves to loopback
    port = inner.base.rsplit(":", 1)[1]
    links = [f"{inner.base}/secret", f"http://news.example:{port}/secret", f"http://[::1]:{port}/secret",
             f"http://[::ffff:127.0.0.1]:{port}/secret", f"http://localhost:{port}/secret",
             f"http://2130706433:{port}/secret", "http://169.254.169.254/latest/meta-data/"]
    feed = feed_linking(http, links)
    summary = jobs.ingest_feeds(db, quick(db_path, fetch_pages=True, respect_robots=False), [feed], "run")
    assert (summary.feeds_ok, summary.new) == (1, len(links)), summary.failures
    assert inner.hits == {}, f"internal service was fetched: {inner.hits}"
    reasons = rejects(db)
    assert len(reasons) == len(links)
    for reason in reasons.values():
        assert "page not fetched, feed text kept" in reason and "refused" in reason, reason
        assert "allow_private_hosts" in reason
    assert any("news.example resolves to 127.0.0.1, a loopback address" in r for r in reasons.values())
    assert any("a cloud metadata address" in r for r in reasons.values())
    texts = {str(t) for (t,) in query(db, "SELECT text FROM articles")}
    assert not any("hunter2" in t for t in texts)


def test_redirects_from_an_allowed_page_to_internal_hosts_are_refused(http: Routes, inner: Routes, db: Database,
                                                                      db_path: Path) -> None:
    to_inner = http.add("/go-inner", b"", status=302, location=f"{inner.base}/secret")
    to_metadata = http.add("/go-metadata", b"", status=301, location="http://169.254.169.254/latest/")
    fine = http.add("/story", PAGE, content_type="text/html")
    feed = feed_linking(http, [to_inner, to_metadata, fine])
    jobs.ingest_feeds(db, quick(db_path, fetch_pages=True, respect_robots=False), [feed], "run")
    assert inner.hits == {}
    assert http.hits["/go-inner"] == http.hits["/go-metadata"] == http.hits["/story"] == 1
    reasons = rejects(db)
    assert set(reasons) == {to_inner, to_metadata}
    assert f"{to_inner}: http://127.0.0.1:{inner.base.rsplit(':', 1)[1]}/secret: refused" in reasons[to_inner]
    assert "169.254.169.254, a cloud metadata address" in reasons[to_metadata]
    [(extraction,)] = query(db, "SELECT extraction FROM articles WHERE url = ?", [fine])
    assert extraction == "page", "the feed's own host stays allowed (same-origin exception)"


def test_a_feed_redirected_to_another_private_host_fails_with_a_reason(http: Routes, inner: Routes, db: Database,
                                                                        db_path: Path) -> None:
    inner.add("/feed.xml", rss([item("Inner", "http://x.example/1", "i1")]), content_type=RSS_TYPE)
    feed = Feed(url=http.add("/moved.xml", b"", status=302, location=f"{inner.base}/feed.xml"), outlet_id="moved")
    summary = jobs.ingest_feeds(db, quick(db_path), [feed], "run")
    assert summary.feeds_failed == 1 and inner.hits == {}
    assert "refused" in summary.failures[0][1] and "a loopback address" in summary.failures[0][1]


def test_dns_rebinding_between_check_and_connect_is_refused(http: Routes, inner: Routes, db: Database,
                                                           db_path: Path, dns: dict[str, list[str]]) -> None:
    dns["rebind.example"] = ["93.184.216.34", "127.0.0.1"]  # public when checked, loopback when connecting
    feed = feed_linking(http, [f"http://rebind.example:{inner.base.rsplit(':', 1)[1]}/secret"])
    jobs.ingest_feeds(db, quick(db_path, fetch_pages=True, respect_robots=False), [feed], "run")
    assert inner.hits == {}
    [reason] = rejects(db).values()
    assert "refused at connect time, it resolves to 127.0.0.1, a loopback address" in reason


def test_allow_private_hosts_fetches_internal_pages(http: Routes, inner: Routes, db: Database, db_path: Path) -> None:
    feed = feed_linking(http, [f"{inner.base}/secret"])
    settings = quick(db_path, fetch_pages=True, respect_robots=False, allow_private_hosts=True)
    jobs.ingest_feeds(db, settings, [feed], "run")
    assert inner.hits == {"/secret": 1} and rejects(db) == {}


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "a loopback address"), ("10.1.2.3", "a private address"), ("192.168.0.1", "a private address"),
    ("172.16.5.4", "a private address"), ("169.254.169.254", "a cloud metadata address"),
    ("169.254.1.1", "a link-local address"), ("100.64.0.1", "a shared (CGNAT) address"),
    ("100.100.100.200", "a cloud metadata address"), ("0.0.0.0", "the unspecified address"),
    ("224.0.0.1", "a multicast address"), ("240.0.0.1", "a reserved address"),
    ("::1", "a loopback address"), ("::", "the unspecified address"), ("fe80::1", "a link-local address"),
    ("fc00::1", "a private address"), ("fd00:ec2::254", "a cloud metadata address"),
    ("::ffff:127.0.0.1", "a loopback address"), ("::ffff:169.254.169.254", "a cloud metadata address"),
    ("64:ff9b::a00:1", "a private address"), ("2002:7f00:1::", "a loopback address"),
    ("ff02::1", "a multicast address"),
    ("93.184.216.34", None), ("8.8.8.8", None), ("2606:4700:4700::1111", None), ("::ffff:8.8.8.8", None),
])
def test_address_policy(address: str, reason: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason


def test_allow_private_hosts_comes_from_the_environment() -> None:
    from pipeline.core.config import load_settings

    assert load_settings(env={}).allow_private_hosts is False
    assert load_settings(env={"XENOWATCH_ALLOW_PRIVATE_HOSTS": "1"}).allow_private_hosts is True


@pytest.mark.parametrize("robots", [True, False])
def test_a_name_that_does_not_resolve_fails_its_page_only(http: Routes, db: Database, db_path: Path,
                                                          dns: dict[str, list[str]], robots: bool) -> None:
    dns["gone.example"] = ["NXDOMAIN"]
    feed = feed_linking(http, ["http://gone.example/story", http.add("/story", PAGE, content_type="text/html")])
    summary = jobs.ingest_feeds(db, quick(db_path, fetch_pages=True, respect_robots=robots), [feed], "run")
    assert (summary.feeds_ok, summary.new) == (1, 2)
    [reason] = rejects(db).values()
    assert "cannot resolve gone.example" in reason and "feed text kept" in reason
