"""Registers every command reads: a zip of MIS CSV exports (read as the web upload reads it), and a
register with no pupils (the wrong file, or the blank template)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from senforms.cli import cli
from tests.conftest import SAMPLES

DATE = "23/11/2026"  # the samples' "today"
MIS_EXPORT = SAMPLES / "mis-export"
BLANK_WORKBOOK = Path(__file__).resolve().parents[2] / "templates" / "xlsx" / "senforms-register.xlsx"


def run(*args: object, input: str | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def zip_of_export(path: Path, folder: str = "") -> Path:
    """The sample school's MIS export, zipped as a school's office would (optionally inside a folder)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for csv in sorted(MIS_EXPORT.glob("*.csv")):
            archive.write(csv, f"{folder}{csv.name}")
    return path


# --- a zip of CSV exports ---------------------------------------------------------------------------


def test_validate_reads_a_zip_of_csv_exports_exactly_as_the_folder(tmp_path):
    archive = zip_of_export(tmp_path / "mis-export.zip", folder="export/")
    zipped = run("validate", archive, "--date", DATE)
    folder = run("validate", MIS_EXPORT, "--date", DATE)
    assert zipped.exit_code == 0, zipped.output
    assert "✓ mis-export.zip is valid." in zipped.output
    assert "  Pupils: 13\n" in zipped.output and "  Meetings: 46\n" in zipped.output
    assert "  ! pupils.csv › row 5: pupil R881999919004 has had 1 meeting with parents" in zipped.output  # places name the CSV inside
    # Every line the SENCo reads is the folder's, the register's name apart.
    assert zipped.output.replace("mis-export.zip", "mis-export") == folder.output


def test_render_makes_documents_from_a_zip_of_csv_exports(tmp_path):
    archive = zip_of_export(tmp_path / "export.zip")
    result = run("render", "support-plan", archive, "-o", tmp_path / "out", "--pupil", "N881999919002", "--date", DATE)
    assert result.exit_code == 0, result.output
    assert result.output == "SEN support plan: 1 made\n"
    (made,) = (tmp_path / "out").glob("*.docx")
    text = "\n".join(p.text for p in docx.Document(str(made)).paragraphs) + "".join(
        cell.text for table in docx.Document(str(made)).tables for row in table.rows for cell in row.cells
    )
    assert "Oliver" in text and "O'Connor" in text


def test_a_zip_holding_anything_but_csv_files_is_refused_by_name(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(MIS_EXPORT / "pupils.csv", "pupils.csv")
        zipped.writestr("run-me.exe", b"MZ")
    result = run("validate", archive)
    assert result.exit_code == 1
    assert result.output == (
        "Error: export.zip holds run-me.exe, not only CSV files\n"
        "Tip: zip only the CSV files of the MIS export (pupils.csv, contacts.csv …)\n"
    )


def test_a_zip_bomb_of_csv_files_is_refused_before_anything_is_read(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for number in range(2_001):  # filetypes.MAX_ZIP_MEMBERS is 2,000
            zipped.writestr(f"pupils-{number}.csv", b"UPN\n")
    result = run("validate", archive)
    assert result.exit_code == 1
    assert result.output == "Error: bomb.zip would expand to far more than an SEN register needs\nTip: zip only the CSV files of the export\n"


def test_a_zip_with_a_damaged_csv_inside_is_called_damaged(tmp_path):
    archive = zip_of_export(tmp_path / "export.zip")
    with zipfile.ZipFile(archive) as zipped:
        pupils = zipped.getinfo("pupils.csv")
        start = pupils.header_offset + 30 + len(pupils.filename) + len(pupils.extra)  # its compressed data
    data = bytearray(archive.read_bytes())
    data[start + 100 : start + 140] = b"\xff" * 40
    archive.write_bytes(bytes(data))
    result = run("validate", archive)
    assert result.exit_code == 1
    assert result.output == "Error: export.zip is a damaged zip file\nTip: make the zip again\n"


# --- a register with no pupils ----------------------------------------------------------------------

JSON_FIX = 'check it is the school\'s filled-in register, not the blank template or another file: pupils go in its "pupils" list'
WORKBOOK_FIX = "check it is the school's filled-in register, not the blank template or another file: pupils go on its Pupils sheet, one row each below the headings"
NO_PUPILS = "there are no pupils in this register, so there is nothing to make from it"


@pytest.mark.parametrize("content", ["{}", '{"pupils": []}'])
def test_validate_warns_first_that_an_empty_json_register_has_no_pupils(tmp_path, content):
    register = tmp_path / "register.json"
    register.write_text(content, encoding="utf-8")
    result = run("validate", register)
    assert result.exit_code == 0, result.output  # a warning, not an error: the file itself is well formed
    lines = result.output.splitlines()
    assert lines[0] == "Warnings (2):"
    assert lines[1] == f"  ! register.json: {NO_PUPILS} ({JSON_FIX})"
    assert "  Pupils: 0" in lines and "  By SEN status: none" in lines


def test_validate_warns_that_the_blank_workbook_has_no_pupils_and_says_where_they_go():
    result = run("validate", BLANK_WORKBOOK)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == f"  ! senforms-register.xlsx: {NO_PUPILS} ({WORKBOOK_FIX})"


def test_a_csv_export_with_only_headings_says_where_pupils_go(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    for name in ("pupils.csv", "contacts.csv"):
        (export / name).write_text((MIS_EXPORT / name).read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8")
    result = run("validate", export)
    assert result.exit_code == 0, result.output
    assert f"  ! export: {NO_PUPILS} (check it is the school's filled-in register, not the blank template or another file: pupils go in pupils.csv, one to a row below its header row)\n" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ("render", "support-plan", "{register}", "-o", "{out}"),
        ("render", "parent-notification", "{register}", "-o", "{out}", "--pdf"),
        ("invite", "{register}", "-o", "{out}"),
        ("meetings", "plan", "{register}", "-o", "{out}.xlsx"),
        ("fill", str(SAMPLES / "la-forms" / "wyvernshire-ehcna-request.pdf"), "{register}", "--map", str(SAMPLES / "la-forms" / "wyvernshire-ehcna-request.toml"), "-o", "{out}"),
    ],
    ids=["render", "render-pdf", "invite", "meetings-plan", "fill"],
)
def test_commands_that_make_things_refuse_a_register_with_no_pupils_and_write_nothing(tmp_path, command):
    register = tmp_path / "register.json"
    register.write_text('{"pupils": []}', encoding="utf-8")
    out = tmp_path / "out"
    result = run(*(part.format(register=register, out=out) for part in command))
    assert result.exit_code == 1
    assert result.output == f"Error: register.json: {NO_PUPILS}\nTip: {JSON_FIX}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register.json"]  # no folder, no workbook


def test_render_refuses_the_blank_workbook_in_its_terms(tmp_path):
    result = run("render", "one-page-profile", BLANK_WORKBOOK, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output == f"Error: senforms-register.xlsx: {NO_PUPILS}\nTip: {WORKBOOK_FIX}\n"
    assert not (tmp_path / "out").exists()
