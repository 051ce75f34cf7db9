"""The seven shipped Word templates: what a filled-in document really contains, and that the
templates and docs/templates.md agree with each other and with context.py.

The rules the .docx files themselves must keep (whole tags, headings, header rows, house style,
fixed properties) are linted in test_template_files.py; their full text is in tests/golden/."""

from __future__ import annotations

import copy
import datetime as dt
import inspect
import io
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.templating import render_docx
from senforms.inputs import load_register
from senforms.model import SenStatus
from senforms.ukformat import long_date, time_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates" / "docx"
DOCS = ROOT / "docs" / "templates.md"
ON = dt.date(2026, 11, 23)
MARKED = {"support-plan", "review", "ehc-request", "la-cover-letter", "one-page-profile"}
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def register():
    return load_register(ROOT / "samples" / "register.xlsx", as_of=ON).register


def _render(kind: str, context: dict) -> Document:
    context = {**context, "school_logo": ""}
    return Document(io.BytesIO(render_docx(TEMPLATES / f"{kind}.docx", context)))


def _first(register, kind: str):
    return plan_jobs(register, kind, on=ON)[0]


def _text(element) -> str:
    """All the text of an element (body, header, table…), one line per paragraph."""
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in element.iter(qn("w:p")))


def _body(document) -> str:
    return " ".join(_text(document.element.body).split())


def _cells(document) -> list[str]:
    return [" ".join(_text(tc).split()) for tc in document.element.body.iter(qn("w:tc"))]


def _headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def _headers(document) -> list:
    section = document.sections[0]
    return [section.first_page_header, section.header]


def _footers(document) -> list:
    section = document.sections[0]
    return [section.first_page_footer, section.footer]


# --- every template ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_sample_document_renders_with_no_tags_left(register, kind):
    jobs = plan_jobs(register, kind, on=ON)
    assert jobs, f"the samples call for no {kind}"
    for job in jobs:
        document = _render(kind, job.context)
        text = _body(document) + " ".join(_text(part._element) for part in _headers(document) + _footers(document))
        assert not TAG.search(text), f"{job.description}: a tag was left in the document"
        assert job.context["pupil"]["full_name"] in _body(document)


@pytest.mark.parametrize("kind", list(KINDS))
def test_letterhead_footer_and_marking(register, kind):
    document = _render(kind, _first(register, kind).context)
    section = document.sections[0]
    assert section.page_width.cm == pytest.approx(21.0, abs=0.01) and section.page_height.cm == pytest.approx(29.7, abs=0.01)
    assert "Hollybrook Primary School" in _text(section.first_page_header._element)
    assert "12 Orchard Lane" in _text(section.first_page_header._element)
    assert "01632 960100" in _text(section.first_page_header._element)
    assert "office@hollybrook-primary.example" in _text(section.first_page_header._element)
    assert "Hollybrook Primary School" in _text(section.header._element)
    for footer in _footers(document):
        fields = " ".join(t.text for t in footer._element.iter(qn("w:instrText")))
        assert "PAGE" in fields.split() and "NUMPAGES" in fields.split()
        assert "Page" in _text(footer._element)
        assert ("OFFICIAL-SENSITIVE" in _text(footer._element)) == (kind in MARKED)
    if kind in MARKED:
        assert "OFFICIAL-SENSITIVE" in _text(section.first_page_header._element)


@pytest.mark.parametrize("kind", list(KINDS))
def test_styles_are_the_house_style(kind):
    document = Document(str(TEMPLATES / f"{kind}.docx"))
    for name in ("Normal", "Heading 1", "Heading 2"):
        fonts = document.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:ascii")) == "Arial" and fonts.get(qn("w:asciiTheme")) is None
    assert document.styles["Normal"].font.size.pt == 11
    assert document.styles["Heading 1"].element.pPr.find(qn("w:outlineLvl")) is not None


@pytest.mark.parametrize("kind", list(KINDS))
def test_shipped_templates_pass_the_template_check(kind):
    templates = pytest.importorskip("senforms.documents.template_files")
    findings = templates.check_template(TEMPLATES / f"{kind}.docx")
    assert not findings, [str(f) for f in findings]


# --- each document ----------------------------------------------------------------------------------


def test_support_plan(register):
    job = _first(register, "support-plan")
    cycle = job.context["cycle"]
    document = _render("support-plan", job.context)
    body, cells = _body(document), _cells(document)
    assert "SEN support plan" in body and "Amara Okafor" in body
    assert _headings(document, 1)[:3] == ["Pupil details", "Strengths and interests", "Needs"]
    assert "Outcomes we are working towards" in _headings(document, 1)
    assert "What Amara says" in _headings(document, 2)
    for label, value in [("Known as", "Amara"), ("UPN", "Z881999919001"), ("Primary need", "Speech, language and communication needs"),
                         ("Date of birth", "14 May 2016 (age 10 years 6 months)"), ("Year group and class", "Year 6, Willow")]:
        assert value in cells[cells.index(label) + 1]
    for outcome in cycle["outcomes"]:
        assert any(outcome["description"] in cell for cell in cells)
        assert any(outcome["measure"] in cell for cell in cells)
    for row in cycle["provision"]:
        assert any(row["description"] in cell for cell in cells)
        assert any(row["staff_role"] == cell for cell in cells)
    # P1's cost is typed; P2's and P3's are sessions × minutes × 38 weeks × £18.00 (a teaching assistant).
    assert "£1,030.00" in cells and "£1,710.00" in cells and "£8,550.00" in cells and "£11,290.00" in cells and "16.5 hours" in cells
    assert cycle["parent_contribution"] in body and cycle["pupil_contribution"] in body
    assert cycle["review"] is not None  # the current cycle was reviewed: the plan says so, in the past
    assert f"We reviewed this plan together on {long_date(cycle['review']['date'])}" in body
    assert "We will review this plan" not in body
    assert {"SENCo", "Parent or carer", "Pupil"} <= set(cells) and "Samuel Okafor" in cells


def test_review_record(register):
    job = _first(register, "review")
    review = job.context["cycle"]["review"]
    document = _render("review", job.context)
    body, cells = _body(document), _cells(document)
    assert "SEN support review record" in body
    assert "Progress towards each outcome" in _headings(document, 1)
    assert {"Some progress", "No progress"} <= set(cells)
    assert any(o["progress"] in cell for o in job.context["cycle"]["outcomes"] for cell in cells)
    for attendee in review["attendees"]:
        assert attendee in body
    assert review["pupil_views"] in body and review["parent_views"] in body
    assert "Decision: Request an EHC needs assessment" in body
    assert "Next review: 12 February 2027" in body
    assert "A copy of this record is given to Amara's parents and carers (given on 23 November 2026)" in body


def test_parent_notification_letter(register):
    job = _first(register, "parent-notification")
    document = _render("parent-notification", job.context)
    body = _body(document)
    assert "Mrs Grace Okafor 11 Meadow Road" in body and "23 November 2026" in body
    assert "Dear Mrs Okafor," in body
    assert "Amara has special educational needs" in body and "special educational provision" in body
    assert "section 68 of the Children and Families Act 2014" in body and "6.43" in body
    assert all(step in body for step in ("Assess:", "Plan:", "Do:", "Review:"))
    assert "at least three times a year" in body
    assert "next review will be on 12 February 2027" in body
    assert "Mr Daniel Price on 01632 960105" in body and "senco@hollybrook-primary.example" in body
    assert "https://localoffer.northshire-council.example" in body
    assert "Northshire SENDIASS" in body and "01632 960400" in body
    assert "Return slip" in body and "Yours sincerely" in body
    assert " you have special educational needs" not in body


def test_notification_speaks_to_a_young_person(register):
    older = register.model_copy(deep=True)
    pupil = older.pupils[0]
    pupil.date_of_birth = dt.date(2009, 3, 1)  # over compulsory school age by November 2026
    jobs = [j for j in plan_jobs(older, "parent-notification", on=ON) if j.pupil.upn == pupil.upn]
    assert len(jobs) == 1 and jobs[0].context["recipient"]["id"] == "pupil"
    assert jobs[0].context["pupil"]["is_young_person"]
    body = _body(_render("parent-notification", jobs[0].context))
    assert "Dear Amara," in body
    assert "we have identified that you have special educational needs" in body
    assert "telling me that I am receiving SEN support" in body
    assert "Amara has special educational needs" not in body and "your child" not in body


def test_notification_without_a_cycle_or_local_authority(register):
    context = copy.deepcopy(_first(register, "parent-notification").context)
    context["cycle"], context["la"] = None, {}
    body = _body(_render("parent-notification", context))
    assert "Local Offer" not in body and "reviewed on" not in body
    assert "at least three times a year" in body


def test_invitation(register):
    job = _first(register, "invitation")
    document = _render("invitation", job.context)
    body, cells = _body(document), _cells(document)
    assert "Dear Mrs Okafor," in body
    meeting = job.context["meeting"]
    assert "Friday 4 December 2026" in cells and f"{time_text(meeting['start_time'])} to {time_text(meeting['end_time'])}" in cells
    assert "SENCo office, Hollybrook Primary School" in cells
    assert "Mr Daniel Price (SENCo), Class teacher, and you" in cells
    assert job.context["meeting"]["purpose"] in cells
    assert "bring a friend" in body and "Northshire SENDIASS" in body
    assert "share your views before the meeting" in body
    assert "Please let us know by 27 November 2026" in body and "01632 960105" in body
    assert "interpreter (" not in body


def test_invitation_online_without_times_and_with_an_interpreter(register):
    context = copy.deepcopy(_first(register, "invitation").context)
    context["meeting"].update(start_time=None, end_time=None, location="", online_link="https://meet.example/abc", is_online=True)
    context["recipient"].update(interpreter_needed=True, language="Polish")
    document = _render("invitation", context)
    body, cells = _body(document), _cells(document)
    assert "To be confirmed" in cells
    assert "Online, using this link: https://meet.example/abc" in cells
    assert "We will arrange an interpreter (Polish)" in body


def test_ehc_request(register):
    job = _first(register, "ehc-request")
    context = job.context
    document = _render("ehc-request", context)
    body, cells = _body(document), _cells(document)
    headings = _headings(document, 1)
    assert [int(h.split(".")[0]) for h in headings] == list(range(1, 15))
    assert headings[0] == "1. Who is making this request" and headings[-1] == "14. Declaration and signature"
    assert "section 36(1) of the Children and Families Act 2014" in body
    for parent in context["pupil"]["parents"]:
        assert any(parent["name"] in cell for cell in cells)
    assert "Agrees to the request and to information sharing" in cells
    assert context["pupil"]["pupil_views"] in body and context["pupil"]["parent_views"] in body
    assert "Speech, language and communication needs (SLCN)" in cells
    assert context["pupil"]["attainment"] in body and "96.6% (2025/26 school year)" in body
    for cycle in context["cycles"]:
        assert cycle["term"].capitalize() in cells
        assert f"Cycle {cycle['number']}: {cycle['term']}" in _headings(document, 2)
        for outcome in cycle["outcomes"]:
            assert any(outcome["description"] in cell for cell in cells)
    for row in context["provision_map"]["rows"]:
        assert any(row["description"] == cell for cell in cells)
    assert "£8,859.85 over the 12 months from 24 November 2025 to 23 November 2026 (now 16.5 hours a week)" in cells
    assert "£6,000.00 a year per pupil" in cells
    assert "is at least the £6,000.00 a year" in body
    for professional in context["pupil"]["professionals"]:
        assert any(professional["service"] == cell for cell in cells)
    assert context["pupil"]["outcomes_sought"] in body
    assert "Making the request" in cells and "Mrs Helen Marsh" in cells


def test_ehc_request_with_gaps(register):
    context = copy.deepcopy(_first(register, "ehc-request").context)
    context.update(consents=[], parents_agree=False, enclosures=["Costed provision map"])
    context["request"]["consent"].update(given=False, by="", date=None)
    context["pupil"].update(professionals=[], needs=[], parents=[], attendance_percent=None)
    document = _render("ehc-request", context)
    body, cells = _body(document), _cells(document)
    assert "No consent has been recorded." in cells and "No external professionals are recorded." in cells
    assert "No agreement to this request has been recorded yet" in body
    assert "Attendance Not recorded" in body
    assert "Enclosures" in _headings(document, 2) and "Costed provision map" in body


def test_la_cover_letter_states_the_statutory_dates(register):
    job = _first(register, "la-cover-letter")
    document = _render("la-cover-letter", job.context)
    body, cells = _body(document), _cells(document)
    assert "SEND Statutory Assessment Team Northshire County Council County Hall" in body
    assert body.count("SEND Statutory Assessment Team Northshire") == 1
    assert "Dear SEND Statutory Assessment Team," in body
    assert "Amara Okafor, born 14 May 2016, UPN Z881999919001" in body
    assert "This request is dated 23 November 2026, the day the school sends it, so they are:" in body
    for step, limit, due in [("regulation 5", "6 weeks", "4 January 2027"), ("regulation 10", "16 weeks", "15 March 2027"),
                             ("regulation 13", "20 weeks", "12 April 2027")]:
        row = next(i for i, cell in enumerate(cells) if step in cell)
        assert cells[row + 1] == limit and cells[row + 2] == due
    # Only Grace Okafor signed; Samuel Okafor also has parental responsibility, so "parents or carers agree" was untrue (#10).
    assert "This request has the agreement of Grace Okafor (mother), with parental responsibility for Amara." in body
    assert "parents or carers know about this request" not in body
    assert "I enclose the completed request and its evidence bundle." in body
    assert "Yours faithfully" in body and "Mr Daniel Price" in body


def test_la_cover_letter_lists_enclosures(register):
    context = copy.deepcopy(_first(register, "la-cover-letter").context)
    context.update(enclosures=["Costed provision map", "Educational psychology report"], parents_agree=False)
    context["request"]["consent"].update(given=False, by="", date=None)
    document = _render("la-cover-letter", context)
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets == ["Costed provision map", "Educational psychology report"]
    assert "evidence bundle" not in _body(document)
    assert "not yet recorded the family's agreement" in _body(document)


LETTER_SUBJECTS = {  # the subject line each letter already printed, now its Heading 1
    "parent-notification": "Amara Okafor: special educational needs (SEN) support",
    "invitation": "Invitation: SEN support review for Amara Okafor",
    "la-cover-letter": "Request for an education, health and care (EHC) needs assessment\nAmara Okafor, born 14 May 2016, UPN Z881999919001",
}


@pytest.mark.parametrize("kind", list(LETTER_SUBJECTS))
def test_a_letters_subject_line_is_its_heading_1(register, kind):
    """A screen reader meets the subject line as the letter's one Heading 1, straight after "Dear …";
    parent-notification's sections are Heading 2s under it (no skipped level, PDF/UA 14-003)."""
    document = _render(kind, _first(register, kind).context)
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    headings = [p for p in paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].style.name == "Heading 1" and headings[0].text == LETTER_SUBJECTS[kind]
    assert [p.style.name for p in headings[1:]] == (["Heading 2"] * 3 if kind == "parent-notification" else [])
    if kind == "parent-notification":
        assert [p.text for p in headings[1:]] == ["What SEN support means", "Working together", "Questions and further information"]
    assert paragraphs[paragraphs.index(headings[0]) - 1].text.startswith("Dear ")


@pytest.mark.parametrize("kind", list(LETTER_SUBJECTS))
def test_a_letters_heading_1_still_looks_like_a_subject_line(kind):
    """The letter's own Heading 1 style: Arial, bold, 12 pt, black, no gap above it (not a report's 13.5 pt blue heading)."""
    style = Document(str(TEMPLATES / f"{kind}.docx")).styles["Heading 1"]
    assert style.font.size.pt == 12 and style.font.bold and style.font.name == "Arial"
    assert style.font.color.rgb is None  # black like the text, as the bold subject line was
    assert style.paragraph_format.space_before.pt == 0 and style.paragraph_format.space_after.pt <= 6


def test_a_young_persons_letters_have_their_subject_line_as_heading_1(register):
    older = register.model_copy(deep=True)
    older.pupils[0].date_of_birth = dt.date(2009, 3, 1)  # over compulsory school age by November 2026
    for kind, subject in [("parent-notification", "Your special educational needs (SEN) support"), ("invitation", "Invitation: SEN support review")]:
        job = next(j for j in plan_jobs(older, kind, on=ON) if j.pupil.upn == older.pupils[0].upn)
        assert job.context["pupil"]["is_young_person"]
        assert _headings(_render(kind, job.context), 1) == [subject], kind


def test_one_page_profile(register):
    job = _first(register, "one-page-profile")
    pupil = job.context["pupil"]
    document = _render("one-page-profile", job.context)
    body = _body(document)
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == ["All about me"]
    assert _headings(document, 1) == ["What people like and admire about me", "What is important to me", "How best to support me",
                                      "What does not help", "My hopes for the future", "In my own words"]
    for field in ("strengths", "important_to_me", "how_to_support_me", "what_does_not_help", "hopes_for_the_future", "pupil_views"):
        assert pupil[field] and pupil[field] in body, field
    assert "A one-page profile of Amara, Year 6, Willow class, made on 23 November 2026." in body
    assert "One-page profile: Amara Okafor" in _text(document.sections[0].header._element)


def test_one_page_profile_with_nothing_recorded_yet(register):
    context = copy.deepcopy(_first(register, "one-page-profile").context)
    context["pupil"].update(strengths="", important_to_me="", how_to_support_me="", what_does_not_help="", hopes_for_the_future="", pupil_views="")
    document = _render("one-page-profile", context)
    assert _headings(document, 1) == ["What people like and admire about me", "What is important to me", "How best to support me", "What does not help"]
    assert _body(document).count("Not recorded yet.") == 4


def test_only_pupils_on_the_sen_register_get_a_profile(register):
    changed = register.model_copy(deep=True)
    changed.pupils[0].sen_status = SenStatus.NO_SEN
    upns = [job.pupil.upn for job in plan_jobs(changed, "one-page-profile", on=ON)]
    assert changed.pupils[0].upn not in upns and len(upns) == len(register.pupils) - 1


def test_a_logo_goes_in_the_letterhead(register, tmp_path):
    if "logo" not in inspect.signature(render_docx).parameters:
        pytest.skip("render_docx takes no logo")
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 120), (31, 78, 121)).save(logo)
    data = render_docx(TEMPLATES / "invitation.docx", _first(register, "invitation").context, logo=logo)
    document = Document(io.BytesIO(data))
    header = document.sections[0].first_page_header._element
    assert list(header.iter(qn("w:drawing")))
    assert any(name.startswith("word/media/") for name in zipfile.ZipFile(io.BytesIO(data)).namelist())


# --- the documentation ------------------------------------------------------------------------------


def _flatten(prefix: str, value, out: set[str]) -> None:
    out.add(prefix)
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, out)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _flatten(f"{prefix}[]", item, out)


def _context_paths(register) -> set[str]:
    """Every variable path the samples' contexts hold, lists written as `name[]`."""
    paths: set[str] = set()
    for kind in KINDS:
        for job in plan_jobs(register, kind, on=ON):
            for key, value in {**job.context, "school_logo": ""}.items():
                _flatten(key, value, paths)
    return paths


def _documented(text: str) -> tuple[set[str], dict[str, str]]:
    """The variable paths docs/templates.md names (loop names resolved), and its 'same fields as' links."""
    aliases: dict[str, str] = {}
    same: dict[str, str] = {}

    def resolve(path: str) -> str:
        head, _, rest = path.partition(".")
        if head in aliases:
            return aliases[head] + ("." + rest if rest else "")
        return path

    for match in re.finditer(r"Each `(\w+)` in `([\w.]+)`(?: has the same fields as `([\w.]+)`)?", text):
        alias, listed, like = match.groups()
        aliases[alias] = resolve(listed) + "[]"
        if like:
            same[aliases[alias]] = resolve(like)
    documented = {resolve(m.group(1)) for m in re.finditer(r"`([a-z_]\w*(?:\.[a-z_]\w*)*)", text)}
    return documented, same


def _with_same(path: str, same: dict[str, str]) -> set[str]:
    names = {path}
    for _ in range(3):
        for name in list(names):
            for source, target in same.items():
                if name == source or name.startswith(source + ".") or name.startswith(source + "["):
                    names.add(target + name[len(source):])
    return names


def test_docs_list_every_variable_the_templates_get(register):
    documented, same = _documented(DOCS.read_text(encoding="utf-8"))
    missing = sorted(path for path in _context_paths(register) if not path.endswith("[]") and not _with_same(path, same) & documented)
    assert not missing, f"docs/templates.md does not describe: {missing}"


def test_docs_name_no_variable_that_does_not_exist(register):
    paths = _context_paths(register)
    roots = {path.split(".")[0].removesuffix("[]") for path in paths}
    documented, same = _documented(DOCS.read_text(encoding="utf-8"))
    reverse = {target: source for source, target in same.items()}
    unknown = []
    for path in documented:
        if path.split(".")[0].removesuffix("[]") not in roots:
            continue  # a filter name, a command, a file
        if not (_with_same(path, reverse) | {path}) & paths:
            unknown.append(path)
    assert not unknown, f"docs/templates.md names variables senforms does not provide: {sorted(unknown)}"


def test_docs_cover_every_document_and_filter():
    text = DOCS.read_text(encoding="utf-8")
    from senforms.documents.templating import FILTERS

    for kind in KINDS.values():
        assert f"`{kind.template}`" in text
    for name in FILTERS:
        assert f"| `{name}` |" in text
    assert "senforms templates export" in text and "--templates" in text
