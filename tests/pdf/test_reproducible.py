"""LibreOffice's time stamps and random identifiers replaced in place (#12 item 7)."""

from __future__ import annotations

import datetime as dt
import io
import warnings

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject

from senforms.pdf.reproducible import make_reproducible


def _pdf(created: str, identifier: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/CreationDate": created, "/ModDate": created, "/Title": "Letter"})
    writer._ID = ArrayObject([ByteStringObject(identifier), ByteStringObject(identifier)])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _read(data: bytes) -> PdfReader:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a moved offset would make pypdf warn and repair
        reader = PdfReader(io.BytesIO(data), strict=True)
        assert len(reader.pages) == 1
    return reader


def test_dates_and_id_are_fixed_and_offsets_stay_right() -> None:
    when = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
    one = make_reproducible(_pdf("D:20261201235654+01'00'", b"\x01" * 16), when)
    two = make_reproducible(_pdf("D:20261202091502+01'00'", b"\x02" * 16), when)
    assert one == two  # different conversion times and IDs, the same file
    reader = _read(one)
    assert reader.metadata["/CreationDate"] == "D:20261123000000Z" == reader.metadata["/ModDate"]
    assert reader.metadata["/Title"] == "Letter"
    other = make_reproducible(_pdf("D:20261201235654+01'00'", b"\x01" * 16).replace(b"Letter", b"Lettex"), when)
    assert _read(other).trailer["/ID"][0] != reader.trailer["/ID"][0]  # the ID follows the content


def test_a_date_too_short_to_overwrite_is_dropped() -> None:
    reader = _read(make_reproducible(_pdf("D:2026", b"\x03" * 16)))
    assert "/CreationDate" not in reader.metadata and reader.metadata["/Title"] == "Letter"


def test_the_xmp_metadata_of_a_tagged_pdf_is_dated_too() -> None:
    import datetime as dt

    from senforms.pdf.reproducible import make_reproducible

    xmp = b"<xmp:CreatorTool>Writer</xmp:CreatorTool>\n<xmp:CreateDate>2026-12-02T01:20:33Z</xmp:CreateDate>"
    pdf = b"%PDF-1.7\n" + xmp + b"\n/CreationDate(D:20261202012033Z)\n%%EOF\n"
    fixed = make_reproducible(pdf, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert b"<xmp:CreateDate>2000-01-01T00:00:00Z</xmp:CreateDate>" in fixed and len(fixed) == len(pdf)
    assert make_reproducible(pdf.replace(b"01:20:33", b"09:45:12")) == make_reproducible(pdf)
