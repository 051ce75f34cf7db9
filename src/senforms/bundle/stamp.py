"""The protective marking and "Page n of N" stamped on every bundle page, upright whatever the page."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, FloatObject, NameObject
from reportlab.lib.colors import white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from senforms.bundle.spec import BundleSpec
from senforms.bundle.typeset import DOT, FOOTER_BASELINE, HEADER_BASELINE, INK, STAMP_SIZE, load_fonts, printable
from senforms.ukformat import long_date

# --------------------------------------------------------------------------------------------
# Stamps

MIN_STAMP_SIZE = 2.0  # points: the smallest stamp text, however narrow the page


def _stamp_overlay(sizes: Sequence[tuple[float, float]], spec: BundleSpec) -> PdfReader:
    """One reportlab PDF with a transparent page per bundle page carrying its header/footer."""
    fonts = load_fonts()
    total = len(sizes)
    marking = printable(spec.marking)
    tail = f"{DOT} {printable(spec.initials)} {DOT} {long_date(spec.pack_date)}"
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
            # Shrink on unusually narrow pages (receipts, slips) rather than run off the edge, but
            # never below a floor: a page narrower than the margins made the size negative (mirrored).
            natural = max(1.0, pdfmetrics.stringWidth(text, font, STAMP_SIZE))
            room = max(width - 12, width * 0.9)
            size = max(MIN_STAMP_SIZE, min(STAMP_SIZE, STAMP_SIZE * room / natural))
            # A white box behind the text keeps it legible on dark or busy pages; the band it sits
            # in is clear of the page's own content (see _make_room), so the box hides nothing.
            drawn = pdfmetrics.stringWidth(text, font, size)
            pad = size * 0.25
            pdf.setFillColor(white)
            pdf.rect(width / 2 - drawn / 2 - pad, baseline - size * 0.3 - pad, drawn + 2 * pad, size * 1.3 + 2 * pad, stroke=0, fill=1)
            pdf.setFillColor(INK)
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


BAND = 24.0  # points at the top and bottom of an evidence page kept clear for the stamps


def _make_room(page: Any, box: tuple[float, float, float, float]) -> None:
    """Shrink the page's content (with its links and other annotations) a little towards the
    middle, so no stamp ever lies over it: about 6% on A4. Pages too small to spare the bands
    are left as they are."""
    left, bottom, right, top = box
    width, height = right - left, top - bottom
    if height <= 4 * BAND or width <= 4 * BAND:
        return
    scale = (height - 2 * BAND) / height
    dx, dy = left * (1 - scale) + width * (1 - scale) / 2, bottom * (1 - scale) + BAND
    page.add_transformation(Transformation((scale, 0, 0, scale, dx, dy)))
    for ref in page.get("/Annots") or ():
        annot = ref.get_object()
        for key in ("/Rect", "/QuadPoints"):
            values = annot.get(key)
            if values is None or len(values) % 2:
                continue
            moved = [float(v) * scale + (dx if n % 2 == 0 else dy) for n, v in enumerate(values)]
            annot[NameObject(key)] = ArrayObject(FloatObject(round(v, 3)) for v in moved)


def stamp_pages(writer: PdfWriter, spec: BundleSpec, *, evidence_from: int = 0) -> None:
    """Stamp every page; pages from `evidence_from` on (not senforms' cover and index) are first
    shrunk a little so the stamps sit in bands clear of their content."""
    boxes = [_visible_box(page) for page in writer.pages]
    for number, (page, box) in enumerate(zip(writer.pages, boxes)):
        if number >= evidence_from:
            _make_room(page, box)
    overlay = _stamp_overlay([(right - left, top - bottom) for left, bottom, right, top in boxes], spec)
    for page, stamp, (left, bottom, _, _) in zip(writer.pages, overlay.pages, boxes):
        if left or bottom:
            page.merge_transformed_page(stamp, Transformation().translate(left, bottom))
        else:
            page.merge_page(stamp)
        # merge_page leaves the combined content uncompressed: ~4 KB a page of text otherwise.
        page.compress_content_streams()


