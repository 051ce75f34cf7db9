"""The only place that runs docxtpl and Jinja: sandboxed, escaped, strict, deterministic.

A school's template is code we did not write, so it runs in Jinja's immutable sandbox with
StrictUndefined (a missing value stops the document rather than printing a blank) and with
autoescape on (so `&` and `<` in a name print as typed instead of corrupting the XML). Data is
only ever a context value, never template source, so `{{ 7*7 }}` in a name prints as typed.
"""

from __future__ import annotations

import datetime as dt
import io
import operator
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, UndefinedError, meta, nodes, pass_context
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from senforms.errors import SenformsError, TemplateProblemError, UnreadableFileError
from senforms.ukformat import age_text, long_date, money, short_date, time_text

MAX_PRODUCED_LENGTH = 1_000_000  # a template cannot build a gigabyte string by multiplication
# The sandbox caps each range() at 100,000 but not loops inside loops, which could run for hours:
# one budget of numbers per document, shared by every range() the template calls.
MAX_RANGE_PER_DOCUMENT = 100_000
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_PROPERTY_TIME = dt.datetime(2000, 1, 1)


class _SenformsSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, also refusing `*` and `**` that would exhaust memory ({{ 'a' * 10**9 }})."""

    intercepted_binops = frozenset({"*", "**"})

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


def make_environment() -> ImmutableSandboxedEnvironment:
    """A fresh sandboxed environment with senforms' filters (one per render: docxtpl mutates it)."""
    environment = _SenformsSandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=False)
    environment.filters.update(FILTERS)
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


def describe_error(exc: Exception) -> str:
    """A Jinja error in a SENCo's words ("it uses a value the record does not have: …")."""
    return _describe(exc)


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
    """The Jinja source of a Word template's body, headers and footers, as docxtpl renders them.

    Raises TemplateProblemError naming the template when it is not a Word document senforms can open.
    """
    try:
        document = DocxTemplate(str(template))
        document.init_docx()
        sources = [document.patch_xml(document.get_xml())]
        for part in document.docx.part.package.parts:
            if part.partname.endswith(".xml") and ("/header" in part.partname or "/footer" in part.partname):
                sources.append(document.patch_xml(part.blob.decode("utf-8")))
    except Exception as exc:  # python-docx and lxml raise many types for a damaged file
        raise TemplateProblemError(
            f"{template.name} is damaged: Word's own files inside it cannot be read ({type(exc).__name__})",
            fix="open it in Word, save it again as a .docx, or start again from an exported template",
        ) from exc
    return sources


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


def _dotted(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}.{node.arg.value}"
    return "…"


def _describe(exc: Exception) -> str:
    if isinstance(exc, UndefinedError):
        missing = str(exc).replace("'dict object' has no attribute", "there is no").replace(" is undefined", " is not a variable senforms provides")
        return f"it uses a value the record does not have: {missing}"
    if isinstance(exc, SecurityError):
        return f"it does something templates may not do ({exc})"
    if isinstance(exc, TemplateSyntaxError):
        return f"a tag is broken: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


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


def _logo(document: DocxTemplate, logo: Path | None) -> Any:
    if logo is None or not logo.is_file():
        return ""
    with open(logo, "rb") as handle:
        if not handle.read(8).startswith(_IMAGE_STARTS):
            raise UnreadableFileError(
                f"the school's logo {logo.name} is not a PNG, JPEG or GIF image",
                fix="save the logo as PNG or JPEG, or clear the Logo cell on the School sheet",
            )
    from docx.shared import Mm
    from docxtpl import InlineImage

    return InlineImage(document, str(logo), height=Mm(16))


def render_docx(template: Path, context: dict[str, Any], *, title: str = "", logo: Path | None = None) -> bytes:
    """Render a Word template with a context; return the DOCX bytes.

    Raises TemplateProblemError naming the template and what is wrong when the template cannot be
    rendered for this record.
    """
    try:
        document = DocxTemplate(str(template))
        context = {**context, "school_logo": _logo(document, logo)}
        document.render(context, jinja_env=make_environment(), autoescape=True)
    except (TemplateError, SecurityError) as exc:
        raise TemplateProblemError(
            f"template {template.name} could not be filled in: {_describe(exc)}",
            fix="check the template with `senforms templates check`",
        ) from None
    except SenformsError:
        raise  # already says what is wrong and where (the logo, for instance)
    except Exception as exc:  # broken XML after rendering, a corrupt template file…
        raise TemplateProblemError(f"template {template.name} could not be filled in ({type(exc).__name__})", fix="check the template with `senforms templates check`") from exc
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_docx(buffer.getvalue(), core_xml=fixed_core_xml(title))
