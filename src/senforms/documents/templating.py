"""Where docxtpl and Jinja are set up (with compiled.py, which fills templates in): sandboxed, escaped, strict, deterministic.

A school's template is code we did not write, so it runs in Jinja's immutable sandbox with
StrictUndefined (a missing value stops the document rather than printing a blank) and with
autoescape on (so `&` and `<` in a name print as typed instead of corrupting the XML). Data is
only ever a context value, never template source, so `{{ 7*7 }}` in a name prints as typed.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import io
import operator
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, UndefinedError, meta, nodes, pass_context
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from senforms.documents.package import FIXED_ZIP_TIME
from senforms.errors import TemplateProblemError, UnreadableFileError
from senforms.ukformat import age_text, long_date, money, short_date, time_text

MAX_PRODUCED_LENGTH = 1_000_000  # a template cannot build a gigabyte string by multiplication
# The sandbox caps each range() at 100,000 but not loops inside loops, which could run for hours:
# one budget of numbers per document, shared by every range() the template calls.
MAX_RANGE_PER_DOCUMENT = 100_000
FIXED_PROPERTY_TIME = dt.datetime(2000, 1, 1)


class _SenformsSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, also refusing `*` and `**` that would exhaust memory ({{ 'a' * 10**9 }})."""

    intercepted_binops = frozenset({"*", "**"})

    def get_template(self, *args: Any, **kwargs: Any) -> Any:
        # include, import, extends and from all come here: a template stands alone.
        raise SecurityError("a template cannot include, import or extend another template")

    select_template = get_or_select_template = get_template

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > 100:
                raise SecurityError("the template raises a number to a power too large to compute")
            return operator.pow(left, right)
        sequence: str | list | tuple | None = None
        if isinstance(left, (str, list, tuple)) and isinstance(right, int):
            sequence, count = left, right
        elif isinstance(right, (str, list, tuple)) and isinstance(left, int):
            sequence, count = right, left
        if sequence is not None and len(sequence) * max(count, 0) > MAX_PRODUCED_LENGTH:
            raise SecurityError("the template builds text too long to print")
        return operator.mul(left, right)


def _uk_date(value: Any) -> str:
    if isinstance(value, str) or value is None:
        return value or ""
    return long_date(value)


def _full_name(value: Any) -> str:
    if isinstance(value, dict):
        if "full_name" in value:
            return value["full_name"]
        title, name = value.get("title") or "", value.get("name") or ""
        return f"{title} {name}".strip()
    return str(value or "")


@pass_context
def _age(context, value: Any, on: dt.date | None = None) -> str:
    if not isinstance(value, dt.date):
        return ""
    return age_text(value, on or context.get("document_date") or dt.date.today())


def _lines(value: Any, separator: str = "\n") -> str:
    if isinstance(value, (list, tuple)):
        return separator.join(str(v) for v in value if v)
    return str(value or "")


def _yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def _hours(value: Any) -> str:
    if value is None:
        return ""
    amount = Decimal(str(value)).normalize()
    return f"{amount:f} hour{'s' if amount != 1 else ''}"


FILTERS = {
    "uk_date": _uk_date,
    "short_date": lambda v: short_date(v) if isinstance(v, dt.date) else (v or ""),
    "time": lambda v: time_text(v) if isinstance(v, dt.time) else (v or ""),
    "age": _age,
    "money": lambda v, pence=True: money(v, pence=pence) if v is not None and v != "" else "",
    "full_name": _full_name,
    "lines": _lines,
    "yes_no": _yes_no,
    "hours": _hours,
}


REFUSED_FILTERS = ("safe", "urlize")


def make_environment() -> ImmutableSandboxedEnvironment:
    """A fresh sandboxed environment with senforms' filters (one per render: docxtpl mutates it)."""
    environment = _SenformsSandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=False)
    environment.filters.update(FILTERS)
    for name in REFUSED_FILTERS:  # they turn data into markup, which would become Word XML
        environment.filters.pop(name, None)
    environment.globals["range"] = _budgeted_range(MAX_RANGE_PER_DOCUMENT)
    return environment


def make_text_environment() -> ImmutableSandboxedEnvironment:
    """The same sandbox, filters and strictness for one form field's value (an LA form map).

    No XML escaping: the result is set as a field's text by lxml or pypdf, never parsed, so `&`
    must stay `&`.
    """
    environment = _SenformsSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    environment.filters.update(FILTERS)
    environment.globals["range"] = _budgeted_range(MAX_RANGE_PER_DOCUMENT)
    return environment


def describe_error(exc: Exception, source: str = "") -> str:
    """A Jinja error in a SENCo's words ("it uses a value the record does not have: …"), naming
    the tag from `source`, the template text that failed, when it can."""
    return _describe(exc, source)


def _budgeted_range(budget: int):
    left = [budget]

    def limited_range(*args: int) -> range:
        numbers = range(*args)
        left[0] -= len(numbers)
        if left[0] < 0:
            raise SecurityError(f"the template counts through more than {budget:,} numbers in one document")
        return numbers

    return limited_range


class BrokenTagError(Exception):
    """A tag in a template's source that Jinja cannot parse; the text is Jinja's reason."""


_UNKNOWN = object()


def template_sources(template: Path) -> list[str]:
    """The Jinja source of every part of a Word template senforms fills in, as the renderer renders it.

    Raises TemplateProblemError naming the template when it is not a Word document senforms can open.
    """
    return [part.source for part in template_parts(template) if part.rendered]


def unknown_names(source: str, context: dict[str, Any]) -> list[str]:
    """The variables (dotted, e.g. 'pupil.middle_name') a template source uses that `context` lacks.

    Raises BrokenTagError when a tag cannot be parsed.
    """
    try:
        tree = make_environment().parse(source)
    except TemplateSyntaxError as exc:
        raise BrokenTagError(exc.message) from None
    found = sorted(meta.find_undeclared_variables(tree) - set(context) - set(FILTERS))
    reported: set[str] = set()

    def value_of(node: nodes.Node, scope: dict[str, Any]) -> Any:
        if isinstance(node, nodes.Name):
            return scope.get(node.name, _UNKNOWN)
        if isinstance(node, nodes.Getattr) or isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            if isinstance(node, nodes.Getattr):
                attribute = node.attr
            else:
                assert isinstance(node.arg, nodes.Const)  # the condition above
                attribute = node.arg.value
            base = value_of(node.node, scope)
            if isinstance(base, dict):
                if attribute in base:
                    return base[attribute]
                dotted = _dotted(node)
                if dotted not in reported:
                    reported.add(dotted)
                    found.append(dotted)
            return _UNKNOWN
        return _UNKNOWN

    def visit(node: nodes.Node, scope: dict[str, Any]) -> None:
        if isinstance(node, nodes.For):
            visit(node.iter, scope)
            items = value_of(node.iter, scope)
            element = items[0] if isinstance(items, list) and items else _UNKNOWN
            inner = dict(scope)
            for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]:
                inner[target.name] = element if isinstance(node.target, nodes.Name) else _UNKNOWN
            inner["loop"] = _UNKNOWN
            for child in node.body + node.else_:
                visit(child, inner)
            return
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            value_of(node, scope)
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(tree, dict(context))
    return found


# --- what the renderer and the check share: docxtpl's preprocessing, and what would damage a document

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_IN_TAG = re.compile(r"(?<=\{[\{%])(.*?)(?=[\}%]})")  # docxtpl's own reading of "inside a tag"
_RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")  # docxtpl's list
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_MARK = "senforms-p"  # numbers each paragraph while checking, so a tag's line leads back to its paragraph
_MARKED = re.compile(rf'<w:p [^>]*?{_MARK}="(\d+)"')
# Elements of Word's own namespace that hold text; text anywhere else is lost or breaks the file.
_TEXT_ELEMENTS = frozenset(f"{{{W_NS}}}{name}" for name in ("t", "delText", "instrText", "delInstrText", "fldData"))


class DamageError(Exception):
    """Filling in a template would give a document Word cannot open or that silently loses text."""


class _Docx(DocxTemplate):
    """docxtpl's template, reading `&` in a tag as Word stores it."""

    def patch_xml(self, src_xml: str) -> str:
        # Word stores a typed & as &amp;; docxtpl decodes &lt; and &gt; in tags but not &amp;, so
        # `join(" & ")` would print "&amp;" and `x == "A & B"` would never match.
        return _IN_TAG.sub(lambda m: m.group(0).replace("&amp;", "&"), super().patch_xml(src_xml))


def part_label(partname: str) -> str:
    """How a SENCo knows a part of a Word file: 'the main text', 'a header', 'the footnotes'."""
    for key, label in (("document", "the main text"), ("header", "a header"), ("footer", "a footer"), ("footnotes", "the footnotes")):
        if key in partname.rsplit("/", 1)[-1]:
            return label
    return partname


# Finds every element the loop in damage_in would stop at, and perhaps more (XPath's whitespace is
# narrower than Python's): a whole document is checked in C, and only a suspect one in Python.
_MAYBE_DAMAGED = etree.XPath(
    "boolean(//*[namespace-uri()='']) or boolean(//w:t[*])"
    " or boolean(//w:*[not(self::w:t or self::w:delText or self::w:instrText or self::w:delInstrText or self::w:fldData)]/text()[normalize-space()])"
    " or boolean(//w:*/text()[preceding-sibling::node()][normalize-space()])",
    namespaces={"w": W_NS},
)


def damage_in(xml: str) -> str | None:
    """What is wrong with a filled-in part of a Word document, or None when Word can show it whole."""
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return "the filled-in document would be damaged (a block opens in one part of the page and closes in another, or a value holds Word markup)"
    if not _MAYBE_DAMAGED(root):
        return None
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        if not element.tag.startswith("{"):
            return f"a value would become Word markup (<{element.tag}>) instead of text"
        if element.tag.startswith(f"{{{W_NS}}}") and element.tag not in _TEXT_ELEMENTS and (element.text or "").strip():
            return (f"the value '{_short(element.text)}' would be lost: {{{{r …}}}} and {{{{p …}}}} work only on formatted "
                    "text, and senforms gives plain text (write {{ … }} without the r or p)")
        if element.tag == f"{{{W_NS}}}t" and len(element):
            return "a value would become Word markup instead of text"
        parent = element.getparent()
        if (element.tail or "").strip() and parent is not None and parent.tag.startswith(f"{{{W_NS}}}"):
            return (f"the value '{_short(element.tail)}' would be lost: {{{{r …}}}} and {{{{p …}}}} work only on formatted "
                    "text, and senforms gives plain text (write {{ … }} without the r or p)")
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "…"


# --- the parts of a template, as the renderer sees them -------------------------------------------


@dataclasses.dataclass(frozen=True)
class Paragraph:
    """One paragraph of a template as typed: its place ('table 1, row 2, cell 1'), text and XML."""

    place: str
    text: str
    element: Any = dataclasses.field(compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class TemplatePart:
    """One part of a template senforms fills in (or, when `rendered` is False, leaves as typed).

    `source` is the Jinja source exactly as the renderer renders it (docxtpl's preprocessing, one
    line per paragraph); `paragraphs` are the part's paragraphs as typed, in order.
    """

    name: str
    source: str
    paragraphs: tuple[Paragraph, ...]
    rendered: bool = True
    line_paragraphs: tuple[int, ...] = ()  # for each line of `source`, the first paragraph it holds

    def places_at(self, lineno: int) -> list[Paragraph]:
        """The paragraphs whose tags are on line `lineno` of `source` (one, or those docxtpl merged)."""
        if not self.paragraphs:
            return []
        lines = self.line_paragraphs or (0,)
        index = min(max(lineno, 1), len(lines)) - 1
        first = lines[index]
        following = next((n for n in lines[index + 1:] if n > first), len(self.paragraphs))
        return list(self.paragraphs[first:max(following, first + 1)])


def template_parts(template: Path) -> list[TemplatePart]:
    """Every part of a Word template the renderer fills in, and the endnotes and comments it does not.

    Raises TemplateProblemError naming the template when it is not a Word document senforms can open.
    """
    try:
        document = _Docx(str(template))
        document.init_docx()
        package = document.docx.part.package
        parts = [_xml_part(document, "the main text", document.docx.element.body, "body")]
        for label, part in _headers_and_footers(document):
            parts.append(_xml_part(document, label, etree.fromstring(part.blob), "story"))
        for part in package.parts:
            name = str(part.partname)
            if part.content_type == _FOOTNOTES_TYPE:
                parts.append(_xml_part(document, "the footnotes", etree.fromstring(part.blob), "footnote"))
            elif name.endswith(("/endnotes.xml", "/comments.xml")):
                label = "the endnotes" if "endnotes" in name else "the comments"
                root = etree.fromstring(part.blob)
                parts.append(TemplatePart(label, "", tuple(_paragraphs(root, "endnote" if "endnotes" in name else "comment")), rendered=False))
        properties = document.docx.core_properties
        for attribute in _RENDERED_PROPERTIES:
            value = getattr(properties, attribute) or ""
            if "{" in value:
                label = f"the document's {attribute.capitalize()} property (File › Info › Properties)"
                parts.append(TemplatePart(label, value, (Paragraph(label, value, None),)))
    except Exception as exc:  # python-docx and lxml raise many types for a damaged file
        raise TemplateProblemError(
            f"{template.name} is damaged: Word's own files inside it cannot be read ({type(exc).__name__})",
            fix="open it in Word, save it again as a .docx, or start again from an exported template",
        ) from exc
    return parts


def _headers_and_footers(document: DocxTemplate) -> list[tuple[str, Any]]:
    """The header and footer parts docxtpl renders, named after the first section that shows each."""
    names: dict[str, str] = {}
    for number, section in enumerate(document.docx.sections, start=1):
        for label, story in (("header", section.header), ("footer", section.footer), ("first-page header", section.first_page_header),
                             ("first-page footer", section.first_page_footer), ("even-page header", section.even_page_header),
                             ("even-page footer", section.even_page_footer)):
            if not story.is_linked_to_previous:
                names.setdefault(str(story.part.partname), f"the {label} (section {number})")
    found = []
    for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
        for _, part in document.get_headers_footers(uri):
            kind = "header" if uri == DocxTemplate.HEADER_URI else "footer"
            found.append((names.get(str(part.partname), f"a {kind} no section uses ({part.partname})"), part))
    return found


def _xml_part(document: _Docx, name: str, root: Any, kind: str) -> TemplatePart:
    marked = copy.deepcopy(root)
    paragraphs = _paragraphs(marked, kind)
    for number, paragraph in enumerate(paragraphs):
        paragraph.element.set(_MARK, str(number))
    source = document.patch_xml(etree.tostring(marked, encoding="unicode"))
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)  # as docxtpl's render_xml_part does
    lines, current = [], 0
    for line in source.split("\n"):
        found = _MARKED.match(line)
        if found:
            current = int(found.group(1))
        lines.append(current)
    originals = tuple(dataclasses.replace(p, element=_unmarked(p.element)) for p in paragraphs)
    return TemplatePart(name, source, originals, line_paragraphs=tuple(lines))


def _unmarked(element: Any) -> Any:
    element.attrib.pop(_MARK, None)
    return element


def _w(name: str) -> str:
    return f"{{{W_NS}}}{name}"


def paragraph_text(paragraph: Any) -> str:
    """A paragraph's typed text (not that of a text box inside it)."""
    return "".join(t.text or "" for t in paragraph.iter(_w("t")) if _nearest(t, "p") is paragraph)


def _nearest(element: Any, name: str) -> Any:
    return next(element.iterancestors(_w(name)), None)


def _paragraphs(root: Any, kind: str) -> list[Paragraph]:
    """Every paragraph in `root`, at every level (tables, content controls, text boxes), in order."""
    found: list[Paragraph] = []
    labels: dict[Any, str] = {}
    tables: dict[Any, int] = {}
    count = 0
    notes = 0
    for element in root.iter(_w("tbl"), _w("p"), _w("footnote"), _w("endnote"), _w("comment")):
        if element.tag == _w("tbl"):
            tables[element] = len(tables) + 1
            continue
        if element.tag != _w("p"):
            if element.get(_w("type")) in (None, "normal"):
                notes += 1
                count = 0
            continue
        outer, cell = _nearest(element, "p"), _nearest(element, "tc")
        if outer is not None and outer in labels:
            label = f"a text box in {labels[outer]}"
        elif cell is not None:
            table, row = _nearest(cell, "tbl"), _nearest(cell, "tr")
            rows = [r for r in table.iter(_w("tr")) if _nearest(r, "tbl") is table]
            cells = [c for c in row.iter(_w("tc")) if _nearest(c, "tr") is row]
            label = f"table {tables.get(table, '?')}, row {rows.index(row) + 1}, cell {cells.index(cell) + 1}"
        else:
            count += 1
            label = f"{kind} {notes}, paragraph {count}" if kind in ("footnote", "endnote", "comment") else f"paragraph {count}"
        if next(element.iterancestors(_w("sdt")), None) is not None and outer is None:
            label += " (in a content control)"
        labels[element] = label
        found.append(Paragraph(label, paragraph_text(element), element))
    return found


# --- checking a part's Jinja source ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TagProblem:
    """Something in a part's source that would fail or go wrong; `lineno` is the source line and
    `hint` the text to look for among the paragraphs on that line."""

    lineno: int
    message: str
    hint: str = ""
    severity: Literal["error", "warning"] = "error"


_OPENERS = {"if": "endif", "for": "endfor", "with": "endwith", "macro": "endmacro", "call": "endcall",
            "filter": "endfilter", "block": "endblock", "autoescape": "endautoescape"}
_MIDDLES = {"elif": ("if",), "else": ("if", "for")}
_XML_OR_MARK = re.compile(r"<[^>]*>|\x00(\d+)\x01")
_WHERE = {"tc": "in a table cell", "tr": "in a table row", "tbl": "in a table", "p": "in a paragraph", "sdtContent": "in a content control"}


def _block_events(source: str, environment: Any) -> list[tuple[int, str, str]]:
    """(line, keyword, whole tag) for each block tag in `source`, in order. Raises TemplateSyntaxError."""
    events: list[tuple[int, str, str]] = []
    tag: list[str] = []
    line = 0
    for lineno, kind, value in environment.lex(source):
        if kind == "block_begin":
            tag, line = [value], lineno
        elif tag:
            tag.append(value)
            if kind == "block_end":
                words = "".join(tag)[2:-2].strip(" -+").split()
                events.append((line, words[0] if words else "", "".join(tag)))
                tag = []
    return events


def balance_problems(source: str, environment: Any | None = None) -> list[TagProblem]:
    """Block tags never closed, closing nothing, or closing the wrong block.

    Raises TemplateSyntaxError when a tag cannot be read at all.
    """
    environment = environment or make_environment()
    problems = []
    stack: list[tuple[str, int]] = []
    for line, word, _tag in _block_events(source, environment):
        if word in _OPENERS:
            stack.append((word, line))
        elif word in _MIDDLES:
            if not stack or stack[-1][0] not in _MIDDLES[word]:
                problems.append(TagProblem(line, f"{{% {word} %}} is not inside an {{% if %}} block", word))
        elif word.startswith("end") and word[3:] in _OPENERS:
            if stack and stack[-1][0] == word[3:]:
                stack.pop()
            elif stack and any(opened == word[3:] for opened, _ in stack):
                opened, opened_line = stack.pop()
                problems.append(TagProblem(opened_line, f"{{% {opened} %}} is never closed with {{% {_OPENERS[opened]} %}} (a {{% {word} %}} comes first)", opened))
                while stack and stack[-1][0] != word[3:]:
                    opened, opened_line = stack.pop()
                    problems.append(TagProblem(opened_line, f"{{% {opened} %}} is never closed with {{% {_OPENERS[opened]} %}}", opened))
                stack.pop()
            else:
                problems.append(TagProblem(line, f"{{% {word} %}} closes a block that was never opened", word))
    problems.extend(TagProblem(line, f"{{% {word} %}} is never closed with {{% {_OPENERS[word]} %}}", word) for word, line in stack)
    return problems


def mismatched_blocks(source: str, environment: Any | None = None) -> list[TagProblem]:
    """Blocks that open in one container (a paragraph, table cell or row, or the page) and continue
    or close in another: left out or repeated, they would cut the document's XML apart."""
    environment = environment or make_environment()
    if "{%" not in source:
        return []
    try:
        events = _block_events(source, environment)
    except TemplateSyntaxError:
        return []  # reported as a broken tag
    # The XML with each block tag replaced by a numbered mark and every {{ }} and {# #} removed.
    marks = iter(range(len(events) + 1))
    skeleton = _TAG_SPLIT.sub(lambda m: f"\x00{next(marks)}\x01" if m.group().startswith("{%") else "", source)
    if next(marks) != len(events):
        return []  # a tag docxtpl's reading and Jinja's disagree on (a '%}' in quotes): leave it to Jinja
    names: list[str] = []
    opened: list[tuple[int, tuple[str, ...]]] = []
    problems: list[TagProblem] = []

    def at(index: int) -> None:
        if not 0 <= index < len(events):
            return
        line, word, tag = events[index]
        here = tuple(names)
        if word in _OPENERS:
            opened.append((index, here))
        elif word in _MIDDLES or word.startswith("end") and word[3:] in _OPENERS:
            if not opened:
                return
            start, there = opened[-1]
            if word.startswith("end"):
                opened.pop()
            if there != here:
                first = events[start]
                problems.append(TagProblem(first[0], (
                    f"{_tag_name(first[2])} is {_container(there)} but its {_tag_name(tag)} is {_container(here)}: "
                    "a block must open and close in the same place (the same paragraph, table cell, row or content "
                    "control, or both outside them); when filled in, the document would be damaged"), first[1]))

    for match in _XML_OR_MARK.finditer(skeleton):
        text = match.group()
        if match.group(1) is not None:
            at(int(match.group(1)))
            continue
        for mark in re.findall("\x00(\\d+)\x01", text):  # a tag inside an attribute (cellbg, vm)
            at(int(mark))
        if text.startswith(("<?", "<!")):
            continue
        if text.startswith("</"):
            if names:
                names.pop()
        elif not text.endswith("/>"):
            names.append(text[1:].split()[0].rstrip(">"))
    return problems


_TAG_SPLIT = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _tag_name(tag: str) -> str:
    words = tag[2:-2].strip(" -+").split()
    return "{% " + " ".join(words[:1]) + " %}" if words else tag


def _container(names: tuple[str, ...]) -> str:
    for name in reversed(names):
        local = name.split(":")[-1]
        if local in _WHERE:
            return _WHERE[local]
    return "outside any table or content control"


def check_source(source: str, context: dict[str, Any], *others: dict[str, Any]) -> list[TagProblem]:
    """Everything in one part's Jinja source that would fail to render, or damage the document, for
    records shaped like `context` and `others`: broken or unbalanced tags, blocks crossing
    containers, unknown variables, filters and tests, values used as if never empty, and tags that
    use other templates."""
    environment = make_environment()
    # A broken tag is reported, then its paragraph is set aside so the rest is still checked:
    # a misspelt filter elsewhere is found now, not only once the broken tag is mended.
    broken: list[TagProblem] = []
    while True:
        try:
            problems = balance_problems(source, environment)
            if problems:  # set the unbalanced blocks' paragraphs aside too, and check the rest
                for problem in problems:
                    source = _without_line(source, problem.lineno)
                broken.extend(problems)
                problems = balance_problems(source, environment)
                if problems:
                    return broken + problems
            tree = environment.parse(source)
            break
        except TemplateSyntaxError as exc:
            line = exc.lineno or 1
            broken.append(TagProblem(line, f"a tag is broken: {exc.message}"))
            mended = _without_line(source, line)
            if mended == source or len(broken) >= MAX_BROKEN_TAGS:
                return broken
            source = mended
    problems = mismatched_blocks(source, environment)
    walker = _Walker(environment)
    for record in (context, *others):
        walker.visit(tree, {**record, "school_logo": record.get("school_logo", "")}, frozenset())
    return broken + problems + list(dict.fromkeys(walker.problems))


MAX_BROKEN_TAGS = 50  # beyond this many, the rest of the list would not help anyone


def _without_line(source: str, line: int) -> str:
    """`source` with line `line` (1-based) emptied, keeping every other line where it was."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines) or not lines[line - 1]:
        return source
    lines[line - 1] = ""
    return "\n".join(lines)


_ALWAYS = frozenset({"loop", "caller", "varargs", "kwargs", "self"})
_LENIENT_FILTERS = frozenset({"default", "d"})
_LENIENT_TESTS = frozenset({"defined", "undefined"})


class _Walker:
    """Walks a parsed template with the example record, finding what a real record would fail on."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment
        self.problems: list[TagProblem] = []

    def report(self, node: nodes.Node, message: str, hint: str = "") -> None:
        self.problems.append(TagProblem(node.lineno, message, hint))

    def visit(self, node: nodes.Node, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            return method(node, scope, guards)
        for child in node.iter_child_nodes():
            self.visit(child, scope, guards)
        return _UNKNOWN

    def visit_all(self, children: list[Any], scope: dict[str, Any], guards: frozenset[str]) -> None:
        for child in children:
            self.visit(child, scope, guards)

    # statements

    def visit_For(self, node: nodes.For, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        items = self.visit(node.iter, scope, guards)
        inner = dict(scope)
        element = items[0] if isinstance(items, list) and items else _UNKNOWN
        self.bind(node.target, inner, element)
        inner["loop"] = _UNKNOWN
        if node.test is not None:
            self.visit(node.test, inner, guards)
        self.visit_all(node.body, inner, guards)
        self.visit_all(node.else_, scope, guards)
        return _UNKNOWN

    def visit_If(self, node: nodes.If, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.visit(node.test, scope, guards)
        known, unknown = _guards(node.test)
        self.visit_all(node.body, scope, guards | known)
        otherwise = guards | unknown
        self.visit_all(node.elif_, scope, otherwise)
        self.visit_all(node.else_, scope, otherwise)
        return _UNKNOWN

    def visit_With(self, node: nodes.With, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        inner = dict(scope)
        for target, value in zip(node.targets, node.values):
            self.bind(target, inner, self.visit(value, scope, guards))
        self.visit_all(node.body, inner, guards)
        return _UNKNOWN

    def visit_Assign(self, node: nodes.Assign, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.bind(node.target, scope, self.visit(node.node, scope, guards))
        return _UNKNOWN

    def visit_AssignBlock(self, node: nodes.AssignBlock, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.visit_all(node.body, scope, guards)
        self.bind(node.target, scope, _UNKNOWN)
        return _UNKNOWN

    def visit_Macro(self, node: nodes.Macro, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        scope[node.name] = _UNKNOWN
        inner = dict(scope)
        for default in node.defaults:
            self.visit(default, scope, guards)
        for argument in node.args:
            inner[argument.name] = _UNKNOWN
        self.visit_all(node.body, inner, guards)
        return _UNKNOWN

    def visit_CallBlock(self, node: nodes.CallBlock, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.visit(node.call, scope, guards)
        inner = dict(scope)
        for argument in node.args:
            inner[argument.name] = _UNKNOWN
        self.visit_all(node.body, inner, guards)
        return _UNKNOWN

    def _other_template(self, node: nodes.Node, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.report(node, "a template cannot include, import or extend another template: copy the text you need into this template instead")
        if isinstance(node, (nodes.Import, nodes.FromImport)):
            for name in [node.target] if isinstance(node, nodes.Import) else [n if isinstance(n, str) else n[-1] for n in node.names]:
                scope[name] = _UNKNOWN
        return _UNKNOWN

    visit_Include = visit_Import = visit_FromImport = visit_Extends = _other_template

    def visit_ScopedEvalContextModifier(self, node: nodes.EvalContextModifier, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        if any(option.key == "autoescape" for option in node.options):
            self.report(node, "{% autoescape %} is not allowed: senforms always prints a record's text exactly as typed, so remove the block's tags")
        for child in node.iter_child_nodes():
            self.visit(child, scope, guards)
        return _UNKNOWN

    visit_EvalContextModifier = visit_ScopedEvalContextModifier

    # expressions

    def visit_Name(self, node: nodes.Name, scope: dict[str, Any], guards: frozenset[str], lenient: bool = False) -> Any:
        if node.ctx != "load":
            return _UNKNOWN
        if node.name in scope:
            return scope[node.name]
        if node.name not in self.environment.globals and node.name not in _ALWAYS and node.name not in guards and not lenient:
            self.missing(node, node.name)
        return _UNKNOWN

    def visit_Getattr(self, node: nodes.Getattr | nodes.Getitem, scope: dict[str, Any], guards: frozenset[str], lenient: bool = False) -> Any:
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            self.visit(node.node, scope, guards)
            self.visit(node.arg, scope, guards)
            return _UNKNOWN
        key = node.attr if isinstance(node, nodes.Getattr) else node.arg.value  # type: ignore[attr-defined]
        base = self.visit(node.node, scope, guards)
        if isinstance(key, str) and key.startswith("_"):
            if not any(step.startswith("_") for step in _dotted(node.node).split(".")):  # once per tag
                self.report(node, f"'{_dotted(node)}' is not allowed: a template may not reach inside values (names starting with _)", key)
            return _UNKNOWN
        if _dotted(node) in guards:
            return _UNKNOWN
        if isinstance(base, dict):
            if key in base:
                return base[key]
            if not lenient and not (isinstance(key, str) and hasattr(dict, key)):
                self.missing(node, _dotted(node))
        elif isinstance(base, (list, tuple)) and isinstance(key, int) and -len(base) <= key < len(base):
            return base[key]
        elif base is None and not lenient and _dotted(node.node) not in guards:
            owner = _dotted(node.node)
            self.report(node, (f"'{owner}' is empty for some records, and then '{_dotted(node)}' stops the document: "
                               f"put it inside {{% if {owner} %}} … {{% endif %}}"), key if isinstance(key, str) else "")
        return _UNKNOWN

    visit_Getitem = visit_Getattr

    def visit_CondExpr(self, node: nodes.CondExpr, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.visit(node.test, scope, guards)
        known, unknown = _guards(node.test)
        self.visit(node.expr1, scope, guards | known)
        if node.expr2 is not None:
            self.visit(node.expr2, scope, guards | unknown)
        return _UNKNOWN

    def visit_Filter(self, node: nodes.Filter, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        value = _UNKNOWN
        if node.node is not None:  # None in {% filter upper %}
            value = self.lenient(node.node, scope, guards) if node.name in _LENIENT_FILTERS else self.visit(node.node, scope, guards)
        for argument in [*node.args, *node.kwargs, *([node.dyn_args] if node.dyn_args else []), *([node.dyn_kwargs] if node.dyn_kwargs else [])]:
            self.visit(argument, scope, guards)
        if node.name not in self.environment.filters:
            self.report(node, _unknown_filter(node.name, self.environment.filters), node.name)
            return _UNKNOWN
        if node.name in ("first", "last") and isinstance(value, list) and value:
            return value[0 if node.name == "first" else -1]
        if node.name in _LENIENT_FILTERS and value is not _UNKNOWN:
            return value
        return _UNKNOWN

    def visit_Test(self, node: nodes.Test, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        if node.name in _LENIENT_TESTS:
            self.lenient(node.node, scope, guards)
        else:
            self.visit(node.node, scope, guards)
        for argument in [*node.args, *node.kwargs]:
            self.visit(argument, scope, guards)
        if node.name not in self.environment.tests:
            close = difflib.get_close_matches(node.name, list(self.environment.tests), n=1)
            suggestion = f" (did you mean 'is {close[0]}'?)" if close else ""
            self.report(node, f"'is {node.name}' is not a test senforms knows{suggestion}: see the list of tests in docs/templates.md", node.name)
        return _UNKNOWN

    def visit_And(self, node: nodes.And, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.visit(node.left, scope, guards)
        self.visit(node.right, scope, guards | _guards(node.left)[0])  # `x is defined and x.y`
        return _UNKNOWN

    def visit_Or(self, node: nodes.Or, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        self.visit(node.left, scope, guards)
        self.visit(node.right, scope, guards | _guards(node.left)[1])  # `x is undefined or x.y`
        return _UNKNOWN

    def lenient(self, node: nodes.Node, scope: dict[str, Any], guards: frozenset[str]) -> Any:
        """The value of `node` where only its last step may be missing (`default`, `is defined`)."""
        if isinstance(node, nodes.Name):
            return self.visit_Name(node, scope, guards, lenient=True)
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return self.visit_Getattr(node, scope, guards, lenient=True)
        return self.visit(node, scope, guards)

    def bind(self, target: nodes.Node, scope: dict[str, Any], value: Any) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = value
        else:
            for name in target.find_all(nodes.Name):
                scope[name.name] = _UNKNOWN

    def missing(self, node: nodes.Node, dotted: str) -> None:
        self.report(node, f"'{dotted}' is not a variable senforms provides: check its spelling against docs/templates.md", dotted.split(".")[-1])


def _unknown_filter(name: str, filters: Any) -> str:
    if name in REFUSED_FILTERS:
        return f"'|{name}' is not allowed: senforms always prints a record's text exactly as typed, so remove '|{name}'"
    close = difflib.get_close_matches(name, [f for f in filters if not f.startswith("_")], n=1)
    suggestion = f" (did you mean '{close[0]}'?)" if close else ""
    return f"'|{name}' is not a filter senforms knows{suggestion}: see the list of filters in docs/templates.md"


def _guards(test: nodes.Node) -> tuple[frozenset[str], frozenset[str]]:
    """The names a condition proves defined when it is true, and when it is false."""
    if isinstance(test, nodes.Test) and test.name in _LENIENT_TESTS:
        dotted = frozenset({_dotted(test.node)})
        return (dotted, frozenset()) if test.name == "defined" else (frozenset(), dotted)
    if isinstance(test, nodes.Test) and test.name == "none":
        return frozenset(), frozenset({_dotted(test.node)})
    if isinstance(test, (nodes.Name, nodes.Getattr, nodes.Getitem)):  # `{% if cycle %}`: present and not empty
        return frozenset({_dotted(test)}), frozenset()
    if isinstance(test, nodes.Not):
        true, false = _guards(test.node)
        return false, true
    if isinstance(test, nodes.And):
        return _guards(test.left)[0] | _guards(test.right)[0], frozenset()
    if isinstance(test, nodes.Or):
        return frozenset(), _guards(test.left)[1] | _guards(test.right)[1]
    return frozenset(), frozenset()


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}.{node.arg.value}"
    return "…"


_NO_ATTRIBUTE = re.compile(r"'(?P<owner>.+?)' has no attribute '(?P<attr>\w+)'")
_UNDEFINED = re.compile(r"'(?P<name>\w+)' is undefined")
_NO_ELEMENT = re.compile(r"'?(?P<owner>.+?)'? has no element (?P<index>\d+)")


def _uses(source: str, attr: str) -> list[str]:
    """The dotted names in `source` that end in `.attr` (cut there), each once: 'cycle.review.date'."""
    return list(dict.fromkeys(m.group(0) for m in re.finditer(rf"\b[A-Za-z_][\w.]*\.{re.escape(attr)}\b", source)))


def _missing(text: str, source: str) -> str:
    """Jinja's "'None' has no attribute 'date'" as the name in the template and what is empty."""
    if match := _NO_ATTRIBUTE.fullmatch(text):
        attr = match["attr"]
        used = _uses(source, attr)
        name = used[0] if len(used) == 1 else None
        if match["owner"] == "None":
            if name:
                owner = name.rsplit(".", 1)[0]
                return f"{name}, but this record has no {owner} (put it inside {{% if {owner} %}} … {{% endif %}})"
            return f"the '{attr}' of something this record does not have (put it inside {{% if … %}} … {{% endif %}})"
        why = {"school": " (the register has no school details)", "la": " (the register does not name its local authority)"}
        if name:
            return f"{name}, which this record does not have" + why.get(name.split(".")[0], "")
        return f"'{attr}', which this record does not have"
    if match := _NO_ELEMENT.fullmatch(text):
        used = list(dict.fromkeys(re.findall(rf"\b([A-Za-z_][\w.]*)\[{match['index']}\]", source)))
        if len(used) == 1:
            return f"{used[0]}[{match['index']}], but this record's {used[0]} has none (put it inside {{% if {used[0]} %}} … {{% endif %}})"
        return f"item {match['index']} of a list that is empty for this record (put it inside {{% if … %}} … {{% endif %}})"
    if match := _UNDEFINED.fullmatch(text):
        return f"'{match['name']}', which is not a variable senforms provides (see docs/templates.md)"
    return f"a value the record does not have: {text}"


def _describe(exc: Exception, source: str = "") -> str:
    """A Jinja error in a SENCo's words; `source` (the template's text) lets it name the tag."""
    if isinstance(exc, UndefinedError):
        return f"it uses {_missing(str(exc), source)}"
    if isinstance(exc, SecurityError):
        return f"it does something templates may not do ({exc})"
    if isinstance(exc, TemplateSyntaxError):
        return f"a tag is broken: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _template_text(document: Any) -> str:
    """The words and tags of a template's main part (for naming a failing tag); "" if unreadable."""
    try:
        return re.sub(r"<[^>]+>", "", document.get_xml())
    except Exception:  # only a better message is lost
        return ""


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def set_fixed_properties(properties, *, title: str, subject: str = "", comments: str = "") -> None:
    """Document metadata with no personal data and nothing that changes between runs."""
    properties.author = "senforms"
    properties.last_modified_by = "senforms"
    properties.title = title
    properties.subject = subject
    properties.keywords = ""
    properties.comments = comments
    properties.category = ""
    properties.created = FIXED_PROPERTY_TIME
    properties.modified = FIXED_PROPERTY_TIME
    properties.last_printed = FIXED_PROPERTY_TIME
    properties.revision = 1


_CORE_NAMES = {
    "title": "dc:title", "subject": "dc:subject", "author": "dc:creator", "keywords": "cp:keywords",
    "comments": "dc:description", "last_modified_by": "cp:lastModifiedBy", "revision": "cp:revision",
    "created": "dcterms:created", "modified": "dcterms:modified", "last_printed": "cp:lastPrinted",
    "category": "cp:category",
}


def fixed_core_xml(title: str, *, subject: str = "", comments: str = "") -> bytes:
    """docProps/core.xml holding exactly what `set_fixed_properties` sets, in the namespaces Word reads.

    Written whole rather than through python-docx: once docxtpl has imported docxcompose, python-docx
    writes lastModifiedBy, keywords and the like where Word never looks, so a name Word stamped
    into a school's template would pass into every document made from it.
    """
    recorded = SimpleNamespace()
    set_fixed_properties(recorded, title=title, subject=subject, comments=comments)
    body = []
    for attribute, element in _CORE_NAMES.items():
        value = getattr(recorded, attribute)
        text = value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, dt.datetime) else str(value)
        kind = ' xsi:type="dcterms:W3CDTF"' if element.startswith("dcterms:") else ""
        body.append(f"<{element}{kind}>{xml_escape(text)}</{element}>" if text else f"<{element}/>")
    body.append("<dc:language>en-GB</dc:language>")
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        + "".join(body) + "</cp:coreProperties>"
    ).encode("utf-8")


def normalise_docx(data: bytes, *, core_xml: bytes | None = None) -> bytes:
    """The same document (or workbook) always gives the same bytes: fixed zip times, fixed
    'modified' property (openpyxl stamps the time of saving), member order kept. `core_xml`, when
    given, replaces the document properties whole."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = core_xml if core_xml is not None else _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()


_IMAGE_STARTS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8")


def check_logo(logo: Path | None) -> bool:
    """Whether documents carry the school's logo: False when there is none.

    Raises UnreadableFileError when the file is not a PNG, JPEG or GIF image.
    """
    if logo is None or not logo.is_file():
        return False
    with open(logo, "rb") as handle:
        if not handle.read(8).startswith(_IMAGE_STARTS):
            raise UnreadableFileError(
                f"the school's logo {logo.name} is not a PNG, JPEG or GIF image",
                fix="save the logo as PNG or JPEG, or clear the Logo cell on the School sheet",
            )
    return True


def render_docx(template: Path, context: dict[str, Any], *, title: str = "", logo: Path | None = None) -> bytes:
    """Render a Word template with a context; return the DOCX bytes.

    For one document; a batch loads a CompiledTemplate once and renders each record with it.
    Raises TemplateProblemError naming the template and what is wrong when the template cannot be
    rendered for this record.
    """
    from senforms.documents.compiled import CompiledTemplate

    school_name = str((context.get("school") or {}).get("name") or "")
    return CompiledTemplate.load(template, title=title, logo=logo, school_name=school_name).render(context)
