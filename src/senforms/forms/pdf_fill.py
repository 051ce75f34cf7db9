"""Fill a fillable PDF with pypdf: values, checkbox and radio states, choices, and our own appearances."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, BooleanObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

from senforms.errors import FormError
from senforms.forms.fields import Field, is_ticked
from senforms.forms.overflow import Overflow, cut_to_length, marker
from senforms.forms.pdf_inspect import COMB, EDIT, Widget, inherited, on_names, options, widgets
from senforms.forms.pdf_text import Font, Frame, appearance_pdf, clean, fit, font_for, longest_fitting


@dataclass
class FilledPdf:
    """The filled form's bytes, what went to the addendum, and warnings (characters no font has)."""

    data: bytes
    overflows: list[Overflow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _box(annotation: DictionaryObject) -> tuple[float, float]:
    rect: Any = annotation["/Rect"].get_object()
    x1, y1, x2, y2 = (float(v) for v in rect)
    width, height = abs(x2 - x1), abs(y2 - y1)
    rotate = int(annotation.get("/MK", {}).get("/R", 0)) if isinstance(annotation.get("/MK"), DictionaryObject) else 0
    return (height, width) if rotate in (90, 270) else (width, height)


def _frame(annotation: DictionaryObject) -> Frame:
    mk = annotation.get("/MK")
    mk = mk.get_object() if mk is not None else None
    bs = annotation.get("/BS")
    bs = bs.get_object() if bs is not None else None

    def numbers(key: str) -> tuple[float, ...]:
        value = mk.get(key) if isinstance(mk, DictionaryObject) else None
        value = value.get_object() if value is not None else None
        return tuple(float(v) for v in value) if isinstance(value, ArrayObject) else ()

    width = float(bs.get("/W", 1)) if isinstance(bs, DictionaryObject) else 1.0
    return Frame(numbers("/BG"), numbers("/BC"), width)


def _font_size(owner: DictionaryObject) -> float:
    found = re.search(r"(\d+(?:\.\d+)?)\s+Tf", str(inherited(owner, "/DA") or ""))
    return float(found.group(1)) if found else 0.0


def _set_appearance(writer: PdfWriter, annotation: DictionaryObject, pdf: bytes, box: tuple[float, float]) -> None:
    """Make reportlab's one-page PDF the widget's normal appearance (a form XObject)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    stream = DecodedStreamObject()
    # /Tx BMC … EMC marks the variable text, as the standard's appearance streams do
    contents = page.get_contents()
    stream.set_data(b"/Tx BMC\nq\n" + (contents.get_data() if contents is not None else b"") + b"\nQ\nEMC\n")
    stream.update({
        NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(box[0]), FloatObject(box[1])]),
        NameObject("/Resources"): page["/Resources"].clone(writer),
    })
    annotation[NameObject("/AP")] = DictionaryObject({NameObject("/N"): writer._add_object(stream)})


class _Filler:
    def __init__(self, writer: PdfWriter, form_name: str) -> None:
        self.writer = writer
        self.form_name = form_name
        self.overflows: list[Overflow] = []
        self.warnings: list[str] = []

    def text(self, spec: Field, group: list[Widget], value: str) -> None:
        owner = group[0].field
        multiline = spec.kind == "multiline"
        text = clean(value, multiline=multiline)
        font, missing = font_for(text)
        if missing:
            self.warnings.append(f"field '{spec.name}': no installed font has the characters {missing!r}, so they may show as blank boxes (install fonts-noto-core)")
        size = _font_size(owner)
        quadding = int(inherited(owner, "/Q") or 0)
        box = _box(group[0].annotation)
        number = len(self.overflows) + 1
        shown = text
        if spec.max_length and len(text) > spec.max_length:
            shown = cut_to_length(text, spec.max_length, number)
        flags = int(inherited(owner, "/Ff") or 0)
        comb = spec.max_length if flags & COMB and spec.max_length and not multiline else 0
        if not comb and fit(shown, font, box, multiline=multiline, size=size) is None:
            shown, _ = longest_fitting(text, marker(number), font, box, multiline=multiline, size=size)
            if spec.max_length and len(shown) > spec.max_length:
                shown = cut_to_length(shown, spec.max_length, number)
        if shown != text:
            self.overflows.append(Overflow(number, spec.name, spec.label, text))
        owner[NameObject("/V")] = TextStringObject(shown)
        for widget in group:
            self._draw(widget.annotation, shown, font, multiline, size, quadding, comb)

    def _draw(self, annotation: DictionaryObject, shown: str, font: Font, multiline: bool, size: float, quadding: int, comb: int = 0) -> None:
        box = _box(annotation)
        if comb:  # one character a cell: the size is the cell's, not the whole text's
            size = size or min(12.0, box[1] * 0.7, box[0] / comb * 1.4)
            box_for_fit = (box[0] * 10, box[1])
        else:
            box_for_fit = box
        layout = fit(shown, font, box_for_fit, multiline=multiline, size=size) or fit(shown, font, box_for_fit, multiline=multiline, size=1)
        if layout is None:
            from senforms.forms.pdf_text import Layout

            layout = Layout(size or 8.0, (shown,))
        _set_appearance(self.writer, annotation, appearance_pdf(box, layout, font, quadding=quadding, multiline=multiline, frame=_frame(annotation), comb=comb), box)

    def checkbox(self, spec: Field, group: list[Widget], value: str) -> None:
        ticked = is_ticked(value)
        owner = group[0].field
        state = "Off"
        for widget in group:
            names = on_names(widget.annotation)
            on = names[0] if names else spec.on_value or "Yes"
            _ensure_off(self.writer, widget.annotation)
            widget.annotation[NameObject("/AS")] = NameObject(f"/{on}" if ticked else "/Off")
            state = on if ticked else "Off"
        owner[NameObject("/V")] = NameObject(f"/{state}")

    def radio(self, spec: Field, group: list[Widget], value: str) -> None:
        wanted = value.strip()
        if not wanted:
            return
        owner = group[0].field
        exports = options(owner)
        chosen = _match(wanted, list(spec.choices))
        if chosen is None and exports:  # /Opt gives the choices' export values in widget order
            labels = [display for _, display in exports]
            index = next((i for i, label in enumerate(labels) if label.casefold() == wanted.casefold()), None)
            if index is not None and index < len(spec.choices):
                chosen = spec.choices[index]
        if chosen is None:
            raise FormError(f"field '{spec.name}' cannot be '{wanted}': it must be one of {', '.join(spec.choices)}", fix=f"change the value of '{spec.name}' in the map to give one of them")
        for widget in group:
            names = on_names(widget.annotation)
            _ensure_off(self.writer, widget.annotation)
            widget.annotation[NameObject("/AS")] = NameObject(f"/{chosen}" if chosen in names else "/Off")
        owner[NameObject("/V")] = NameObject(f"/{chosen}")

    def choice(self, spec: Field, group: list[Widget], value: str) -> None:
        wanted = clean(value, multiline=False)
        if not wanted:
            return
        owner = group[0].field
        pairs = options(owner)
        index = next((i for i, (export, display) in enumerate(pairs) if wanted.casefold() in (export.casefold(), display.casefold())), None)
        editable = spec.kind == "combo" and int(inherited(owner, "/Ff") or 0) & EDIT
        if index is None and not editable:
            raise FormError(f"field '{spec.name}' cannot be '{wanted}': it must be one of {', '.join(spec.choices)}", fix=f"change the value of '{spec.name}' in the map to give one of them")
        export, display = pairs[index] if index is not None else (wanted, wanted)
        owner[NameObject("/V")] = TextStringObject(export)
        if index is not None and spec.kind == "list":
            owner[NameObject("/I")] = ArrayObject([NumberObject(index)])
        font, _ = font_for(display)
        for widget in group:
            self._draw(widget.annotation, display, font, False, _font_size(owner), int(inherited(owner, "/Q") or 0))


def _match(wanted: str, choices: list[str]) -> str | None:
    return next((c for c in choices if c.casefold() == wanted.casefold()), None)


def _ensure_off(writer: PdfWriter, annotation: DictionaryObject) -> None:
    """Give a box with no 'Off' appearance an empty one: without it some viewers keep showing the tick."""
    appearance = annotation.get("/AP")
    normal = appearance.get_object().get("/N") if appearance is not None else None
    normal = normal.get_object() if normal is not None else None
    if isinstance(normal, DictionaryObject) and "/Off" not in normal:
        box = _box(annotation)
        empty = DecodedStreamObject()
        empty.set_data(b"")
        empty.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"), NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(box[0]), FloatObject(box[1])])})
        normal[NameObject("/Off")] = writer._add_object(empty)


def fill_pdf(data: bytes, form_name: str, fields: tuple[Field, ...], values: dict[str, str]) -> FilledPdf:
    """The form with `values` (field name → text) filled in and drawn; fields with "" are left as they are.

    Raises FormError naming the field when a value is not one of a choice field's options.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    groups: dict[str, list[Widget]] = {}
    for widget in widgets(writer):  # type: ignore[arg-type]  # a writer has the same pages
        groups.setdefault(widget.name, []).append(widget)
    specs = {f.name: f for f in fields}
    filler = _Filler(writer, form_name)
    for name, value in values.items():
        spec, group = specs.get(name), groups.get(name)
        if spec is None or not group or (value.strip() == "" and spec.kind != "checkbox"):
            continue
        if spec.kind in ("text", "multiline"):
            filler.text(spec, group, value)
        elif spec.kind == "checkbox":
            filler.checkbox(spec, group, value)
        elif spec.kind == "radio":
            filler.radio(spec, group, value)
        else:
            filler.choice(spec, group, value)
    acroform = writer._root_object.get("/AcroForm")
    if acroform is not None:
        # Every field now has its own appearance: viewers must not redraw them (and ask to save).
        acroform.get_object()[NameObject("/NeedAppearances")] = BooleanObject(False)
    buffer = io.BytesIO()
    writer.write(buffer)
    return FilledPdf(buffer.getvalue(), filler.overflows, filler.warnings)


def append_pages(data: bytes, extra: bytes) -> bytes:
    """`data` with the pages of `extra` (the addendum) after its own."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.append(PdfReader(io.BytesIO(extra)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def flatten(data: bytes) -> bytes:
    """The values drawn into the page content and the fields removed (qpdf's flattening, via pikepdf)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.flatten_annotations("all")
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()
