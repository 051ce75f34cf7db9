"""The fields of a Word form, read from its XML with lxml: content controls and legacy form fields.

python-docx has no API for either, so this is the one place that knows how Word writes them:
content controls are `w:sdt` (block-level around paragraphs, inline around runs, or around table
cells), legacy fields are `w:fldChar` runs with `w:ffData` and a FORMTEXT, FORMCHECKBOX or
FORMDROPDOWN instruction.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from senforms.forms.fields import Field

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = {"w": W, "w14": W14}
DOCUMENT = "word/document.xml"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def parse(data: bytes) -> Any:
    return etree.fromstring(data, _PARSER)


def read_part(package: zipfile.ZipFile, name: str) -> Any:
    return parse(package.read(name))


@dataclass(frozen=True)
class Control:
    """A content control: its field and its element."""

    field: Field
    sdt: Any
    level: str  # "block", "inline", "cell" or "row"


@dataclass(frozen=True)
class Legacy:
    """A legacy form field: its field and the runs that make it up (begin … end)."""

    field: Field
    begin: Any  # the w:fldChar begin element's run
    ff_data: Any


@dataclass(frozen=True)
class Cell:
    """An empty table cell beside a label cell."""

    field: Field
    tc: Any


def text_of(element: Any) -> str:
    return "".join(element.itertext(f"{{{W}}}t")).strip()


def _val(element: Any, path: str, attribute: str = "val", ns: str = W) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.get(f"{{{ns}}}{attribute}")


_NOT_FILLABLE = frozenset({"picture", "docPartObj", "docPartList", "group", "citation", "bibliography", "equation", "repeatingSection", "repeatingSectionItem"})


def _control_field(sdt: Any, number: int, prefix: str = "") -> tuple[Field, str]:
    pr = sdt.find("w:sdtPr", NS)
    tag = _val(pr, "w:tag") or ""
    alias = _val(pr, "w:alias") or ""
    name = tag or alias or f"{prefix}control {number}"
    label = alias if alias and alias != name else tag if tag != name else ""
    bound = pr.find("w:dataBinding", NS) is not None
    content = sdt.find("w:sdtContent", NS)
    children = [etree.QName(child).localname for child in content] if content is not None else []
    level = "cell" if "tc" in children else "row" if "tr" in children else "block" if ("p" in children or "tbl" in children) else "inline"
    choices: tuple[str, ...] = ()
    date_format = ""
    multiline = False
    if pr.find("w14:checkbox", NS) is not None:
        kind = "checkbox"
    elif pr.find("w:date", NS) is not None:
        kind = "date"
        date_format = _val(pr, "w:date/w:dateFormat") or "dd/MM/yyyy"
    elif pr.find("w:dropDownList", NS) is not None or pr.find("w:comboBox", NS) is not None:
        kind = "dropdown" if pr.find("w:dropDownList", NS) is not None else "combo"
        items = pr.findall("w:dropDownList/w:listItem", NS) + pr.findall("w:comboBox/w:listItem", NS)
        # Word's own first item "Choose an item." has an empty value: it is the placeholder, not a choice.
        choices = tuple(item.get(w("displayText")) or item.get(w("value")) or "" for item in items if item.get(w("value")))
    elif pr.find("w:text", NS) is not None:
        kind = "text"
        multiline = pr.find("w:text", NS).get(w("multiLine")) in ("1", "true", "on")
    elif any(etree.QName(child).localname in _NOT_FILLABLE for child in pr):
        # pictures, building blocks, groups, repeating sections (w15), citations: not text to fill,
        # and filling one would wipe the controls inside it
        return Field(name, "other"), level
    else:
        kind = "rich text"
        multiline = True
    source = f"content control ({level})"
    return Field(name, kind, label=label, source=source, multiline=multiline, choices=choices, date_format=date_format, bound=bound, read_only=pr.find("w:lock", NS) is not None and _val(pr, "w:lock") in ("contentLocked", "sdtContentLocked")), level


def _nearest_label(element: Any) -> str:
    """The text before a legacy field in its paragraph, or the previous cell of its row."""
    paragraph = next((a for a in element.iterancestors(w("p"))), None)
    if paragraph is None:
        return ""
    before = []
    for node in paragraph.iter(w("t"), w("fldChar")):
        if node is element or element in node.iterancestors():
            break
        if node.tag == w("t"):
            before.append(node.text or "")
    text = "".join(before).strip().rstrip(":").strip()
    if text:
        return text
    cell = next((a for a in paragraph.iterancestors(w("tc"))), None)
    previous = cell.getprevious() if cell is not None else None
    return text_of(previous).rstrip(":").strip() if previous is not None and previous.tag == w("tc") else ""


def _legacy_fields(body: Any) -> Iterator[Legacy]:
    for fld in body.iter(w("fldChar")):
        if fld.get(w("fldCharType")) != "begin":
            continue
        ff = fld.find("w:ffData", NS)
        if ff is None:
            continue
        run = fld.getparent()
        instruction = _instruction(run)
        name = _val(ff, "w:name") or ""
        if not name:
            bookmark = run.getprevious()
            name = bookmark.get(w("name")) if bookmark is not None and bookmark.tag == w("bookmarkStart") else ""
        label = _val(ff, "w:statusText") or _nearest_label(fld)
        if "FORMCHECKBOX" in instruction or ff.find("w:checkBox", NS) is not None:
            field = Field(name, "checkbox", label=label, source="legacy FORMCHECKBOX")
        elif "FORMDROPDOWN" in instruction or ff.find("w:ddList", NS) is not None:
            entries = tuple(e.get(w("val")) or "" for e in ff.findall("w:ddList/w:listEntry", NS))
            field = Field(name, "dropdown", label=label, source="legacy FORMDROPDOWN", choices=entries)
        else:
            max_length = _val(ff, "w:textInput/w:maxLength")
            field = Field(name, "text", label=label, source="legacy FORMTEXT", max_length=int(max_length) if max_length and max_length.isdigit() and int(max_length) > 0 else None)
        if name:
            yield Legacy(field, run, ff)


def _instruction(begin_run: Any) -> str:
    """The instruction text after a field's begin run, up to its separate or end."""
    parts: list[str] = []
    for run in begin_run.itersiblings(w("r")):
        fld = run.find("w:fldChar", NS)
        if fld is not None:
            break
        parts.extend(t.text or "" for t in run.findall("w:instrText", NS))
    return "".join(parts)


def _label_cells(body: Any, taken: set[Any]) -> Iterator[Cell]:
    """Empty table cells to the right of a cell holding text: where a form without fields wants answers."""
    for t_index, table in enumerate(body.iter(w("tbl")), start=1):
        for r_index, row in enumerate(table.findall("w:tr", NS), start=1):
            cells = row.findall("w:tc", NS)
            for c_index, (label, cell) in enumerate(zip(cells, cells[1:]), start=2):
                if cell in taken or cell.find(".//w:sdt", NS) is not None or cell.find(".//w:fldChar", NS) is not None:
                    continue
                text = text_of(label).rstrip(":").strip()
                if text and not text_of(cell):
                    name = f"table {t_index} row {r_index} cell {c_index}"
                    yield Cell(Field(name, "cell", label=text, source="table cell", multiline=True), cell)


def story_parts(package: zipfile.ZipFile) -> list[str]:
    """The parts that hold a form's text: the body first, then its headers and footers."""
    others = sorted(n for n in package.namelist() if re.fullmatch(r"word/(header|footer)\d*\.xml", n))
    return [DOCUMENT, *others]


def find_fields(body: Any, prefix: str = "") -> tuple[list[Control], list[Legacy], list[Cell]]:
    """The content controls, legacy fields and empty label-cells of a document body (or a header), each in order.

    `prefix` names untagged controls outside the body apart ("header1 control 2").
    """
    controls = []
    for number, sdt in enumerate(body.iter(w("sdt")), start=1):
        field, level = _control_field(sdt, number, prefix)
        if field.kind != "other":
            controls.append(Control(field, sdt, level))
    legacy = list(_legacy_fields(body))
    taken = {a for c in controls for a in c.sdt.iterancestors(w("tc"))}
    return controls, legacy, list(_label_cells(body, taken))


def inspect_docx(data: bytes) -> tuple[list[Field], list[Field]]:
    """(fields, places): the form's fields in document order, and the empty label-cells of its tables."""
    fields: dict[str, Field] = {}  # a field repeated (on every page, or in each header) is listed once and filled everywhere
    places: list[Field] = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for part in story_parts(package):
            root = read_part(package, part)
            scope = root.find("w:body", NS) if part == DOCUMENT else root
            controls, legacy, cells = find_fields(scope, "" if part == DOCUMENT else f"{part[5:-4]} ")
            order = {element: index for index, element in enumerate(scope.iter())}
            located = [(order.get(c.sdt, 0), c.field) for c in controls] + [(order.get(item.begin, 0), item.field) for item in legacy]
            for _, field in sorted(located, key=lambda pair: pair[0]):
                fields.setdefault(field.name, field)
            if part == DOCUMENT:
                places = [c.field for c in cells]
    return list(fields.values()), places
