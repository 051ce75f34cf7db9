"""Files in and out: uploads stored under random names, downloads looked up by opaque id.

A path never comes from a request: a download's id is a random token that the database maps to
a file inside the data folder, and an upload's own name is kept only as a label.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from senforms.errors import UnreadableFileError
from senforms.inputs.sniff import REAL_TYPE_NAMES, sniff
from senforms.web.datadir import OUTPUTS, UPLOADS
from senforms.web.store import now

# What each sniffed kind of register upload is stored as (its suffix tells load_register how to read it).
REGISTER_SUFFIX = {"xlsx": ".xlsx", "ole": ".xlsx", "json": ".json", "text": ".csv", "utf16-text": ".csv", "zip": ".zip"}


@dataclass(frozen=True)
class Download:
    path: Path
    name: str
    media_type: str
    senco_only: bool
    job_id: str | None = None


def token() -> str:
    return secrets.token_urlsafe(18)


def save_register_upload(root: Path, stream: IO[bytes], original_name: str) -> Path:
    """Store an uploaded register under a random name, judged by its content, not its name.

    A zip (of an MIS export's CSV files) is kept as it is: load_register reads it, as the CLI does,
    refusing anything else in it.
    """
    uploads = root / UPLOADS
    raw = uploads / f"{token()}.upload"
    with open(raw, "xb") as handle:
        shutil.copyfileobj(stream, handle)
    try:
        kind = sniff(raw)
        if kind not in REGISTER_SUFFIX:
            raise UnreadableFileError(
                f"{original_name} is {REAL_TYPE_NAMES.get(kind, 'not a register')}",
                fix="upload the senforms workbook (.xlsx), a CSV export, a zip of CSV exports, or a JSON register",
            )
        final = raw.with_suffix(REGISTER_SUFFIX[kind])
        raw.rename(final)
        return final
    finally:
        raw.unlink(missing_ok=True)


def discard_upload(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def job_folder(root: Path, job_id: str) -> Path:
    folder = root / OUTPUTS / job_id
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def offer(
    db: sqlite3.Connection, root: Path, path: Path, name: str, media_type: str, *, job_id: str | None = None, senco_only: bool = False, file_id: str | None = None
) -> str:
    """Make a file in the data folder downloadable; the id to put in a link (`file_id`: one chosen before)."""
    relative = path.resolve().relative_to(root.resolve())  # only files inside the data folder, ever
    file_id = file_id or token()
    db.execute(
        "INSERT INTO files (id, job_id, path, download_name, media_type, created, senco_only) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (file_id, job_id, relative.as_posix(), name, media_type, now(), int(senco_only)),
    )
    return file_id


def find_download(db: sqlite3.Connection, root: Path, file_id: str) -> Download | None:
    row = db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
    if row is None:
        return None
    path = root / row["path"]
    if not path.is_file():
        return None
    return Download(path, row["download_name"], row["media_type"], bool(row["senco_only"]), row["job_id"])


def zip_folder(folder: Path, target: Path, *, suffixes: tuple[str, ...]) -> Path:
    """The files of `folder` with these suffixes, in one zip written atomically (never a half zip)."""
    from senforms.outputs.atomic import atomic_path

    with atomic_path(target, overwrite=True) as temp:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith("."):
                    archive.write(path, path.name)
    return target
