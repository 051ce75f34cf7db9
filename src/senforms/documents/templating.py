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
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, UndefinedError, pass_context
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from senforms.errors import TemplateProblemError
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
        if isinstance(left, (str, list, tuple)) and isinstance(right, int) or isinstance(right, (str, list, tuple)) and isinstance(left, int):
            sequence, count = (left, right) if isinstance(right, int) else (right, left)
            if len(sequence) * max(count, 0) > MAX_PRODUCED_LENGTH:
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


def _budgeted_range(budget: int):
    left = [budget]

    def limited_range(*args: int) -> range:
        numbers = range(*args)
        left[0] -= len(numbers)
        if left[0] < 0:
            raise SecurityError(f"the template counts through more than {budget:,} numbers in one document")
        return numbers

    return limited_range


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


def normalise_docx(data: bytes) -> bytes:
    """The same document (or workbook) always gives the same bytes: fixed zip times, fixed
    'modified' property (openpyxl stamps the time of saving), member order kept."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            target.writestr(fixed, content)
    return out.getvalue()


def _logo(document: DocxTemplate, logo: Path | None) -> Any:
    if logo is None or not logo.is_file():
        return ""
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
            tip="check the template with `senforms templates check`",
        ) from None
    except Exception as exc:  # broken XML after rendering, a corrupt template file…
        raise TemplateProblemError(f"template {template.name} could not be filled in ({type(exc).__name__})", tip="check the template with `senforms templates check`") from exc
    set_fixed_properties(document.docx.core_properties, title=title)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_docx(buffer.getvalue())
