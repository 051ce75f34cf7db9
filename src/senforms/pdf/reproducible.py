"""Byte-identical PDFs from LibreOffice: the same Word file gives the same PDF on every run.

LibreOffice stamps each PDF with the time of conversion (/CreationDate, and the XMP metadata's
xmp:CreateDate when the PDF is tagged), a random /ID and a /DocChecksum. Here they are replaced in place, each by a value of at most the same length (padded
with spaces outside the string), so every cross-reference offset stays right and nothing else in
the file moves: the date becomes the Word file's own date (senforms' documents carry a fixed one),
the /ID and checksum a hash of the content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

# When a Word file says nothing usable: the date senforms' own documents carry (FIXED_PROPERTY_TIME).
FALLBACK_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\((?:[^()\\]|\\.)*\)")
_ID = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]+)(>\s*<)([0-9A-Fa-f]+)(>\s*\])")
_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)")
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")
# A tagged (PDF/UA) export also dates its XMP metadata, in an uncompressed stream.
_XMP_DATE = re.compile(rb"(<xmp:(CreateDate|ModifyDate|MetadataDate)>)([^<]*)(</xmp:\2>)")


def docx_date(source: Path) -> dt.datetime:
    """The Word file's last-modified date from its core properties, or FALLBACK_DATE."""
    try:
        with zipfile.ZipFile(source) as archive:
            core = archive.read("docProps/core.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return FALLBACK_DATE
    match = _MODIFIED.search(core)
    if not match:
        return FALLBACK_DATE
    try:
        when = dt.datetime.fromisoformat(match.group(1).decode("ascii").strip().replace("Z", "+00:00"))
    except (UnicodeDecodeError, ValueError):
        return FALLBACK_DATE
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _same_length(old: bytes, new: bytes) -> bytes:
    """`new` padded with spaces to the length of `old`, or `old` blanked out when `new` is longer."""
    if len(new) > len(old):
        return b" " * len(old)  # dropping the entry is better than moving every offset after it
    return new + b" " * (len(old) - len(new))


def make_reproducible(data: bytes, when: dt.datetime = FALLBACK_DATE) -> bytes:
    """`data` (a PDF) with its dates set to `when` and its /ID and /DocChecksum derived from its content."""
    stamp = when.astimezone(dt.timezone.utc).strftime("D:%Y%m%d%H%M%SZ").encode("ascii")
    data = _DATE.sub(lambda m: _same_length(m.group(0), b"/" + m.group(1) + b"(" + stamp + b")"), data)
    xmp_stamp = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    data = _XMP_DATE.sub(lambda m: m.group(1) + _same_length(m.group(3), xmp_stamp) + m.group(4), data)
    # Hash the content with the identifiers blanked, so the hash does not depend on their old values.
    neutral = _CHECKSUM.sub(lambda m: m.group(1) + b"0" * len(m.group(2)), data)
    neutral = _ID.sub(lambda m: m.group(1) + b"0" * len(m.group(2)) + m.group(3) + b"0" * len(m.group(4)) + m.group(5), neutral)
    digest = hashlib.sha256(neutral).hexdigest().upper().encode("ascii") * 2

    def identifier(m: re.Match[bytes]) -> bytes:
        first, second = digest[: len(m.group(2))], digest[: len(m.group(4))]
        return m.group(1) + first + m.group(3) + second + m.group(5)

    data = _ID.sub(identifier, data)
    return _CHECKSUM.sub(lambda m: m.group(1) + digest[: len(m.group(2))], data)


def make_file_reproducible(pdf: Path, source: Path | None = None) -> None:
    """Rewrite `pdf` in place (a private staged file) as `make_reproducible` does, dated from `source`."""
    data = pdf.read_bytes()
    fixed = make_reproducible(data, docx_date(source) if source is not None else FALLBACK_DATE)
    if fixed != data:
        pdf.write_bytes(fixed)
