"""Schools' own templates: export the shipped ones to edit, and check an edited one before use.

`check_template` reads every part senforms fills in (main text, headers, footers, footnotes,
document properties, content controls and text boxes at every level) exactly as the renderer does,
and finds what would fail half-way through a batch or print wrongly, each with its part and
paragraph: broken or unbalanced tags, blocks that open and close in different places, variables,
filters and tests senforms does not provide, and what Word's way of storing text would change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from docx.oxml.ns import qn
from lxml import etree

from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.headings import HeadingStyles, OrderProblem, heading_styles, order_problems
from senforms.documents.templating import Paragraph, TagProblem, TemplatePart, check_source, template_parts
from senforms.errors import Location, OutputExistsError, Problem, SenformsError, Severity, TemplateProblemError
from senforms.inputs.sniff import REAL_TYPE_NAMES, sniff
from senforms.model import Register
from senforms.outputs.atomic import ensure_folder
from senforms.resources import docx_templates_dir


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
            "year_group": 5, "sen_status": "K", "primary_need": "SPLD", "needs_cognition": "Reading and spelling",
            "contacts": [{"id": "C1", "name": "Parent", "relationship": "Mother", "parental_responsibility": True, "email": "p@example.com"}],
            "professionals": [{"role": "educational_psychologist", "service": "EPS"}],
            "consents": [{"given_by": "Parent", "scope": "ehc_request", "date": "2026-01-01", "method": "signed"}],
            "meetings": [
                {"id": "M1", "date": "2099-01-01", "start_time": "15:00"},
                {"id": "M0", "date": "2025-11-14", "type": "early_discussion", "held": True, "strengths": "Kind", "difficulties": "Reading",
                 "concerns": "Homework", "agreed_outcomes": "Read daily", "next_steps": "Meet in January"},
            ],
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


# Records with as little as a valid register allows: no cycle yet, a cycle not yet reviewed. A
# template that reads `cycle.number` or `cycle.review.date` unguarded would stop on these.
_SPARSE = {
    "school": _EXAMPLE["school"],
    "local_authority": {"name": "Example LA"},
    "pupils": [
        {"upn": "B801200005001", "legal_forename": "Sam", "legal_surname": "Sparse", "date_of_birth": "2016-01-01", "year_group": 5,
         "sen_status": "K", "primary_need": "SPLD", "contacts": [{"id": "C1", "name": "Parent", "relationship": "Mother", "parental_responsibility": True}]},
        {"upn": "M801200006001", "legal_forename": "Kit", "legal_surname": "Sparse", "date_of_birth": "2016-01-01", "year_group": 5,
         "sen_status": "K", "primary_need": "SPLD", "contacts": [{"id": "C1", "name": "Parent", "relationship": "Father", "parental_responsibility": True}],
         "cycles": [{"number": 1, "start_date": "2026-01-01", "assessment": "A", "review_date": "2026-03-01"}]},
    ],
}


@cache
def sparse_contexts(kind: str) -> tuple[dict[str, Any], ...]:
    """Contexts for `kind` from records with as little as a valid register allows (none when such
    records get no document of this kind): what a template must also cope with."""
    register = Register.model_validate(_SPARSE)
    return tuple({**job.context, "school_logo": ""} for job in plan_jobs(register, kind, on=dt.date(2026, 1, 2), all_cycles=True))


@cache
def example_context(kind: str) -> dict[str, Any]:
    """A full context for `kind`, built from a made-up record: the shape a template may rely on."""
    register = Register.model_validate(_EXAMPLE)
    job = plan_jobs(register, kind, on=dt.date(2026, 1, 2), all_cycles=True)[0]
    return {**job.context, "school_logo": ""}


# --- reading the template ---------------------------------------------------------------------

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_OPENED = re.compile(r"\{\{|\{%|\{#")
_STRAIGHT = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
_ALONE = {"p": ("paragraph", "in a paragraph of its own"), "tr": ("table row", "alone in a row of its own"), "tc": ("table cell", "alone in a cell of its own")}
_RICH = re.compile(r"\b[A-Za-z_][\w.]*\.rich\b")  # senforms' formatted values all end in .rich
_BROKEN_BY_CURLY = re.compile(r"'[^'\n]*’[^'\n]*'|‘[^’\n]*’[^’\n]*’")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 50 else text[:47] + "…"


def _where(part: TemplatePart, paragraph: Paragraph | None) -> str:
    if paragraph is None:
        return part.name
    place = paragraph.place if part.name == "the main text" or paragraph.place == part.name else f"{part.name}, {paragraph.place}"
    return f"{place} ('{_snippet(paragraph.text)}')" if paragraph.text.strip() and paragraph.place != part.name else place


def _place_of(part: TemplatePart, problem: TagProblem) -> str:
    """The paragraph a problem is in: of those on its source line, the first holding its hint."""
    candidates = part.places_at(problem.lineno)
    if not candidates:
        return part.name
    hint = problem.hint
    chosen = next((p for p in candidates if hint and hint in p.text.translate(_STRAIGHT) and _TAG.search(p.text)), None)
    chosen = chosen or next((p for p in candidates if _TAG.search(p.text) or _OPENED.search(p.text)), candidates[0])
    return _where(part, chosen)


def _runs_of(paragraph: Paragraph) -> list[tuple[str, bytes]]:
    """(text, formatting) for each w:t of the paragraph's own runs."""
    pieces = []
    for t in paragraph.element.iter(qn("w:t")):
        if next(t.iterancestors(qn("w:p")), None) is not paragraph.element:
            continue
        run = t.getparent()
        properties = run.find(qn("w:rPr")) if run is not None else None
        pieces.append((t.text or "", etree.tostring(properties) if properties is not None else b""))
    return pieces


def _layout_findings(part: TemplatePart) -> list[Problem]:
    """What Word's way of storing text does to the tags, found on the paragraphs as typed."""
    findings = []
    for paragraph in part.paragraphs:
        if paragraph.element is None or not _OPENED.search(paragraph.text):
            continue
        where = _where(part, paragraph)
        pieces = _runs_of(paragraph)
        starts, position = [], 0
        for text, _ in pieces:
            starts.append(position)
            position += len(text)
        text = paragraph.text
        for match in _TAG.finditer(text):
            tag = match.group()
            first = max(i for i, s in enumerate(starts) if s <= match.start())
            last = max(i for i, s in enumerate(starts) if s < match.end())
            after = pieces[last][0][match.end() - starts[last]:]
            if first != last and after.strip() and pieces[first][1] != pieces[last][1]:
                findings.append(_finding(where, (
                    f"Word has stored the tag {tag} in pieces with different formatting, so the words after it "
                    f"('{_snippet(after)}') will print with the formatting of the start of the tag: select the tag "
                    "and those words and set their formatting again"), "warning"))
            if _BROKEN_BY_CURLY.search(tag):
                findings.append(_finding(where, (
                    f"the tag {tag} has an apostrophe inside text in single quotes, which ends the text early: put "
                    "that text in double quotes instead, e.g. \"Alex’s plan\"")))
            straight = tag.translate(_STRAIGHT)
            rich = re.match(r"\{\{([rp]) ", straight)
            formatted = re.fullmatch(r"\{\{r\s+([A-Za-z_][\w.]*\.)?rich\s*\}\}", straight)
            named_rich = _RICH.search(straight)
            if not rich and named_rich and straight.startswith("{{"):
                findings.append(_finding(where, (
                    f"{tag} is formatted text (a value ending in .rich), which prints only in a tag written with an r: "
                    f"{{{{r {named_rich.group()} }}}}")))
            if rich and not formatted:
                plain = "{{ " + tag[4:].strip()
                findings.append(_finding(where, (
                    f"{tag} is for formatted text, and senforms gives plain text, so the value would be lost: "
                    f"write {plain} instead (format the tag itself in Word to make the value bold or larger)")))
            if tag.startswith("{%-") and text[:match.start()].strip() and not _TAG.search(text[:match.start()]):
                findings.append(_finding(where, (
                    f"{{%- joins this paragraph to the end of the one before, so '{_snippet(text[:match.start()])}' before it "
                    f"will never print: put {tag} at the start of the paragraph, or write {{% without the -"), "warning"))
            alone = re.match(r"\{%(p|tr|tc) ", tag)
            if alone:
                container, how = _ALONE[alone.group(1)]
                holder = paragraph.element
                if container != "paragraph":
                    holder = next(paragraph.element.iterancestors(qn(f"w:{alone.group(1)}")), None)
                rest = (paragraph.text if holder is paragraph.element else "".join(t.text or "" for t in holder.iter(qn("w:t"))) if holder is not None else "").replace(tag, "", 1)
                if rest.strip() and not _TAG.search(rest):
                    findings.append(_finding(where, (
                        f"the {container} holding {tag} is removed when the document is filled in, so "
                        f"'{_snippet(rest)}' beside it will never print: put {tag} {how}"), "warning"))
        unfinished = _TAG.sub("", text)
        if _OPENED.search(unfinished):
            start = _OPENED.search(unfinished)
            assert start is not None
            findings.append(_finding(where, (
                f"the tag starting '{_snippet(unfinished[start.start():])}' is not finished in this paragraph: "
                "finish it on the same line (senforms would join this paragraph with the next one)"), "warning"))
    return findings


def _unrendered_findings(part: TemplatePart) -> list[Problem]:
    """Tags in a part senforms copies as it is (endnotes, comments): they would print as typed."""
    findings = []
    for paragraph in part.paragraphs:
        tag = _TAG.search(paragraph.text) or _OPENED.search(paragraph.text)
        if tag:
            findings.append(_finding(_where(part, paragraph), (
                f"senforms does not fill in tags in {part.name}, so {tag.group()} would print as typed: "
                "move it into the text or a footnote"), "warning"))
    return findings


# --- accessibility (issue 15): what a screen reader needs from the template ------------------------

_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_DECORATIVE = "http://schemas.microsoft.com/office/drawing/2017/decorative"
FAKE_HEADING_WORDS = 12  # a bold or large paragraph this short, not ending like a sentence, reads as a heading
LARGE_TEXT = 28  # half-points: 14 pt and more is heading-sized against the templates' 11 pt body text


def _accessibility_findings(part: TemplatePart, styles: HeadingStyles | None = None) -> list[Problem]:
    """Warnings, never errors: pictures without alt text, tables whose first row is not a header
    row, headings made of bold or large text instead of a Heading style, and headings out of order
    (`styles`: the template's heading styles). The PDFs senforms makes are tagged from these, so a
    parent using a screen reader hears what the template gives them."""
    root = _part_root(part)
    if root is None:
        return []
    findings = []
    by_element = {id(p.element): p for p in part.paragraphs}

    def paragraph_of(element: Any) -> Paragraph | None:
        holder = element if element.tag == qn("w:p") else next(element.iterancestors(qn("w:p")), None)
        return by_element.get(id(holder)) if holder is not None else None

    for picture in root.iter(f"{{{_WP}}}docPr"):
        decorative = any(e.get("val") in ("1", "true") for e in picture.iter(f"{{{_DECORATIVE}}}decorative"))
        if not (picture.get("descr") or "").strip() and not decorative:
            name = picture.get("name") or "a picture"
            findings.append(_finding(_where(part, paragraph_of(picture)), (
                f"the picture '{name}' has no alt text, so a screen reader cannot say what it shows: right-click it in Word, "
                "choose View Alt Text and describe it (or tick Mark as decorative)"), "warning"))
    for number, tbl in enumerate(root.iter(qn("w:tbl")), start=1):
        rows = tbl.findall(qn("w:tr"))
        first = rows[0].find(qn("w:trPr")) if rows else None
        marked = first is not None and any(e.get(qn("w:val"), "true") not in ("0", "false") for e in first.findall(qn("w:tblHeader")))
        if not marked and _is_a_data_table(rows):
            first_cell = next(rows[0].iter(qn("w:p")), None)
            place = _where(part, by_element.get(id(first_cell))) if first_cell is not None else part.name
            findings.append(_finding(place, (
                f"table {number} has no header row marked, so a screen reader cannot tell which heading each cell belongs to: "
                "type the column headings in its first row, click in it, then Table Layout › Repeat Header Rows"), "warning"))
    after_salutation = False  # a letter's bold subject line follows its "Dear …" and is not a heading
    # Only the main text has headings: a letterhead's bold name in a header or footer is not one.
    for paragraph in part.paragraphs if part.name == "the main text" else ():
        if paragraph.element is None:
            continue
        typed = _TAG.sub("", paragraph.text).strip()
        if _looks_like_a_heading(paragraph) and not after_salutation:
            findings.append(_finding(_where(part, paragraph), (
                "this short paragraph is made to look like a heading with bold or large text, but a screen reader "
                "reads it as ordinary text: give it a Heading style (Home › Styles › Heading 2) instead"), "warning"))
        if typed:
            after_salutation = typed.startswith("Dear ")
    if part.name == "the main text":
        findings.extend(_heading_order_findings(part, styles or HeadingStyles()))
    return findings


HOW_HEADING_1 = "give {what} the Heading 1 style (Home › Styles › Heading 1)"


_BRANCH = re.compile(r"\{%-?p\s+(if|elif|else|endif)\b")


def _heading_order_findings(part: TemplatePart, styles: HeadingStyles) -> list[Problem]:
    """The rule of senforms.documents.headings on the main text's headings as typed, both sides of an
    if/else included: the first is a Heading 1 and none skips a level. When a letter breaks it
    because its subject lines (the first line after "Dear …" on each side of an if/else) are typed in
    bold, each of them is named as the Heading 1 it should be."""
    headings: list[tuple[Paragraph, int]] = []
    subjects: list[Paragraph] = []
    after_salutation = False
    opened: list[bool] = []  # for each {%p if %} open: did it follow the "Dear …" line?
    for paragraph in part.paragraphs:
        if paragraph.element is None:
            continue
        typed = _TAG.sub("", paragraph.text).strip()
        branch = _BRANCH.match(paragraph.text.translate(_STRAIGHT).strip())
        if branch and not typed:  # removed when filled in: each side of an if starts where the if stood
            word = branch.group(1)
            if word == "if":
                opened.append(after_salutation)
            elif word == "endif":
                after_salutation = False
                if opened:
                    opened.pop()
            elif opened:
                after_salutation = opened[-1]
            continue
        if not typed:
            continue  # empty, or another tag's paragraph: in no list of headings
        level = styles.level_of(paragraph.element)
        if level is not None:
            headings.append((paragraph, level))
        elif after_salutation and _all_bold_or_large(paragraph):
            subjects.append(paragraph)
        after_salutation = typed.startswith("Dear ")
    findings = []
    for problem in order_problems([level for _, level in headings]):
        if problem.kind != "skipped" and subjects:
            findings += [_subject_finding(part, subject, headings) for subject in subjects]
        else:
            findings.append(_order_finding(part, problem, headings))
    return findings


def _subject_finding(part: TemplatePart, subject: Paragraph, headings: list[tuple[Paragraph, int]]) -> Problem:
    first = f"the letter's first heading is a Heading {headings[0][1]}" if headings else "the letter has no heading at all"
    return _finding(_where(part, subject), (
        f"this subject line is bold text, not a heading, and {first}, so a screen reader user cannot find the "
        f"subject in the letter's list of headings: {HOW_HEADING_1.format(what='the subject line')}"), "warning")


def _order_finding(part: TemplatePart, problem: OrderProblem, headings: list[tuple[Paragraph, int]]) -> Problem:
    if problem.kind == "skipped":
        paragraph, _ = headings[problem.index]
        before, _ = headings[problem.index - 1]
        return _finding(_where(part, paragraph), (
            f"this Heading {problem.level} comes straight after the Heading {problem.before} '{_snippet(before.text)}', "
            f"so a screen reader user would think a part of the document is missing: make it a Heading "
            f"{problem.before + 1} (Home › Styles › Heading {problem.before + 1})"), "warning")
    if problem.kind == "none":
        return _finding(part.name, (
            "the document has no headings, so a screen reader user cannot hear how it is set out or jump to a part of it: "
            f"{HOW_HEADING_1.format(what='its title (in a letter, the subject line)')}, and each section's title the Heading 2 style"), "warning")
    paragraph, _ = headings[0]
    return _finding(_where(part, paragraph), (
        f"this is the document's first heading but it is a Heading {problem.level}, so a screen reader user's list of "
        "headings starts part-way down: make it a Heading 1 (Home › Styles › Heading 1), or give a line above it "
        "(in a letter, the subject line) the Heading 1 style"), "warning")


def _part_root(part: TemplatePart) -> Any:
    """The part's XML as typed, from its paragraphs' own tree (None for document properties)."""
    first = next((p.element for p in part.paragraphs if p.element is not None), None)
    return first.getroottree().getroot() if first is not None else None


def _is_a_data_table(rows: list[Any]) -> bool:
    """A table of data under column headings: it repeats a row per record ({%tr for %}), or its
    first row is all headings (every cell typed, no tag) over rows of values. A table of labels
    beside values ('Full name | {{ pupil.full_name }}') or a form to fill in has no header row."""
    texts = [["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.findall(qn("w:tc"))] for tr in rows]
    if any("{%tr for " in text.translate(_STRAIGHT) for row in texts for text in row):
        return True
    if len(texts) < 2 or len(texts[0]) < 2:
        return False
    headings = all(text.strip() and not _OPENED.search(text) for text in texts[0])
    return headings and any(_OPENED.search(text) for row in texts[1:] for text in row)


BODY_STYLES = {"", "normal", "bodytext", "body text"}


def _style_id(paragraph: Paragraph) -> str:
    properties = paragraph.element.find(qn("w:pPr"))
    style = properties.find(qn("w:pStyle")) if properties is not None else None
    return (style.get(qn("w:val")) or "") if style is not None else ""


def _heading_style(paragraph: Paragraph) -> bool:
    properties = paragraph.element.find(qn("w:pPr"))
    outline = properties is not None and properties.find(qn("w:outlineLvl")) is not None
    return outline or _style_id(paragraph).lower().startswith(("heading", "title", "subtitle"))


def _looks_like_a_heading(paragraph: Paragraph) -> bool:
    """A short paragraph in a body style, every word bold or large: a heading made by hand. Not one
    that holds a tag or a colon (a line naming the pupil, or a label), nor one ending like a sentence;
    a style of the school's own (Address, Label …) is a choice, not a heading."""
    words = paragraph.text.strip()
    if not words or _OPENED.search(words) or ":" in words or len(words.split()) > FAKE_HEADING_WORDS or words[-1] in ".,;!?":
        return False
    return _all_bold_or_large(paragraph)


def _all_bold_or_large(paragraph: Paragraph) -> bool:
    """Every word of a body-text paragraph outside a table is bold or heading-sized."""
    if next(paragraph.element.iterancestors(qn("w:tbl")), None) is not None:
        return False  # a bold cell is a table's own heading
    if _style_id(paragraph).lower() not in BODY_STYLES or _heading_style(paragraph):
        return False
    runs = [(text, formatting) for text, formatting in _runs_of(paragraph) if text.strip()]
    return bool(runs) and all(_bold_or_large(formatting) for _, formatting in runs)


def _bold_or_large(formatting: bytes) -> bool:
    if not formatting:
        return False
    properties = etree.fromstring(formatting)
    bold = properties.find(qn("w:b"))
    size = properties.find(qn("w:sz"))
    is_bold = bold is not None and bold.get(qn("w:val"), "true") not in ("0", "false")
    is_large = size is not None and (size.get(qn("w:val")) or "0").isdigit() and int(size.get(qn("w:val"))) >= LARGE_TEXT
    return is_bold or is_large


def _heading_styles(template: Path) -> HeadingStyles:
    """Which of the template's styles are headings, from word/styles.xml (none when Word left it out)."""
    try:
        with zipfile.ZipFile(template) as package:
            return heading_styles(package.read("word/styles.xml") if "word/styles.xml" in package.namelist() else None)
    except (zipfile.BadZipFile, OSError, etree.XMLSyntaxError) as exc:
        raise TemplateProblemError(
            f"{template.name} is damaged: Word's own files inside it cannot be read ({type(exc).__name__})",
            fix="open it in Word, save it again as a .docx, or start again from an exported template",
        ) from exc


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
    others = [ctx for k in ([kind] if kind else list(KINDS)) for ctx in sparse_contexts(k)]
    parts = template_parts(template)  # first: it refuses a damaged file by name
    styles = _heading_styles(template)
    findings: list[Problem] = []
    for part in parts:
        if not part.rendered:
            findings.extend(_unrendered_findings(part))
            continue
        layout = _layout_findings(part)
        explained = {f.location.place for f in layout if f.severity == "error"}
        for problem in check_source(part.source, context, *others):
            place = _place_of(part, problem)
            if not (problem.message.startswith("a tag is broken") and place in explained):  # already said why
                findings.append(_finding(place, problem.message, problem.severity))
        findings.extend(layout)
        findings.extend(_accessibility_findings(part, styles))
    unique = [dataclasses.replace(f, location=dataclasses.replace(f.location, file=template.name)) for f in dict.fromkeys(findings)]
    # Errors first, then in the order of the document: part by part, paragraph by paragraph.
    order = {part.name: (i, -1) for i, part in enumerate(parts)}
    order.update({_where(part, p): (i, j) for i, part in enumerate(parts) for j, p in enumerate(part.paragraphs)})
    return sorted(unique, key=lambda f: (f.severity != "error", order.get(f.location.place or "", (len(parts), 0))))
