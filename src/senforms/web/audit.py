"""The audit trail: who made, downloaded, sent or changed what, and when, in the app's database.

A row names its subject by an opaque reference only (a document kind, a job or file id, a
settings table), never a pupil's name, UPN or anything from the register, so the trail can be
shown to any senco and exported without becoming pupil data itself.

Views call `record(action, what, outcome)`; code outside a request (jobs, start-up) calls `write`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from senforms.web.store import now

SYSTEM = "senforms"  # the user of what the app does by itself (retention at start-up, a job ending)


@dataclass(frozen=True)
class AuditEntry:
    time: dt.datetime
    user: str
    action: str
    what: str
    outcome: str


@dataclass(frozen=True)
class AuditFilter:
    """What the Audit page asks for; empty values match everything. Dates are inclusive."""

    user: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def write(db: sqlite3.Connection, user: str, action: str, what: str = "", outcome: str = "ok") -> None:
    """One row of the trail. `what` must be an opaque reference (kind, job id, file id), never pupil data."""
    db.execute("INSERT INTO audit (time, user, action, what, outcome) VALUES (?, ?, ?, ?, ?)", (now(), user, action, what, outcome))


def record(action: str, what: str = "", outcome: str = "ok", *, user: str | None = None) -> None:
    """From a view: one row for the signed-in user (or `user`, e.g. the address tried at sign-in)."""
    from flask import g

    from senforms.web.app import db

    signed_in = g.get("user")
    write(db(), user if user is not None else (signed_in.email if signed_in else SYSTEM), action, what, outcome)


def _where(chosen: AuditFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    values: list[object] = []
    if chosen.user:
        clauses.append("user = ? COLLATE NOCASE")
        values.append(chosen.user)
    if chosen.action:
        clauses.append("action = ?")
        values.append(chosen.action)
    if chosen.date_from:
        clauses.append("time >= ?")
        values.append(dt.datetime.combine(chosen.date_from, dt.time()).timestamp())
    if chosen.date_to:
        clauses.append("time < ?")
        values.append(dt.datetime.combine(chosen.date_to + dt.timedelta(days=1), dt.time()).timestamp())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


def entries(db: sqlite3.Connection, chosen: AuditFilter = AuditFilter(), *, limit: int | None = None) -> list[AuditEntry]:
    """The rows `chosen` asks for, newest first."""
    where, values = _where(chosen)
    sql = f"SELECT * FROM audit{where} ORDER BY time DESC, id DESC" + (" LIMIT ?" if limit else "")
    rows = db.execute(sql, [*values, limit] if limit else values).fetchall()
    return [AuditEntry(dt.datetime.fromtimestamp(r["time"]), r["user"], r["action"], r["what"], r["outcome"]) for r in rows]


def choices(db: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """Every user and every action in the trail, for the page's filters."""
    users = [r[0] for r in db.execute("SELECT DISTINCT user FROM audit ORDER BY user COLLATE NOCASE")]
    actions = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit ORDER BY action")]
    return users, actions


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe
    (OWASP's advice against CSV injection), so opening the export never runs anything."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def as_csv(rows: Iterable[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Time", "User", "Action", "What", "Outcome"])
    for row in rows:
        writer.writerow([row.time.isoformat(timespec="seconds"), *(safe_cell(v) for v in (row.user, row.action, row.what, row.outcome))])
    return out.getvalue()


# What a finished job is called in the trail; a kind not listed (a new job) is "job KIND".
JOB_ACTIONS = {"documents": "documents made", "prepare-invitations": "invitations prepared", "send-invitations": "invitations sent", "ehc-pack": "EHC pack made", "send-pack": "EHC pack sent to the LA"}


def job_ended(db: sqlite3.Connection, job_id: str, status: str, result: dict[str, object]) -> None:
    """A job's end, by the user who asked for it: its kind, id, how it ended and its counts (never names)."""
    row = db.execute("SELECT jobs.kind, jobs.options, users.email FROM jobs LEFT JOIN users ON users.id = jobs.user_id WHERE jobs.id = ?", (job_id,)).fetchone()
    if row is None:
        return
    counts = ", ".join(f"{key} {value}" for key, value in result.items() if isinstance(value, int) and not isinstance(value, bool))
    kind = row["kind"]
    document = json.loads(row["options"] or "{}").get("kind")  # the document kind a batch made (support-plan …)
    what = f"{document if isinstance(document, str) and re.fullmatch(r'[a-z-]{1,40}', document) else kind}, job {job_id}"
    write(db, row["email"] or "(removed account)", JOB_ACTIONS.get(kind, f"job {kind}"), what, status + (f": {counts}" if counts else ""))
