"""User accounts: create, list, remove, reset a password, and check a sign-in with slow-down and lock-out.

Used by `senforms users …` and by the sign-in page alike. Passwords are hashed with argon2id
(argon2-cffi: the OWASP recommendation, with its safe defaults); only the hash is stored.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from senforms.errors import SenformsError
from senforms.web.store import now

Role = Literal["senco", "office"]
ROLES: tuple[Role, ...] = ("senco", "office")
MIN_PASSWORD = 10  # NCSC: length beats complexity rules; three random words easily clear it
FREE_TRIES = 3  # failed sign-ins allowed before each further try has to wait
LOCK_AFTER = 10  # failed sign-ins in a row that lock the account
LOCK_SECONDS = 15 * 60

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: Role
    session_version: int

    @property
    def is_senco(self) -> bool:
        return self.role == "senco"


class SignInRefused(Exception):
    """A sign-in that did not succeed; `wait` is the seconds before another try is allowed (0: try again now)."""

    def __init__(self, wait: int = 0, locked: bool = False) -> None:
        super().__init__("sign-in refused")
        self.wait = wait
        self.locked = locked


def _user(row: sqlite3.Row) -> User:
    return User(row["id"], row["email"], row["role"], row["session_version"])


def _check_new(email: str, role: str, password: str) -> None:
    if "@" not in email or email.strip() != email or len(email) > 254:
        raise SenformsError(f"'{email}' is not an email address", fix="give the address the person signs in with, e.g. senco@school.example")
    if role not in ROLES:
        raise SenformsError(f"'{role}' is not a role", fix="use senco or office")
    _check_password(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise SenformsError(f"the password is too short ({len(password)} characters)", fix=f"use at least {MIN_PASSWORD} characters: three random words make a good one")


def add_user(db: sqlite3.Connection, email: str, role: str, password: str) -> User:
    _check_new(email, role, password)
    try:
        cursor = db.execute(
            "INSERT INTO users (email, role, password_hash, created) VALUES (?, ?, ?, ?)",
            (email, role, _hasher.hash(password), now()),
        )
    except sqlite3.IntegrityError:
        raise SenformsError(f"there is already an account for {email}", fix="use `senforms users reset-password` to change its password") from None
    return find_user(db, int(cursor.lastrowid or 0)) or User(0, email, role, 1)  # type: ignore[arg-type]


def list_users(db: sqlite3.Connection) -> list[User]:
    return [_user(row) for row in db.execute("SELECT * FROM users ORDER BY email")]


def find_user(db: sqlite3.Connection, user_id: int) -> User | None:
    row = db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return _user(row) if row else None


def _by_email(db: sqlite3.Connection, email: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
    if row is None:
        raise SenformsError(f"there is no account for {email}", fix="see who has one with `senforms users list`")
    return row


def remove_user(db: sqlite3.Connection, email: str) -> None:
    row = _by_email(db, email)
    if row["role"] == "senco" and db.execute("SELECT COUNT(*) FROM users WHERE role = 'senco'").fetchone()[0] == 1:
        raise SenformsError(f"{email} is the only senco account", fix="add another senco account first: someone must be able to manage users")
    db.execute("DELETE FROM users WHERE id = ?", (row["id"],))


def reset_password(db: sqlite3.Connection, email: str, password: str) -> None:
    """A new password, the lock lifted, and every session signed out (the version in their cookies is old)."""
    row = _by_email(db, email)
    _check_password(password)
    db.execute(
        "UPDATE users SET password_hash = ?, session_version = session_version + 1, failed_sign_ins = 0, not_before = 0 WHERE id = ?",
        (_hasher.hash(password), row["id"]),
    )


def _delay(failures: int) -> int:
    """Seconds before the next try after this many failures in a row: none, then doubling, then the lock."""
    if failures >= LOCK_AFTER:
        return LOCK_SECONDS
    if failures < FREE_TRIES:
        return 0
    return min(2 ** (failures - FREE_TRIES), 60)


def sign_in(db: sqlite3.Connection, email: str, password: str) -> User:
    """The user, or SignInRefused — the same for an unknown email as for a wrong password."""
    row = db.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
    if row is None:
        _hasher.hash(password)  # the same work as a real check, so timing does not tell which emails exist
        raise SignInRefused()
    moment = now()
    if row["not_before"] > moment:
        raise SignInRefused(wait=int(row["not_before"] - moment) + 1, locked=row["failed_sign_ins"] >= LOCK_AFTER)
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        failures = row["failed_sign_ins"] + 1
        wait = _delay(failures)
        db.execute("UPDATE users SET failed_sign_ins = ?, not_before = ? WHERE id = ?", (failures, moment + wait, row["id"]))
        raise SignInRefused(wait=wait, locked=failures >= LOCK_AFTER) from None
    db.execute("UPDATE users SET failed_sign_ins = 0, not_before = 0 WHERE id = ?", (row["id"],))
    if _hasher.check_needs_rehash(row["password_hash"]):
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), row["id"]))
    return _user(row)
