"""Golden plain-text renderings of every document the shipped samples call for.

Each of the seven document kinds has one file, tests/golden/<kind>.txt, holding the text of every
document of that kind that samples/register.xlsx produces on a fixed date, one after another,
each under a line naming its file. A wording change in a template therefore shows up as a
readable diff of those files in review. After a deliberate change, rewrite them with

    pytest tests/test_golden_text.py --update-golden

and commit the templates and the golden files together.

The text is what python-docx reads: body paragraphs and table rows in body order, then the
headers and footers. One line per paragraph (empty ones left out) and one line per table row
(cells joined by " | ", several paragraphs in a cell by " / "); whitespace is collapsed. Title,
headings and bullets are marked "# ", "## ", "### " and "- " so a heading that turns into
body text shows up too.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from senforms.documents.catalogue import KINDS, plan_jobs
from senforms.documents.render import RenderRequest, plan_paths, template_for
from senforms.documents.templating import render_docx
from senforms.inputs import load_register

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
ON = dt.date(2026, 12, 1)  # the documents' date: fixed, so the golden text never depends on today
MARKERS = {"Title": "# ", "Heading1": "## ", "Heading2": "### ", "ListBullet": "- "}


def _clean(text: str) -> str:
    return " ".join(text.split())


def _paragraph_line(p) -> str:
    text = _clean(Paragraph(p, None).text)
    if not text:
        return ""
    ppr = p.find(qn("w:pPr"))
    style = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return MARKERS.get(style.get(qn("w:val")) if style is not None else "", "") + text


def _cell_text(tc) -> str:
    return " / ".join(line for line in _lines(tc) if line)


def _lines(container) -> list[str]:
    """One line per non-empty paragraph and per table row, in document order."""
    lines: list[str] = []
    for child in container:
        if child.tag == qn("w:p"):
            line = _paragraph_line(child)
            if line:
                lines.append(line)
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                if tr.getparent() is not child:
                    continue  # a nested table's rows are read with their cell
                cells = [_cell_text(tc) for tc in tr.iterchildren(qn("w:tc"))]
                if any(cells):
                    lines.append(_clean(" | ".join(cells)))
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                lines.extend(_lines(content))
    return lines


def document_text(data: bytes) -> str:
    """The plain text of a DOCX: body first, then each header and footer that is not linked."""
    document = Document(io.BytesIO(data))
    lines = _lines(document.element.body)
    for number, section in enumerate(document.sections, start=1):
        parts = [("first-page header", section.first_page_header), ("header", section.header),
                 ("first-page footer", section.first_page_footer), ("footer", section.footer)]
        for label, part in parts:
            if part.is_linked_to_previous:
                continue
            suffix = f" (section {number})" if len(document.sections) > 1 else ""
            lines.append(f"--- {label}{suffix} ---")
            lines.extend(_lines(part._element))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def golden_register():
    return load_register(ROOT / "samples" / "register.xlsx", as_of=ON).register


def rendered_text(register, kind: str) -> str:
    """Every document of `kind` the samples call for, each under a line naming its file."""
    jobs = plan_jobs(register, kind, on=ON)
    template = template_for(kind)
    chunks = []
    for job, path in plan_paths(jobs, RenderRequest(kind, out_dir=Path("out"))):
        data = render_docx(template, job.context, title=KINDS[kind].title)
        chunks.append(f"==================== {path.stem} ====================\n{document_text(data)}")
    return "\n".join(chunks)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def compare_with_golden(actual: str, golden: Path, update: bool) -> None:
    if update:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not golden.is_file():
        pytest.fail(f"{_shown(golden)} does not exist: run `pytest tests/test_golden_text.py --update-golden`")
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"{_shown(golden)} (committed)", tofile="rendered now",
        ))
        pytest.fail(
            f"the rendered text differs from {_shown(golden)}; if the change is deliberate, "
            f"run `pytest tests/test_golden_text.py --update-golden` and commit the result\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("kind", list(KINDS))
def test_rendered_text_matches_the_golden_file(golden_register, kind, update_golden):
    text = rendered_text(golden_register, kind)
    assert text.count("==================== ") == len(plan_jobs(golden_register, kind, on=ON)) > 0
    compare_with_golden(text, GOLDEN / f"{kind}.txt", update_golden)


def test_a_changed_word_fails_with_a_unified_diff(tmp_path):
    golden = tmp_path / "letter.txt"
    golden.write_text("Dear Mrs Okafor,\nWe will review this plan together.\n", encoding="utf-8")
    compare_with_golden("Dear Mrs Okafor,\nWe will review this plan together.\n", golden, update=False)
    with pytest.raises(pytest.fail.Exception) as failure:
        compare_with_golden("Dear Mrs Okafor,\nWe shall review this plan together.\n", golden, update=False)
    message = str(failure.value)
    assert "--update-golden" in message
    assert "-We will review this plan together.\n+We shall review this plan together." in message
    assert "@@" in message and "letter.txt (committed)" in message


def test_update_rewrites_the_golden_file(tmp_path):
    golden = tmp_path / "golden" / "review.txt"
    compare_with_golden("Next review: 12 February 2027\n", golden, update=True)
    assert golden.read_text(encoding="utf-8") == "Next review: 12 February 2027\n"
    compare_with_golden("Next review: 12 February 2027\n", golden, update=False)


def test_document_text_reads_tables_headings_and_footers(golden_register):
    job = plan_jobs(golden_register, "support-plan", on=ON)[0]
    text = document_text(render_docx(template_for("support-plan"), job.context, title="SEN support plan"))
    lines = text.splitlines()
    assert "# SEN support plan" in lines and "## Pupil details" in lines
    assert "Full name | Amara Okafor | Known as | Amara" in lines
    assert lines.index("## Pupil details") < lines.index("Full name | Amara Okafor | Known as | Amara") < lines.index("--- first-page header ---")
    footer = lines[lines.index("--- footer ---") + 1]
    assert footer.startswith("OFFICIAL-SENSITIVE") and "Page 1 of 1" in footer
