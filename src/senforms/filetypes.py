"""What a file really is, judged from its first bytes (never its name): one sniffer for registers,
templates and evidence alike."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO

HEAD_BYTES = 1024  # the PDF standard lets its header sit anywhere in the first 1,024 bytes

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# Zip bombs: a register, a template or a letter is far inside these.
MAX_ZIP_MEMBERS = 2_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200  # counted only above RATIO_FROM: small files of repeated text compress that well
RATIO_FROM = 20 * 1024 * 1024


def zip_bomb(infos: list[zipfile.ZipInfo]) -> str | None:
    """Why an archive with these members is too big to open safely ('parts' or 'size'), or None."""
    total = sum(info.file_size for info in infos)
    packed = max(sum(info.compress_size for info in infos), 1)
    if len(infos) > MAX_ZIP_MEMBERS:
        return "parts"
    if total > MAX_UNCOMPRESSED or (total > RATIO_FROM and total / packed > MAX_RATIO):
        return "size"
    return None


def zip_kind(path: Path | IO[bytes]) -> str:
    """'xlsx', 'xlsb', 'docx', 'pptx' or 'zip' for a zip-based file; 'damaged-zip' if it cannot be opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "damaged-zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "word/document.xml" in names:
        return "docx"
    if any(name.startswith("ppt/") for name in names):
        return "pptx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx-damaged"
    return "zip"


def head_kind(head: bytes) -> str:
    """The kind of file that starts with `head` (up to HEAD_BYTES), when no zip needs opening:
    'empty', 'zip-based', 'ole' (old Office or an encrypted one), 'pdf', 'jpeg', 'png', 'gif',
    'tiff', 'bmp', 'webp', 'heic', 'html', 'rtf', 'json', 'utf16-text', 'text' or 'binary'."""
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK"):
        return "zip-based"
    if head.startswith(OLE_MAGIC[:4]):
        return "ole"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if b"%PDF-" in head or head.startswith(b"%PDF"):
        return "pdf"
    for magic, kind in ((b"GIF8", "gif"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"BM", "bmp")):
        if head.startswith(magic):
            return kind
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "heic"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (text.startswith(b"<") and b"<html" in text):
        return "html"
    if text.startswith(b"{\\rtf"):
        return "rtf"
    if text[:1] in (b"{", b"["):
        return "json"
    if b"\x00" in head[:8]:
        return "utf16-text" if head[:2] in (b"\xff\xfe", b"\xfe\xff") or utf16_byte_order(head[:8]) else "binary"
    # Text in any 8-bit encoding (UTF-8, Windows-1252) has few control characters; junk has many.
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return "binary" if controls > len(head) // 20 else "text"


def utf16_byte_order(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 text saved without a byte-order mark (ASCII letters
    then have a zero byte after or before them), else None."""
    if len(head) < 8:
        return None
    if all(head[i] for i in range(0, 8, 2)) and not any(head[i] for i in range(1, 8, 2)):
        return "utf-16-le"
    if all(head[i] for i in range(1, 8, 2)) and not any(head[i] for i in range(0, 8, 2)):
        return "utf-16-be"
    return None


def read_head(path: Path) -> bytes:
    """The first HEAD_BYTES of a file (OSError if it cannot be read)."""
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)
