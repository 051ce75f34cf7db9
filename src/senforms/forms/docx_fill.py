"""Fill a Word form in place with lxml: content controls, their custom XML data, and legacy fields.

Every control keeps its properties (tag, lock, binding), so the form stays a form; the forms
protection in settings.xml is never touched. A data-bound control's value is written to its
custom XML part too, or Word would put the old value back when it opens the file.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from senforms.errors import FormError
from senforms.forms.docx_inspect import DOCUMENT, NS, W14, Cell, Control, Legacy, find_fields, parse, story_parts, w
from senforms.forms.fields import Field, is_ticked
from senforms.forms.overflow import Overflow, cut_to_length
from senforms.forms.pdf_text import clean

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_WORD_DATE_TOKENS = re.compile(r"'[^']*'|dddd|ddd|dd|d|MMMM|MMM|MM|M|yyyy|yy")


@dataclass
class FilledDocx:
    data: bytes
    overflows: list[Overflow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_date(text: str) -> dt.date | None:
    """A date as a map value prints it: 2016-05-14, 14/05/2016 or 14 May 2016 (UK order only)."""
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(text[:10] if pattern == "%Y-%m-%d" else text, pattern).date()
        except ValueError:
            continue
    return None


def word_date(day: dt.date, pattern: str) -> str:
    """`day` in a Word date control's own format ("dd/MM/yyyy", "d MMMM yyyy", "dddd, d MMMM yyyy"…)."""
    values = {
        "dddd": _DAYS[day.weekday()], "ddd": _DAYS[day.weekday()][:3], "dd": f"{day.day:02d}", "d": str(day.day),
        "MMMM": _MONTHS[day.month - 1], "MMM": _MONTHS[day.month - 1][:3], "MM": f"{day.month:02d}", "M": str(day.month),
        "yyyy": f"{day.year:04d}", "yy": f"{day.year % 100:02d}",
    }
    return _WORD_DATE_TOKENS.sub(lambda m: m.group(0)[1:-1] if m.group(0).startswith("'") else values[m.group(0)], pattern)


def _run(text: str, rpr: Any | None) -> list[Any]:
    """Runs for `text`, line breaks as w:br, each with a copy of the run properties."""
    runs = []
    for index, line in enumerate(text.split("\n")):
        run = etree.Element(w("r"))
        if rpr is not None:
            run.append(copy.deepcopy(rpr))
        if index:
            etree.SubElement(run, w("br"))
        t = etree.SubElement(run, w("t"))
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        runs.append(run)
    return runs


def _run_properties(scope: Any, placeholder: bool) -> Any | None:
    first = scope.find(".//w:r/w:rPr", NS)
    if first is None:
        return None
    rpr = copy.deepcopy(first)
    if placeholder:  # the grey placeholder style goes with the placeholder
        for style in rpr.findall("w:rStyle", NS):
            if style.get(w("val")) in ("PlaceholderText", "Placeholder"):
                rpr.remove(style)
    return rpr


def _set_paragraph_text(paragraph: Any, text: str, rpr: Any | None) -> None:
    for child in list(paragraph):
        if child.tag != w("pPr"):
            paragraph.remove(child)
    for run in _run(text, rpr):
        paragraph.append(run)


def _set_block_text(container: Any, text: str, rpr: Any | None, keep: tuple[str, ...] = ()) -> None:
    """Replace the paragraphs of `container` with one per line of `text`, keeping the first one's format."""
    first = container.find("w:p", NS)
    ppr = first.find("w:pPr", NS) if first is not None else None
    for child in list(container):
        if etree.QName(child).localname not in keep:
            container.remove(child)
    for line in text.split("\n"):
        paragraph = etree.SubElement(container, w("p"))
        if ppr is not None:
            paragraph.append(copy.deepcopy(ppr))
        for run in _run(line, rpr):
            paragraph.append(run)


class _Filler:
    def __init__(self, bound: dict[str, Any]) -> None:
        self.bound = bound  # custom XML parts by store item ID
        self.overflows: list[Overflow] = []
        self.warnings: list[str] = []
        self.changed_parts: set[str] = set()

    # --- content controls ---
    def control(self, control: Control, value: str) -> None:
        spec, sdt = control.field, control.sdt
        pr = sdt.find("w:sdtPr", NS)
        content = sdt.find("w:sdtContent", NS)
        placeholder = pr.find("w:showingPlcHdr", NS) is not None
        if spec.kind == "checkbox":
            self._checkbox(pr, content, is_ticked(value))
            return
        text = clean(value, multiline=True)
        bound_value = text
        if spec.kind == "date":
            day = parse_date(text)
            if day is None:
                raise FormError(f"field '{spec.name}' is a date, but its value '{text}' is not one", fix=f"give a date in the map, e.g. {{{{ pupil.date_of_birth }}}} (the control shows it as {spec.date_format})")
            text = word_date(day, spec.date_format)
            pr.find("w:date", NS).set(w("fullDate"), f"{day.isoformat()}T00:00:00Z")
            mapped = pr.find("w:date/w:storeMappedDataAs", NS)
            stored = mapped.get(w("val")) if mapped is not None else "text"
            bound_value = f"{day.isoformat()}T00:00:00" if stored == "dateTime" else day.isoformat() if stored == "date" else text
        elif spec.kind in ("dropdown", "combo"):
            items = pr.findall("w:dropDownList/w:listItem", NS) + pr.findall("w:comboBox/w:listItem", NS)
            item = next((i for i in items if i.get(w("value")) and text.casefold() in ((i.get(w("displayText")) or "").casefold(), (i.get(w("value")) or "").casefold())), None)
            if item is None and spec.kind == "dropdown":
                raise FormError(f"field '{spec.name}' cannot be '{text}': it must be one of {', '.join(spec.choices)}", fix=f"change the value of '{spec.name}' in the map to give one of them")
            if item is not None:
                text = item.get(w("displayText")) or item.get(w("value"))
                bound_value = item.get(w("value")) or text
                pr.find("w:dropDownList", NS) is not None and pr.find("w:dropDownList", NS).set(w("lastValue"), bound_value)
        elif spec.kind == "text" and not spec.multiline:
            text = text.replace("\n", ", ")
        if placeholder:
            pr.remove(pr.find("w:showingPlcHdr", NS))
        rpr = _run_properties(content, placeholder)
        if control.level == "inline":
            for child in list(content):
                content.remove(child)
            for run in _run(text, rpr):
                content.append(run)
        elif control.level == "block":
            _set_block_text(content, text, rpr)
        else:  # around a cell (or a row: its first cell)
            cell = content.find(".//w:tc", NS)
            _set_block_text(cell, text, rpr, keep=("tcPr",))
        self._bind(pr, bound_value)

    def _checkbox(self, pr: Any, content: Any, ticked: bool) -> None:
        box = pr.find("w14:checkbox", NS)
        checked = box.find("w14:checked", NS)
        if checked is None:
            checked = etree.SubElement(box, f"{{{W14}}}checked")
        checked.set(f"{{{W14}}}val", "1" if ticked else "0")
        state = box.find("w14:checkedState" if ticked else "w14:uncheckedState", NS)
        glyph = chr(int(state.get(f"{{{W14}}}val"), 16)) if state is not None else ("☒" if ticked else "☐")
        font = state.get(f"{{{W14}}}font") if state is not None else "MS Gothic"
        text = content.find(".//w:t", NS)
        if text is None:
            run = content.find(".//w:r", NS)
            if run is None:
                run = etree.SubElement(content.find(".//w:p", NS) if content.find(".//w:p", NS) is not None else content, w("r"))
            text = etree.SubElement(run, w("t"))
        text.text = glyph
        run = text.getparent()
        rpr = run.find("w:rPr", NS)
        if rpr is None:
            rpr = etree.Element(w("rPr"))
            run.insert(0, rpr)
        fonts = rpr.find("w:rFonts", NS)
        if fonts is None:
            fonts = etree.Element(w("rFonts"))
            rpr.insert(0, fonts)
        for attribute in ("ascii", "hAnsi", "eastAsia"):
            fonts.set(w(attribute), font)
        self._bind(pr, "true" if ticked else "false")

    def _bind(self, pr: Any, value: str) -> None:
        binding = pr.find("w:dataBinding", NS)
        if binding is None:
            return
        part = self.bound.get((binding.get(w("storeItemID")) or "").upper())
        if part is None:
            return  # no data part: Word keeps the text we wrote
        name, root = part
        namespaces = dict(re.findall(r"xmlns:(\w+)\s*=\s*['\"]([^'\"]+)['\"]", binding.get(w("prefixMappings")) or ""))
        try:
            nodes = root.getroottree().xpath(binding.get(w("xpath")) or "", namespaces=namespaces)
        except etree.XPathError:
            return
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, etree._Element):
                for child in list(node):
                    node.remove(child)
                node.text = value
                self.changed_parts.add(name)

    # --- legacy form fields ---
    def legacy(self, item: Legacy, value: str) -> None:
        spec, ff = item.field, item.ff_data
        if spec.kind == "checkbox":
            box = ff.find("w:checkBox", NS)
            for old in box.findall("w:checked", NS):
                box.remove(old)
            etree.SubElement(box, w("checked")).set(w("val"), "1" if is_ticked(value) else "0")
            return
        text = clean(value, multiline=True)
        if spec.kind == "dropdown":
            index = next((i for i, c in enumerate(spec.choices) if c.casefold() == text.casefold()), None)
            if index is None:
                raise FormError(f"field '{spec.name}' cannot be '{text}': it must be one of {', '.join(spec.choices)}", fix=f"change the value of '{spec.name}' in the map to give one of them")
            dd = ff.find("w:ddList", NS)
            for old in dd.findall("w:result", NS):
                dd.remove(old)
            dd.insert(0, etree.Element(w("result"), {w("val"): str(index)}))
            return
        shown = text
        if spec.max_length and len(text) > spec.max_length:
            box = len(self.overflows) + 1
            shown = cut_to_length(text, spec.max_length, box)
            self.overflows.append(Overflow(box, spec.name, spec.label, text))
        self._legacy_result(item.begin, shown)

    def _legacy_result(self, begin: Any, text: str) -> None:
        """Replace the runs between the field's separate and end with `text`."""
        separate = end = None
        for run in begin.itersiblings(w("r")):
            fld = run.find("w:fldChar", NS)
            kind = fld.get(w("fldCharType")) if fld is not None else None
            if kind == "separate" and separate is None:
                separate = run
            elif kind == "end":
                end = run
                break
        if end is None:
            raise FormError("a legacy form field has no end", fix="open the form in Word and save it again")
        if separate is None:
            separate = etree.Element(w("r"))
            etree.SubElement(separate, w("fldChar")).set(w("fldCharType"), "separate")
            end.addprevious(separate)
        between = []
        node = separate.getnext()
        while node is not None and node is not end:
            between.append(node)
            node = node.getnext()
        rpr = next((copy.deepcopy(r.find("w:rPr", NS)) for r in between if r.tag == w("r") and r.find("w:rPr", NS) is not None), None)
        for node in between:
            if node.tag == w("r"):
                node.getparent().remove(node)
        for run in _run(text, rpr):
            end.addprevious(run)

    def cell(self, item: Cell, value: str) -> None:
        text = clean(value, multiline=True)
        rpr = _run_properties(item.tc.getprevious(), False) if item.tc.getprevious() is not None else None
        _set_block_text(item.tc, text, rpr, keep=("tcPr",))


def _custom_parts(package: zipfile.ZipFile) -> dict[str, tuple[str, Any]]:
    """Each custom XML part (name, parsed root) by its store item ID, found through its properties part."""
    parts = {}
    names = set(package.namelist())
    for name in names:
        match = re.fullmatch(r"customXml/_rels/(item\d+\.xml)\.rels", name)
        if not match:
            continue
        rels = parse(package.read(name))
        for rel in rels:
            target = posixpath.normpath(posixpath.join("customXml", rel.get("Target") or ""))
            if target in names and rel.get("Type", "").endswith("/customXmlProps"):
                props = parse(package.read(target))
                item_id = props.get("{http://schemas.openxmlformats.org/officeDocument/2006/customXml}itemID")
                item = f"customXml/{match.group(1)}"
                if item_id and item in names:
                    parts[item_id.upper()] = (item, parse(package.read(item)))
    return parts


def _addendum(body: Any, form_name: str, overflows: list[Overflow]) -> None:
    """Addendum pages at the end of the form: each overflowing box's full text under its number."""
    anchor = body.find("w:sectPr", NS)

    def paragraph(text: str = "", *, bold: bool = False, page_break: bool = False) -> None:
        p = etree.Element(w("p"))
        if page_break:
            etree.SubElement(etree.SubElement(p, w("r")), w("br")).set(w("type"), "page")
        rpr = None
        if bold:
            rpr = etree.Element(w("rPr"))
            etree.SubElement(rpr, w("b"))
        if text:
            for run in _run(text, rpr):
                p.append(run)
        if anchor is not None:
            anchor.addprevious(p)
        else:
            body.append(p)

    paragraph(page_break=True)
    paragraph(f"Addendum to {form_name}", bold=True)
    paragraph("The text of each box below did not fit in the form.")
    for item in overflows:
        paragraph(f"Box {item.box}: {item.label or item.field}", bold=True)
        for line in item.text.split("\n"):
            paragraph(line)


def _fill_story(filler: _Filler, scope: Any, values: dict[str, str], prefix: str, *, cells: bool) -> None:
    """Fill every control and legacy field of one part (the body, a header or a footer)."""
    controls, legacy, places = find_fields(scope, prefix)
    for control in controls:
        value = values.get(control.field.name)
        if value is not None and (value.strip() or control.field.kind == "checkbox"):
            filler.control(control, value)
    for item in legacy:
        value = values.get(item.field.name)
        if value is not None and (value.strip() or item.field.kind == "checkbox"):
            filler.legacy(item, value)
    for cell in places if cells else []:
        value = values.get(cell.field.name)
        if value:
            filler.cell(cell, value)


def fill_docx(data: bytes, form_name: str, fields: tuple[Field, ...], values: dict[str, str]) -> FilledDocx:
    """The Word form with `values` (field name → text) filled in; fields given "" are left as they are.

    Raises FormError naming the field when a value is not one of its choices or not a date.
    """
    from senforms.documents.templating import normalise_docx

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        filler = _Filler(_custom_parts(package))
        replaced = {}
        # headers and footers first, so the addendum at the end of the body lists their boxes too
        for part in reversed(story_parts(package)):
            root = parse(package.read(part))
            scope = root.find("w:body", NS) if part == DOCUMENT else root
            _fill_story(filler, scope, values, "" if part == DOCUMENT else f"{part[5:-4]} ", cells=part == DOCUMENT)
            if part == DOCUMENT and filler.overflows:
                _addendum(scope, form_name, filler.overflows)
            replaced[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        for name, part in filler.bound.values():
            if name in filler.changed_parts:
                replaced[name] = etree.tostring(part.getroottree(), xml_declaration=True, encoding="UTF-8", standalone=False)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in package.infolist():
                target.writestr(info.filename, replaced.get(info.filename, package.read(info.filename)))
    return FilledDocx(normalise_docx(out.getvalue()), filler.overflows, filler.warnings)
