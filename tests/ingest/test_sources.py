"""Sources registry: YAML, CSV and OPML imports, refused whole on a bad row."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.db import results, sources
from pipeline.db.database import Database
from pipeline.ingest.sources import load_sources

RES = Path(__file__).resolve().parents[1] / "resources"


def test_yaml_import() -> None:
    outlets, feeds = load_sources(RES / "sources.yaml")
    assert [o.id for o in outlets] == ["test-gazette", "wire"]
    assert outlets[0].country == "GB" and outlets[0].media_type == "newspaper"
    assert [f.outlet_id for f in feeds] == ["test-gazette", "wire"]


def test_csv_and_opml_import() -> None:
    (o,), (f,) = load_sources(RES / "sources.csv")
    assert (o.name, o.language, f.url) == ("CSV Times", "fr", "http://127.0.0.1:9/csv.xml")
    (o,), (f,) = load_sources(RES / "sources.opml")
    assert (o.name, f.kind) == ("OPML Daily", "rss")


def test_bad_row_refuses_whole_file(db: Database) -> None:
    with pytest.raises(InputError, match=r"sources_bad.yaml:5: media_type 'tabloid-ish' is invalid; must be one of"):
        load_sources(RES / "sources_bad.yaml")
    assert results.counts(db)["outlets"] == 0


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="must be one of: .opml, .csv, .yaml"):
        load_sources(path)


def test_import_is_idempotent(db: Database) -> None:
    outlets, feeds = load_sources(RES / "sources.yaml")
    sources.upsert_sources(db, outlets, feeds)
    sources.upsert_sources(db, outlets, feeds)
    assert results.counts(db)["outlets"] == 2 and results.counts(db)["feeds"] == 2
