"""The school's register in the app: the latest valid upload, kept on disk, read once per change.

An upload that is not valid is reported and thrown away; the register before it stays current.
A password-protected workbook's password is kept in its row sealed (web.sealed), never in clear: the
pages, every worker on the data folder and the app after a restart can all open the register, and
the password goes with the upload when a new register replaces it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import senforms
from senforms.errors import InputError, Problem, SenformsError
from senforms.inputs import LoadedRegister
from senforms.web.datadir import UPLOADS
from senforms.web.files import discard_upload, save_register_upload
from senforms.web.sealed import REGISTER_PASSWORD, seal, unseal
from senforms.web.store import now


@dataclass(frozen=True)
class StoredRegister:
    id: int
    path: Path
    original_name: str
    uploaded: dt.datetime
    needs_password: bool
    sealed_password: str | None = None


@dataclass(frozen=True)
class UploadOutcome:
    """What an upload gave: the register (when valid) and every problem, named by the upload's own file name."""

    loaded: LoadedRegister | None
    errors: list[Problem]
    warnings: list[Problem]
    refusal: str = ""  # a file that could not be read at all


class NoRegister(SenformsError):
    def __init__(self, why: str = "no register has been uploaded yet") -> None:
        super().__init__(why, fix="upload the register on the Register page")


_lock = threading.Lock()
# (data folder, register) → ((the day it was read, the settings file's path and time), the register)
_cache: dict[tuple[str, int], tuple[tuple[dt.date, tuple[str, float] | None], LoadedRegister]] = {}


def _stored(row: sqlite3.Row, root: Path) -> StoredRegister:
    return StoredRegister(
        row["id"], root / UPLOADS / row["stored_name"], row["original_name"], dt.datetime.fromtimestamp(row["uploaded"]),
        bool(row["needs_password"]), row["sealed_password"],
    )


def current(db: sqlite3.Connection, root: Path) -> StoredRegister | None:
    row = db.execute("SELECT * FROM registers ORDER BY id DESC LIMIT 1").fetchone()
    return _stored(row, root) if row else None


def _named(problems: list[Problem], stored_name: str, original_name: str) -> list[Problem]:
    """Problems as the user knows the file: by the name they uploaded, not our random one."""
    from dataclasses import replace

    def rename(problem: Problem) -> Problem:
        file = problem.location.file
        if file == stored_name or file.startswith(stored_name):
            return replace(problem, location=replace(problem.location, file=original_name))
        return problem

    return [rename(p) for p in problems]


def accept_upload(db: sqlite3.Connection, root: Path, user_id: int, stream: IO[bytes], original_name: str, password: str | None, settings: Path | None = None) -> UploadOutcome:
    """Check an upload; keep it as the current register only when it is valid."""
    try:
        path = save_register_upload(root, stream, original_name)
    except SenformsError as error:
        return UploadOutcome(None, [], [], refusal=f"{error.message}" + (f" ({error.fix})" if error.fix else ""))
    try:
        settings_stamp = _settings_stamp(settings)
        loaded = senforms.load_register(path, password=password or None, settings=settings if settings_stamp else None)
    except InputError as error:
        discard_upload(path)
        return UploadOutcome(None, _named(error.problems, path.name, original_name), _named(error.warnings, path.name, original_name))
    except SenformsError as error:
        discard_upload(path)
        message = error.message.replace(path.name, original_name)
        return UploadOutcome(None, [], [], refusal=message + (f" ({error.fix_for('the password box')})" if error.fix else ""))
    cursor = db.execute(
        "INSERT INTO registers (stored_name, original_name, uploaded_by, uploaded, needs_password, sealed_password) VALUES (?, ?, ?, ?, ?, ?)",
        (path.name, original_name, user_id, now(), int(bool(password)), seal(root, REGISTER_PASSWORD, password) if password else None),
    )
    register_id = int(cursor.lastrowid or 0)
    _forget_older(db, root, register_id)
    with _lock:
        _cache[(str(root), register_id)] = ((dt.date.today(), settings_stamp), loaded)
    return UploadOutcome(loaded, [], _named(loaded.warnings, path.name, original_name))


def _forget_older(db: sqlite3.Connection, root: Path, keep: int) -> None:
    """Only the current register is kept: older uploads hold pupil data nobody needs any more."""
    for row in db.execute("SELECT * FROM registers WHERE id != ?", (keep,)).fetchall():
        discard_upload(root / UPLOADS / row["stored_name"])
        db.execute("DELETE FROM registers WHERE id = ?", (row["id"],))
        with _lock:
            _cache.pop((str(root), row["id"]), None)


def _settings_stamp(settings: Path | None) -> tuple[str, float] | None:
    try:
        return (str(settings), settings.stat().st_mtime) if settings is not None and settings.is_file() else None
    except OSError:
        return None


def load_current(db: sqlite3.Connection, root: Path, settings: Path | None) -> tuple[StoredRegister, LoadedRegister]:
    """The current register with the school settings file's hourly rates and term dates laid over it,
    as the CLI's --config does; read again only when it, the settings file or the day changed (its
    warnings depend on the date)."""
    stored = current(db, root)
    if stored is None:
        raise NoRegister()
    key = (str(root), stored.id)
    stamp = (dt.date.today(), _settings_stamp(settings))
    with _lock:
        cached = _cache.get(key)
    if cached and cached[0] == stamp:
        return stored, cached[1]
    password = unseal(root, REGISTER_PASSWORD, stored.sealed_password) if stored.sealed_password else None
    if stored.needs_password and password is None:
        # An upload from before passwords were kept sealed, or a data folder whose key was replaced.
        raise NoRegister("the register is password-protected, and it was uploaded before senforms kept such passwords (sealed), so it cannot be opened now")
    loaded = senforms.load_register(stored.path, password=password, settings=settings if stamp[1] else None)
    with _lock:
        _cache[key] = (stamp, loaded)
    return stored, loaded
