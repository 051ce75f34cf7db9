"""The protective marking and "Page n of N" stamped on every bundle page, upright whatever the page.

Cheap on a long bundle: no page's content is parsed or rewritten. Each page's streams are
wrapped (`pagegeometry`) to bake in its rotation and, for evidence, shrink it clear of the bands;
then the stamps are appended as a few operators: the marking on its white box (laid out once per
page size) and the page's own footer. reportlab encodes the text (its TrueType subsets), once for
the whole bundle, so every stamp shares one set of embedded fonts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from senforms.bundle.pagegeometry import (
    IDENTITY,
    ContentWrapper,
    Matrix,
    compose,
    move_annotations,
    move_destinations,
    number,
    upright,
)
from senforms.bundle.spec import BundleSpec
from senforms.bundle.typeset import DOT, FOOTER_BASELINE, HEADER_BASELINE, INK, STAMP_SIZE, load_fonts, printable
from senforms.ukformat import long_date

MIN_STAMP_SIZE = 2.0  # points: the smallest stamp text, however narrow the page
BAND = 24.0  # points at the top and bottom of an evidence page kept clear for the stamps

_INK = " ".join(number(v) for v in (INK.red, INK.green, INK.blue)).encode()


def _visible_box(page: Any) -> tuple[float, float, float, float]:
    """What a viewer shows: the crop box, clipped to the media box (left, bottom, right, top)."""
    crop, media = page.cropbox, page.mediabox
    left, bottom = max(float(crop.left), float(media.left)), max(float(crop.bottom), float(media.bottom))
    right, top = min(float(crop.right), float(media.right)), min(float(crop.top), float(media.top))
    if right - left < 1 or top - bottom < 1:  # nonsense boxes: fall back to the media box
        return float(media.left), float(media.bottom), float(media.right), float(media.top)
    return left, bottom, right, top


def _small(box: tuple[float, float, float, float]) -> bool:
    left, bottom, right, top = box
    return top - bottom <= 4 * BAND or right - left <= 4 * BAND


def _grow(page: Any, box: tuple[float, float, float, float], width_needed: float) -> tuple[float, float, float, float]:
    """Put a page too small to shrink (a slip, a few-point image) on a larger one: a band above
    and below and room for the stamps at their full size, its content untouched in the middle."""
    left, bottom, right, top = box
    extra = max(0.0, (width_needed - (right - left)) / 2)
    grown = (left - extra, bottom - BAND, right + extra, top + BAND)
    for key in ("/MediaBox", "/CropBox"):
        page[NameObject(key)] = ArrayObject(FloatObject(round(v, 3)) for v in grown)
    return grown


def _room(box: tuple[float, float, float, float]) -> Matrix:
    """Shrink towards the middle so the top and bottom bands are clear: about 6% on A4. Pages too
    small to spare the bands are left as they are."""
    left, bottom, right, top = box
    width, height = right - left, top - bottom
    if height <= 4 * BAND or width <= 4 * BAND:
        return IDENTITY
    scale = (height - 2 * BAND) / height
    dx, dy = left * (1 - scale) + width * (1 - scale) / 2, bottom * (1 - scale) + BAND
    return (scale, 0.0, 0.0, scale, dx, dy)


class StampText:
    """The stamps' drawing operators, with text encoded by one reportlab document's fonts."""

    def __init__(self, spec: BundleSpec, total: int) -> None:
        self._fonts = load_fonts()
        self._canvas = canvas.Canvas(io.BytesIO(), invariant=True, pageCompression=1)
        self._marking = printable(spec.marking)
        self._tail = f"{DOT} {printable(spec.initials)} {DOT} {long_date(spec.pack_date)}"
        self.total = total

    def _line(self, text: str, font: str, width: float, baseline: float) -> bytes:
        # Shrink on unusually narrow pages (receipts, slips) rather than run off the edge, but
        # never below a floor: a page narrower than the margins made the size negative (mirrored).
        natural = max(1.0, pdfmetrics.stringWidth(text, font, STAMP_SIZE))
        room = max(width - 12, width * 0.9)
        size = max(MIN_STAMP_SIZE, min(STAMP_SIZE, STAMP_SIZE * room / natural))
        drawn = natural * size / STAMP_SIZE  # widths scale with the size
        x, pad = width / 2 - drawn / 2, size * 0.25
        box = (x - pad, baseline - size * 0.3 - pad, drawn + 2 * pad, size * 1.3 + 2 * pad)
        words = self._canvas.beginText(x, baseline)
        words.setFont(font, size)
        words.textOut(text)
        # A white box behind the text keeps it legible on dark or busy pages; the band it sits
        # in is clear of the page's own content (see _room), so the box hides nothing.
        return b"1 1 1 rg " + " ".join(map(number, box)).encode() + b" re f " + _INK + b" rg " + words.getCode().encode("latin-1") + b"\n"

    def marking(self, width: float, height: float) -> bytes:
        return self._line(self._marking, self._fonts.bold, width, max(height - HEADER_BASELINE, height * 0.75))

    def needed_width(self, page_number: int) -> float:
        """How wide a page must be for its footer at the full stamp size."""
        text = f"Page {page_number} of {self.total} {self._tail}"
        return max(pdfmetrics.stringWidth(text, self._fonts.regular, STAMP_SIZE), pdfmetrics.stringWidth(self._marking, self._fonts.bold, STAMP_SIZE)) + 12

    def footer(self, page_number: int, width: float, height: float) -> bytes:
        text = f"Page {page_number} of {self.total} {self._tail}"
        return self._line(text, self._fonts.regular, width, min(FOOTER_BASELINE, height * 0.25))

    def fonts_in(self, writer: PdfWriter) -> DictionaryObject:
        """The fonts every stamp so far used ({name: reference}), copied into `writer` once
        (call after the last stamp)."""
        self._canvas.showPage()  # a page, so reportlab writes its font resources
        page = PdfReader(io.BytesIO(self._canvas.getpdfdata())).pages[0]
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        fonts = resources["/Font"].get_object()
        assert isinstance(fonts, DictionaryObject)
        return fonts.clone(writer)


_FONT_IN_USE = re.compile(rb"/(F\d+(?:\+\d+)?) (?=[\d.]+ Tf)")


def _with_fonts(page: Any, fonts: DictionaryObject) -> dict[bytes, bytes]:
    """Give the page resources of its own that add the stamp `fonts`, under names that cannot
    clash with the page's own (which may be a stamped bundle page itself). Returns the renaming
    for the stamp's operators: reportlab's name (no slash) to the page's."""
    resources = page.get("/Resources")
    own = DictionaryObject(resources.get_object().items()) if resources is not None else DictionaryObject()
    found = own.get("/Font")
    page_fonts = DictionaryObject(found.get_object().items()) if found is not None else DictionaryObject()
    names = {}
    for original, ref in fonts.items():
        name = "/Senforms" + original[1:]
        while name in page_fonts:
            name += "x"
        page_fonts[NameObject(name)] = ref
        names[original[1:].encode()] = name[1:].encode()
    own[NameObject("/Font")] = page_fonts
    page[NameObject("/Resources")] = own
    return names


def _renamer(names: dict[bytes, bytes]) -> Callable[[re.Match[bytes]], bytes]:
    return lambda found: b"/" + names[found.group(1)] + b" "


def stamp_pages(writer: PdfWriter, spec: BundleSpec, *, evidence_from: int = 0) -> None:
    """Stamp every page upright; pages from `evidence_from` on (not senforms' cover and index) are
    first shrunk a little so the stamps sit in bands clear of their content."""
    text = StampText(spec, total=len(writer.pages))
    placed: list[tuple[Any, Matrix, tuple[float, float], bytes]] = []
    markings: dict[tuple[float, float], bytes] = {}  # one marking per page size
    for index, page in enumerate(writer.pages):
        turn = upright(page)
        box = _visible_box(page)
        matrix = turn
        if index >= evidence_from and _small(box):
            box = _grow(page, box, text.needed_width(index + 1))
        elif index >= evidence_from:
            matrix = compose(turn, _room(box))
        left, bottom, right, top = box
        if matrix != IDENTITY:
            move_annotations(page, matrix, turned=turn != IDENTITY)
        size = (right - left, top - bottom)
        if size not in markings:
            markings[size] = text.marking(*size)
        placed.append((page, matrix, (left, bottom), markings[size] + text.footer(index + 1, *size)))
    move_destinations(
        list(writer.pages),
        {page.indirect_reference.idnum: matrix for page, matrix, _, _ in placed if page.indirect_reference is not None},
    )
    fonts = text.fonts_in(writer)
    wrapper = ContentWrapper(writer)
    for page, matrix, (left, bottom), code in placed:
        names = _with_fonts(page, fonts)
        code = _FONT_IN_USE.sub(_renamer(names), code)
        shift = f"q 1 0 0 1 {number(left)} {number(bottom)} cm\n".encode()
        wrapper.wrap(page, matrix, after=shift + code + b"Q\n")
