"""OUTDIR/manifest.csv: what senforms made, for whom (by UPN), when, and its SHA-256."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

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


def read_manifest(folder: Path) -> dict[str, ManifestRow]:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["file"]: ManifestRow(**{c: row.get(c, "") for c in COLUMNS}) for row in csv.DictReader(handle)}


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
