"""The app's database (SQLite, in the data folder): users, registers, jobs, downloadable files and the audit trail.

Pupil data never goes in here: a job's options name pupils by UPN at most, and results hold
counts and file ids. The register itself stays the file the school uploaded.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from senforms.web.datadir import NETWORK_SHARE

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('senco', 'office')),
    password_hash TEXT NOT NULL,
    session_version INTEGER NOT NULL DEFAULT 1,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS registers (
    id INTEGER PRIMARY KEY,
    stored_name TEXT NOT NULL,
    original_name TEXT NOT NULL,
    uploaded_by INTEGER NOT NULL,
    uploaded REAL NOT NULL,
    needs_password INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted')),
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL,
    result TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    job_id TEXT,
    path TEXT NOT NULL,
    download_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    senco_only INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
-- Who did what, when (web/audit.py): never pupil data, only opaque references (job and file ids).
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
"""


# Columns added after the first release, added to a database made before them (SQLite has no
# ADD COLUMN IF NOT EXISTS). A job's claim and lease let several workers share the jobs safely (jobs.py).
ADDED_COLUMNS = (
    ("jobs", "claim", "TEXT"),
    ("jobs", "lease_until", "REAL"),
    ("jobs", "attempts", "INTEGER NOT NULL DEFAULT 0"),
    # When retention deleted a finished job's files, and the period it kept them for: its page says so.
    ("jobs", "files_removed", "REAL"),
    ("jobs", "files_removed_days", "INTEGER"),
    # A protected register's password, sealed (web.sealed), so workers and a restarted app can open it.
    ("registers", "sealed_password", "TEXT"),
)


def connect(database: Path) -> sqlite3.Connection:
    """A connection for one request or one job (SQLite connections are not shared across threads)."""
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)  # autocommit; store.transaction for transactions
    connection.row_factory = sqlite3.Row
    # WAL: readers (pages) never wait for the writer (a job). Not over a network share (see NETWORK_SHARE).
    shared = (Path(database).parent / NETWORK_SHARE).exists()
    connection.execute(f"PRAGMA journal_mode={'DELETE' if shared else 'WAL'}")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def initialise(database: Path) -> None:
    connection = connect(database)
    try:
        connection.executescript(SCHEMA)
        for table, column, definition in ADDED_COLUMNS:
            present = {row["name"] for row in connection.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                try:
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
                except sqlite3.OperationalError as error:
                    if "duplicate column" not in str(error):  # else another process added it a moment ago
                        raise
    finally:
        connection.close()


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """All or nothing, holding the write lock from the start. The connections autocommit, so
    `with connection:` would commit each statement on its own and make no transaction."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def now() -> float:
    return time.time()
