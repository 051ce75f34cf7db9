"""Assemble one bundle PDF from a BundleSpec, and cut it into sections or size-capped parts.

Design (see also the module's tests, which check every promise below on real output):

- Each source is read **once**: hashed, parsed and appended into one fresh `PdfWriter`. The cover
  and index ("front matter") are drawn afterwards, when every document's page count is known,
  and inserted in front. The index is laid out once to learn how many pages it needs, then
  again with the final numbers; the page-number column never wraps, so the numbers cannot
  change its length.
- Page numbers are physical: the cover is page 1. The stamp "Page n of N", the index, the
  bookmarks and the PDF page labels all agree. Page labels: the cover is labelled "Cover", every
  other page with its decimal number (2, 3, …), so a viewer's page box shows the printed number.
- Stamps (marking header, "Page n of N · initials · date" footer) are drawn by reportlab into
  one overlay PDF with a page per bundle page, sized to that page, and merged with
  `merge_page`. Rotation is moved into the content first, so stamps sit upright.
- Split parts and section files copy pages of the finished bundle, so their stamped numbers
  and page labels stay those of the whole bundle and the index stays true.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import secrets
import tempfile
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.annotations import Link
from pypdf.constants import PageLabelStyle
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, Fit, IndirectObject
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from senforms.outputs.cells import csv_cell
from senforms.errors import EvidenceError, OutputExistsError, SenformsError
from senforms.outputs.atomic import TEMP_PREFIX, atomic_path, write_atomic
from senforms.ukformat import long_date
from senforms.bundle.evidence import strip_page_active_content
from senforms.bundle.spec import BundleDocument, BundleSection, BundleSpec

__all__ = [
    "BundleResult",
    "BundleWarning",
    "IndexEntry",
    "SectionRange",
    "build_bundle",
    "generate_passphrase",
    "split_by_size",
    "write_sections",
]


class BundleWarning(UserWarning):
    """Something the SENCo should know about a bundle that did not stop it being made."""


@dataclass(frozen=True)
class IndexEntry:
    """One document as the index lists it. Pages are 1-based bundle page numbers."""

    section_label: str
    title: str
    author: str
    date: dt.date | None
    first_page: int
    last_page: int
    source_sha256: str


class SectionRange(NamedTuple):
    """A top-level section's place in the bundle (1-based, inclusive)."""

    label: str
    first_page: int
    last_page: int


@dataclass(frozen=True)
class BundleResult:
    """What `build_bundle` made. `sections` lists the top-level sections that have pages."""

    path: Path
    pages: int
    index: list[IndexEntry]
    sections: list[SectionRange]


# --------------------------------------------------------------------------------------------
# Page geometry and type. Front matter is A4 portrait; stamps sit in the outer 30 points.

A4 = (595.2756, 841.8898)
MARGIN_X = 50.0
FRONT_TOP = 70.0  # clear of the header stamp
FRONT_BOTTOM = 60.0  # clear of the footer stamp
STAMP_SIZE = 7.5
HEADER_BASELINE = 18.0  # from the top edge
FOOTER_BASELINE = 14.0  # from the bottom edge
INK = Color(0.15, 0.15, 0.15)
RULE = Color(0.75, 0.75, 0.75)
DASH = "\u2013"  # en dash in page ranges: 12–15
DOT = "\u00b7"  # middle dot between footer parts


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    unicode: bool  # False: the built-in Helvetica, which only has Western European letters


# Fonts that cover Latin Extended-A (Polish, Czech, Romanian names…) on common systems.
_FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
    (
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
)


@lru_cache(maxsize=1)
def _fonts() -> _Fonts:
    """The first Unicode TrueType pair found (SENFORMS_PDF_FONT/_BOLD first), else Helvetica."""
    wanted = os.environ.get("SENFORMS_PDF_FONT"), os.environ.get("SENFORMS_PDF_FONT_BOLD")
    candidates = ((wanted,) if all(wanted) else ()) + _FONT_CANDIDATES
    for regular, bold in candidates:
        if regular and bold and Path(regular).is_file() and Path(bold).is_file():
            try:
                pdfmetrics.registerFont(TTFont("SenformsSans", regular))
                pdfmetrics.registerFont(TTFont("SenformsSans-Bold", bold))
            except Exception:  # noqa: BLE001 - a broken system font: try the next one
                continue
            return _Fonts("SenformsSans", "SenformsSans-Bold", True)
    return _Fonts("Helvetica", "Helvetica-Bold", False)


# Letters Helvetica lacks that do not decompose into a base letter plus an accent.
_FALLBACK_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H"}
)


def _text(value: str) -> str:
    """Text the chosen font can draw: unchanged with a Unicode font, else the nearest Latin-1."""
    value = " ".join(str(value).split())  # newlines and tabs from titles become single spaces
    if _fonts().unicode:
        return value
    value = unicodedata.normalize("NFKD", value.translate(_FALLBACK_LETTERS))
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return value.encode("cp1252", "replace").decode("cp1252")


def _para(value: str, size: float, *, bold: bool = False, leading: float | None = None) -> Paragraph:
    fonts = _fonts()
    style = ParagraphStyle(
        "cell",
        fontName=fonts.bold if bold else fonts.regular,
        fontSize=size,
        leading=leading or size * 1.25,
        alignment=TA_LEFT,
        textColor=INK,
        wordWrap="LTR",
        splitLongWords=True,
    )
    return Paragraph(escape(_text(value)), style)


# --------------------------------------------------------------------------------------------
# The plan: the spec flattened into index rows, with page ranges filled in as pages are added.


@dataclass
class _Row:
    """One index row: a section heading or a document. Pages are 0-based bundle indexes."""

    depth: int
    section: BundleSection | None = None
    document: BundleDocument | None = None
    section_label: str = ""
    parent: _Row | None = None
    first: int | None = None
    last: int | None = None
    sha256: str = ""
    outline: Any = None  # the bookmark, once made
    continued: bool = False  # a repeat of a section heading at the top of an index page

    def cover(self, first: int, last: int) -> None:
        """Widen this row's range (and every ancestor's) to include pages first..last."""
        row: _Row | None = self
        while row is not None:
            row.first = first if row.first is None else min(row.first, first)
            row.last = last if row.last is None else max(row.last, last)
            row = row.parent

    def page_text(self, offset: int) -> str:
        if self.first is None or self.last is None:
            return ""
        first, last = self.first + offset + 1, self.last + offset + 1
        return str(first) if first == last else f"{first}{DASH}{last}"


def _plan(spec: BundleSpec) -> list[_Row]:
    rows: list[_Row] = []

    def walk(section: BundleSection, depth: int, parent: _Row | None) -> None:
        heading = _Row(depth=depth, section=section, section_label=section.label, parent=parent)
        rows.append(heading)
        for document in section.documents:
            rows.append(_Row(depth + 1, document=document, section_label=section.label, parent=heading))
        for child in section.children:
            walk(child, depth + 1, heading)

    for section in spec.sections:
        walk(section, 0, None)
    return rows


# --------------------------------------------------------------------------------------------
# Front matter: the cover and the index, drawn with reportlab; index rows remember their
# rectangles so that links can be added to the finished bundle.


@dataclass
class _Placed:
    row: _Row
    page: int  # index page, 0-based within the index
    rect: tuple[float, float, float, float]


# Index columns (points): document, author, date, pages. Pages is wide enough for "9999–9999".
_COLUMNS = (215.0, 118.0, 100.0, 62.0)
_CELL_PAD = 4.0
_INDEX_TEXT = 8.5


def _clip(text: str, limit: int = 300) -> str:
    # A row taller than a page cannot be laid out; no real title comes near this.
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _index_cells(row: _Row, offset: int) -> tuple[list[Paragraph], str]:
    if row.section is not None:
        label = _clip(row.section.label)
        if row.continued:
            return [_para(f"{label} (continued)", _INDEX_TEXT, bold=True)], ""
        label = label if row.first is not None else f"{label} (none supplied)"
        return [_para(label, _INDEX_TEXT + (1 if row.depth == 0 else 0), bold=True)], row.page_text(offset)
    doc = row.document
    assert doc is not None
    title = _clip(doc.title) + (f" ({_clip(doc.note)})" if doc.note else "")
    cells = [
        _para(title, _INDEX_TEXT),
        _para(_clip(doc.author), _INDEX_TEXT),
        _para(long_date(doc.date), _INDEX_TEXT),
    ]
    return cells, row.page_text(offset)


# (row, y of its top edge, height, wrapped cells, page-range text)
_Line = tuple[_Row, float, float, list[Paragraph], str]


def _layout_index(rows: Sequence[_Row], offset: int) -> list[list[_Line]]:
    """Split rows into index pages.

    A section heading is kept with the row after it, and a page that starts inside a section
    repeats that section's heading, marked "(continued)".
    """
    top = A4[1] - FRONT_TOP - _heading_height()
    measured = [_measure(row, offset) for row in rows]
    pages: list[list[_Line]] = [[]]
    y = top
    for number, (row, height, cells, page_text) in enumerate(measured):
        needed = height
        if row.section is not None and number + 1 < len(measured):
            needed += measured[number + 1][1]
        if y - needed < FRONT_BOTTOM and pages[-1]:
            pages.append([])
            y = top
            if row.section is None and row.parent is not None:
                parent = row.parent
                heading = _measure(_Row(parent.depth, section=parent.section, continued=True), offset)
                pages[-1].append((heading[0], y, heading[1], heading[2], heading[3]))
                y -= heading[1]
        pages[-1].append((row, y, height, cells, page_text))
        y -= height
    return pages


def _measure(row: _Row, offset: int) -> tuple[_Row, float, list[Paragraph], str]:
    """A row with its wrapped cells, height and page text."""
    cells, page_text = _index_cells(row, offset)
    height = max(p.wrap(w - 2 * _CELL_PAD, A4[1])[1] for p, w in zip(cells, _cell_widths(row)))
    return row, height + 2 * _CELL_PAD, cells, page_text


def _cell_widths(row: _Row) -> list[float]:
    indent = 10.0 * row.depth
    if row.section is not None:
        return [sum(_COLUMNS[:3]) - indent]
    return [_COLUMNS[0] - indent, _COLUMNS[1], _COLUMNS[2]]


def _heading_height() -> float:
    return 28.0 + _INDEX_TEXT * 1.25 + 2 * _CELL_PAD  # "Index" title + column headings


def _draw_index(pdf: canvas.Canvas, pages: list[list[_Line]], total_index_pages: int) -> list[_Placed]:
    fonts = _fonts()
    width, height = A4
    placed: list[_Placed] = []
    x0 = MARGIN_X
    right = MARGIN_X + sum(_COLUMNS)
    for number, page in enumerate(pages):
        top = height - FRONT_TOP
        pdf.setFillColor(INK)
        pdf.setFont(fonts.bold, 16)
        title = "Index" if number == 0 else f"Index (continued, {number + 1} of {total_index_pages})"
        pdf.drawString(x0, top - 16, title)
        y = top - 28
        pdf.setFont(fonts.bold, _INDEX_TEXT)
        headings = ("Document", "Author", "Date", "Pages")
        x = x0
        for text, col in zip(headings, _COLUMNS):
            if text == "Pages":
                pdf.drawRightString(x + col - _CELL_PAD, y - _CELL_PAD - _INDEX_TEXT, text)
            else:
                pdf.drawString(x + _CELL_PAD, y - _CELL_PAD - _INDEX_TEXT, text)
            x += col
        pdf.setStrokeColor(INK)
        pdf.line(x0, top - _heading_height(), right, top - _heading_height())
        for row, y_top, row_height, cells, page_text in page:
            indent = 10.0 * row.depth
            x = x0 + indent
            for para, col in zip(cells, _cell_widths(row)):
                _, h = para.wrap(col - 2 * _CELL_PAD, height)
                para.drawOn(pdf, x + _CELL_PAD, y_top - _CELL_PAD - h)
                x += col
            if page_text:
                pdf.setFont(fonts.bold if row.section is not None else fonts.regular, _INDEX_TEXT)
                pdf.setFillColor(INK)
                pdf.drawRightString(right - _CELL_PAD, y_top - _CELL_PAD - _INDEX_TEXT, page_text)
            pdf.setStrokeColor(RULE)
            pdf.setLineWidth(0.4)
            pdf.line(x0 + indent, y_top - row_height, right, y_top - row_height)
            if row.first is not None and not row.continued:
                placed.append(_Placed(row, number, (x0, y_top - row_height, right, y_top)))
        pdf.showPage()
    return placed


def _draw_cover(pdf: canvas.Canvas, spec: BundleSpec, total_pages: int, index_pages: int) -> None:
    fonts = _fonts()
    width, height = A4
    text_width = width - 2 * MARGIN_X
    y = height - FRONT_TOP - 40
    # The marking as a banner, as well as in the page header: the cover is what people see first.
    pdf.setFillColor(INK)
    pdf.rect(MARGIN_X, y - 6, text_width, 26, stroke=0, fill=1)
    pdf.setFillColor(Color(1, 1, 1))
    pdf.setFont(fonts.bold, 13)
    pdf.drawCentredString(width / 2, y + 2, _text(spec.marking))
    y -= 70
    blocks = [(_para(spec.title, 22, bold=True, leading=27), 14)]
    blocks += [(_para(line, 13, leading=17), 4) for line in spec.subtitle_lines]
    index_range = "2" if index_pages == 1 else f"2{DASH}{index_pages + 1}"
    facts = [
        f"Prepared on {long_date(spec.pack_date)}",
        f"{total_pages} pages; index on page{'s' if index_pages > 1 else ''} {index_range}",
        f"This bundle is marked {spec.marking}: store and send it securely.",
    ]
    blocks.append((_para("", 6), 0))
    blocks += [(_para(line, 10.5, leading=14), 3) for line in facts]
    for para, gap in blocks:
        _, h = para.wrap(text_width, height)
        if y - h < FRONT_BOTTOM:
            raise SenformsError(
                "The cover has too much text to fit on one page: shorten the title or the "
                "cover lines."
            )
        para.drawOn(pdf, MARGIN_X, y - h)
        y -= h + gap
    pdf.showPage()


def _front_matter(spec: BundleSpec, rows: list[_Row], body_pages: int) -> tuple[bytes, int, list[_Placed]]:
    """Draw cover + index; return the PDF bytes, the number of index pages and link rectangles."""
    # Pass 1 learns the index length; pass 2 lays it out with the final page numbers.
    index_pages = len(_layout_index(rows, offset=0))
    offset = 1 + index_pages
    layout = _layout_index(rows, offset=offset)
    if len(layout) != index_pages:  # cannot happen while the page column does not wrap
        raise AssertionError("index length changed between layout passes")
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    _draw_cover(pdf, spec, 1 + index_pages + body_pages, index_pages)
    placed = _draw_index(pdf, layout, index_pages)
    pdf.save()
    return buffer.getvalue(), index_pages, placed


# --------------------------------------------------------------------------------------------
# Stamps


def _stamp_overlay(sizes: Sequence[tuple[float, float]], spec: BundleSpec) -> PdfReader:
    """One reportlab PDF with a transparent page per bundle page carrying its header/footer."""
    fonts = _fonts()
    total = len(sizes)
    marking = _text(spec.marking)
    tail = f"{DOT} {_text(spec.initials)} {DOT} {long_date(spec.pack_date)}"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True, pageCompression=1)
    for number, (width, height) in enumerate(sizes, start=1):
        pdf.setPageSize((width, height))
        pdf.setFillColor(INK)
        footer = f"Page {number} of {total} {tail}"
        for text, font, baseline in (
            (marking, fonts.bold, max(height - HEADER_BASELINE, height * 0.75)),
            (footer, fonts.regular, min(FOOTER_BASELINE, height * 0.25)),
        ):
            # Shrink on unusually narrow pages (receipts, slips) rather than run off the edge.
            natural = max(1.0, pdfmetrics.stringWidth(text, font, STAMP_SIZE))
            size = min(STAMP_SIZE, STAMP_SIZE * (width - 12) / natural)
            pdf.setFont(font, size)
            pdf.drawCentredString(width / 2, baseline, text)
        pdf.showPage()
    pdf.save()
    buffer.seek(0)
    return PdfReader(buffer)


def _visible_box(page: Any) -> tuple[float, float, float, float]:
    """What a viewer shows: the crop box, clipped to the media box (left, bottom, right, top)."""
    crop, media = page.cropbox, page.mediabox
    left, bottom = max(float(crop.left), float(media.left)), max(float(crop.bottom), float(media.bottom))
    right, top = min(float(crop.right), float(media.right)), min(float(crop.top), float(media.top))
    if right - left < 1 or top - bottom < 1:  # nonsense boxes: fall back to the media box
        return float(media.left), float(media.bottom), float(media.right), float(media.top)
    return left, bottom, right, top


def _stamp(writer: PdfWriter, spec: BundleSpec) -> None:
    boxes = [_visible_box(page) for page in writer.pages]
    overlay = _stamp_overlay([(r - l, t - b) for l, b, r, t in boxes], spec)
    for page, stamp, (left, bottom, _, _) in zip(writer.pages, overlay.pages, boxes):
        if left or bottom:
            page.merge_transformed_page(stamp, Transformation().translate(left, bottom))
        else:
            page.merge_page(stamp)
        # merge_page leaves the combined content uncompressed: ~4 KB a page of text otherwise.
        page.compress_content_streams()


# --------------------------------------------------------------------------------------------
# Building


# What pypdf raises on a file it cannot make sense of.
_PARSE_ERRORS = (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError)


def _read_source(document: BundleDocument) -> tuple[PdfReader, str]:
    """Read a source once: its bytes feed both the hash and the parser."""
    path = Path(document.source)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"{name}: the file cannot be opened ({exc.strerror or exc}).") from None
    if b"%PDF-" not in data[:1024]:
        raise EvidenceError(f"{name}: this is not a PDF: take it in with intake first, which converts it.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EvidenceError(
                f"{name}: this file is encrypted: take it in with intake first, which unlocks and cleans it."
            )
        if len(reader.pages) == 0:
            raise EvidenceError(f"{name}: the file is damaged: ask for a new copy (it has no pages).")
    except _PARSE_ERRORS:
        raise EvidenceError(f"{name}: the file is damaged: ask for a new copy.") from None
    return reader, hashlib.sha256(data).hexdigest()


def build_bundle(
    spec: BundleSpec,
    out_pdf: Path,
    *,
    overwrite: bool = False,
    password: str | None = None,
    manifest_csv: Path | None = None,
) -> BundleResult:
    """Write the bundle PDF for `spec` to `out_pdf` (atomically) and describe what is where.

    Sources must be clean PDFs (intake output or generated documents); they are trusted to
    parse, but active content is still stripped. `password` encrypts with AES-256 and a
    distinct random owner password. `manifest_csv` lists each source's SHA-256 and pages.
    Raises OutputExistsError if an output exists and `overwrite` is False.
    """
    out_pdf = Path(out_pdf)
    for target in (out_pdf, manifest_csv):
        if target is not None and Path(target).exists() and not overwrite:
            raise OutputExistsError(target)
    if next(spec.all_documents(), None) is None:
        raise SenformsError("The bundle has no documents: add at least one before building it.")

    rows = _plan(spec)
    writer = PdfWriter()
    _append_sources(writer, rows)
    front, index_pages, placed = _front_matter(spec, rows, body_pages=len(writer.pages))
    offset = 1 + index_pages  # cover + index pages come before the first document
    writer.merge(0, PdfReader(io.BytesIO(front)), import_outline=False)
    total = len(writer.pages)

    _make_safe_and_upright(writer)
    _stamp(writer, spec)
    for place in placed:
        assert place.row.first is not None
        writer.add_annotation(
            1 + place.page,
            Link(rect=place.rect, target_page_index=place.row.first + offset, fit=Fit.fit()),
        )
    _add_outline(writer, rows, offset)
    _label_pages(writer, first_page_number=1)
    _set_metadata(writer, spec.metadata_title, spec.metadata_subject, spec.pack_date)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    if password is not None:
        _encrypt(writer, password)

    with atomic_path(out_pdf, overwrite=overwrite) as temp:
        with open(temp, "wb") as handle:
            writer.write(handle)

    index = [
        IndexEntry(
            section_label=row.section_label,
            title=row.document.title,
            author=row.document.author,
            date=row.document.date,
            first_page=row.first + offset + 1,
            last_page=row.last + offset + 1,
            source_sha256=row.sha256,
        )
        for row in rows
        if row.document is not None and row.first is not None and row.last is not None
    ]
    sections = [
        SectionRange(row.section.label, row.first + offset + 1, row.last + offset + 1)
        for row in rows
        if row.section is not None and row.depth == 0 and row.first is not None and row.last is not None
    ]
    result = BundleResult(path=out_pdf, pages=total, index=index, sections=sections)
    if manifest_csv is not None:
        _write_manifest(rows, offset, Path(manifest_csv), overwrite=overwrite)
    return result


def _append_sources(writer: PdfWriter, rows: list[_Row]) -> None:
    """Append every document, recording its pages (0-based, before front matter) and hash."""
    for row in rows:
        if row.document is None:
            continue
        reader, row.sha256 = _read_source(row.document)
        start = len(writer.pages)
        try:
            writer.append(reader, import_outline=False)
        except _PARSE_ERRORS:
            name = Path(row.document.source).name
            raise EvidenceError(f"{name}: the file is damaged: ask for a new copy.") from None
        row.cover(start, len(writer.pages) - 1)
        del reader  # free this source's bytes before reading the next


def _make_safe_and_upright(writer: PdfWriter) -> None:
    """Strip active content (again: generated documents skip intake) and bake in rotation."""
    for page in writer.pages:
        strip_page_active_content(page)
        if page.rotation % 360:
            page.transfer_rotation_to_content()
    for key in ("/AcroForm", "/Names", "/OpenAction", "/AA", "/Metadata"):
        writer.root_object.pop(key, None)


def _add_outline(writer: PdfWriter, rows: list[_Row], offset: int) -> None:
    writer.add_outline_item(title="Cover", page_number=0, fit=Fit.fit())
    writer.add_outline_item(title="Index", page_number=1, fit=Fit.fit())
    for row in rows:
        if row.first is None:
            continue  # empty section: nothing to point at
        parent = row.parent.outline if row.parent is not None else None
        item = row.section or row.document
        assert item is not None
        title = item.label if isinstance(item, BundleSection) else item.title
        row.outline = writer.add_outline_item(
            title=" ".join(title.split()),
            page_number=row.first + offset,
            parent=parent,
            fit=Fit.fit(),
            is_open=row.section is not None and row.depth == 0,
        )


def _label_pages(writer: PdfWriter, first_page_number: int) -> None:
    """Label pages with their printed bundle numbers; bundle page 1 (the cover) is "Cover"."""
    count = len(writer.pages)
    start = 0
    if first_page_number == 1:
        writer.set_page_label(0, 0, prefix="Cover")
        start = 1
    if start < count:
        writer.set_page_label(start, count - 1, style=PageLabelStyle.DECIMAL, start=first_page_number + start)


def _set_metadata(writer: PdfWriter, title: str, subject: str, when: dt.date | None) -> None:
    writer.metadata = None  # drop pypdf's default /Producer; nothing from evidence was copied
    info = {"/Title": " ".join(title.split()), "/Producer": "senforms", "/Creator": "senforms"}
    if subject:
        info["/Subject"] = " ".join(subject.split())
    if when is not None:
        # The pack date, not the clock: reruns of the same pack give the same bytes.
        info["/CreationDate"] = when.strftime("D:%Y%m%d000000Z")
    writer.add_metadata(info)
    writer.page_mode = "/UseOutlines"  # open with the bookmarks showing


def _encrypt(writer: PdfWriter, password: str) -> None:
    if not password:
        raise SenformsError("The bundle password is empty: give a passphrase or leave encryption off.")
    # A distinct random owner password: otherwise pypdf reuses the user password as owner.
    writer.encrypt(user_password=password, owner_password=secrets.token_urlsafe(32), algorithm="AES-256")


def _write_manifest(rows: list[_Row], offset: int, path: Path, *, overwrite: bool) -> None:
    """One CSV row per document: where it is in the bundle and the SHA-256 of its source."""
    out = io.StringIO()
    table = csv.writer(out, lineterminator="\r\n")
    table.writerow(
        ["Section", "Document", "Author", "Date", "First page", "Last page", "Pages", "Source file", "SHA-256"]
    )
    for row in rows:
        doc = row.document
        if doc is None or row.first is None or row.last is None:
            continue
        table.writerow(
            [
                csv_cell(row.section_label),
                csv_cell(doc.title),
                csv_cell(doc.author),
                long_date(doc.date),
                row.first + offset + 1,
                row.last + offset + 1,
                row.page_text(offset),
                csv_cell(Path(doc.source).name),
                row.sha256,
            ]
        )
    # UTF-8 with a byte-order mark, so Excel shows accented names correctly.
    write_atomic(path, out.getvalue().encode("utf-8-sig"), overwrite=overwrite)


# --------------------------------------------------------------------------------------------
# Copying page ranges of a finished bundle: section files and size-capped parts.


@dataclass
class _Mark:
    """A bookmark of the finished bundle: title, first and last 0-based page, sub-bookmarks."""

    title: str
    page: int
    end: int = -1
    children: list[_Mark] = field(default_factory=list)


def _read_marks(reader: PdfReader) -> list[_Mark]:
    """The bundle's bookmarks, each with the last page it covers.

    A document runs until the next bookmark that starts on a later page; a section runs to
    the end of its last document.
    """

    def convert(items: list[Any]) -> list[_Mark]:
        marks: list[_Mark] = []
        for item in items:
            if isinstance(item, list):
                if marks:
                    marks[-1].children.extend(convert(item))
                continue
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:
                marks.append(_Mark(str(item.title), page))
        return marks

    def walk(marks: list[_Mark]) -> list[_Mark]:
        return [m for mark in marks for m in (mark, *walk(mark.children))]

    def close_sections(mark: _Mark) -> int:
        for child in mark.children:
            mark.end = max(mark.end, close_sections(child))
        return mark.end

    roots = convert(reader.outline)
    flat = walk(roots)
    last_page = len(reader.pages) - 1
    for number, mark in enumerate(flat):
        later = (m.page for m in flat[number + 1 :] if m.page > mark.page)
        mark.end = next(later, last_page + 1) - 1 if not mark.children else mark.page
    for root in roots:
        close_sections(root)
    return roots


def _marks_in(marks: list[_Mark], first: int, last: int) -> list[_Mark]:
    """The bookmarks covering any of pages first..last, keeping the nesting.

    A section or document that starts before `first` is kept as "<title> (continued)",
    pointing at the first page of the range.
    """
    kept: list[_Mark] = []
    for mark in marks:
        if mark.page > last or mark.end < first:
            continue
        children = _marks_in(mark.children, first, last)
        if mark.page >= first:
            kept.append(_Mark(mark.title, mark.page, mark.end, children))
        else:
            kept.append(_Mark(f"{mark.title} (continued)", first, mark.end, children))
    return kept


def _open_bundle(bundle_pdf: Path, password: str | None) -> PdfReader:
    reader = PdfReader(bundle_pdf)
    if reader.is_encrypted:
        if password is None or not reader.decrypt(password):
            raise SenformsError(
                f"{bundle_pdf.name}: this bundle is encrypted: give its password to split it.",
                tip="pass the same password used to build the bundle",
            )
    return reader


def _write_range(
    reader: PdfReader,
    marks: list[_Mark],
    first: int,
    last: int,
    dest: Any,
    *,
    title: str,
    password: str | None,
) -> None:
    """Write bundle pages first..last (0-based, inclusive) as a PDF of their own to `dest`.

    Links whose target is outside the range are dropped by pypdf's append; bookmarks are
    rebuilt for the range; page labels keep the bundle's numbers.
    """
    writer = PdfWriter()
    writer.append(reader, pages=list(range(first, last + 1)), import_outline=False)

    def add(items: list[_Mark], parent: Any) -> None:
        for mark in items:
            ref = writer.add_outline_item(
                title=mark.title, page_number=mark.page - first, parent=parent, fit=Fit.fit()
            )
            add(mark.children, ref)

    add(_marks_in(marks, first, last), None)
    _label_pages(writer, first_page_number=first + 1)
    subject = str((reader.metadata or {}).get("/Subject", "") or "")
    _set_metadata(writer, title, subject, None)
    if password is not None:
        _encrypt(writer, password)
    writer.write(dest)


def _slug(key: str) -> str:
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_key.lower()).strip("-")[:40] or "section"


def write_sections(
    spec: BundleSpec,
    result: BundleResult,
    out_dir: Path,
    *,
    password: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write each top-level section of a built bundle as its own PDF, for portal uploads.

    Files are named `<NN>-<section key>.pdf` (NN = the section's place in the spec), never from
    pupil names. Pages keep the whole bundle's stamped numbers. `password` opens an encrypted
    bundle and encrypts each file with it.
    """
    out_dir = Path(out_dir)
    reader = _open_bundle(result.path, password)
    marks = _read_marks(reader)
    bundle_title = str((reader.metadata or {}).get("/Title", "") or spec.metadata_title)
    # result.sections lists the non-empty top-level sections in spec order.
    filled = [(n, s) for n, s in enumerate(spec.sections, start=1) if not s.is_empty]
    if [s.label for _, s in filled] != [r.label for r in result.sections]:
        raise SenformsError("These sections do not match the bundle: build the bundle again first.")
    planned = [(n, s, r) for (n, s), r in zip(filled, result.sections)]
    written: list[Path] = []
    targets = [out_dir / f"{number:02d}-{_slug(section.key)}.pdf" for number, section, _ in planned]
    _refuse_existing(targets, overwrite)
    for target, (_, section, pages) in zip(targets, planned):
        with atomic_path(target, overwrite=overwrite) as temp:
            with open(temp, "wb") as handle:
                _write_range(
                    reader,
                    marks,
                    pages.first_page - 1,
                    pages.last_page - 1,
                    handle,
                    title=f"{bundle_title}: {' '.join(section.label.split())}",
                    password=password,
                )
        written.append(target)
    return written


def _refuse_existing(targets: Sequence[Path], overwrite: bool) -> None:
    if overwrite:
        return
    for target in targets:
        if target.exists():
            raise OutputExistsError(target)


def split_by_size(
    bundle_pdf: Path,
    max_mb: float,
    out_dir: Path,
    *,
    password: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Cut a built bundle into numbered parts (`<name>-part-1-of-3.pdf`), each under `max_mb`.

    Cuts fall only between pages; stamped numbers and page labels stay the whole bundle's, so
    the index stays true. A page that is over the cap by itself becomes a part of its own and a
    BundleWarning says so. `max_mb` is in megabytes of 1,000,000 bytes (file size, before any
    email encoding adds about a third). `password` opens an encrypted bundle and encrypts parts.
    """
    bundle_pdf = Path(bundle_pdf)
    out_dir = Path(out_dir)
    if max_mb <= 0:
        raise SenformsError("The part size must be more than 0 MB.")
    cap = int(max_mb * 1_000_000)
    reader = _open_bundle(bundle_pdf, password)
    marks = _read_marks(reader)
    title = str((reader.metadata or {}).get("/Title", "") or bundle_pdf.stem)
    costs = _PageCosts(reader)
    count = len(reader.pages)
    out_dir.mkdir(parents=True, exist_ok=True)

    parts: list[tuple[int, int, Path]] = []  # first, last, temporary file
    temp: Path | None = None
    try:
        first = 0
        while first < count:
            last = costs.pages_within(first, cap)
            while True:
                temp = _temp_in(out_dir)
                with open(temp, "wb") as handle:
                    _write_range(reader, marks, first, last, handle, title=title, password=password)
                size = temp.stat().st_size
                if size <= cap or last == first:
                    break
                temp.unlink()
                # Too big: the estimate was optimistic. Shrink in proportion and try again.
                span = last - first + 1
                last = first + max(0, min(span - 2, math.floor(span * cap / size * 0.97) - 1))
            if size > cap:
                warnings.warn(
                    BundleWarning(
                        f"Page {first + 1} is {size / 1e6:.1f} MB on its own, over the "
                        f"{max_mb:g} MB limit: it is in a part by itself."
                    ),
                    stacklevel=2,
                )
            parts.append((first, last, temp))
            first = last + 1

        total = len(parts)
        targets = [out_dir / f"{bundle_pdf.stem}-part-{n}-of-{total}.pdf" for n in range(1, total + 1)]
        _refuse_existing(targets, overwrite)
        for (_, _, temp), target in zip(parts, targets):
            with atomic_path(target, overwrite=overwrite) as final_temp:
                os.replace(temp, final_temp)
        return targets
    finally:
        for leftover in [temp, *(part[2] for part in parts)]:
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _temp_in(folder: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=".pdf")
    os.close(fd)
    return Path(name)


class _PageCosts:
    """Estimates how many bytes a run of pages needs, counting shared objects (fonts) once.

    Object sizes come from the gaps between xref offsets of the bundle file itself, so they
    are close to what a part file will need; the estimate is then checked by writing.
    """

    # Keys that point at other pages or up the page tree, not at what this page draws.
    _SKIP = frozenset({"/Parent", "/P", "/Dest", "/D", "/Prev", "/Next", "/First", "/Last", "/Popup"})
    _OVERHEAD = 4_000  # header, catalogue, page tree, outline, xref

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.sizes = self._object_sizes(reader)
        self._objects: dict[int, frozenset[int]] = {}

    @staticmethod
    def _object_sizes(reader: PdfReader) -> dict[int, int]:
        offsets = sorted((offset, idnum) for idnum, offset in reader.xref.get(0, {}).items())
        position = reader.stream.tell()
        end = reader.stream.seek(0, os.SEEK_END)
        reader.stream.seek(position)
        sizes: dict[int, int] = {}
        for (offset, idnum), (following, _) in zip(offsets, offsets[1:] + [(end, 0)]):
            sizes[idnum] = max(0, following - offset)
        return sizes

    def objects(self, index: int) -> frozenset[int]:
        """The object numbers page `index` needs, found by walking its references."""
        if index not in self._objects:
            page = self.reader.pages[index]
            seen: set[int] = set()
            if page.indirect_reference is not None:
                seen.add(page.indirect_reference.idnum)
            stack: list[Any] = [page]
            while stack:
                node = stack.pop()
                if isinstance(node, DictionaryObject):
                    values = [v for k, v in node.items() if k not in self._SKIP]
                elif isinstance(node, ArrayObject):
                    values = list(node)
                else:
                    continue
                for value in values:
                    if isinstance(value, IndirectObject):
                        if value.idnum not in seen:
                            seen.add(value.idnum)
                            stack.append(value.get_object())
                    elif isinstance(value, (DictionaryObject, ArrayObject)):
                        stack.append(value)
            self._objects[index] = frozenset(seen)
        return self._objects[index]

    def pages_within(self, first: int, cap: int) -> int:
        """The last page index such that first..last is estimated to fit in `cap` bytes."""
        used: set[int] = set()
        size = self._OVERHEAD
        last = first
        for index in range(first, len(self.reader.pages)):
            new = self.objects(index) - used
            extra = sum(self.sizes.get(n, 200) for n in new) + 120  # + outline and label entries
            if index > first and size + extra > cap * 0.97:
                break
            used |= new
            size += extra
            last = index
        return last


# --------------------------------------------------------------------------------------------
# Passphrases


def generate_passphrase() -> str:
    """Four random words and four digits, e.g. "copper-lantern-meadow-violet-4821".

    About 4 × 9 + 13 ≈ 49 bits from `secrets`. Send it by a different channel from the PDF.
    """
    words = [secrets.choice(_WORDS) for _ in range(4)]
    return "-".join([*words, f"{secrets.randbelow(10_000):04d}"])


_WORDS: tuple[str, ...] = tuple(
    """
    acorn actor adder agent alarm album alder alley almond amber anchor angle ankle anvil apple
    apron arbor arch arena arrow aspen atlas attic autumn avenue badge bagel baker balcony ballad
    bamboo banjo banner barley barn barrel basil basin basket beacon beaker bean beaver bedrock
    beech beetle bell bench berry bicycle binder birch biscuit bison blanket blossom blue bobbin
    bonnet border bottle boulder bracket branch brass bread breeze brick bridge brook broom
    bucket buckle budget bugle bunny butter button cabin cable cactus camel camera canal candle
    canoe canvas canyon captain carbon cargo carpet carrot castle cedar cello chalk channel chapel
    cherry chess chestnut chime chorus cider cinema circle citrus clover cobalt cocoa coconut
    comet compass copper coral cotton cradle crane crater crayon cricket crown crystal cupboard
    curtain cushion cycle daisy dawn delta denim desert diamond dinner dipper dolphin domino
    donkey dragon drawer dream drum dune eagle easel echo eclipse elbow elder elm ember emerald
    engine evening fabric falcon feather fennel ferry fiddle field fig filter finch fjord flag
    flannel flute forest fossil fountain fox frost fudge galaxy garden garnet gate gazelle gecko
    geyser ginger glacier glade glove goose gorge granite grape gravel guitar gull hammock harbour
    harp harvest hazel heather hedge helmet heron hill hive holly honey horizon hornet husky
    iceberg igloo indigo inlet iris island ivory jacket jade jasmine jelly jigsaw journal jungle
    juniper kayak kernel kettle kitten kiwi koala ladder lagoon lake lantern larch lark laurel
    lavender lemon lentil letter lily lime linen lizard llama lobster locket lotus lunar lute
    magnet mango mantle maple marble marsh meadow melon mermaid meteor mint mirror mitten mole
    monsoon moose mosaic moss moth muffin nectar needle nest nickel nimbus noodle nutmeg oak oasis
    ocean olive onion opal orbit orchard orchid otter owl oyster paddle pagoda palm panda panther
    paper parcel parrot pasta peach peanut pebble pelican pencil penguin pepper piano pickle pigeon
    pillow pine planet plum pocket polar pollen pond poppy porch potato pottery prairie prism puffin
    pumpkin puzzle quail quarry quartz quill rabbit radar radish rain raisin raven reef ribbon
    ridge river robin rocket rose ruby saddle saffron sage sail salmon sandal sapphire satin
    scarf school scooter seal season shadow shell shelter shore silver sketch sky sledge slate
    sloth snail snow socket sonnet sparrow spice spider spinach spiral sponge spring spruce squash
    squirrel stable star starling stone stork storm straw stream summer sunset swallow swan sweater
    syrup table tadpole tango teapot temple thimble thistle thunder tiger timber toast topaz
    torch tortoise towel tower trail tram tulip tundra tunnel turnip turtle twig umbrella unicorn
    valley velvet violet violin volcano wagon walnut walrus water wave whale wheat whisk willow
    window winter wizard wombat wool yacht yarrow yellow yoghurt zebra zephyr zinc abbey badger
    bramble cobble dingle ferret glimmer hamlet kestrel lichen meander nettle oriole pinecone
    primrose quince rowan sorrel thrush upland vervain wren yew acre bluebell cowslip daffodil
    elderberry foxglove gannet hawthorn ivy jay kingfisher lapwing mallard nightjar osprey
    partridge plover redwing skylark teal warbler woodpecker beetroot cabbage celery chard
    courgette damson gooseberry leek marrow parsnip rhubarb shallot sprout swede tomato
    """.split()
)
