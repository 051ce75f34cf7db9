"""Move, turn and shrink a page's content without parsing or rewriting its content streams.

A page's streams are wrapped, `q <matrix> cm` before and `Q` after, so a 300-page bundle costs
a few small shared streams rather than a parse and re-encode of every page (pypdf's
`add_transformation` and `merge_page` parse each stream). Streams are never changed, so pages
that share one stream stay correct. Annotations (links, widgets) are moved with the content.
"""

from __future__ import annotations

from typing import Any

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, IndirectObject, NameObject, NumberObject

#: (a, b, c, d, e, f) as in the PDF `cm` operator: x' = a·x + c·y + e, y' = b·x + d·y + f.
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

_BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
# Annotation keys holding flat lists of x, y pairs in page space.
_POINT_LISTS = ("/QuadPoints", "/L", "/Vertices", "/CL")


def compose(first: Matrix, then: Matrix) -> Matrix:
    """The matrix that applies `first`, then `then`."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then  # noqa: N806 - the matrix algebra's own names
    return (A * a + C * b, B * a + D * b, A * c + C * d, B * c + D * d, A * e + C * f + E, B * e + D * f + F)


def apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def number(value: float) -> str:
    """A short, stable decimal for content streams ("12", "0.94", "-3.5")."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _rect(matrix: Matrix, values: Any) -> list[float]:
    x0, y0, x1, y1 = (float(v) for v in values)
    corners = [apply(matrix, x, y) for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return [min(xs), min(ys), max(xs), max(ys)]


def _floats(values: list[float]) -> ArrayObject:
    return ArrayObject(FloatObject(round(v, 3)) for v in values)


def upright(page: Any) -> Matrix:
    """Bake the page's /Rotate into its geometry: boxes turned, rotation 0.

    Returns the matrix its content and annotations must then be drawn with (identity if upright).
    """
    turn = page.rotation % 360
    if turn not in (90, 180, 270):
        return IDENTITY
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    # The turn a viewer makes (clockwise), with the media box's lower left going to (0, 0).
    matrix: Matrix = {
        90: (0.0, -1.0, 1.0, 0.0, -y0, x1),
        180: (-1.0, 0.0, 0.0, -1.0, x1, y1),
        270: (0.0, 1.0, -1.0, 0.0, y1, -x0),
    }[turn]
    for key in _BOXES:
        if key in page:
            page[NameObject(key)] = _floats(_rect(matrix, page[key]))
    page[NameObject("/Rotate")] = NumberObject(0)
    return matrix


def move_annotations(page: Any, matrix: Matrix, *, turned: bool = False) -> None:
    """Move every annotation's rectangle and points with the content; `turned` also turns their
    appearances (a viewer turned them with the page before)."""
    for ref in page.get("/Annots") or ():
        annot = ref.get_object()
        if not hasattr(annot, "get"):
            continue
        if annot.get("/Rect") is not None and len(annot["/Rect"]) == 4:
            annot[NameObject("/Rect")] = _floats(_rect(matrix, annot["/Rect"]))
        for key in _POINT_LISTS:
            values = annot.get(key)
            if values is None or len(values) % 2:
                continue
            points = [apply(matrix, float(values[n]), float(values[n + 1])) for n in range(0, len(values), 2)]
            annot[NameObject(key)] = _floats([v for point in points for v in point])
        if turned:
            _turn_appearances(annot, matrix)


def _turn_appearances(annot: Any, matrix: Matrix) -> None:
    # An appearance is fitted into /Rect after its own /Matrix: adding the turn (no shift, the
    # fitting places it) draws it turned like the content around it.
    turn: Matrix = (matrix[0], matrix[1], matrix[2], matrix[3], 0.0, 0.0)
    appearances = annot.get("/AP")
    if appearances is None:
        return
    for state in appearances.get_object().values():
        state = state.get_object()
        streams = [state] if hasattr(state, "get_data") else [s.get_object() for s in state.values()]
        for stream in streams:
            if not hasattr(stream, "get_data"):
                continue
            own = stream.get("/Matrix")
            current: Matrix = tuple(float(v) for v in own) if own is not None and len(own) == 6 else IDENTITY  # type: ignore[assignment]
            stream[NameObject("/Matrix")] = _floats(list(compose(current, turn)))


class ContentWrapper:
    """Wraps pages' content in small streams, one object for each distinct stream."""

    def __init__(self, writer: PdfWriter) -> None:
        self._writer = writer
        self._streams: dict[bytes, IndirectObject] = {}

    def stream(self, data: bytes) -> IndirectObject:
        ref = self._streams.get(data)
        if ref is None:
            stream = DecodedStreamObject()
            stream.set_data(data)
            ref = self._streams[data] = self._writer._add_object(stream)
        return ref

    def wrap(self, page: Any, matrix: Matrix, after: bytes = b"") -> None:
        """Draw the page's own content with `matrix`, isolated in q … Q, then `after` (operators)."""
        parts: list[Any] = []
        if "/Contents" in page:
            raw = page.raw_get("/Contents")
            resolved = raw.get_object()
            items = list(resolved) if isinstance(resolved, ArrayObject) else [raw]
            for item in items:
                parts.append(item if isinstance(item, IndirectObject) else self._writer._add_object(item))
        before = b"q\n" if matrix == IDENTITY else ("q " + " ".join(map(number, matrix)) + " cm\n").encode()
        # Newlines either side: a stream may end mid-line, and streams are joined as they are.
        page[NameObject("/Contents")] = ArrayObject([self.stream(before), *parts, self.stream(b"\nQ\n" + after)])


# Which operands of an explicit destination are x and which y, by its fit type.
_DEST_COORDINATES = {"/XYZ": "xy", "/FitH": "y", "/FitBH": "y", "/FitV": "x", "/FitBV": "x", "/FitR": "xyxy"}


def move_destinations(pages: list[Any], matrices: dict[int, Matrix]) -> None:
    """Make every link's explicit destination land on the same spot of its (moved) target page.

    `matrices` maps a page object's number to the matrix its content is now drawn with.
    """
    for page in pages:
        for ref in page.get("/Annots") or ():
            annot = ref.get_object()
            if not hasattr(annot, "get") or annot.get("/Subtype") != "/Link":
                continue
            dest = annot.get("/Dest")
            action = annot.get("/A")
            if dest is None and action is not None and action.get_object().get("/S") == "/GoTo":
                dest = action.get_object().get("/D")
            if not isinstance(dest, ArrayObject) or len(dest) < 2 or not isinstance(dest[0], IndirectObject):
                continue
            matrix = matrices.get(dest[0].idnum)
            axes = _DEST_COORDINATES.get(str(dest[1]), "")
            if matrix is None or matrix == IDENTITY or not axes:
                continue
            values = list(dest[2 : 2 + len(axes)])
            if not all(_is_number(value) for value in values) or len(values) < len(axes):
                continue  # null means "keep the current"; nothing to move
            numbers = [float(value) for value in values]
            if axes == "x":
                moved = [apply(matrix, numbers[0], 0.0)[0]]
            elif axes == "y":  # FitH gives a top only: move it along its own axis
                moved = [apply(matrix, 0.0, numbers[0])[1]]
            else:
                moved = [v for n in range(0, len(numbers), 2) for v in apply(matrix, numbers[n], numbers[n + 1])]
            for n, value in enumerate(moved):
                dest[2 + n] = FloatObject(round(value, 3))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
