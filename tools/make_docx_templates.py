"""Build the six shipped Word templates: templates/docx/*.docx.

Run: python tools/make_docx_templates.py  (writes templates/docx/; same bytes every run)

The templates are docxtpl/Jinja documents. Everything they print comes from the context that
src/senforms/context.py and src/senforms/documents.py build (docs/templates.md lists it all);
this script only designs the pages. The house style is defined once, in the constants and
`_house_style` below: Arial 11pt, real Heading 1/2 styles, A4 with 2 cm margins, the school's
letterhead in the header, "Page X of Y" fields in the footer and, on plans, reviews and requests,
the protective marking.

Rules this script keeps so that Word and docxtpl agree:
- every Jinja tag sits wholly inside one run (each string below becomes exactly one run, and
  `_check_tags` refuses a run holding half a tag);
- block tags that add or remove whole paragraphs or table rows are on their own paragraph
  (`{%p … %}`) or row (`{%tr … %}`), so Word never sees a paragraph cut in two;
- no < or > inside tags (Word would store them escaped), straight quotes only.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from senforms.documents.templating import normalise_docx, set_fixed_properties  # noqa: E402

TARGET = ROOT / "templates" / "docx"

# --- house style: the only place fonts, sizes and colours are chosen ---------------------------

FONT = "Arial"  # LibreOffice shows it as Liberation Sans, which has the same metrics
BODY_PT = 11
TABLE_PT = 9.5
SMALL_PT = 8.5
ACCENT = "1F4E79"  # dark blue: headings, table header rows, letterhead name
ACCENT_LIGHT = "DEEAF6"  # total rows
LABEL_FILL = "F2F2F2"  # label cells of detail tables
BORDER = "A6A6A6"
GREY_TEXT = "595959"
PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 21.0, 29.7  # A4
MARGIN_CM = 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM  # 17 cm: every table's columns add up to this

# --- tiny vocabulary for content ----------------------------------------------------------------


@dataclass(frozen=True)
class R:
    """One run of text (which may hold whole Jinja tags), with character formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    colour: str | None = None
    size: float | None = None


def B(text: str) -> R:
    return R(text, bold=True)


def I(text: str) -> R:  # noqa: E743 - reads like Word's I button
    return R(text, italic=True)


@dataclass(frozen=True)
class P:
    """One paragraph in a table cell, with its own style."""

    content: object
    style: str | None = None


Content = Union[str, R, list]  # a run, or a list of runs making one paragraph
Cell = Union[Content, tuple]  # a tuple of paragraphs (each Content or P)

_TAG = re.compile(r"\{\{|\}\}|\{%|%\}")


def _check_tags(text: str) -> None:
    """A run must hold whole tags only: that is what keeps Word from splitting them."""
    depth = 0
    for match in _TAG.finditer(text):
        depth += 1 if match.group() in ("{{", "{%") else -1
        if depth not in (0, 1):
            raise ValueError(f"unbalanced tag in run: {text!r}")
    if depth:
        raise ValueError(f"a run holds half a tag: {text!r}")
    for tag in re.findall(r"\{%.*?%\}|\{\{.*?\}\}", text):
        if re.search(r"[<>‘’“”]", tag):
            raise ValueError(f"use no comparison signs or curly quotes inside tags: {tag!r}")


def _runs(content: Content) -> list[R]:
    if isinstance(content, (str, R)):
        content = [content]
    return [R(part) if isinstance(part, str) else part for part in content]


# --- low-level XML helpers ------------------------------------------------------------------------


# The order WordprocessingML requires for the children of the property elements written here:
# Word rejects a document whose children are out of order, so every insertion goes through `_set`.
_ORDER = {
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing tblInd "
             "tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription",
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
           "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd "
           "snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
           "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
           "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em "
           "lang eastAsianLayout specVanish oMath",
    "tblBorders": "top left start bottom right end insideH insideV",
    "tcBorders": "top left start bottom right end insideH insideV tl2br tr2bl",
    "pBdr": "top left bottom right between bar",
    "tblCellMar": "top left start bottom right end",
}


def _set(parent, tag: str, **attributes) -> OxmlElement:
    """Get or create child `tag` of `parent` (in schema order) and set w: attributes on it."""
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        order = _ORDER.get(parent.tag.split("}")[-1], "").split()
        name = tag.split(":")[-1]
        later = set(order[order.index(name) + 1:]) if name in order else set()
        for position, child in enumerate(parent):
            if child.tag.split("}")[-1] in later:
                parent.insert(position, element)
                break
        else:
            parent.append(element)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


def _fonts(rpr) -> None:
    """Arial for every script, dropping theme fonts (which would otherwise win)."""
    old = rpr.find(qn("w:rFonts"))
    if old is not None:
        rpr.remove(old)
    _set(rpr, "w:rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT)


def _shade(cell, fill: str) -> None:
    _set(cell._tc.get_or_add_tcPr(), "w:shd", val="clear", color="auto", fill=fill)


def _borders(parent_pr, tag: str, sides: dict[str, tuple[str, int, str]]) -> None:
    """sides: {'top': ('single', 4, 'A6A6A6'), …} written into a tblBorders/pBdr/tcBorders element."""
    box = _set(parent_pr, tag)
    for side, (value, size, colour) in sides.items():
        edge = _set(box, f"w:{side}")
        edge.set(qn("w:val"), value)
        edge.set(qn("w:sz"), str(size))
        edge.set(qn("w:space"), "0" if tag != "w:pBdr" else "4")
        edge.set(qn("w:color"), colour)


def _field(paragraph, instruction: str, placeholder: str = "1") -> None:
    """A real Word field (PAGE, NUMPAGES): begin, instruction, separate, shown result, end."""

    def char(kind: str) -> None:
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


# --- the document builder ---------------------------------------------------------------------------


class Builder:
    """A python-docx Document with the house style and helpers that keep tags whole."""

    def __init__(self, title: str, *, marked: bool, running: str) -> None:
        self.doc = Document()
        self.title = title
        self.marked = marked
        self._strip_package()
        self._house_style()
        self._page_setup()
        self._header_footer(running)
        body = self.doc.element.body
        for paragraph in list(body.iterchildren(qn("w:p"))):
            body.remove(paragraph)  # the default template's empty first paragraph

    # ---- package and styles ----

    def _strip_package(self) -> None:
        """No thumbnail of python-docx's sample page, no stale Word 2010 style copy."""
        package = self.doc.part.package
        for rid, rel in list(package.rels.items()):
            if rel.reltype.endswith("/thumbnail"):
                package.rels.pop(rid)
        for rid, rel in list(self.doc.part.rels.items()):
            if rel.reltype.endswith("/stylesWithEffects"):
                self.doc.part.rels.pop(rid)
        settings = self.doc.settings.element
        for tag in ("w:savePreviewPicture", "w:rsids", "w:proofState"):
            for element in settings.findall(qn(tag)):
                settings.remove(element)
        properties = self.doc.core_properties
        set_fixed_properties(
            properties, title=self.title, subject="senforms template",
            comments="A senforms template: see docs/templates.md before editing.",
        )
        properties.language = "en-GB"

    def _house_style(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _fonts(rpr)
        lang = _set(rpr, "w:lang")
        for attribute, value in (("val", "en-GB"), ("eastAsia", "en-GB"), ("bidi", "ar-SA")):
            lang.set(qn(f"w:{attribute}"), value)

        def paragraph_style(name: str, *, base: str | None = "Normal", size: float | None = None, bold: bool | None = None,
                            italic: bool | None = None, colour: str | None = None, before: float | None = None,
                            after: float | None = None, line: float | None = None, align=None, keep_next: bool | None = None,
                            next_style: str | None = None):
            try:
                style = styles[name]
            except KeyError:
                from docx.enum.style import WD_STYLE_TYPE

                style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
                style.quick_style = True
            if base and name != "Normal":
                style.base_style = styles[base]
            _fonts(style.element.get_or_add_rPr())
            font = style.font
            if size is not None:
                font.size = Pt(size)
                _set(style.element.get_or_add_rPr(), "w:szCs", val=int(size * 2))
            if bold is not None:
                font.bold = bold
            if italic is not None:
                font.italic = italic
            if colour is not None:
                font.color.rgb = RGBColor.from_string(colour)
                colour_element = style.element.rPr.find(qn("w:color"))
                for attribute in ("themeColor", "themeShade", "themeTint"):
                    colour_element.attrib.pop(qn(f"w:{attribute}"), None)
            pf = style.paragraph_format
            if before is not None:
                pf.space_before = Pt(before)
            if after is not None:
                pf.space_after = Pt(after)
            if line is not None:
                pf.line_spacing = line
            if align is not None:
                pf.alignment = align
            if keep_next is not None:
                pf.keep_with_next = keep_next
            if next_style:
                style.next_paragraph_style = styles[next_style]
            return style

        paragraph_style("Normal", base=None, size=BODY_PT, before=0, after=6, line=1.15)
        title = paragraph_style("Title", size=20, bold=True, colour=ACCENT, before=0, after=2, line=1.0, keep_next=True)
        ppr = title.element.get_or_add_pPr()
        for element in ppr.findall(qn("w:pBdr")):
            ppr.remove(element)
        for element in title.element.rPr.findall(qn("w:spacing")) + title.element.rPr.findall(qn("w:kern")):
            title.element.rPr.remove(element)
        subtitle = paragraph_style("Subtitle", size=13, bold=True, italic=False, colour="404040", before=0, after=2, keep_next=True)
        for element in subtitle.element.rPr.findall(qn("w:spacing")):
            subtitle.element.rPr.remove(element)
        paragraph_style("Heading 1", size=13.5, bold=True, colour=ACCENT, before=16, after=4, keep_next=True, next_style="Normal")
        paragraph_style("Heading 2", size=11.5, bold=True, colour=ACCENT, before=10, after=3, keep_next=True, next_style="Normal")
        paragraph_style("List Bullet", after=3)
        paragraph_style("Header", size=SMALL_PT, after=0, line=1.0)
        paragraph_style("Footer", size=SMALL_PT, after=0, line=1.0, colour=GREY_TEXT)
        for name in ("Header", "Footer"):
            tabs = styles[name].paragraph_format.tab_stops
            tabs.clear_all()
            tabs.add_tab_stop(Cm(TEXT_WIDTH_CM / 2), WD_TAB_ALIGNMENT.CENTER)
            tabs.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
        paragraph_style("Lead", size=10, colour=GREY_TEXT, after=10)
        paragraph_style("Table Text", size=TABLE_PT, before=0, after=0, line=1.05)
        paragraph_style("Table Heading", base="Table Text", bold=True, colour="FFFFFF", keep_next=True)
        paragraph_style("Table Label", base="Table Text", bold=True, colour="262626")
        paragraph_style("Table Note", base="Table Text", size=8, colour=GREY_TEXT)
        paragraph_style("Address", after=0, line=1.0)
        paragraph_style("Small Print", size=SMALL_PT, colour=GREY_TEXT, after=4)
        paragraph_style("Letterhead Name", size=15, bold=True, colour=ACCENT, after=1, line=1.0, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph_style("Letterhead Detail", size=SMALL_PT, colour=GREY_TEXT, after=0, line=1.0, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph_style("Marking", size=9, bold=True, colour="000000", after=2, line=1.0, align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph_style("Signature Space", after=0, before=26)
        paragraph_style("Cut Line", size=SMALL_PT, colour=GREY_TEXT, before=18, after=6, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)
        paragraph_style("Template Tag", size=8, colour="7F7F7F", after=0, line=1.0)

    def _page_setup(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
        section.left_margin = section.right_margin = Cm(MARGIN_CM)
        section.top_margin = Cm(2.0)
        section.bottom_margin = Cm(2.0)
        section.header_distance = Cm(0.9)
        section.footer_distance = Cm(0.9)
        section.different_first_page_header_footer = True

    # ---- header and footer ----

    def _header_footer(self, running: str) -> None:
        section = self.doc.sections[0]
        # First page: the full letterhead.
        first = section.first_page_header
        self._clear(first)
        if self.marked:
            self._add_paragraph(first, "{{ marking }}", style="Marking")
        table = first.add_table(rows=1, cols=2, width=Cm(TEXT_WIDTH_CM))
        self._grid(table, [3.2, TEXT_WIDTH_CM - 3.2])
        _borders(table._tbl.tblPr, "w:tblBorders", {side: ("nil", 0, "auto") for side in ("top", "left", "right", "insideH", "insideV")})
        _borders(table._tbl.tblPr, "w:tblBorders", {"bottom": ("single", 8, ACCENT)})
        self._cell_margins(table, top=0, bottom=80, left=0, right=0)
        logo, text = table.rows[0].cells
        logo.vertical_alignment = text.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        self._fill_cell(logo, "{{ school_logo }}", style="Header")
        self._fill_cell(text, (
            P("{{ school.name }}", "Letterhead Name"),
            P("{% for line in school.address if line != school.name %}{{ line }}{% if not loop.last %}, {% endif %}{% endfor %}", "Letterhead Detail"),
            P("{% if school.phone %}Telephone {{ school.phone }}{% endif %}{% if school.phone and school.email %}  |  {% endif %}"
              "{% if school.email %}{{ school.email }}{% endif %}{% if school.website %}  |  {{ school.website }}{% endif %}", "Letterhead Detail"),
            P("Head teacher: {{ school.head_teacher.name }}", "Letterhead Detail"),
        ))
        self._add_paragraph(first, "", style="Header")  # Word needs a paragraph after a table
        # Later pages: a quiet running head.
        later = section.header
        self._clear(later)
        if self.marked:
            self._add_paragraph(later, "{{ marking }}", style="Marking")
        paragraph = self._add_paragraph(later, [R("{{ school.name }}", bold=True, colour=ACCENT), "\t\t", R(running, colour=GREY_TEXT)], style="Header")
        pbdr = paragraph._p.get_or_add_pPr()
        _borders(pbdr, "w:pBdr", {"bottom": ("single", 6, ACCENT)})
        paragraph.paragraph_format.space_after = Pt(4)
        # Every page: protective marking (where it applies) and Page X of Y.
        for footer in (section.first_page_footer, section.footer):
            self._clear(footer)
            paragraph = self._add_paragraph(footer, [], style="Footer")
            if self.marked:
                paragraph.add_run("{{ marking }}").bold = True
                paragraph.runs[-1].font.color.rgb = RGBColor.from_string("000000")
            else:
                paragraph.add_run("{{ school.name }}")
            paragraph.add_run("\t\tPage ")
            _field(paragraph, "PAGE")
            paragraph.add_run(" of ")
            _field(paragraph, "NUMPAGES")

    @staticmethod
    def _clear(part) -> None:
        part.is_linked_to_previous = False
        for child in list(part._element):
            part._element.remove(child)

    # ---- paragraphs ----

    def _add_paragraph(self, container, content: Content, *, style: str | None = None):
        paragraph = container.add_paragraph(style=style)
        self._write(paragraph, content)
        return paragraph

    @staticmethod
    def _write(paragraph, content: Content) -> None:
        for part in _runs(content):
            if not part.text:
                continue
            _check_tags(part.text)
            run = paragraph.add_run(part.text)
            if part.bold:
                run.bold = True
            if part.italic:
                run.italic = True
            if part.colour:
                run.font.color.rgb = RGBColor.from_string(part.colour)
            if part.size:
                run.font.size = Pt(part.size)

    def p(self, content: Content = "", *, style: str | None = None, align=None, keep_next: bool = False, before: float | None = None, after: float | None = None):
        paragraph = self._add_paragraph(self.doc, content, style=style)
        pf = paragraph.paragraph_format
        if align is not None:
            pf.alignment = align
        if keep_next:
            pf.keep_with_next = True
        if before is not None:
            pf.space_before = Pt(before)
        if after is not None:
            pf.space_after = Pt(after)
        return paragraph

    def tag(self, text: str) -> None:
        """A paragraph holding only a block tag ({%p if … %}); docxtpl removes it when filling in."""
        assert text.startswith("{%p ") and text.endswith("%}"), text
        self.p(text, style="Template Tag")

    def h1(self, content: Content) -> None:
        self.p(content, style="Heading 1")

    def h2(self, content: Content) -> None:
        self.p(content, style="Heading 2")

    def title_block(self, title: str, subtitle: Content, lead: Content | None = None) -> None:
        self.p(title, style="Title")
        self.p(subtitle, style="Subtitle")
        if lead is not None:
            self.p(lead, style="Lead")
        else:
            self.p("", style="Lead")

    def bullet(self, content: Content) -> None:
        self.p(content, style="List Bullet")

    def field_text(self, variable: str, missing: str = "Not recorded yet.", *, italic: bool = False) -> None:
        """A paragraph showing a free-text value, or a plain note when it is empty."""
        self.p(R(f"{{% if {variable} %}}{{{{ {variable} }}}}{{% else %}}{missing}{{% endif %}}", italic=italic))

    # ---- tables ----

    @staticmethod
    def _grid(table, widths_cm: list[float]) -> None:
        """Fixed layout, full text width, and the column grid (rows get their cell widths in `row`)."""
        assert abs(sum(widths_cm) - TEXT_WIDTH_CM) < 0.01, (widths_cm, sum(widths_cm))
        table.autofit = False
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        tblpr = table._tbl.tblPr
        _set(tblpr, "w:tblW", w=round(TEXT_WIDTH_CM / 2.54 * 1440), type="dxa")
        _set(tblpr, "w:tblLayout", type="fixed")
        for column, width in zip(table.columns, widths_cm):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm):
                cell.width = Cm(width)

    @staticmethod
    def _cell_margins(table, *, top: int = 45, bottom: int = 45, left: int = 100, right: int = 100) -> None:
        margins = _set(table._tbl.tblPr, "w:tblCellMar")
        for side, value in (("top", top), ("left", left), ("bottom", bottom), ("right", right)):
            _set(margins, f"w:{side}", w=value, type="dxa")

    def _fill_cell(self, cell, spec: Cell, *, style: str = "Table Text") -> None:
        paragraphs = spec if isinstance(spec, tuple) else (spec,)
        first = True
        for item in paragraphs:
            content, item_style = (item.content, item.style) if isinstance(item, P) else (item, None)
            paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            paragraph.style = self.doc.styles[item_style or style]
            self._write(paragraph, content)

    def table(self, widths_cm: list[float], header: list[Cell] | None = None):
        table = self.doc.add_table(rows=0, cols=len(widths_cm))
        table.style = self.doc.styles["Table Grid"]
        edge = ("single", 4, BORDER)
        _borders(table._tbl.tblPr, "w:tblBorders", {side: edge for side in ("top", "left", "bottom", "right", "insideH", "insideV")})
        self._cell_margins(table)
        table._senforms_widths = widths_cm
        self._grid(table, widths_cm)
        if header:
            row = self.row(table, header, style="Table Heading", fill=ACCENT)
            trpr = row._tr.get_or_add_trPr()
            _set(trpr, "w:tblHeader")  # repeat on every page
        return table

    def row(self, table, cells: list[Cell], *, style: str = "Table Text", fill: str | None = None, span: list[int] | None = None,
            height_cm: float | None = None, label_columns: tuple[int, ...] = ()):
        """Add a row; `span` gives how many grid columns each cell covers."""
        widths = table._senforms_widths
        row = table.add_row()
        trpr = row._tr.get_or_add_trPr()
        _set(trpr, "w:cantSplit")
        span = span or [1] * len(cells)
        assert sum(span) == len(widths), (span, widths)
        tcs = list(row.cells)
        position = 0
        merged = []
        for count in span:
            cell = tcs[position]
            if count > 1:
                cell = cell.merge(tcs[position + count - 1])
            merged.append((cell, sum(widths[position:position + count])))
            position += count
        for index, ((cell, width), spec) in enumerate(zip(merged, cells)):
            cell.width = Cm(width)
            cell_style = "Table Label" if index in label_columns else style
            self._fill_cell(cell, spec, style=cell_style)
            if fill:
                _shade(cell, fill)
            elif index in label_columns:
                _shade(cell, LABEL_FILL)
        if height_cm:
            row.height = Cm(height_cm)
            row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        return row

    @staticmethod
    def keep_together(table) -> None:
        """Keep a short table on one page (every row but the last keeps with the next)."""
        for row in table.rows[:-1]:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True

    def tag_row(self, table, text: str) -> None:
        """A row holding only a row tag ({%tr for … %}); docxtpl removes the whole row when filling in."""
        assert text.startswith("{%tr ") and text.endswith("%}"), text
        self.row(table, [P(text, "Template Tag")], span=[len(table._senforms_widths)])

    def loop_rows(self, table, loop: str, cells: list[Cell], *, empty: str | None = None, empty_test: str | None = None) -> None:
        """A docxtpl table-row loop, with a row saying so when the list is empty."""
        self.tag_row(table, f"{{%tr for {loop} %}}")
        self.row(table, cells)
        self.tag_row(table, "{%tr endfor %}")
        if empty:
            self.tag_row(table, f"{{%tr if not {empty_test} %}}")
            self.row(table, [I(empty)], span=[len(table._senforms_widths)])
            self.tag_row(table, "{%tr endif %}")

    def details(self, pairs: list[tuple[str, Cell]], *, columns: int = 4, label_cm: float = 3.4) -> None:
        """A label/value table, two pairs to a row (columns=4) or one (columns=2)."""
        if columns == 4:
            value_cm = (TEXT_WIDTH_CM - 2 * label_cm) / 2
            table = self.table([label_cm, value_cm, label_cm, value_cm])
            for index in range(0, len(pairs), 2):
                chunk = pairs[index:index + 2]
                if len(chunk) == 2:
                    self.row(table, [chunk[0][0], chunk[0][1], chunk[1][0], chunk[1][1]], label_columns=(0, 2))
                else:
                    self.row(table, [chunk[0][0], chunk[0][1]], span=[1, 3], label_columns=(0,))
        else:
            table = self.table([label_cm, TEXT_WIDTH_CM - label_cm])
            for label, value in pairs:
                self.row(table, [label, value], label_columns=(0,))
        self.keep_together(table)
        self.p("", after=2)

    def signatures(self, rows: list[tuple[Cell, Cell]], *, parents: bool = True, pupil: Cell | None = None) -> None:
        table = self.table([3.6, 5.4, 5.0, 3.0], header=["", "Name", "Signature", "Date"])
        for role, name in rows:
            self.row(table, [role, name, "", ""], height_cm=1.1, label_columns=(0,))
        if parents:
            self.tag_row(table, "{%tr for parent in pupil.parents %}")
            self.row(table, ["Parent or carer", "{{ parent.name }}", "", ""], height_cm=1.1, label_columns=(0,))
            self.tag_row(table, "{%tr endfor %}")
        if pupil is not None:
            self.row(table, [pupil, "{{ pupil.full_name }}", "", ""], height_cm=1.1, label_columns=(0,))
        self.keep_together(table)
        self.p("", after=2)

    # ---- letters ----

    def letter_opening(self, *, confidential: bool = True) -> None:
        if confidential:
            self.p(B("Private and confidential"), style="Address", after=6)
        self.p("{{ recipient|full_name }}", style="Address")
        self.tag("{%p for line in recipient.address %}")
        self.p("{{ line }}", style="Address")
        self.tag("{%p endfor %}")
        self.p("", style="Address")
        self.p("{{ document_date|uk_date }}", before=6, after=12)
        self.p("Dear {{ recipient.salutation }},", after=10)

    def sign_off(self, closing: str = "Yours sincerely,") -> None:
        self.p(closing, before=6, keep_next=True)
        self.p("", style="Signature Space", keep_next=True)
        self.p(B("{{ school.senco.name }}"), style="Address", keep_next=True)
        self.p("{{ school.senco.role }}, {{ school.name }}", style="Address")

    def cut_line(self, text: str) -> None:
        paragraph = self.p(R(text, colour=GREY_TEXT), style="Cut Line")
        _borders(paragraph._p.get_or_add_pPr(), "w:pBdr", {"top": ("dashed", 6, "7F7F7F")})

    def slip_lines(self, labels: list[str]) -> None:
        """Name / Signature / Date lines for a return slip (a borderless table with rules to write on)."""
        table = self.doc.add_table(rows=0, cols=2)
        table._senforms_widths = [3.2, TEXT_WIDTH_CM - 3.2]
        self._grid(table, table._senforms_widths)
        _borders(table._tbl.tblPr, "w:tblBorders", {side: ("nil", 0, "auto") for side in ("top", "left", "bottom", "right", "insideV")})
        _borders(table._tbl.tblPr, "w:tblBorders", {"insideH": ("nil", 0, "auto")})
        self._cell_margins(table, left=0, right=60)
        for label in labels:
            row = self.row(table, [label, ""], height_cm=0.95)
            line = row.cells[1]._tc.get_or_add_tcPr()
            _borders(line, "w:tcBorders", {"bottom": ("dotted", 6, "7F7F7F")})
            for cell in row.cells:
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True

    # ---- output ----

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return normalise_docx(buffer.getvalue())


# --- shared pieces ----------------------------------------------------------------------------------

KNOWN_AS = "{{ pupil.known_as }}"
SENCO_REACH = (
    "{% if school.senco.phone %} on {{ school.senco.phone }}{% endif %}"
    "{% if school.senco.phone and school.senco.email %} or{% endif %}"
    "{% if school.senco.email %} by email at {{ school.senco.email }}{% endif %}"
)
YEAR_AND_CLASS = "{{ pupil.year_group }}{% if pupil.class_name %}, {{ pupil.class_name }}{% endif %}"
DOB_AND_AGE = "{{ pupil.date_of_birth|uk_date }} (age {{ pupil.date_of_birth|age }})"
SEN_STATUS = "{{ pupil.sen_status }}{% if pupil.sen_support_start %} since {{ pupil.sen_support_start|uk_date }}{% endif %}"
SECONDARY_NEED = "{% if pupil.secondary_need %}{{ pupil.secondary_need }}{% else %}None recorded{% endif %}"
CYCLE_DATES = "{{ cycle.start_date|uk_date }}{% if cycle.end_date %} to {{ cycle.end_date|uk_date }}{% endif %}"


def _note_if(condition: str, text: str) -> tuple:
    """Paragraphs for a table cell: a small note shown only when `condition` holds."""
    return (P(f"{{%p if {condition} %}}", "Template Tag"), P(text, "Table Note"), P("{%p endif %}", "Template Tag"))


def _pupil_details(b: Builder) -> None:
    b.details([
        ("Full name", "{{ pupil.full_name }}"),
        ("Known as", KNOWN_AS),
        ("Date of birth", DOB_AND_AGE),
        ("Year group and class", YEAR_AND_CLASS),
        ("UPN", "{{ pupil.upn }}"),
        ("SEN status", SEN_STATUS),
        ("Primary need", "{{ pupil.primary_need }}"),
        ("Secondary need", SECONDARY_NEED),
        ("English as an additional language", "{{ pupil.eal|yes_no }}{% if pupil.eal and pupil.first_language %} (first language: {{ pupil.first_language }}){% endif %}"),
        ("Pupil premium", "{{ pupil.pupil_premium|yes_no }}"),
        ("Looked after", "{{ pupil.looked_after|yes_no }}"),
        ("SENCo", "{{ school.senco.name }}"),
    ])


def _outcomes_plan_table(b: Builder, outcomes: str = "cycle.outcomes") -> None:
    table = b.table([1.1, 5.3, 3.1, 2.6, 2.6, 2.3], header=["No.", "Outcome", "How we will measure it", "Starting point", "Target", "By"])
    b.loop_rows(table, f"o in {outcomes}", [
        B("{{ o.id }}"),
        ("{{ o.description }}", *_note_if("o.area", "{{ o.area }}")),
        "{{ o.measure }}",
        "{{ o.baseline }}",
        "{{ o.target }}",
        "{{ o.by_date|short_date }}",
    ], empty="No outcomes have been agreed yet.", empty_test=outcomes)
    b.p("", after=2)


def _outcomes_review_table(b: Builder, outcomes: str) -> None:
    table = b.table([1.1, 5.2, 3.0, 2.5, 5.2], header=["No.", "Outcome", "Target", "Progress", "What we found"])
    b.loop_rows(table, f"o in {outcomes}", [
        B("{{ o.id }}"),
        "{{ o.description }}",
        "{{ o.target }}{% if o.by_date %} by {{ o.by_date|short_date }}{% endif %}",
        B("{% if o.rating %}{{ o.rating }}{% else %}Not rated{% endif %}"),
        "{{ o.progress }}",
    ], empty="No outcomes were set in this cycle.", empty_test=outcomes)
    b.p("", after=2)


# --- 1. SEN support plan --------------------------------------------------------------------------


def support_plan() -> Builder:
    b = Builder("SEN support plan", marked=True, running="SEN support plan: {{ pupil.full_name }}")
    b.title_block(
        "SEN support plan",
        "{{ pupil.full_name }}",
        "Cycle {{ cycle.number }}, {{ cycle.term }}: " + CYCLE_DATES + ". This plan sets out the extra help " + KNOWN_AS
        + " receives at school through SEN support, what it aims to achieve, and when we will review it together.",
    )

    b.h1("Pupil details")
    _pupil_details(b)

    b.h1("Strengths and interests")
    b.field_text("pupil.strengths")

    b.h1("Needs")
    b.p(["The SEND Code of Practice describes four broad areas of need. These are the areas where ", KNOWN_AS, " needs extra help."])
    table = b.table([4.6, 12.4], header=["Area of need", "What this means for " + KNOWN_AS])
    b.loop_rows(table, "need in pupil.needs", [B("{{ need.area }}"), "{{ need.description }}"],
                empty="No needs have been described yet.", empty_test="pupil.needs")
    b.p("", after=2)

    b.h1("What we know: assessment")
    b.p("{{ cycle.assessment }}")
    b.tag("{%p if cycle.baseline %}")
    b.p([B("Starting point: "), "{{ cycle.baseline }}"])
    b.tag("{%p endif %}")

    b.h1("Views")
    b.h2("What " + KNOWN_AS + " says")
    b.field_text("pupil.pupil_views", italic=True)
    b.h2("What " + KNOWN_AS + "'s parents and carers say")
    b.field_text("pupil.parent_views", italic=True)

    b.h1("Outcomes we are working towards")
    b.p("Each outcome says what will be different, how we will know, and by when (specific, measurable, achievable, realistic and time-bound).")
    _outcomes_plan_table(b)

    b.h1("Support and provision")
    b.p(["This is the support that is additional to, or different from, the high-quality teaching every pupil receives. "
         "Annual cost is the estimated cost of each support over a school year."])
    table = b.table([3.6, 2.9, 2.3, 1.8, 2.6, 1.6, 2.2],
                    header=["Support", "Area", "How often", "Group", "Staff", "Hours a week", "Annual cost"])
    b.loop_rows(table, "p in cycle.provision", [
        ("{{ p.description }}", *_note_if("p.outcome_ids", "For outcome {{ p.outcome_ids }}")),
        "{{ p.area }}",
        "{{ p.frequency }}",
        "{{ p.group }}",
        "{{ p.staff_role }}",
        "{{ p.weekly_hours|hours }}",
        "{{ p.annual_cost|money }}",
    ], empty="No additional provision has been planned yet.", empty_test="cycle.provision")
    b.row(table, [B("Total"), B("{{ cycle.total_weekly_hours|hours }}"), B("{{ cycle.total_annual_cost|money }}")],
          span=[5, 1, 1], fill=ACCENT_LIGHT)
    b.p("", after=2)

    b.h1("Working together")
    b.h2("What parents and carers will do at home")
    b.field_text("cycle.parent_contribution")
    b.h2("What " + KNOWN_AS + " will do")
    b.field_text("cycle.pupil_contribution", italic=True)
    b.h2("What school will do")
    b.p([KNOWN_AS, "'s class teacher stays responsible for ", KNOWN_AS, "'s learning every day, with support from the SENCo. "
         "Everyone who works with ", KNOWN_AS, " will know about this plan and the strategies that help."])

    b.h1("Review")
    b.p(["{% if cycle.review_date %}We will review this plan together on {{ cycle.review_date|uk_date }}."
         "{% else %}We will agree a date to review this plan together.{% endif %}",
         " We meet parents and carers at least three times a year to look at progress and agree the next steps."])

    b.h1("Agreement")
    b.p("We have agreed this plan together.", keep_next=True)
    b.signatures([("{{ school.senco.role }}", "{{ school.senco.name }}")], pupil="Pupil")
    return b


# --- 2. Review record --------------------------------------------------------------------------------


def review() -> Builder:
    b = Builder("SEN support review record", marked=True, running="SEN support review: {{ pupil.full_name }}")
    b.title_block(
        "SEN support review record",
        "{{ pupil.full_name }}",
        "Review of cycle {{ cycle.number }}, {{ cycle.term }}: " + CYCLE_DATES + ".",
    )
    b.tag("{%p if cycle.review %}")

    b.h1("Review details")
    b.details([
        ("Pupil", "{{ pupil.full_name }}"),
        ("Date of birth", DOB_AND_AGE),
        ("Year group and class", YEAR_AND_CLASS),
        ("UPN", "{{ pupil.upn }}"),
        ("Plan period", CYCLE_DATES),
        ("Review meeting", "{{ cycle.review.date|uk_date }}"),
        ("Primary need", "{{ pupil.primary_need }}"),
        ("Secondary need", SECONDARY_NEED),
    ])

    b.h1("Who took part")
    b.tag("{%p for person in cycle.review.attendees %}")
    b.bullet("{{ person }}")
    b.tag("{%p endfor %}")
    b.tag("{%p if not cycle.review.attendees %}")
    b.p("Not recorded.")
    b.tag("{%p endif %}")

    b.h1("How the support was delivered")
    b.field_text("cycle.delivery_notes")
    table = b.table([5.6, 3.4, 3.0, 3.2, 1.8], header=["Support", "How often", "Group", "Staff", "Hours a week"])
    b.loop_rows(table, "p in cycle.provision", [
        "{{ p.description }}", "{{ p.frequency }}", "{{ p.group }}", "{{ p.staff_role }}", "{{ p.weekly_hours|hours }}",
    ], empty="No additional provision was planned in this cycle.", empty_test="cycle.provision")
    b.p("", after=2)

    b.h1("Progress towards each outcome")
    _outcomes_review_table(b, "cycle.outcomes")

    b.h1("Views")
    b.h2("What " + KNOWN_AS + " said")
    b.field_text("cycle.review.pupil_views", italic=True)
    b.h2("What parents and carers said")
    b.field_text("cycle.review.parent_views", italic=True)

    b.h1("Decision and next steps")
    b.p([B("Decision: "), "{{ cycle.review.decision }}"])
    b.tag("{%p if cycle.review.requests_ehc_assessment %}")
    b.p(["We agreed to ask the local authority for an education, health and care (EHC) needs assessment. "
         "The school will only send the request with the family's knowledge and agreement, and SEN support continues in the meantime."])
    b.tag("{%p endif %}")
    b.tag("{%p if cycle.review.next_steps %}")
    b.p([B("Next steps: "), "{{ cycle.review.next_steps }}"])
    b.tag("{%p endif %}")
    b.p([B("Next review: "), "{% if cycle.review.next_review_date %}{{ cycle.review.next_review_date|uk_date }}{% else %}to be agreed{% endif %}"])

    b.h1("Sharing this record")
    b.p(["A copy of this record is given to ", KNOWN_AS, "'s parents and carers",
         "{% if cycle.review.record_given_to_parents %} (given on {{ cycle.review.record_given_to_parents|uk_date }}){% endif %}",
         " and shared with the staff who work with ", KNOWN_AS, ", as the SEND Code of Practice asks (paragraphs 6.65 to 6.71)."])
    b.h2("Signed")
    b.signatures([("{{ school.senco.role }}", "{{ school.senco.name }}")], pupil="Pupil")

    b.tag("{%p else %}")
    b.p("This cycle has not been reviewed yet. A review record is made once the review meeting has taken place.")
    b.tag("{%p endif %}")
    return b


# --- 3. Letter telling parents (or the young person) about SEN support -------------------------------


def parent_notification() -> Builder:
    b = Builder("Letter about SEN support", marked=False, running="{{ recipient|full_name }}, {{ document_date|uk_date }}")
    b.letter_opening()

    b.tag("{%p if pupil.is_young_person %}")
    b.p(B("Your special educational needs (SEN) support"))
    b.p(["I am writing to let you know that we have identified that you have special educational needs, and that the school is "
         "making special educational provision for you",
         "{% if pupil.sen_support_start %} from {{ pupil.sen_support_start|uk_date }}{% endif %}",
         ". This means you receive help that is additional to, or different from, what is normally available to students of your age. "
         "We call this SEN support, and we have recorded it in your school record."])
    b.p("The law asks schools to tell young people when they make special educational provision for them (section 68 of the "
        "Children and Families Act 2014, and paragraph 6.43 of the SEND Code of Practice).")
    b.tag("{%p else %}")
    b.p(B("{{ pupil.full_name }}: special educational needs (SEN) support"))
    b.p(["I am writing to let you know that we have identified that ", KNOWN_AS, " has special educational needs, and that the school "
         "is making special educational provision for ", KNOWN_AS,
         "{% if pupil.sen_support_start %} from {{ pupil.sen_support_start|uk_date }}{% endif %}",
         ". This means ", KNOWN_AS, " receives help that is additional to, or different from, what is normally available to "
         "children of the same age. We call this SEN support, and we have recorded it in ", KNOWN_AS, "'s school record."])
    b.p("The law asks schools to tell parents when they make special educational provision for their child (section 68 of the "
        "Children and Families Act 2014, and paragraph 6.43 of the SEND Code of Practice).")
    b.tag("{%p endif %}")

    b.h2("What SEN support means")
    b.p("SEN support follows a cycle of four steps, which the SEND Code of Practice calls the graduated approach:", keep_next=True)
    b.tag("{%p if pupil.is_young_person %}")
    b.bullet([B("Assess: "), "we build up a clear picture of what you find difficult and what helps, using your teachers' assessments "
              "and observations, your own views and, where needed, advice from specialists."])
    b.bullet([B("Plan: "), "together with you, we agree the outcomes we are aiming for, the support that will help, and a date to review it."])
    b.bullet([B("Do: "), "your teachers stay responsible for your learning every day, working with teaching assistants or specialists "
              "who may give extra help in class or in small groups."])
    b.bullet([B("Review: "), "on the agreed date we look together at how well the support has worked and decide what happens next."])
    b.p("We then repeat the cycle, changing the support as we learn more about what works for you.", before=4)
    b.tag("{%p else %}")
    b.bullet([B("Assess: "), "we build up a clear picture of what ", KNOWN_AS, " finds difficult and what helps, using teachers' "
              "assessments and observations, ", KNOWN_AS, "'s own views and yours and, where needed, advice from specialists."])
    b.bullet([B("Plan: "), "together with you and ", KNOWN_AS, ", we agree the outcomes we are aiming for, the support that will help, "
              "and a date to review it."])
    b.bullet([B("Do: "), KNOWN_AS, "'s class teacher stays responsible for ", KNOWN_AS, "'s learning every day, working with "
              "teaching assistants or specialists who may give extra help in class or in small groups."])
    b.bullet([B("Review: "), "on the agreed date we look together at how well the support has worked and decide what happens next."])
    b.p(["We then repeat the cycle, changing the support as we learn more about what works for ", KNOWN_AS, "."], before=4)
    b.tag("{%p endif %}")

    b.h2("Working together")
    b.tag("{%p if pupil.is_young_person %}")
    b.p("You will be involved in planning and reviewing your support, and we will meet you at least three times a year to talk about "
        "your progress and agree the next steps. Your parents or carers can be involved too, if you would like them to be.")
    b.tag("{%p else %}")
    b.p(["You know ", KNOWN_AS, " best, and your views matter. You and ", KNOWN_AS, " will be involved in planning and reviewing the "
         "support, and we will meet you at least three times a year to talk about progress, agree the next steps and discuss how you "
         "can help at home."])
    b.tag("{%p endif %}")
    b.tag("{%p if cycle %}")
    b.tag("{%p if cycle.review %}")
    b.p(["{% if pupil.is_young_person %}Your{% else %}" + KNOWN_AS + "'s{% endif %}",
         " support was last reviewed on {{ cycle.review.date|uk_date }}.",
         "{% if cycle.review.next_review_date %} The next review will be on {{ cycle.review.next_review_date|uk_date }}, "
         "and we will send you an invitation beforehand.{% endif %}"])
    b.tag("{%p else %}")
    b.p(["{% if pupil.is_young_person %}Your{% else %}" + KNOWN_AS + "'s{% endif %}",
         " current SEN support plan started on {{ cycle.start_date|uk_date }}.",
         "{% if cycle.review_date %} We will review it together on {{ cycle.review_date|uk_date }}, and we will send you an "
         "invitation beforehand.{% endif %}"])
    b.tag("{%p endif %}")
    b.tag("{%p endif %}")

    b.h2("Questions and further information")
    b.p(["If you have any questions, or would like to talk about ",
         "{% if pupil.is_young_person %}your{% else %}" + KNOWN_AS + "'s{% endif %}",
         " support, please contact our special educational needs co-ordinator (SENCo), {{ school.senco.name }}", SENCO_REACH, "."])
    b.tag("{%p if la and la.local_offer_url %}")
    b.p(["{{ la.name }} publishes a Local Offer, which explains the support and services available for children and young people "
         "with special educational needs and disabilities (SEND) in the area: ", B("{{ la.local_offer_url }}")])
    b.tag("{%p endif %}")
    b.p(["{{ school.sendiass.name }} gives free, impartial and confidential information, advice and support about SEND to "
         "children, young people and parents",
         "{% if school.sendiass.phone %}: telephone {{ school.sendiass.phone }}{% endif %}",
         "{% if school.sendiass.email %}, email {{ school.sendiass.email }}{% endif %}",
         "{% if school.sendiass.website %}, website {{ school.sendiass.website }}{% endif %}", "."])
    b.p("Please fill in and return the slip below so that we know you have received this letter.")
    b.sign_off()

    b.cut_line("Please detach and return this slip to the school office")
    b.p(B("Return slip: SEN support for {{ pupil.full_name }} ({{ pupil.year_group }})"), keep_next=True)
    b.tag("{%p if pupil.is_young_person %}")
    b.p("I have received the letter dated {{ document_date|uk_date }} telling me that I am receiving SEN support.", keep_next=True)
    b.tag("{%p else %}")
    b.p("I have received the letter dated {{ document_date|uk_date }} telling me that " + KNOWN_AS + " is receiving SEN support.", keep_next=True)
    b.tag("{%p endif %}")
    b.p("\u2610  I would like to talk to the SENCo about this.", keep_next=True)
    b.slip_lines(["Name", "Signature", "Date"])
    return b


# --- 4. Meeting invitation -------------------------------------------------------------------------------


def invitation() -> Builder:
    b = Builder("Meeting invitation", marked=False, running="{{ recipient|full_name }}, {{ document_date|uk_date }}")
    b.letter_opening()
    b.tag("{%p if pupil.is_young_person %}")
    b.p(B("Invitation: {{ meeting.type }}"))
    b.p("I would like to invite you to a meeting about your SEN support. It is a chance for us to look together at how things are "
        "going, hear your views and agree what happens next.")
    b.tag("{%p else %}")
    b.p(B("Invitation: {{ meeting.type }} for {{ pupil.full_name }}"))
    b.p(["I would like to invite you to a meeting about ", KNOWN_AS, "'s SEN support. It is a chance for us to look together at how ",
         KNOWN_AS, " is getting on, hear your views and agree what happens next."])
    b.tag("{%p endif %}")

    b.details([
        ("Meeting", "{{ meeting.type }}"),
        ("Purpose", "{{ meeting.purpose }}"),
        ("Date", B("{{ meeting.date.strftime('%A') }} {{ meeting.date|uk_date }}")),
        ("Time", B("{% if meeting.start_time %}{{ meeting.start_time|time }}{% if meeting.end_time %} to {{ meeting.end_time|time }}"
                   "{% endif %}{% else %}To be confirmed{% endif %}")),
        ("Where", ("{% if meeting.is_online %}Online, using this link: {{ meeting.online_link }}{% elif meeting.location %}"
                   "{{ meeting.location }}{% else %}{{ school.name }}{% endif %}",
                   *_note_if("meeting.online_link and not meeting.is_online", "You can also join online: {{ meeting.online_link }}"))),
        ("Who will be there", "{% if meeting.staff_attending %}{{ meeting.staff_attending|join(', ') }}{% else %}"
                              "{{ school.senco.name }} ({{ school.senco.role }}){% endif %}, and you"),
    ], columns=2, label_cm=3.6)

    b.tag("{%p if not pupil.is_young_person %}")
    b.p([KNOWN_AS, " is welcome to come to all or part of the meeting. If ", KNOWN_AS, " would rather not, we will talk with ",
         KNOWN_AS, " beforehand so that their views are heard."])
    b.tag("{%p endif %}")
    b.p(["You are welcome to bring a friend, a family member or someone to support you, such as an adviser from "
         "{{ school.sendiass.name }}", "{% if school.sendiass.phone %} ({{ school.sendiass.phone }}){% endif %}",
         ", which gives free, impartial and confidential advice about special educational needs and disabilities."])
    b.p(["If you would like to share your views before the meeting, please send them to {{ school.senco.name }}",
         "{% if school.senco.email %} at {{ school.senco.email }}{% endif %}",
         ". We will make sure everyone at the meeting has read them."])
    b.tag("{%p if recipient.interpreter_needed %}")
    b.p(["We will arrange an interpreter", "{% if recipient.language %} ({{ recipient.language }}){% endif %}",
         " for the meeting. Please tell us if you would also like this letter explained in your language."])
    b.tag("{%p endif %}")
    b.p([B("Please let us know by {{ meeting.reply_by|uk_date }} whether you can come."),
         " If the date or time is difficult for you, please contact {{ school.senco.name }}", SENCO_REACH, " and we will arrange another time."])
    b.p("I look forward to seeing you.")
    b.sign_off()

    b.cut_line("Please detach and return this slip by {{ meeting.reply_by|uk_date }}")
    b.p(B("Reply slip: {{ meeting.type }} for {{ pupil.full_name }} on {{ meeting.date|uk_date }}"), keep_next=True)
    b.p("\u2610  I will come to the meeting.", keep_next=True, after=3)
    b.p("\u2610  I cannot come. Please contact me to arrange another time.", keep_next=True, after=3)
    b.p("\u2610  I will bring someone with me to support me.", keep_next=True, after=3)
    b.p("\u2610  I would like an interpreter. Language: ……………………………………", keep_next=True)
    b.slip_lines(["Name", "Signature", "Date"])
    return b


# --- 5. Request for an EHC needs assessment --------------------------------------------------------------


def ehc_request() -> Builder:
    b = Builder("Request for an EHC needs assessment", marked=True, running="EHC needs assessment request: {{ pupil.full_name }}")
    b.title_block(
        "Request for an education, health and care (EHC) needs assessment",
        "{{ pupil.full_name }}",
        ["Made by {{ school.name }} to {{ la.name }} under section 36(1) of the Children and Families Act 2014. The school asks the "
         "local authority to consider whether ", KNOWN_AS, " has or may have special educational needs and whether it may be necessary "
         "for special educational provision to be made through an EHC plan (section 36(8))."],
    )
    b.details([
        ("Child or young person", "{{ pupil.full_name }}"),
        ("Date of birth", "{{ pupil.date_of_birth|uk_date }}"),
        ("UPN", "{{ pupil.upn }}"),
        ("Year group", "{{ pupil.year_group }}"),
        ("Requested by", "{{ school.name }}"),
        ("Sent to", "{{ la.send_team_name }}, {{ la.name }}"),
        ("Date of request", "{{ document_date|uk_date }}"),
        ("Reviewed cycles of SEN support", "{{ completed_cycles }}"),
    ])

    b.h1("1. Who is making this request")
    b.details([
        ("Name", "{{ requester.name }}"),
        ("Role", "{{ requester.role }}"),
        ("Email", "{{ requester.email }}"),
        ("Telephone", "{{ requester.phone }}"),
        ("School or setting", "{{ school.name }}{% if school.urn %} (URN {{ school.urn }}){% endif %}"),
        ("Address", "{% for line in school.address if line != school.name %}{{ line }}{% if not loop.last %}, {% endif %}{% endfor %}"),
        ("School telephone", "{{ school.phone }}"),
        ("School email", "{{ school.email }}"),
        ("Head teacher", "{{ school.head_teacher.name }}"),
        ("Date of request", "{{ document_date|uk_date }}"),
    ], columns=2, label_cm=4.2)
    b.tag("{%p if parents_agree %}")
    b.p(["{% if pupil.is_young_person %}" + KNOWN_AS + " knows about this request and agrees to it"
         "{% else %}" + KNOWN_AS + "'s parents or carers know about this request and agree to it{% endif %}", " (see section 4)."])
    b.tag("{%p else %}")
    b.p(B("No agreement to this request has been recorded yet (see section 4)."))
    b.tag("{%p endif %}")

    b.h1("2. The child or young person")
    b.details([
        ("Legal forename", "{{ pupil.legal_forename }}"),
        ("Legal surname", "{{ pupil.legal_surname }}"),
        ("Known as", KNOWN_AS),
        ("Gender", "{{ pupil.gender }}"),
        ("Date of birth", DOB_AND_AGE),
        ("Year group and class", YEAR_AND_CLASS),
        ("UPN", "{{ pupil.upn }}"),
        ("First language", "{{ pupil.first_language }}"),
        ("Home address", "{{ pupil.address|join(', ') }}"),
    ])
    b.h2("Status")
    b.details([
        ("SEN status", "{{ pupil.sen_status }} ({{ pupil.sen_status_code }})"),
        ("SEN support since", "{{ pupil.sen_support_start|uk_date }}"),
        ("Looked after", "{{ pupil.looked_after|yes_no }}"),
        ("Pupil premium", "{{ pupil.pupil_premium|yes_no }}"),
        ("English as an additional language", "{{ pupil.eal|yes_no }}"),
        ("Young person (over compulsory school age)", "{{ pupil.is_young_person|yes_no }}"),
    ])

    b.h1("3. Parents and carers with parental responsibility")
    table = b.table([3.2, 2.6, 3.6, 5.2, 2.4], header=["Name", "Relationship", "Address", "Telephone and email", "Language"])
    b.loop_rows(table, "parent in pupil.parents", [
        B("{{ parent|full_name }}"),
        "{{ parent.relationship }}",
        "{{ parent.address|join(', ') }}",
        ("{{ parent.phone }}", "{{ parent.email }}"),
        "{{ parent.language }}{% if parent.interpreter_needed %} (needs an interpreter){% endif %}",
    ], empty="No one with parental responsibility is recorded.", empty_test="pupil.parents")
    b.p("", after=2)

    b.h1("4. Consent")
    table = b.table([3.3, 5.4, 2.4, 2.6, 3.3], header=["Given by", "What was agreed", "Date", "How", "Not to be told"])
    b.loop_rows(table, "consent in consents", [
        B("{{ consent.given_by }}"), "{{ consent.scope }}", "{{ consent.date|short_date }}", "{{ consent.method }}",
        "{% if consent.exclusions %}{{ consent.exclusions }}{% else %}No one{% endif %}",
    ], empty="No consent has been recorded.", empty_test="consents")
    b.p("", after=2)
    b.p(R("\"Not to be told\" lists anyone who must not be given information about this request.", colour=GREY_TEXT, size=SMALL_PT))

    b.h1("5. The child's or young person's views")
    b.field_text("pupil.pupil_views", italic=True)

    b.h1("6. Parents' and carers' views")
    b.field_text("pupil.parent_views", italic=True)

    b.h1("7. Special educational needs")
    b.details([
        ("Primary need", "{{ pupil.primary_need }} ({{ pupil.primary_need_code }})"),
        ("Secondary need", "{% if pupil.secondary_need %}{{ pupil.secondary_need }} ({{ pupil.secondary_need_code }}){% else %}None recorded{% endif %}"),
        ("Broad areas of need", "{{ pupil.broad_areas|join(', ') }}"),
    ], columns=2, label_cm=4.2)
    b.p(["Needs are described under the four broad areas of the SEND Code of Practice (paragraphs 6.28 to 6.35)."])
    table = b.table([4.6, 12.4], header=["Area of need", "Description"])
    b.loop_rows(table, "need in pupil.needs", [B("{{ need.area }}"), "{{ need.description }}"],
                empty="No needs have been described.", empty_test="pupil.needs")
    b.p("", after=2)
    b.h2("Strengths")
    b.field_text("pupil.strengths")

    b.h1("8. Attainment, progress and attendance")
    b.h2("Attainment")
    b.field_text("pupil.attainment")
    b.tag("{%p if pupil.attainment_date %}")
    b.p(R("Assessed on {{ pupil.attainment_date|uk_date }}.", colour=GREY_TEXT))
    b.tag("{%p endif %}")
    b.h2("Progress")
    b.p("Progress against the outcomes set in each cycle of SEN support is shown in section 9.")
    b.h2("Attendance")
    b.p("{% if pupil.attendance_percent is not none %}{{ pupil.attendance_percent }}%{% if pupil.attendance_period %} "
        "({{ pupil.attendance_period }}){% endif %}{% else %}Not recorded{% endif %}")

    b.h1("9. The graduated approach: assess, plan, do, review")
    b.p(["{{ completed_cycles }} ", "{% if completed_cycles == 1 %}cycle{% else %}cycles{% endif %}",
         " of SEN support ", "{% if completed_cycles == 1 %}has{% else %}have{% endif %}",
         " been reviewed with ", KNOWN_AS, " and the family", "{% if pupil.sen_support_start %} since {{ pupil.sen_support_start|uk_date }}{% endif %}", "."])
    table = b.table([1.5, 3.4, 4.6, 2.1, 5.4], header=["Cycle", "Term", "Dates", "Outcomes", "Review decision"])
    b.loop_rows(table, "c in cycles", [
        B("{{ c.number }}"),
        "{{ c.term|capitalize }}",
        "{{ c.start_date|short_date }}{% if c.end_date %} to {{ c.end_date|short_date }}{% endif %}",
        "{{ c.outcomes|length }}",
        "{% if c.review %}{{ c.review.decision }}{% else %}Not yet reviewed{% endif %}",
    ], empty="No cycles of SEN support are recorded.", empty_test="cycles")
    b.p("", after=2)
    b.tag("{%p for c in cycles %}")
    b.h2("Cycle {{ c.number }}: {{ c.term }}")
    b.p([B("Assess: "), "{{ c.assessment }}"])
    b.tag("{%p if c.baseline %}")
    b.p([B("Starting point: "), "{{ c.baseline }}"])
    b.tag("{%p endif %}")
    b.p(B("Plan and review: outcomes and progress"), keep_next=True, after=3)
    _outcomes_review_table(b, "c.outcomes")
    b.tag("{%p if c.delivery_notes %}")
    b.p([B("Do: "), "{{ c.delivery_notes }}"])
    b.tag("{%p endif %}")
    b.tag("{%p if c.review %}")
    b.p([B("Review on {{ c.review.date|uk_date }}: "), "{{ c.review.decision }}."])
    b.tag("{%p if c.review.pupil_views %}")
    b.p([B("The child's views: "), I("{{ c.review.pupil_views }}")])
    b.tag("{%p endif %}")
    b.tag("{%p if c.review.parent_views %}")
    b.p([B("Parents' views: "), I("{{ c.review.parent_views }}")])
    b.tag("{%p endif %}")
    b.tag("{%p if c.review.next_steps %}")
    b.p([B("Next steps: "), "{{ c.review.next_steps }}"])
    b.tag("{%p endif %}")
    b.tag("{%p endif %}")
    b.tag("{%p endfor %}")

    b.h1("10. Costed provision map")
    b.p("Every additional or different provision made through SEN support, oldest first, with its estimated cost over a school year.")
    table = b.table([2.2, 3.8, 3.0, 3.0, 2.8, 2.2], header=["Term", "Support", "Area", "How often and group", "Staff", "Annual cost"])
    b.loop_rows(table, "row in provision_map.rows", [
        "{{ row.term|capitalize }}", "{{ row.description }}", "{{ row.area }}", ("{{ row.frequency }}", "{{ row.group }}"),
        "{{ row.staff_role }}", "{{ row.annual_cost|money }}",
    ], empty="No provision is recorded.", empty_test="provision_map.rows")
    b.p("", after=2)
    b.details([
        ("Current provision (latest cycle)", B("{{ provision_map.current_annual_cost|money }} a year, {{ provision_map.current_weekly_hours|hours }} a week")),
        ("Notional SEN threshold", "{{ notional_threshold|money }} a year per pupil"),
    ], columns=2, label_cm=5.2)
    b.tag("{%p if above_threshold %}")
    b.p(["The cost of ", KNOWN_AS, "'s current provision is at or above the {{ notional_threshold|money }} a year that mainstream "
         "schools are expected to meet from their notional SEN budget. The school asks the local authority to take this into account."])
    b.tag("{%p else %}")
    b.p(["The cost of ", KNOWN_AS, "'s current provision is below the {{ notional_threshold|money }} a year that mainstream schools are "
         "expected to meet from their notional SEN budget. The legal test for an assessment (section 36(8)) does not depend on cost; "
         "the evidence in this request explains why an assessment may be necessary."])
    b.tag("{%p endif %}")

    b.h1("11. External professionals")
    table = b.table([3.4, 3.6, 3.0, 2.2, 4.8], header=["Professional", "Service", "Involved", "Latest report", "Summary"])
    b.loop_rows(table, "pro in pupil.professionals", [
        (B("{{ pro.role }}"), "{{ pro.name }}"),
        "{{ pro.service }}",
        "{% if pro.first_involved %}{{ pro.first_involved|short_date }}{% endif %}{% if pro.last_involved %} to {{ pro.last_involved|short_date }}{% endif %}",
        "{{ pro.report_date|short_date }}",
        "{{ pro.summary }}",
    ], empty="No external professionals are recorded.", empty_test="pupil.professionals")
    b.p("", after=2)
    b.p("Copies of their most recent reports are included with this request where the school holds them.")

    b.h1("12. Health and social care")
    b.field_text("pupil.health_and_care")
    b.p([B("Looked after: "), "{{ pupil.looked_after|yes_no }}"])

    b.h1("13. Outcomes sought")
    b.p(["What ", KNOWN_AS, ", the family and the school hope an EHC plan would help ", KNOWN_AS, " to achieve:"])
    b.field_text("pupil.outcomes_sought")

    b.h1("14. Declaration and signature")
    b.p(["I confirm that, to the best of my knowledge, the information in this request is accurate and up to date",
         "{% if parents_agree %}, and that it is made with the knowledge and agreement of "
         "{% if pupil.is_young_person %}the young person{% else %}the parents or carers{% endif %}{% endif %}", "."], keep_next=True)
    b.signatures([("Making the request", "{{ requester.name }}, {{ requester.role }}"), ("Head teacher", "{{ school.head_teacher.name }}")],
                 parents=False)
    b.tag("{%p if enclosures %}")
    b.h2("Enclosures")
    b.tag("{%p for item in enclosures %}")
    b.bullet("{{ item }}")
    b.tag("{%p endfor %}")
    b.tag("{%p endif %}")
    return b


# --- 6. Covering letter to the local authority ---------------------------------------------------------


def la_cover_letter() -> Builder:
    b = Builder("Covering letter to the local authority", marked=True, running="EHC needs assessment request: {{ pupil.full_name }}")
    b.p("{{ la.send_team_name }}", style="Address")
    b.p("{{ la.name }}", style="Address")
    b.tag("{%p for line in la.address if line != la.send_team_name and line != la.name %}")
    b.p("{{ line }}", style="Address")
    b.tag("{%p endfor %}")
    b.tag("{%p if la.send_team_email %}")
    b.p("{{ la.send_team_email }}", style="Address")
    b.tag("{%p endif %}")
    b.p("{{ document_date|uk_date }}", before=12, after=12)
    b.p("Dear {{ la.send_team_name }},", after=10)
    b.p(B("Request for an education, health and care (EHC) needs assessment"), after=0)
    b.p(B("{{ pupil.full_name }}, born {{ pupil.date_of_birth|uk_date }}, UPN {{ pupil.upn }}"))
    b.p(["On behalf of {{ school.name }}, I am requesting an EHC needs assessment for {{ pupil.full_name }} under section 36 of "
         "the Children and Families Act 2014. ", KNOWN_AS, " is in {{ pupil.year_group }} and has received SEN support at our school",
         "{% if pupil.sen_support_start %} since {{ pupil.sen_support_start|uk_date }}{% endif %}",
         ", with {{ completed_cycles }} {% if completed_cycles == 1 %}cycle{% else %}cycles{% endif %} of assess, plan, do, review. "
         "We believe ", KNOWN_AS, " has special educational needs for which it may be necessary for special educational provision to "
         "be made through an EHC plan."])
    b.details([
        ("Known as", KNOWN_AS),
        ("Year group", "{{ pupil.year_group }}"),
        ("Primary need", "{{ pupil.primary_need }}"),
        ("Secondary need", SECONDARY_NEED),
    ])
    b.tag("{%p if parents_agree %}")
    b.p(["{% if pupil.is_young_person %}" + KNOWN_AS + " knows about this request and agrees to it."
         "{% else %}" + KNOWN_AS + "'s parents or carers know about this request and agree to it.{% endif %}",
         " Their consent is recorded in section 4 of the request."])
    b.tag("{%p else %}")
    b.p("We have not yet recorded the family's agreement to this request. We will send it to you as soon as we have it.")
    b.tag("{%p endif %}")
    b.tag("{%p if enclosures %}")
    b.p("I enclose:", keep_next=True, after=3)
    b.tag("{%p for item in enclosures %}")
    b.bullet("{{ item }}")
    b.tag("{%p endfor %}")
    b.tag("{%p else %}")
    b.p("I enclose the completed request and its evidence bundle.")
    b.tag("{%p endif %}")

    b.p(["The SEND Regulations 2014 set time limits that run from the date the local authority receives a request. "
         "If you receive this request on ", B("{{ statutory.received|uk_date }}"), ", they are:"], before=6, keep_next=True)
    table = b.table([10.0, 2.6, 4.4], header=["Step", "Time limit", "Due by"])
    b.row(table, ["Decision on whether to carry out an EHC needs assessment (regulation 5)", "6 weeks", B("{{ statutory.decision_to_assess|uk_date }}")])
    b.row(table, ["Decision on whether to issue an EHC plan (regulation 10)", "16 weeks", B("{{ statutory.decision_to_issue|uk_date }}")])
    b.row(table, ["Final EHC plan issued, if a plan is made (regulation 13)", "20 weeks", B("{{ statutory.final_plan|uk_date }}")])
    b.p("", after=2)
    b.p(["Please acknowledge this request and tell us the date you received it, and whether any exemption to these time limits "
         "applies. You can contact me on ",
         "{% if requester.phone %}{{ requester.phone }}{% else %}{{ school.phone }}{% endif %}",
         "{% if requester.email %} or by email at {{ requester.email }}{% endif %}", "."])
    b.sign_off("Yours faithfully,")
    return b


TEMPLATES = {
    "support-plan": support_plan,
    "review": review,
    "parent-notification": parent_notification,
    "invitation": invitation,
    "ehc-request": ehc_request,
    "la-cover-letter": la_cover_letter,
}


def build(target: Path = TARGET) -> list[Path]:
    """Write every template into `target`; return their paths."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in TEMPLATES.items():
        path = target / f"{name}.docx"
        path.write_bytes(make().save())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TARGET, help="folder to write the templates to (default: templates/docx)")
    args = parser.parse_args(argv)
    for path in build(args.out):
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"wrote {shown}")


if __name__ == "__main__":
    main()
