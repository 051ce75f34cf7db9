"""A folder of CSV exports is a whole register: school.csv carries the school's details (issue 11 item 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

import senforms
from senforms.cli import cli
from senforms.errors import InputError, SenformsError
from senforms.inputs import load_register, validate
from tests.conftest import AS_OF, SAMPLES

DATE = "23/11/2026"  # AS_OF
MIS = SAMPLES / "mis-export"


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def export_without_school(tmp_path: Path) -> Path:
    """The sample export with its school.csv taken out: an MIS export as it comes."""
    folder = tmp_path / "export"
    shutil.copytree(MIS, folder)
    (folder / "school.csv").unlink()
    return folder


def with_school_csv(tmp_path: Path, text: str) -> Path:
    folder = export_without_school(tmp_path)
    (folder / "school.csv").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_export_folder_is_the_same_register_as_the_workbook():
    from_csv = load_register(MIS, as_of=AS_OF)
    assert from_csv.register == load_register(SAMPLES / "register.json", as_of=AS_OF).register
    assert from_csv.register.school is not None and from_csv.register.school.senco.name == "Mr Daniel Price"
    assert from_csv.logo == SAMPLES / "logo.png"
    header = (MIS / "pupils.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:8] == ["UPN", "Forename", "Legal Surname", "Preferred Forename", "DOB", "Gender", "NC Year", "Reg Group"]  # SIMS's names


def test_school_csv_is_read_as_the_school_sheet_not_as_pupils(tmp_path):
    folder = with_school_csv(
        tmp_path,
        "Setting,Value\nSchool name,Elm Tree Primary\nSchool address,1 Elm Road; Eastmere; NR99 4HB\nHead teacher,Ms Ada Stone\n"
        "SENCo,Mr Ben Ode\nSENCo email,senco@elmtree.example\nLocal authority,Northshire County Council\n",
    )
    loaded = load_register(folder, as_of=AS_OF)
    school = loaded.register.school
    assert school is not None
    assert (school.name, school.address, school.head_teacher.name, school.senco.name, school.senco.role, school.senco.email) == (
        "Elm Tree Primary", ["1 Elm Road", "Eastmere", "NR99 4HB"], "Ms Ada Stone", "Mr Ben Ode", "SENCo", "senco@elmtree.example",
    )
    assert loaded.register.local_authority is not None and loaded.register.local_authority.name == "Northshire County Council"


def test_school_csv_without_a_senco_says_what_needs_it(tmp_path):
    folder = with_school_csv(tmp_path, "Setting,Value\nSchool name,Elm Tree Primary\nHead teacher,Ms Ada Stone\n")
    with pytest.raises(InputError) as caught:
        load_register(folder, as_of=AS_OF)
    assert [str(p) for p in caught.value.problems] == [
        "school.csv › SENCo: there is no SENCo row, and support plans, reviews, letters and the EHC request name the SENCo "
        "(add a row to school.csv with 'SENCo' in the Setting column and the name beside it)"
    ]


def test_a_school_sheet_without_a_senco_points_at_the_school_sheet(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "register.xlsx"
    workbook = load_workbook(SAMPLES / "register.xlsx")
    sheet = workbook["School"]
    row = next(r for r in sheet.iter_rows() if r[0].value == "SENCo")
    sheet.delete_rows(row[0].row)
    workbook.save(path)
    with pytest.raises(InputError) as caught:
        load_register(path, as_of=AS_OF)
    assert [str(p) for p in caught.value.problems] == [
        "register.xlsx › School › SENCo: there is no SENCo row, and support plans, reviews, letters and the EHC request name the SENCo "
        "(add a row to the School sheet with 'SENCo' in the first column and the name beside it)"
    ]


def test_an_unknown_school_setting_is_a_warning_with_the_nearest_name(tmp_path):
    folder = with_school_csv(tmp_path, "Setting,Value\nSchool name,Elm Tree Primary\nHead teacher,Ms Ada Stone\nSENCo,Mr Ben Ode\nSENCO phone no,01632 960999\n")
    warnings = [str(w) for w in load_register(folder, as_of=AS_OF).warnings if w.location.file == "school.csv"]
    assert warnings == [
        "school.csv › row 5 › Setting: 'SENCO phone no' is not a school detail senforms reads, so this row is ignored (did you mean 'SENCo's phone'?)"
    ]


def test_school_csv_with_other_headings_is_refused_by_name(tmp_path):
    folder = with_school_csv(tmp_path, "Name,Detail\nSchool name,Elm Tree Primary\n")
    with pytest.raises(InputError) as caught:
        load_register(folder, as_of=AS_OF)
    assert [str(p) for p in caught.value.problems] == [
        "school.csv › row 1: school.csv holds the school's details, so it needs two columns headed Setting and Value "
        "(put 'Setting' and 'Value' in the first row, then one row for each detail (e.g. School name, SENCo))"
    ]


SCHOOL_FIX = (
    "add the school's details: on the workbook's School sheet; in a folder of CSV exports, a school.csv with Setting and Value "
    "columns and a row each for School name, School address, Head teacher, SENCo and Local authority; in a JSON register, 'school'"
)


def test_validate_says_no_document_can_be_made_without_the_school(tmp_path):
    folder = export_without_school(tmp_path)
    result = run("validate", "--date", DATE, folder)
    assert result.exit_code == 0, result.output
    assert (
        "  ! export: no document can be made yet: the register has no school details, and every document names the school, "
        f"its head teacher and its SENCo ({SCHOOL_FIX})\n"
    ) in result.output


def test_render_refuses_before_making_anything_without_the_school(tmp_path):
    folder = export_without_school(tmp_path)
    out = tmp_path / "out"
    result = run("render", "parent-notification", folder, "-o", out, "--date", DATE)
    assert result.exit_code == 1
    assert result.output == (
        "Error: Letter telling parents about SEN support: nothing can be made, because the register has no school details "
        "(every document names the school, its head teacher and its SENCo)\n"
        f"Tip: {SCHOOL_FIX}\n"
    )
    assert not out.exists() or not any(out.iterdir())


def test_validate_says_the_request_needs_the_local_authority(tmp_path):
    folder = with_school_csv(tmp_path, "Setting,Value\nSchool name,Elm Tree Primary\nSchool address,1 Elm Road\nHead teacher,Ms Ada Stone\nSENCo,Mr Ben Ode\n")
    warnings = [str(w) for w in validate(folder, as_of=AS_OF).loaded.warnings if w.location == senforms.Location("export")]
    assert warnings == [
        "export: the request for an EHC needs assessment and the covering letter to the LA cannot be made: the register does not say "
        "which local authority the request goes to (add 'Local authority' on the School sheet (or a row in school.csv), or the "
        "[local_authority] table of the school settings file)"
    ]


@pytest.mark.parametrize("kind", list(senforms.KINDS))
def test_the_shipped_export_folder_makes_every_document(tmp_path, kind):
    loaded = validate(MIS, as_of=AS_OF).loaded
    assert not [w for w in loaded.warnings if w.location.file == "mis-export"]  # nothing any document lacks
    result = senforms.render(loaded.register, kind, senforms.RenderOptions(out_dir=tmp_path, on=AS_OF, logo=loaded.logo))
    made = sorted(tmp_path.glob("*.docx"))
    assert made and not result.failed
    document = Document(str(made[0]))
    parts = [*document.paragraphs, *(p for s in document.sections for p in (*s.header.paragraphs, *s.first_page_header.paragraphs))]
    parts += [p for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    text = "\n".join(p.text for p in parts)
    assert "Hollybrook Primary School" in text and "{{" not in text


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_the_shipped_export_folder_builds_a_pack(tmp_path):
    loaded = load_register(MIS, as_of=AS_OF)
    pack = senforms.build_pack(loaded.register, "Z881999919001", senforms.PackOptions(out_dir=tmp_path, on=AS_OF, base_dir=loaded.base_dir, logo=loaded.logo))
    from pypdf import PdfReader

    reader = PdfReader(pack.bundle.path)
    assert len(reader.pages) == pack.bundle.pages > 10
    assert "Amara Okafor" in reader.pages[0].extract_text()


def test_requests_are_refused_without_them_even_through_the_api(tmp_path):
    loaded = load_register(export_without_school(tmp_path), as_of=AS_OF)
    with pytest.raises(SenformsError) as caught:
        senforms.render(loaded.register, "ehc-request", senforms.RenderOptions(out_dir=tmp_path / "out", on=AS_OF))
    assert caught.value.message.startswith("Request for an EHC needs assessment: nothing can be made")
