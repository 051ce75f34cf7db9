"""OUTDIR/manifest.csv: what senforms made, for whom (by UPN), when, and its SHA-256."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from senforms.errors import OutputFolderError
from senforms.outputs.atomic import write_atomic

MANIFEST_NAME = "manifest.csv"
COLUMNS = ["file", "document", "upn", "cycle", "contact", "meeting", "status", "made_at", "sha256"]


@dataclass
class ManifestRow:
    file: str
    document: str
    upn: str
    cycle: str
    contact: str
    meeting: str
    status: str
    made_at: str
    sha256: str


def made_now() -> str:
    """The time a file was made, as the manifest records it (local time with its offset)."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def made_row(file: str, document: str, sha256: str, *, upn: str = "", cycle: str = "", contact: str = "", meeting: str = "", made_at: str = "") -> ManifestRow:
    """The manifest row for a file senforms has just made (IDs only: the manifest names no one)."""
    return ManifestRow(file, document, upn, cycle, contact, meeting, "made", made_at or made_now(), sha256)


def read_manifest(folder: Path) -> dict[str, ManifestRow]:
    """The rows of OUTDIR/manifest.csv by file name ({} when there is none yet).

    A manifest senforms cannot read raises OutputFolderError naming it: senforms never replaces
    a record it could not read, since that would lose what earlier runs wrote there.
    """
    path = folder / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None:
                return {}
            if "file" not in reader.fieldnames:
                raise _unreadable(path, "it has no 'file' column")
            return {row["file"]: ManifestRow(**{c: row.get(c) or "" for c in COLUMNS}) for row in reader if row.get("file")}
    except UnicodeDecodeError:
        raise _unreadable(path, "it is not UTF-8 text") from None
    except csv.Error as exc:
        raise _unreadable(path, f"it is not a CSV file senforms can read ({exc})") from None
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from None


def _unreadable(path: Path, why: str) -> OutputFolderError:
    return OutputFolderError(
        f"{path} cannot be read: {why}",
        fix="senforms keeps a record of what it made in that file: move it away (or choose another output folder) and run again",
    )


def write_manifest(folder: Path, rows: dict[str, ManifestRow]) -> Path:
    """Replace the manifest atomically with `rows` (earlier runs' rows included by the caller)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for name in sorted(rows):
        row = rows[name]
        writer.writerow([getattr(row, c) for c in COLUMNS])
    path = folder / MANIFEST_NAME
    content = buffer.getvalue().encode("utf-8")
    if path.exists() and path.read_bytes() == content:
        return path  # a rerun that made nothing leaves the folder exactly as it was
    return write_atomic(path, content, overwrite=True)
