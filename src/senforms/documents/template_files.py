"""Schools' own templates: export the shipped ones to edit, and check an edited one before use.

`check_template` finds what would otherwise fail half-way through a batch, each with its place in
the document: variables senforms does not provide, tags Word has split across runs, unbalanced
`{% %}` blocks, curly quotes inside tags, and broken tags.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml.ns import qn

from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.templating import BrokenTagError, template_sources, unknown_names
from senforms.errors import Location, OutputExistsError, Problem, SenformsError, Severity
from senforms.inputs.sniff import REAL_TYPE_NAMES, sniff
from senforms.model import Register
from senforms.outputs.atomic import ensure_folder
from senforms.resources import docx_templates_dir

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_BLOCK = re.compile(r"\{%-?\s*(?:p|tr|tc|r)?\s*(if|for|endif|endfor|elif|else|with|endwith|macro|endmacro|block|endblock)\b")
_CURLY = re.compile("[‘’“”]")
_OPENERS = {"if": "endif", "for": "endfor", "with": "endwith", "macro": "endmacro", "block": "endblock"}


def _finding(place: str, message: str, severity: Severity = "error") -> Problem:
    """One thing wrong with a template at `place`; `check_template` adds the file's name."""
    return Problem(Location("", place=place), message, severity=severity)


def export_templates(folder: Path, *, overwrite: bool = False) -> list[Path]:
    """Copy the shipped templates into `folder` for a school to edit; never overwrite unasked."""
    ensure_folder(folder)
    written = []
    for kind in KINDS.values():
        source = docx_templates_dir() / kind.template
        target = folder / kind.template
        if target.exists() and not overwrite:
            raise OutputExistsError(target)
        shutil.copyfile(source, target)
        written.append(target)
    return written


# --- what each document may use ----------------------------------------------------------------

_EXAMPLE = {
    "school": {
        "name": "Example School",
        "head_teacher": {"name": "Head", "role": "Head teacher"},
        "senco": {"name": "SENCo", "role": "SENCo", "email": "senco@school.example"},
    },
    "local_authority": {"name": "Example LA"},
    "pupils": [
        {
            "upn": "B801200005001", "legal_forename": "Alex", "legal_surname": "Example", "date_of_birth": "2016-01-01",
            "year_group": 5, "sen_status": "K", "primary_need": "SPLD",
            "contacts": [{"id": "C1", "name": "Parent", "relationship": "Mother", "parental_responsibility": True, "email": "p@example.com"}],
            "professionals": [{"role": "educational_psychologist", "service": "EPS"}],
            "consents": [{"given_by": "Parent", "scope": "ehc_request", "date": "2026-01-01", "method": "signed"}],
            "meetings": [{"id": "M1", "date": "2099-01-01", "start_time": "15:00"}],
            "cycles": [
                {
                    "number": 1, "start_date": "2026-01-01", "assessment": "A", "review_date": "2026-03-01",
                    "outcomes": [{"id": "O1", "description": "D", "measure": "M", "by_date": "2026-03-01"}],
                    "provision": [{"id": "P1", "description": "D", "sessions_per_week": 1, "minutes_per_session": 30, "staff_role": "TA", "start_date": "2026-01-01", "annual_cost": 100}],
                    "review": {"date": "2026-03-01", "decision": "request_ehc_assessment"},
                }
            ],
        }
    ],
}


@cache
def example_context(kind: str) -> dict[str, Any]:
    """A full context for `kind`, built from a made-up record: the shape a template may rely on."""
    register = Register.model_validate(_EXAMPLE)
    job = plan_jobs(register, kind, on=dt.date(2026, 1, 2), all_cycles=True)[0]
    return {**job.context, "school_logo": ""}


# --- reading the template ---------------------------------------------------------------------

def _text_of(paragraph) -> str:
    return "".join(t.text or "" for t in paragraph.iter(qn("w:t")))


def _places(document) -> list[tuple[str, Any]]:
    """(place label, w:p element) for every paragraph, in reading order."""
    places: list[tuple[str, Any]] = []
    body = document.element.body
    paragraph_number = table_number = 0
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph_number += 1
            places.append((f"paragraph {paragraph_number}", child))
        elif child.tag == qn("w:tbl"):
            table_number += 1
            for row_number, row in enumerate(child.iter(qn("w:tr")), start=1):
                for cell_number, cell in enumerate(row.iter(qn("w:tc")), start=1):
                    for p in cell.iter(qn("w:p")):
                        places.append((f"table {table_number}, row {row_number}, cell {cell_number}", p))
    for number, section in enumerate(document.sections, start=1):
        for label, part in (("header", section.header), ("footer", section.footer), ("first-page header", section.first_page_header), ("first-page footer", section.first_page_footer)):
            if part.is_linked_to_previous:
                continue
            for p in part._element.iter(qn("w:p")):
                places.append((f"{label} (section {number})", p))
    return places


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 50 else text[:47] + "…"


def _split_tags(places: list[tuple[str, Any]]) -> list[Problem]:
    findings = []
    for label, paragraph in places:
        spans, position = [], 0
        for t in paragraph.iter(qn("w:t")):
            length = len(t.text or "")
            spans.append((position, position + length))
            position += length
        text = _text_of(paragraph)
        for match in _TAG.finditer(text):
            start, end = match.span()
            if not any(s <= start and end <= e for s, e in spans):
                findings.append(_finding(label, f"Word has split the tag {match.group()} across formatting runs; delete it and type it again in one go", "warning"))
            if _CURLY.search(match.group()):
                findings.append(_finding(label, f"the tag {match.group()} contains curly quotes; use straight quotes (' or \") inside tags"))
    return findings


def _unbalanced(places: list[tuple[str, Any]]) -> list[Problem]:
    stack: list[tuple[str, str]] = []
    findings = []
    for label, paragraph in places:
        for match in _BLOCK.finditer(_text_of(paragraph)):
            word = match.group(1)
            if word in _OPENERS:
                stack.append((word, label))
            elif word.startswith("end"):
                if not stack or _OPENERS[stack[-1][0]] != word:
                    findings.append(_finding(label, f"{{% {word} %}} closes a block that was never opened"))
                else:
                    stack.pop()
    findings.extend(_finding(label, f"{{% {word} %}} is never closed with {{% {_OPENERS[word]} %}}") for word, label in stack)
    return findings


def _check_names(source: str, context: dict[str, Any], places: list[tuple[str, Any]]) -> list[Problem]:
    return [_finding(_find_place(places, name.split(".")[-1]), f"'{name}' is not a variable senforms provides") for name in unknown_names(source, context)]


def _find_place(places: list[tuple[str, Any]], needle: str) -> str:
    for label, paragraph in places:
        text = _text_of(paragraph)
        if needle in text:
            return f"{label} ('{_snippet(text)}')"
    return "the document"


def kind_of(template: Path) -> str | None:
    """The document kind a template is for, from its file name (support-plan.docx → support-plan)."""
    stem = template.stem.lower()
    return stem if stem in KINDS else None


def check_template(template: Path, kind: str | None = None) -> list[Problem]:
    """Everything wrong with a template, each with its place; errors first."""
    if not template.is_file():
        raise SenformsError(f"{template} does not exist", fix="check the path")
    real = sniff(template)
    if real != "docx":
        raise SenformsError(f"{template.name} is {REAL_TYPE_NAMES.get(real, 'not a Word document')}, not a Word document (.docx)", fix="save it from Word as a .docx")
    kind = kind or kind_of(template)
    if kind is not None:
        contexts = [example_context(kind)]
    else:
        contexts = [example_context(k) for k in KINDS]
    context = {key: value for ctx in contexts for key, value in ctx.items()}
    sources = template_sources(template)  # first: it refuses a damaged file by name
    places = _places(Document(str(template)))
    findings = _split_tags(places) + _unbalanced(places)
    for source in sources:
        try:
            findings.extend(_check_names(source, context, places))
        except BrokenTagError as exc:
            if not any(f.severity == "error" for f in findings):
                findings.append(_finding("the document", f"a tag is broken: {exc}"))
    unique = [dataclasses.replace(f, location=dataclasses.replace(f.location, file=template.name)) for f in dict.fromkeys(findings)]
    return sorted(unique, key=lambda f: f.severity != "error")
