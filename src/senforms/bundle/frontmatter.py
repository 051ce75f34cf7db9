"""The bundle's cover and index, drawn with reportlab; index rows keep their rectangles for links."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from senforms.bundle.plan import IndexRow
from senforms.bundle.spec import BundleSpec
from senforms.bundle.typeset import A4, DASH, FRONT_BOTTOM, FRONT_TOP, INK, MARGIN_X, RULE, load_fonts, paragraph, printable
from senforms.errors import SenformsError
from senforms.ukformat import long_date

# --------------------------------------------------------------------------------------------
# Front matter: the cover and the index, drawn with reportlab; index rows remember their
# rectangles so that links can be added to the finished bundle.


@dataclass
class PlacedRow:
    row: IndexRow
    page: int  # index page, 0-based within the index
    rect: tuple[float, float, float, float]


# Index columns (points): document, author, date, pages. Pages is wide enough for "9999–9999".
_COLUMNS = (215.0, 118.0, 100.0, 62.0)
_CELL_PAD = 4.0
_INDEX_TEXT = 8.5


def _clip(text: str, limit: int = 300) -> str:
    # A row taller than a page cannot be laid out; no real title comes near this.
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _index_cells(row: IndexRow) -> list[Paragraph]:
    if row.section is not None:
        label = _clip(row.section.label)
        if row.continued:
            return [paragraph(f"{label} (continued)", _INDEX_TEXT, bold=True)]
        label = label if row.first is not None else f"{label} (none supplied)"
        return [paragraph(label, _INDEX_TEXT + (1 if row.depth == 0 else 0), bold=True)]
    doc = row.document
    assert doc is not None
    title = _clip(doc.title) + (f" ({_clip(doc.note)})" if doc.note else "")
    cells = [
        paragraph(title, _INDEX_TEXT),
        paragraph(_clip(doc.author), _INDEX_TEXT),
        paragraph(long_date(doc.date), _INDEX_TEXT),
    ]
    return cells


# (row, y of its top edge, height, wrapped cells)
_Line = tuple[IndexRow, float, float, list[Paragraph]]


def _layout_index(rows: Sequence[IndexRow]) -> list[list[_Line]]:
    """Split rows into index pages.

    A section heading is kept with the row after it, and a page that starts inside a section
    repeats that section's heading, marked "(continued)". The page column never wraps, so the
    layout does not depend on the page numbers, which are filled in when it is drawn.
    """
    top = A4[1] - FRONT_TOP - _heading_height()
    measured = [_measure(row) for row in rows]
    pages: list[list[_Line]] = [[]]
    y = top
    for number, (row, height, cells) in enumerate(measured):
        needed = height
        if row.section is not None and number + 1 < len(measured):
            needed += measured[number + 1][1]
        if y - needed < FRONT_BOTTOM and pages[-1]:
            pages.append([])
            y = top
            if row.section is None and row.parent is not None:
                parent = row.parent
                heading = _measure(IndexRow(parent.depth, section=parent.section, continued=True))
                pages[-1].append((heading[0], y, heading[1], heading[2]))
                y -= heading[1]
        pages[-1].append((row, y, height, cells))
        y -= height
    return pages


def _measure(row: IndexRow) -> tuple[IndexRow, float, list[Paragraph]]:
    """A row with its height and wrapped cells."""
    cells = _index_cells(row)
    height = max(p.wrap(w - 2 * _CELL_PAD, A4[1])[1] for p, w in zip(cells, _cell_widths(row)))
    return row, height + 2 * _CELL_PAD, cells


def _cell_widths(row: IndexRow) -> list[float]:
    indent = 10.0 * row.depth
    if row.section is not None:
        return [sum(_COLUMNS[:3]) - indent]
    return [_COLUMNS[0] - indent, _COLUMNS[1], _COLUMNS[2]]


def _heading_height() -> float:
    return 28.0 + _INDEX_TEXT * 1.25 + 2 * _CELL_PAD  # "Index" title + column headings


def _draw_index(pdf: canvas.Canvas, pages: list[list[_Line]], offset: int) -> list[PlacedRow]:
    fonts = load_fonts()
    width, height = A4
    placed: list[PlacedRow] = []
    x0 = MARGIN_X
    right = MARGIN_X + sum(_COLUMNS)
    for number, page in enumerate(pages):
        top = height - FRONT_TOP
        pdf.setFillColor(INK)
        pdf.setFont(fonts.bold, 16)
        title = "Index" if number == 0 else f"Index (continued, {number + 1} of {len(pages)})"
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
        for row, y_top, row_height, cells in page:
            page_text = "" if row.continued else row.page_text(offset)
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
                placed.append(PlacedRow(row, number, (x0, y_top - row_height, right, y_top)))
        pdf.showPage()
    return placed


def _draw_cover(pdf: canvas.Canvas, spec: BundleSpec, total_pages: int, index_pages: int) -> None:
    fonts = load_fonts()
    width, height = A4
    text_width = width - 2 * MARGIN_X
    y = height - FRONT_TOP - 40
    # The marking as a banner, as well as in the page header: the cover is what people see first.
    pdf.setFillColor(INK)
    pdf.rect(MARGIN_X, y - 6, text_width, 26, stroke=0, fill=1)
    pdf.setFillColor(Color(1, 1, 1))
    pdf.setFont(fonts.bold, 13)
    pdf.drawCentredString(width / 2, y + 2, printable(spec.marking))
    y -= 70
    blocks = [(paragraph(spec.title, 22, bold=True, leading=27), 14)]
    blocks += [(paragraph(line, 13, leading=17), 4) for line in spec.subtitle_lines]
    index_range = "2" if index_pages == 1 else f"2{DASH}{index_pages + 1}"
    facts = [
        f"Prepared on {long_date(spec.pack_date)}",
        f"{total_pages} pages; index on page{'s' if index_pages > 1 else ''} {index_range}",
        f"This bundle is marked {spec.marking}: store and send it securely.",
    ]
    blocks.append((paragraph("", 6), 0))
    blocks += [(paragraph(line, 10.5, leading=14), 3) for line in facts]
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


def draw_front_matter(spec: BundleSpec, rows: list[IndexRow], body_pages: int) -> tuple[bytes, int, list[PlacedRow]]:
    """Draw cover + index; return the PDF bytes, the number of index pages and link rectangles."""
    layout = _layout_index(rows)
    index_pages = len(layout)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    _draw_cover(pdf, spec, 1 + index_pages + body_pages, index_pages)
    placed = _draw_index(pdf, layout, offset=1 + index_pages)
    pdf.save()
    return buffer.getvalue(), index_pages, placed


