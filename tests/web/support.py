"""Helpers shared by the workbench tests: CSRF tokens from pages, accounts and a ranking snapshot."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.testclient import TestClient

from pipeline.db import rankings, review
from pipeline.db.database import Database
from pipeline.web.auth import hash_password


def csrf(html: str) -> str:
    """The first CSRF token in a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def accounts_and_snapshot(database: Database, users: Mapping[str, str], password: str, ids: Sequence[str]) -> None:
    """One account per name (its role, one shared password) and a 2026 ranking snapshot over `ids`."""
    digest = hash_password(password)
    for name, role in users.items():
        assert review.create_user(database, name, role, digest)
    rankings.save_snapshot(database, {"id": "snap-1", "year": 2026, "rubric_version": "bench-rubric", "models": {},
                                      "parameters": {}, "article_ids": list(ids)},
                           [{"category": "overall", "outlet_id": "outlet-1", "rank": 1, "score": 80.0, "ci_low": 70.0,
                             "ci_high": 90.0, "n_articles": 12, "status": "ranked"}])


def signed_in(app: Any, user: str, password: str) -> TestClient:
    """A client signed in as `user`."""
    client = TestClient(app, follow_redirects=False)
    reply = client.post("/login", data={"username": user, "password": password,
                                        "csrf_token": csrf(client.get("/login").text)})
    assert reply.status_code == 303, reply.text[:300]
    return client
