"""What a file really is, from its first bytes, and a guard against zip bombs."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import UnreadableFileError

MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200


def sniff(path: Path) -> str:
    """'xlsx', 'docx', 'zip', 'ole' (encrypted Office or old .xls), 'pdf', 'json', 'text', 'empty' or 'binary'."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        return "empty"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return "binary"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return "docx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if b"\x00" in head:
        return "utf16-text" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "binary"
    return "text"


REAL_TYPE_NAMES = {
    "docx": "a Word document",
    "zip": "a zip archive",
    "ole": "an old-style .xls workbook or a password-protected Office file",
    "pdf": "a PDF",
    "json": "a JSON file",
    "text": "a text (CSV) file",
    "utf16-text": "a UTF-16 text file",
    "empty": "empty",
    "binary": "not a file senforms can read",
    "xlsx": "an Excel workbook",
}


def check_zip_safe(path: Path) -> None:
    """Refuse an archive that would expand to far more than an SEN register ever needs."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        packed = max(sum(info.compress_size for info in infos), 1)
    if len(infos) > MAX_ZIP_MEMBERS or total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO and total > 20 * 1024 * 1024:
        raise UnreadableFileError(
            f"{path.name} would expand to {total // (1024 * 1024)} MB in {len(infos)} parts, far more than an SEN register needs",
            tip="it may be damaged or not a real register: save a fresh copy from the template",
        )
