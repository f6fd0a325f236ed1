"""The pseudonym key: random per database (mode 0600, beside it), never the published default."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.core.config import Settings, load_settings
from pipeline.core.errors import ConfigError
from pipeline.core.keys import key_path, pseudonym_key
from pipeline.core.outlets import Feed
from pipeline.ingest.feeds import pseudonymize
from pipeline.jobs import steps as jobs

KINDS = Path(__file__).resolve().parents[1] / "resources" / "kinds"


def test_a_random_key_is_made_for_each_database(tmp_path: Path) -> None:
    one, two = Settings(db=tmp_path / "a" / "one.duckdb"), Settings(db=tmp_path / "two.duckdb")
    key = pseudonym_key(one)
    path = key_path(one.db)
    assert path == tmp_path / "a" / "one.duckdb.pseudonym-key" and path.read_text() == key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pseudonym_key(one) == key != pseudonym_key(two)
    configured = "a configured key of 25 ch"
    assert pseudonym_key(Settings(db=two.db, pseudonym_secret=configured)) == configured


def _key_in_child(db: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put(pseudonym_key(Settings(db=Path(db))))


def test_processes_racing_to_make_the_key_agree(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_key_in_child, args=(str(tmp_path / "race.duckdb"), out)) for _ in range(4)]
    for p in procs:
        p.start()
    keys = {out.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(60)
    assert len(keys) == 1 and keys == {key_path(tmp_path / "race.duckdb").read_text()}


@pytest.mark.parametrize("secret, message", [("change-me", "published default"), ("short", "at least 16")])
def test_the_published_default_and_short_keys_are_refused(secret: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(pseudonym_secret=secret)
    with pytest.raises(ConfigError, match=message):
        load_settings(env={"XENOWATCH_PSEUDONYM_SECRET": secret})
    assert load_settings(env={"XENOWATCH_PSEUDONYM_SECRET": ""}).pseudonym_secret is None  # the database's key


def test_cli_refuses_the_published_default(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "x.duckdb"), "ingest", str(KINDS / "social_export.csv")],
                                env={"XENOWATCH_PSEUDONYM_SECRET": "change-me"})
    assert result.exit_code != 0 and "published default" in str(result.exception)
    assert not key_path(tmp_path / "x.duckdb").exists()


def test_ingest_pseudonymises_with_the_database_key(http, tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "x.duckdb", fetch_pages=False)
    url = http.add("/tag.json", (KINDS / "mastodon_tag.json").read_bytes())
    local = jobs.fetch_feed(Feed(url=url, outlet_id="o", kind="mastodon"), settings).articles[0]
    key = key_path(settings.db).read_text()
    assert local.author == pseudonymize("amal_k", key) and local.author != pseudonymize("amal_k", "change-me")
