"""The workbench's ranking page for a council: overall first, readable headings, tied outlets shown as tied
(FastAPI's TestClient on a real DuckDB file ranked by the award code)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.db import review
from pipeline.db.database import Database
from pipeline.web.app import WebConfig, create_app
from pipeline.web.auth import hash_password
from tests.award.support import TIED_2026, rank, seed
from tests.web.support import csrf

PASSWORD = "council password 17"


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client signed in as a council member, on a database with two ranked years."""
    db = Database.open(tmp_path_factory.mktemp("ranking") / "ranking.duckdb")
    seed(db, {2025: {**TIED_2026, "eco": 35.0}, 2026: TIED_2026})
    rank(db)
    assert review.create_user(db, "cora", "council", hash_password(PASSWORD))
    with TestClient(create_app(WebConfig(db=Path(db.path), secure_cookies=False)), follow_redirects=False) as client:
        reply = client.post("/login", data={"username": "cora", "password": PASSWORD,
                                            "csrf_token": csrf(client.get("/login").text)})
        assert reply.status_code == 303
        yield client


def test_ranking_puts_overall_first_with_readable_headings(council: TestClient) -> None:
    page = council.get("/ranking")
    assert page.status_code == 200
    headings = re.findall(r"<h2>([^<]+)</h2>", page.text)
    assert headings[0] == "Overall" and headings[-1] == "Most improved (change on 2025)", headings
    assert "Country: ES" in headings and "Media type: newspaper" in headings
    assert headings.index("Country: GB") < headings.index("Media type: newspaper")
    assert not [h for h in headings if re.fullmatch(r"[a-z_]+:\S+", h)]  # no raw 'country:ES'
    overall = page.text[page.text.index("<h2>Overall</h2>"):page.text.index("</table>")]
    assert overall.count('<span class="tie">tied</span>') == 4 and "1–4" in overall
    assert re.search(r"<td>5</td><td>Eco Tabloid</td>", overall)
    assert list(council.get("/api/ranking").json()["categories"])[0] == "overall"
