"""Fact-checks: imported once by id (the first of repeats kept), listed in import order, embeddings cached."""

from __future__ import annotations

from pipeline.core.factcheck import FactCheck
from pipeline.db import factchecks
from pipeline.db.database import Database


def _check(n: int, claim: str = "", matchable: bool = True, **fields: str) -> FactCheck:
    return FactCheck(claim=claim or f"Migrants get free thing {n}.", rating="False", publisher="Checkers",
                     url=f"https://check.example/{n}", matchable=matchable, **fields)


def test_import_keeps_the_first_of_repeats_and_reports_known_ids(db: Database) -> None:
    first, again = _check(1, lang="en"), _check(1, note="a later copy")
    assert factchecks.add_factchecks(db, [first, again, _check(2, matchable=False, note="not a claim")], "a.json") == []
    stored = factchecks.list_factchecks(db)
    assert [(fc.id, fc.note, fc.lang) for fc in stored] == [(first.id, "", "en"), (_check(2).id, "not a claim", None)]
    assert factchecks.add_factchecks(db, [_check(3), first], "b.json") == [first.id]
    assert [fc.id for fc in factchecks.list_factchecks(db)][-1] == _check(3).id
    assert [fc.id for fc in factchecks.list_factchecks(db, matchable_only=True)] == [first.id, _check(3).id]


def test_round_trip_of_every_field(db: Database) -> None:
    fc = FactCheck(claim="Asylum seekers get hotel rooms.", rating="Mostly false", publisher="P", url="https://p/1",
                   lang="fr", date="2026-02-01", matchable=True, note="n")
    factchecks.add_factchecks(db, [fc], "file.json")
    assert factchecks.list_factchecks(db) == [fc]


def test_embeddings_are_cached_per_encoder_for_matchable_checks(db: Database) -> None:
    factchecks.add_factchecks(db, [_check(1), _check(2), _check(3, matchable=False)], "a.json")
    assert factchecks.embeddings(db, "enc@1") == {}
    factchecks.save_embeddings(db, "enc@1", {_check(1).id: b"\x00" * 8, _check(3).id: b"\x01" * 8})
    assert factchecks.embeddings(db, "enc@1") == {_check(1).id: b"\x00" * 8}  # never a non-matchable one
    factchecks.save_embeddings(db, "enc@2", {_check(1).id: b"\x02" * 8})
    assert factchecks.embeddings(db, "enc@1") == {} and factchecks.embeddings(db, "enc@2") == {
        _check(1).id: b"\x02" * 8}
    factchecks.save_embeddings(db, "enc@2", {})


def test_version_and_rematch_bookkeeping(db: Database) -> None:
    assert factchecks.version(db) == "" and factchecks.not_rematched(db) == set()
    factchecks.add_factchecks(db, [_check(1), _check(2, matchable=False)], "a.json")
    first = factchecks.version(db)
    assert first.startswith("1:") and factchecks.not_rematched(db) == {_check(1).id}  # matchable ones only
    factchecks.mark_rematched(db, [_check(1).id])
    assert factchecks.not_rematched(db) == set() and factchecks.version(db) == first
    factchecks.add_factchecks(db, [_check(3)], "b.json")
    assert factchecks.version(db) != first and factchecks.not_rematched(db) == {_check(3).id}
    assert factchecks.rematch_candidates(db) == []  # nothing classified yet
