"""One PDF to print from many: the same pages in order, a blank back after an odd-length letter
when printing on both sides. (pypdf's part of the print step; LibreOffice is not needed.)"""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from senforms.errors import SenformsError
from senforms.outputs.atomic import write_atomic


def merge_pdfs(paths: list[Path], out: Path, *, duplex: bool = False, overwrite: bool = False, title: str = "Merged for printing") -> Path:
    """One PDF for printing from the letters' own PDFs: the same pages, in order; with duplex a
    blank back is added after a letter with an odd number of pages, so each starts on a front.
    Raises OutputExistsError if `out` exists and `overwrite` is False."""
    if not paths:
        raise SenformsError("there is nothing to merge", fix="check that the render made at least one PDF")
    writer = PdfWriter()
    for path in paths:
        reader = PdfReader(str(path))
        writer.append(reader)
        if duplex and len(reader.pages) % 2:
            last = reader.pages[-1]
            writer.add_blank_page(float(last.mediabox.width), float(last.mediabox.height))
    writer.add_metadata({"/Title": title, "/Producer": "senforms"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return write_atomic(out, buffer.getvalue(), overwrite=overwrite)
