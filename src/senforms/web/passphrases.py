"""A pack's passphrase on its way from the request that asks for it, through the job, to the page
that shows it once: sealed whenever it is at rest, never written or logged in clear.

The request makes the passphrase and seals it (web.sealed), so the job row holds only the sealed
form, which any worker on the data folder can open. The page that first shows the finished pack
takes it out of the row: after that it exists nowhere but on the SENCo's screen. A pack that fails or is stopped part-way never
shows it, so its sealed passphrase is erased as the job ends (and retention erases any left, with
the job's files); running such a job again seals a new one.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from senforms.web import sealed

SEALED = "sealed_passphrase"  # the job option that carries it


def seal(root: Path, passphrase: str) -> str:
    return sealed.seal(root, sealed.PACK_PASSPHRASE, passphrase)


def unseal(root: Path, sealed_passphrase: str) -> str | None:
    """The passphrase, or None when the seal is not this data folder's (or was tampered with)."""
    return sealed.unseal(root, sealed.PACK_PASSPHRASE, sealed_passphrase)


def take_once(db: sqlite3.Connection, root: Path, job_id: str) -> str | None:
    """The job's passphrase, removed from its row as it is read: only the first caller gets it."""
    row = db.execute("SELECT options FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        return None
    options = json.loads(row["options"])
    found = options.pop(SEALED, None)
    if not found:
        return None
    # Only if the row is still as read: of two pages opened at once, one shows it.
    changed = db.execute("UPDATE jobs SET options = ? WHERE id = ? AND options = ?", (json.dumps(options), job_id, row["options"])).rowcount
    return unseal(root, found) if changed else None


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
