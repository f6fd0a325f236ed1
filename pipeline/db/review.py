"""The review workbench: accounts, reviewers' decisions and assignments with their audit log, the
queue of flagged items, and the verdicts that the ranking and the training data read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from pipeline.db._rows import dicts
from pipeline.db.database import Database

# When each article's adjudication was last reopened by a lead.
REOPENED = "SELECT article_id, max(created_at) AS reopened FROM reviews WHERE decision = 'reopen' GROUP BY article_id"
# A lead's adjudication (round 2) made after the last reopen settles the verdict: later decisions of
# anyone else are kept but change nothing until a lead reopens it.
SETTLED = "(coalesce(r.round, 1) = 2 AND (ro.reopened IS NULL OR r.created_at > ro.reopened))"
VERDICT_ORDER = f"ORDER BY {SETTLED} DESC, r.created_at DESC, r.id DESC"
# The latest classification of each article, the verdict (the settling adjudication, else the latest
# confirm/reject row) and the status of its review: shared by the queue, the trends and the export.
WB_CTE = (
    "WITH c AS (SELECT * FROM classifications QUALIFY row_number() OVER "
    " (PARTITION BY article_id ORDER BY created_at DESC, model DESC) = 1), "
    "r AS (SELECT * FROM reviews WHERE decision IN ('confirm', 'reject')), "
    f"ro AS ({REOPENED}), "
    f"v AS (SELECT r.*, {SETTLED} AS adjudicated, "
    " coalesce(r.final, false) AND (ro.reopened IS NULL OR r.created_at > ro.reopened) AS settled "
    f" FROM r LEFT JOIN ro ON ro.article_id = r.article_id QUALIFY row_number() OVER "
    f" (PARTITION BY r.article_id {VERDICT_ORDER}) = 1), "
    "rl AS (SELECT * FROM r QUALIFY row_number() OVER "
    " (PARTITION BY article_id, reviewer ORDER BY created_at DESC, id DESC) = 1), "
    "st AS (SELECT article_id, count(DISTINCT decision) AS kinds FROM rl GROUP BY article_id), "
    "w AS (SELECT a.id, a.title, coalesce(a.lang, o.language) AS lang, a.kind, "
    " coalesce(a.published, a.first_seen) AS seen_at, a.outlet_id, "
    " coalesce(o.name, a.outlet_id) AS outlet, coalesce(o.country, 'unknown') AS country, "
    " c.hate, c.hate_score, c.gated, coalesce(json_array_length(c.misinformation), 0) AS myths, "
    " CASE WHEN v.decision = 'confirm' THEN coalesce(v.severity, c.severity) ELSE c.severity END AS severity, "
    " CASE WHEN v.decision = 'confirm' THEN coalesce(v.target, c.target) ELSE c.target END AS target, "
    " v.decision AS verdict, c.severity AS model_severity, c.target AS model_target, "
    " CASE WHEN v.decision IS NULL THEN 'unreviewed' WHEN st.kinds > 1 AND NOT v.settled "
    "  THEN 'disputed' WHEN v.decision = 'confirm' THEN 'confirmed' ELSE 'rejected' END AS status, "
    " (CASE c.severity WHEN 'incitement' THEN 5 WHEN 'dehumanising' THEN 4 WHEN 'derogatory' THEN 3 "
    "  WHEN 'offensive' THEN 2 ELSE 1 END) * coalesce(c.hate_score, 0) AS priority "
    " FROM articles a JOIN c ON c.article_id = a.id LEFT JOIN outlets o ON o.id = a.outlet_id "
    " LEFT JOIN v ON v.article_id = a.id LEFT JOIN st ON st.article_id = a.id {where}) ")
# The queue reads flagged items only: filtering inside `w` spares the joins for the rest.
WB_FLAGGED = "WHERE coalesce(c.hate, false) OR coalesce(json_array_length(c.misinformation), 0) > 0"
# Blind double review: for a viewer who is not a lead (the first parameter, NULL for a lead), the items in
# double review that they have not decided and no lead has adjudicated show nothing of the others' decisions
# (the model's severity and target, status unreviewed); the filters see the same masked values.
WB_BLIND = (
    ", bl AS (SELECT article_id FROM assignments WHERE ?::VARCHAR IS NOT NULL GROUP BY article_id "
    " HAVING count(*) >= 2 EXCEPT SELECT article_id FROM r WHERE reviewer = ? "
    " EXCEPT SELECT article_id FROM v WHERE adjudicated), "
    "wb AS (SELECT w.*, w.id IN (SELECT article_id FROM bl) AS blind FROM w), "
    "m AS (SELECT * REPLACE (CASE WHEN blind THEN model_severity ELSE severity END AS severity, "
    " CASE WHEN blind THEN model_target ELSE target END AS target, "
    " CASE WHEN blind THEN NULL ELSE verdict END AS verdict, "
    " CASE WHEN blind THEN 'unreviewed' ELSE status END AS status) FROM wb) ")
WB_FILTERS = {"outlet": "outlet_id = ?", "lang": "lang = ?", "target": "target = ?",
              "severity": "severity = ?", "status": "status = ?",
              "assignee": "id IN (SELECT article_id FROM assignments WHERE reviewer = ?)",
              # words in the title or the text, case-insensitive; contains() takes no LIKE wildcards
              "q": "id IN (SELECT id FROM articles WHERE contains(lower(concat_ws(' ', title, text)), lower(?)))",
              "from": "CAST(seen_at AS DATE) >= CAST(? AS DATE)", "to": "CAST(seen_at AS DATE) <= CAST(? AS DATE)"}
# The first words of an untitled item (a social post), so that the queue can be scanned.
EXCERPT_CHARS = 160


def create_user(db: Database, name: str, role: str, password_hash: str) -> bool:
    """Add an account; False when the name is taken."""
    with db.transaction() as con:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchall():
            return False
        con.execute("INSERT INTO users (name, role, password_hash) VALUES (?, ?, ?)", [name, role, password_hash])
    return True


def users(db: Database) -> dict[str, dict[str, Any]]:
    """Every account by name: role, password hash, active flag, creation time, session generation."""
    with db.connect() as con:
        rows = dicts(con.execute("SELECT name, role, password_hash, active, created_at, "
                                 "coalesce(session_gen, 0) AS session_gen FROM users ORDER BY name"))
    return {r["name"]: r for r in rows}


def end_sessions(db: Database, name: str) -> bool:
    """Bump the account's session generation, so that every cookie issued before stops working; False
    when there is no such account."""
    return _update_user(db, name, "", [])


def set_password(db: Database, name: str, password_hash: str) -> bool:
    """Store a new password hash and end every session of the account; False when there is no such account."""
    return _update_user(db, name, "password_hash = ?, ", [password_hash])


def set_active(db: Database, name: str, active: bool) -> bool:
    """(De)activate an account and end every session of it; False when there is no such account."""
    return _update_user(db, name, "active = ?, ", [active])


def set_role(db: Database, name: str, role: str) -> bool:
    """Change an account's role and end every session of it; False when there is no such account."""
    return _update_user(db, name, "role = ?, ", [role])


def _update_user(db: Database, name: str, assignments: str, values: list[Any]) -> bool:
    """Apply `assignments` (trusted SQL with placeholders) to one account and bump its session generation."""
    with db.transaction() as con:
        if not con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchall():
            return False
        con.execute(f"UPDATE users SET {assignments}session_gen = coalesce(session_gen, 0) + 1 WHERE name = ?",
                    [*values, name])
    return True


def record_ops(db: Database, ops: Sequence[dict[str, Any]]) -> int:
    """Store decisions, assignments and audit events, each with its audit row, in one transaction; an op
    whose op_id is already in the audit log is skipped (a replay from the landing file). Returns the new ones."""
    done = 0
    with db.transaction() as con:
        for op in ops:
            if con.execute("SELECT 1 FROM audit_log WHERE op_id = ?", [op["op_id"]]).fetchall():
                continue
            at = datetime.fromisoformat(op["at"])
            if op["kind"] == "decision":
                _record_decision(con, op, at)
            elif op["kind"] == "assign":
                _record_assignment(con, op, at)
            elif op["kind"] == "factcheck_request":
                _record_factcheck_request(con, op, at)
            elif op["kind"] == "undo":
                _record_undo(con, op)
            detail = {k: v for k, v in op.items() if k not in ("op_id", "at", "actor", "kind", "article_id")}
            con.execute("INSERT INTO audit_log (op_id, created_at, actor, action, article_id, detail) VALUES "
                        "(?, ?, ?, ?, ?, ?)", [op["op_id"], at, op["actor"], op.get("action", op["kind"]),
                                               op.get("article_id"), json.dumps(detail, ensure_ascii=False)])
            done += 1
    return done


def _record_decision(con: duckdb.DuckDBPyConnection, op: dict[str, Any], at: datetime) -> None:
    """Insert a reviewer's decision op."""
    # Not final while the item is in double review (two assignees), unless a lead adjudicates.
    double = con.execute("SELECT count(*) >= 2 FROM assignments WHERE article_id = ?",
                         [op["article_id"]]).fetchall()[0][0]
    final = op["decision"] in ("confirm", "reject") and (op.get("round", 1) == 2 or not double)
    evidence = json.dumps(op["evidence"], ensure_ascii=False) if op.get("evidence") else None
    con.execute("INSERT INTO reviews (article_id, reviewer, decision, severity, target, note, "
                "created_at, round, final, op_id, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [op["article_id"], op["actor"], op["decision"], op.get("severity"), op.get("target"),
                 op.get("note"), at, op.get("round", 1), final, op["op_id"], evidence])


def _record_undo(con: duckdb.DuckDBPyConnection, op: dict[str, Any]) -> None:
    """Withdraw the actor's own decision named by the op (the audit log keeps both the decision and the undo)."""
    con.execute("DELETE FROM reviews WHERE op_id = ? AND reviewer = ? AND article_id = ?",
                [op["undoes"], op["actor"], op["article_id"]])


def _record_assignment(con: duckdb.DuckDBPyConnection, op: dict[str, Any], at: datetime) -> None:
    """Replace an article's assignees with an assign op's reviewers."""
    con.execute("DELETE FROM assignments WHERE article_id = ?", [op["article_id"]])
    for name in op["reviewers"]:
        con.execute("INSERT INTO assignments (article_id, reviewer, assigned_by, assigned_at) "
                    "VALUES (?, ?, ?, ?)", [op["article_id"], name, op["actor"], at])


def _record_factcheck_request(con: duckdb.DuckDBPyConnection, op: dict[str, Any], at: datetime) -> None:
    """Put a check-worthy sentence on the fact-check list (once per sentence of an article)."""
    if not con.execute("SELECT 1 FROM factcheck_requests WHERE article_id = ? AND span_start = ? AND span_end = ?",
                       [op["article_id"], op["start"], op["end"]]).fetchall():
        con.execute("INSERT INTO factcheck_requests (op_id, article_id, sentence, span_start, span_end, requested_by, "
                    "requested_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [op["op_id"], op["article_id"], op["sentence"], op["start"], op["end"], op["actor"], at])


def factcheck_requests(db: Database, article_id: str | None = None) -> list[dict[str, Any]]:
    """Sentences monitors sent to the fact-check list (of one article, or all), oldest first."""
    where, args = ("WHERE r.article_id = ?", [article_id]) if article_id else ("", [])
    with db.connect() as con:
        return dicts(con.execute(
            "SELECT r.article_id, a.url, r.sentence, r.span_start AS start, r.span_end AS \"end\", r.requested_by, "
            f"r.requested_at FROM factcheck_requests r LEFT JOIN articles a ON a.id = r.article_id {where} "
            "ORDER BY r.requested_at, r.op_id", args))


def queue(db: Database, filters: dict[str, str], limit: int, offset: int,
          blind_for: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Flagged items (hate or a myth), highest severity x confidence first; filters by the keys of
    WB_FILTERS; blind for `blind_for` (a reviewer who is not a lead). Returns a page of rows and the total."""
    where = ["(hate OR myths > 0)"] + [WB_FILTERS[k] for k in filters]
    sql = (WB_CTE.format(where=WB_FLAGGED) + WB_BLIND + "SELECT *, count(*) OVER () AS total, "
           "(SELECT string_agg(reviewer, ', ' ORDER BY reviewer) FROM assignments s WHERE s.article_id = m.id) "
           "AS assignees FROM m WHERE " + " AND ".join(where)
           + f" ORDER BY priority DESC, id LIMIT {int(limit)} OFFSET {int(offset)}")
    sql = (f"SELECT p.*, CASE WHEN coalesce(p.title, '') = '' THEN left(a.text, {EXCERPT_CHARS}) END AS excerpt "
           f"FROM ({sql}) p JOIN articles a ON a.id = p.id ORDER BY p.priority DESC, p.id")
    with db.connect() as con:
        rows = dicts(con.execute(sql, [blind_for, blind_for, *filters.values()]))
    return rows, int(rows[0]["total"]) if rows else 0


def queue_ids(db: Database, filters: dict[str, str], limit: int = 10_000, blind_for: str | None = None) -> list[str]:
    """The queue's article ids in order (for next/previous on the item page)."""
    where = ["(hate OR myths > 0)"] + [WB_FILTERS[k] for k in filters]
    sql = (WB_CTE.format(where=WB_FLAGGED) + WB_BLIND + "SELECT id FROM m WHERE " + " AND ".join(where)
           + f" ORDER BY priority DESC, id LIMIT {int(limit)}")
    with db.connect() as con:
        return [r[0] for r in con.execute(sql, [blind_for, blind_for, *filters.values()]).fetchall()]


def queue_facets(db: Database) -> dict[str, list[Any]]:
    """The values the queue filters offer: outlets (id, name), languages and targets."""
    with db.connect() as con:
        outlets = con.execute("SELECT id, name FROM outlets ORDER BY name").fetchall()
        langs = [r[0] for r in con.execute(
            "SELECT DISTINCT coalesce(a.lang, o.language) FROM articles a LEFT JOIN outlets o "
            "ON o.id = a.outlet_id WHERE coalesce(a.lang, o.language) IS NOT NULL ORDER BY 1").fetchall()]
        targets = [r[0] for r in con.execute("SELECT DISTINCT target FROM classifications WHERE target IS "
                                             "NOT NULL ORDER BY 1").fetchall()]
    return {"outlets": outlets, "langs": langs, "targets": targets}


def review_item(db: Database, article_id: str) -> dict[str, Any] | None:
    """One article with its outlet, latest classification and rubric result, reviews and assignees."""
    with db.connect() as con:
        found = dicts(con.execute(
            "SELECT a.*, coalesce(o.name, a.outlet_id) AS outlet, o.country, o.language AS outlet_language "
            "FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE a.id = ?", [article_id]))
        if not found:
            return None
        item = found[0]
        cls = dicts(con.execute("SELECT * FROM classifications WHERE article_id = ? "
                                "ORDER BY created_at DESC, model DESC LIMIT 1", [article_id]))
        rub = dicts(con.execute("SELECT * FROM rubric_results WHERE article_id = ? "
                                "ORDER BY created_at DESC LIMIT 1", [article_id]))
        item["reviews"] = dicts(con.execute(
            "SELECT id, reviewer, decision, severity, target, note, created_at, round, final, evidence, op_id "
            "FROM reviews "
            "WHERE article_id = ? ORDER BY created_at, id", [article_id]))
        item["assignees"] = [r[0] for r in con.execute(
            "SELECT reviewer FROM assignments WHERE article_id = ? ORDER BY reviewer", [article_id]).fetchall()]
    item["classification"] = cls[0] if cls else None
    item["rubric"] = rub[0] if rub else None
    return item


def review_labels(db: Database) -> list[tuple[str, str, str]]:
    """(article id, reviewer, decision): each reviewer's latest independent (round 1) confirm/reject."""
    sql = ("SELECT article_id, reviewer, decision FROM reviews WHERE decision IN ('confirm', 'reject') "
           "AND coalesce(round, 1) = 1 QUALIFY row_number() OVER (PARTITION BY article_id, reviewer "
           "ORDER BY created_at DESC, id DESC) = 1 ORDER BY article_id, reviewer")
    with db.connect() as con:
        return [(r[0], r[1], r[2]) for r in con.execute(sql).fetchall()]


def review_verdicts(db: Database, article_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each article's verdict: a lead's adjudication not reopened since, else its latest 'confirm' or 'reject'
    review ('note' rows change nothing)."""
    if not article_ids:
        return {}
    sql = (f"WITH ro AS ({REOPENED}) SELECT r.article_id, r.id, r.reviewer, r.decision, r.severity, r.target, "
           "r.created_at FROM reviews r LEFT JOIN ro ON ro.article_id = r.article_id "
           "WHERE r.decision IN ('confirm', 'reject') AND r.article_id IN (SELECT unnest(?)) "
           f"QUALIFY row_number() OVER (PARTITION BY r.article_id {VERDICT_ORDER}) = 1")
    with db.connect() as con:
        rows = con.execute(sql, [list(article_ids)]).fetchall()
    return {r[0]: {"review_id": r[1], "reviewer": r[2], "decision": r[3], "severity": r[4],
                   "target": r[5], "created_at": str(r[6])} for r in rows}


def audit_entries(db: Database, limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of the audit log, newest first."""
    with db.connect() as con:
        return dicts(con.execute(
            "SELECT id, created_at, actor, action, article_id, detail FROM audit_log "
            f"ORDER BY created_at DESC, id DESC LIMIT {int(limit)} OFFSET {int(offset)}"))


def reviewed_texts(db: Database) -> list[dict[str, Any]]:
    """Articles with a verdict (latest confirm/reject) and their text, for training data."""
    sql = (WB_CTE.format(where="") + "SELECT w.id, a.title, a.text, w.lang, w.verdict, v.severity, "
           "w.target FROM w JOIN articles a ON a.id = w.id JOIN v ON v.article_id = w.id "
           "WHERE w.verdict IS NOT NULL AND coalesce(a.extraction, '') <> 'purged' ORDER BY w.id")
    with db.connect() as con:
        return dicts(con.execute(sql))
