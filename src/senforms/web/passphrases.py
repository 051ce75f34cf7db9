"""A pack's passphrase on its way from the request that asks for it, through the job, to the page
that shows it once: sealed whenever it is at rest, never written or logged in clear.

The request makes the passphrase and seals it (Fernet: AES with an HMAC) with a key derived from the
data folder's private key (0600), so the job row holds only the sealed form, which any worker on the
data folder can open. The page that first shows the finished pack takes it out of the row: after
that it exists nowhere but on the SENCo's screen. A pack that fails or is stopped part-way never
shows it, so its sealed passphrase is erased as the job ends (and retention erases any left, with
the job's files); running such a job again seals a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from senforms.web.datadir import secret_key

SEALED = "sealed_passphrase"  # the job option that carries it


def _fernet(root: Path) -> Fernet:
    key = hmac.new(secret_key(root), b"senforms: pack passphrases", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(root: Path, passphrase: str) -> str:
    return _fernet(root).encrypt(passphrase.encode("utf-8")).decode("ascii")


def unseal(root: Path, sealed: str) -> str | None:
    """The passphrase, or None when the seal is not this data folder's (or was tampered with)."""
    try:
        return _fernet(root).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def take_once(db: sqlite3.Connection, root: Path, job_id: str) -> str | None:
    """The job's passphrase, removed from its row as it is read: only the first caller gets it."""
    row = db.execute("SELECT options FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        return None
    options = json.loads(row["options"])
    sealed = options.pop(SEALED, None)
    if not sealed:
        return None
    # Only if the row is still as read: of two pages opened at once, one shows it.
    changed = db.execute("UPDATE jobs SET options = ? WHERE id = ? AND options = ?", (json.dumps(options), job_id, row["options"])).rowcount
    return unseal(root, sealed) if changed else None


def erase_sealed(db: sqlite3.Connection, job_id: str) -> bool:
    """Take the sealed passphrase out of a job's row, if it has one; True if it had."""
    # One statement, so it cannot undo a concurrent change to the row's other options.
    changed = db.execute(
        f"UPDATE jobs SET options = json_remove(options, '$.{SEALED}') WHERE id = ? AND json_extract(options, '$.{SEALED}') IS NOT NULL",
        (job_id,),
    )
    return changed.rowcount == 1


def erase_unshowable(db: sqlite3.Connection) -> int:
    """Every sealed passphrase no page will ever show: of jobs that failed or were stopped part-way
    (e.g. rows from before these were erased as the job ended). How many went."""
    changed = db.execute(
        f"UPDATE jobs SET options = json_remove(options, '$.{SEALED}') WHERE status IN ('failed', 'interrupted') AND json_extract(options, '$.{SEALED}') IS NOT NULL"
    )
    return changed.rowcount
