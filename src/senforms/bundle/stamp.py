"""The protective marking and "Page n of N" stamped on every bundle page, upright whatever the page."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pypdf import PdfReader, PdfWriter, Transformation
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


def stamp_pages(writer: PdfWriter, spec: BundleSpec) -> None:
    boxes = [_visible_box(page) for page in writer.pages]
    overlay = _stamp_overlay([(right - left, top - bottom) for left, bottom, right, top in boxes], spec)
    for page, stamp, (left, bottom, _, _) in zip(writer.pages, overlay.pages, boxes):
        if left or bottom:
            page.merge_transformed_page(stamp, Transformation().translate(left, bottom))
        else:
            page.merge_page(stamp)
        # merge_page leaves the combined content uncompressed: ~4 KB a page of text otherwise.
        page.compress_content_streams()


