"""What a file really is, from its first bytes, and a guard against zip bombs."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import IO

from senforms.errors import UnreadableFileError
from senforms.filetypes import HEAD_BYTES, head_kind, read_head, zip_bomb, zip_kind


def sniff(path: Path) -> str:
    """'xlsx', 'xlsb', 'docx', 'zip', 'ole' (encrypted Office or old .xls), 'pdf', 'json', 'text',
    'utf16-text', 'empty', 'binary', or an image or document kind from `filetypes.head_kind`."""
    return _refined(head_kind(read_head(path)), path)


def sniff_bytes(data: bytes) -> str:
    """`sniff` for a file already in memory (a member of a zip)."""
    return _refined(head_kind(data[:HEAD_BYTES]), io.BytesIO(data))


def _refined(kind: str, source: Path | IO[bytes]) -> str:
    if kind == "zip-based":
        kind = zip_kind(source)
        return {"damaged-zip": "binary", "pptx": "zip", "xlsx-damaged": "zip"}.get(kind, kind)
    return kind


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
    "xlsb": "an Excel binary workbook (.xlsb)",
    "jpeg": "a JPEG image",
    "png": "a PNG image",
    "gif": "a GIF image",
    "tiff": "a TIFF image",
    "bmp": "a BMP image",
    "webp": "a WebP image",
    "heic": "an iPhone photo (HEIC)",
    "html": "a web page (HTML)",
    "rtf": "a Rich Text (RTF) document",
}


def check_zip_safe(source: Path | IO[bytes], name: str | None = None) -> None:
    """Refuse an archive that would expand to far more than an SEN register ever needs.

    `source` is a path, or the decrypted bytes of a password-protected workbook (then give `name`).
    """
    name = name or Path(source).name  # type: ignore[arg-type]
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    tip = "it may be damaged or not a real register: save a fresh copy from the template"
    why = zip_bomb(infos)
    if why == "parts":
        raise UnreadableFileError(f"{name} holds {len(infos):,} parts, far more than an SEN register needs", fix=tip)
    if why == "size":
        raise UnreadableFileError(f"{name} would expand to {total // (1024 * 1024)} MB, far more than an SEN register needs", fix=tip)


# A row, cell or formula start tag, with or without a namespace prefix: <row>, <c r="A1">, <x:c>, <f>.
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|f)[\s>/]")


def scan_sheets(source: Path | IO[bytes], name: str, *, max_rows: int, max_cells: int) -> bool:
    """Count the rows and cells of every worksheet before openpyxl builds them; return whether
    any cell holds a formula.

    Streams the XML a few MB at a time and stops as soon as a count passes its limit, so a
    workbook of a million tiny rows is refused in about a second rather than after openpyxl has
    spent a minute and a gigabyte building it. Rows count even when empty (formatting only),
    because openpyxl keeps an object for each.
    """
    counts = {b"row": 0, b"c": 0, b"f": 0}
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            with archive.open(info) as member:
                tail = b""
                while True:
                    chunk = member.read(1 << 22)
                    data = tail + chunk
                    # Keep from the last '<' on for the next round, so no tag is cut in two.
                    cut = data.rfind(b"<") if chunk else -1
                    cut = len(data) if cut < 0 else cut
                    for match in _SHEET_TAG.finditer(data, 0, cut):
                        counts[match.group(1)] += 1
                    if counts[b"row"] > max_rows or counts[b"c"] > max_cells:
                        what = f"{max_rows:,} rows" if counts[b"row"] > max_rows else f"{max_cells:,} cells"
                        raise UnreadableFileError(
                            f"{name} has more than {what}, far more than an SEN register needs",
                            fix="delete the rows that are not pupils, or copy the pupils into a fresh copy of the template",
                        )
                    if not chunk:
                        break
                    tail = data[cut:]
    return counts[b"f"] > 0
