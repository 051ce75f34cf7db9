"""The fields of a fillable PDF (AcroForm), read with pypdf, in page order."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from senforms.errors import UnreadableFileError
from senforms.forms.fields import Field

# Field flags (PDF 32000-1, tables 226, 228, 230).
READ_ONLY, MULTILINE, PASSWORD = 1 << 0, 1 << 12, 1 << 13
NO_TOGGLE_OFF, RADIO, PUSHBUTTON = 1 << 14, 1 << 15, 1 << 16
COMBO, EDIT, COMB = 1 << 17, 1 << 18, 1 << 24
_INHERITED = ("/FT", "/Ff", "/V", "/DA", "/Q", "/Opt", "/MaxLen", "/TU")


@dataclass(frozen=True)
class Widget:
    """One widget annotation on a page and the terminal field it belongs to."""

    page: int  # from 0
    annotation: DictionaryObject
    field: DictionaryObject
    name: str


def inherited(node: DictionaryObject, key: str) -> Any:
    """A field attribute, looked up the /Parent chain as the PDF standard says for inheritable ones."""
    seen = 0
    current: DictionaryObject | None = node
    while current is not None and seen < 64:  # a loop of /Parent links must not hang us
        if key in current:
            return current[key].get_object()
        parent = current.get("/Parent")
        current = parent.get_object() if parent is not None else None
        seen += 1
    return None


def full_name(node: DictionaryObject) -> str:
    parts: list[str] = []
    current: DictionaryObject | None = node
    while current is not None and len(parts) < 64:
        if "/T" in current:
            parts.append(str(current["/T"]))
        parent = current.get("/Parent")
        current = parent.get_object() if parent is not None else None
    return ".".join(reversed(parts))


def terminal_field(annotation: DictionaryObject) -> DictionaryObject:
    """The field a widget fills: itself when it carries /T (merged field and widget), else its parent."""
    if "/T" in annotation or "/Parent" not in annotation:
        return annotation
    parent = annotation["/Parent"].get_object()
    return parent if isinstance(parent, DictionaryObject) else annotation


def widgets(reader: PdfReader) -> Iterator[Widget]:
    """Every widget of every page, top to bottom and left to right on each page."""
    for index, page in enumerate(reader.pages):
        found = []
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            if annotation.get("/Subtype") != "/Widget":
                continue
            owner = terminal_field(annotation)
            if inherited(owner, "/FT") is None:
                continue
            rect = [float(v) for v in annotation.get("/Rect", [0, 0, 0, 0])]
            found.append((-max(rect[1], rect[3]), min(rect[0], rect[2]), Widget(index, annotation, owner, full_name(owner))))
        for *_, widget in sorted(found, key=lambda item: (round(item[0]), item[1])):
            yield widget


def on_names(annotation: DictionaryObject) -> list[str]:
    """A button widget's 'on' appearance names, read from /AP /N (never assumed to be /Yes)."""
    appearance = annotation.get("/AP")
    normal = appearance.get_object().get("/N") if appearance is not None else None
    normal = normal.get_object() if normal is not None else None
    if not isinstance(normal, DictionaryObject):
        return []
    return [str(name)[1:] for name in normal if name != "/Off"]


def options(field: DictionaryObject) -> list[tuple[str, str]]:
    """A choice field's options as (export value, display text)."""
    result = []
    for item in inherited(field, "/Opt") or []:
        item = item.get_object()
        if isinstance(item, list) and len(item) >= 2:
            result.append((str(item[0].get_object()), str(item[1].get_object())))
        else:
            result.append((str(item), str(item)))
    return result


def kind_of(field: DictionaryObject) -> str | None:
    """text, multiline, checkbox, radio, combo or list; None for push buttons and signatures."""
    field_type = inherited(field, "/FT")
    flags = int(inherited(field, "/Ff") or 0)
    if field_type == "/Tx":
        return "multiline" if flags & MULTILINE else "text"
    if field_type == "/Btn":
        if flags & PUSHBUTTON:
            return None
        return "radio" if flags & RADIO else "checkbox"
    if field_type == "/Ch":
        return "combo" if flags & COMBO else "list"
    return None


def inspect_pdf(reader: PdfReader) -> list[Field]:
    """Every fillable field once, in the order its first widget appears."""
    by_name: dict[str, list[Widget]] = {}
    for widget in widgets(reader):
        by_name.setdefault(widget.name, []).append(widget)
    fields = []
    for name, group in by_name.items():
        owner = group[0].field
        kind = kind_of(owner)
        if kind is None:
            continue
        flags = int(inherited(owner, "/Ff") or 0)
        label = str(inherited(owner, "/TU") or "")
        max_length = inherited(owner, "/MaxLen")
        choices: tuple[str, ...] = ()
        on_value = ""
        if kind == "radio":
            choices = tuple(dict.fromkeys(n for w in group for n in on_names(w.annotation)))
        elif kind == "checkbox":
            names = on_names(group[0].annotation)
            on_value = names[0] if names else "Yes"
        elif kind in ("combo", "list"):
            choices = tuple(display for _, display in options(owner))
        fields.append(
            Field(
                name=name, kind=kind, label=label, source="AcroForm", page=group[0].page + 1,
                max_length=int(max_length) if max_length is not None and kind in ("text", "multiline") else None,
                multiline=kind == "multiline", choices=choices, on_value=on_value, read_only=bool(flags & READ_ONLY),
            )
        )
    return fields


def open_pdf(path: Path, data: bytes) -> PdfReader:
    """A reader for the form; UnreadableFileError naming it when it is damaged or needs a password."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == 0:
            raise UnreadableFileError(f"{path.name} needs a password to open", fix="ask the LA for a copy without a password")
        _ = reader.pages[0]
    except UnreadableFileError:
        raise
    except Exception as exc:  # pypdf raises many kinds for a damaged file
        raise UnreadableFileError(f"{path.name} is damaged: it cannot be read as a PDF ({type(exc).__name__})", fix="download the LA's form again") from None
    return reader
