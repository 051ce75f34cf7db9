"""The foundation: one validated register from the workbook, CSV exports and JSON."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.errors import InputError, UnreadableFileError
from senforms.inputs import load_register
from senforms.model import NeedCode, ReviewDecision, SenStatus
from senforms.model.calendar import end_of_compulsory_school_age, is_young_person, school_year, term
from senforms.model.schema import schema_text
from senforms.model.values import parse_uk_date, upn_check_letter, validate_upn

from ..conftest import AS_OF, ROOT


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_register(path, as_of=AS_OF)
    return [str(p) for p in caught.value.problems]


def edit_workbook(path: Path, sheet: str, row: int, header: str, value) -> None:
    workbook = openpyxl.load_workbook(path)
    ws = workbook[sheet]
    column = next(c.column for c in ws[1] if c.value == header)
    ws.cell(row, column).value = value
    workbook.save(path)


# --- the three inputs ----------------------------------------------------------------------

def test_workbook_and_json_samples_load_to_equal_records(samples):
    from_xlsx = load_register(samples / "register.xlsx", as_of=AS_OF).register
    from_json = load_register(samples / "register.json", as_of=AS_OF).register
    assert from_xlsx == from_json
    assert len(from_xlsx.pupils) >= 12
    assert from_xlsx.school.name == "Hollybrook Primary School"


def test_samples_have_what_the_issue_asks_for(sample_register):
    pupils = sample_register.pupils
    needs = {p.primary_need for p in pupils} | {p.secondary_need for p in pupils if p.secondary_need}
    assert len(needs) >= 10
    assert all(1 <= len(p.cycles) <= 4 for p in pupils)
    requesting = [p for p in pupils if p.requests_ehc_assessment and len(p.completed_cycles) >= 2]
    assert len(requesting) >= 3
    contacts = [c for p in pupils for c in p.contacts]
    assert any(c.email for c in contacts) and any(not c.email for c in contacts)
    assert all(p.meetings for p in pupils)
    assert sum(len(p.evidence) for p in pupils) >= 8


def test_sample_values_are_typed(sample_register):
    pupil = sample_register.pupil("Z881999919001")
    assert pupil.date_of_birth == dt.date(2016, 5, 14)
    assert pupil.primary_need is NeedCode.SLCN and pupil.sen_status is SenStatus.SEN_SUPPORT
    cost = next(p.annual_cost for c in pupil.cycles for p in c.provision if p.annual_cost is not None)  # one the school typed
    assert isinstance(cost, Decimal)
    assert pupil.cycles[-1].review.decision is ReviewDecision.REQUEST_EHC
    assert pupil.contacts[0].phone == "07700 900101"  # the leading zero survives


def test_mis_csv_export_with_bom_and_other_headers(samples):
    loaded = load_register(samples / "mis-export", as_of=AS_OF)
    pupils = {p.upn: p for p in loaded.register.pupils}
    reference = load_register(samples / "register.json", as_of=AS_OF).register
    assert set(pupils) == {p.upn for p in reference.pupils}
    for expected in reference.pupils:
        got = pupils[expected.upn]
        assert (got.legal_surname, got.legal_forename, got.date_of_birth, got.year_group, got.primary_need) == (
            expected.legal_surname, expected.legal_forename, expected.date_of_birth, expected.year_group, expected.primary_need
        )
    assert "UTF-8" in loaded.notes[0]


def test_csv_in_windows_1252_with_shuffled_headers(tmp_path):
    text = "sen need 1;DOB;Surname;FORENAME;upn;Year;Sen Status\r\nSPLD;03/04/2015;O’Brien;Siân;" + validate_upn("B801200005001") + ";R;N\r\n"  # N: no SEN support, so no parent is needed here
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    loaded = load_register(path, as_of=AS_OF)
    pupil = loaded.register.pupils[0]
    assert pupil.legal_surname == "O’Brien" and pupil.legal_forename == "Siân"
    assert pupil.date_of_birth == dt.date(2015, 4, 3)  # UK order, never US
    assert pupil.year_group == 0
    assert "Windows-1252" in loaded.notes[0]


def test_xlsx_to_model_to_json_to_model_round_trip(samples, tmp_path):
    register = load_register(samples / "register.xlsx", as_of=AS_OF).register
    path = tmp_path / "round.json"
    path.write_text(register.model_dump_json(), encoding="utf-8")
    assert load_register(path, as_of=AS_OF).register == register
    from senforms.inputs.workbook import build_workbook, save_workbook

    again = tmp_path / "again.xlsx"
    save_workbook(build_workbook(register), again)
    assert load_register(again, as_of=AS_OF).register == register


AWKWARD = ["O'Connor-Ní Bhriain", "Zoë Łukasz Żółć", "Smith & Jones", "محمد العلي", "李雷", "<Unknown>", "{{ 7*7 }}", "=HYPERLINK(\"x\")"]


@pytest.mark.parametrize("name", AWKWARD)
def test_awkward_names_survive_every_format(samples, tmp_path, name):
    register = load_register(samples / "register.json", as_of=AS_OF).register
    pupil = register.pupils[0]
    pupil.legal_surname = name
    pupil.contacts[0].name = name
    pupil.consents[0].given_by = name  # the mother who consented is the renamed contact (the request needs her consent)
    json_path = tmp_path / "awkward.json"
    json_path.write_text(register.model_dump_json(), encoding="utf-8")
    from senforms.inputs.workbook import build_workbook, save_workbook

    xlsx_path = tmp_path / "awkward.xlsx"
    save_workbook(build_workbook(register), xlsx_path)
    for path in (json_path, xlsx_path):
        got = load_register(path, as_of=AS_OF).register.pupils[0]
        assert got.legal_surname == name and got.contacts[0].name == name
    cell = openpyxl.load_workbook(xlsx_path)["Pupils"]["C2"]
    assert cell.data_type == "s"  # a name starting with = is text, never a formula


# --- errors: every one, each at its place ------------------------------------------------------

def test_broken_workbook_names_every_place(sample_copy):
    path = sample_copy / "register.xlsx"
    workbook = openpyxl.load_workbook(path)
    pupils = workbook["Pupils"]
    headers = {c.value: c.column for c in pupils[1]}
    pupils.cell(7, headers["Date of birth"]).value = "31/02/2015"
    pupils.cell(8, headers["Primary need"]).value = "XYZ"
    pupils.cell(9, headers["UPN"]).value = None
    pupils.cell(10, headers["UPN"]).value = pupils.cell(11, headers["UPN"]).value
    cycles = workbook["Cycles"]
    cycles.cell(2, 1).value = "A801200005001"[0].replace("A", "B") + "801200005001"  # valid UPN, no such pupil
    workbook.save(path)
    found = problems_of(path)
    text = "\n".join(found)
    assert "register.xlsx › Pupils › row 7 › Date of birth: '31/02/2015' is not a real date (use dd/mm/yyyy" in text
    assert "register.xlsx › Pupils › row 8 › Primary need: 'XYZ' is not one of the codes allowed here" in text
    assert "register.xlsx › Pupils › row 9 › UPN: is empty but must be filled in" in text
    assert any("Pupils › row 11 › UPN: UPN" in p and "appears twice (also Pupils row 10)" in p for p in found)
    assert "register.xlsx › Cycles › row 2 › UPN: no pupil with UPN B801200005001 on the Pupils sheet" in text


def test_validate_cli_exit_codes(samples, sample_copy):
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(samples / "register.xlsx")])
    assert ok.exit_code == 0, ok.output
    assert "is valid" in ok.output and "Pupils: 13" in ok.output and "By primary need" in ok.output
    assert runner.invoke(cli, ["validate", str(samples / "register.json")]).exit_code == 0
    path = sample_copy / "register.xlsx"
    edit_workbook(path, "Pupils", 7, "Date of birth", "31/02/2015")
    from senforms.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(path)])
    assert exit_info.value.code == 1


def test_cli_prints_errors_then_warnings(sample_copy, capsys):
    from senforms.cli import main

    path = sample_copy / "register.xlsx"
    edit_workbook(path, "Pupils", 3, "Secondary need", "ASD")  # same as primary for pupil 2
    workbook = openpyxl.load_workbook(path)
    workbook["Pupils"].cell(1, 60).value = "Favourite colour"  # an unknown heading: a warning
    workbook.save(path)
    with pytest.raises(SystemExit):
        main(["validate", str(path)])
    err = capsys.readouterr().err
    assert "Errors (1):" in err and "the secondary need is the same as the primary need" in err
    assert err.index("Errors") < err.index("Warnings")


@pytest.mark.parametrize(
    "sheet,row,header,value,expected",
    [
        ("Pupils", 2, "Date of birth", "04/13/2015", "looks US-ordered"),
        ("Pupils", 2, "Date of birth", "1/1/15", "has a two-digit year"),
        ("Pupils", 2, "UPN", "A801200005001", "has the wrong check letter"),
        ("Pupils", 2, "UPN", 1234567890123, "was stored as a number"),
        ("Pupils", 2, "SEN status", "Q", "'Q' is not one of the codes allowed here"),
        ("Pupils", 2, "Year group", "Year Twelvety", "is not a year group"),
        ("Contacts", 2, "Phone", 7700900123, "stored as a number"),
        ("Contacts", 2, "Phone", "4.47701E+11", "scientific notation"),
        ("Contacts", 2, "Email", "not-an-address", "is not an email address"),
        ("Outcomes", 2, "By date", None, "By date: is empty but must be filled in"),
        ("Provision", 2, "Staff", None, "Staff: is empty but must be filled in"),
        ("Provision", 2, "Annual cost (£)", "lots", "is not an amount of money"),
        ("Reviews", 2, "Decision", None, "Decision: is empty but must be filled in"),
        ("Reviews", 2, "Review date", "01/01/2020", "is dated before this cycle started"),
        ("Cycles", 2, "End date", "01/01/2020", "end date is before its start date"),
        ("Outcomes", 2, "Cycle", 9, "has no cycle 9 on the Cycles sheet"),
    ],
)
def test_each_error_is_named_at_its_place(sample_copy, sheet, row, header, value, expected):
    path = sample_copy / "register.xlsx"
    edit_workbook(path, sheet, row, header, value)
    found = problems_of(path)
    sheet = "Cycles" if "cycle started" in expected else sheet  # the cycle row holds both dates
    assert any(expected in p and (f"› {sheet} ›" in p) for p in found), found


def test_duplicate_headers_and_merged_cells(sample_copy):
    path = sample_copy / "register.xlsx"
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Contacts"]
    ws.cell(1, ws.max_column + 1).value = "Name"
    workbook["Pupils"].merge_cells("B3:C3")
    workbook.save(path)
    text = "\n".join(problems_of(path))
    assert "'Name' appears twice" in text
    assert "Pupils › row 3: cells B3:C3 are merged" in text


def test_serial_number_date_is_read_with_a_warning(sample_copy):
    path = sample_copy / "register.xlsx"
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Pupils"]
    column = next(c.column for c in ws[1] if c.value == "Admission date")
    ws.cell(2, column).value = 42097  # 3 April 2015 as a bare number
    ws.cell(2, column).number_format = "General"
    workbook.save(path)
    loaded = load_register(path, as_of=AS_OF)
    assert loaded.register.pupils[0].admission_date == dt.date(2015, 4, 3)
    assert any("stored as a plain number; read as 3 April 2015" in str(w) for w in loaded.warnings)


def test_blank_formatted_rows_are_not_phantom_pupils(sample_copy):
    path = sample_copy / "register.xlsx"
    workbook = openpyxl.load_workbook(path)
    workbook["Pupils"].cell(900, 3).font = openpyxl.styles.Font(bold=True)
    workbook.save(path)
    assert len(load_register(path, as_of=AS_OF).register.pupils) == 13


def test_json_errors_name_the_path(samples, tmp_path):
    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    data["pupils"][2]["date_of_birth"] = "2015-02-31"
    data["pupils"][3]["primary_need"] = "XYZ"
    data["pupils"][4]["upn"] = data["pupils"][5]["upn"]
    data["pupils"][0]["favourite_colour"] = "blue"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    text = "\n".join(problems_of(path))
    assert "bad.json › pupils[2].date_of_birth: '2015-02-31' is not a real date" in text
    assert "bad.json › pupils[3].primary_need: 'XYZ' is not one of the codes allowed here" in text
    assert "appears twice" in text
    assert "pupils[0].favourite_colour: is not something senforms knows about" in text


@pytest.mark.parametrize(
    "content,message",
    [
        ('{"pupils": [],}', "line 1"),
        ('{"pupils": [], "pupils": []}', "has the key 'pupils' twice"),
        ('{"pupils": [{"attendance_percent": NaN}]}', "NaN is not allowed"),
        ("[" * 100_000 + "]" * 100_000, "not hold a register"),
    ],
)
def test_bad_json_files_are_refused_clearly(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableFileError) as caught:
        load_register(path)
    assert message in str(caught.value) or "nested too deeply" in str(caught.value)


@pytest.mark.parametrize("content,real", [(b"", "empty"), (b"%PDF-1.7 nothing", "a PDF"), (b"\xd0\xcf\x11\xe0" + b"\0" * 600, "old-style")], ids=["empty", "pdf", "ole"])
def test_wrong_file_types_are_named(tmp_path, content, real):
    path = tmp_path / "register.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as caught:
        load_register(path)
    assert real in str(caught.value)


def test_a_word_document_named_xlsx_is_refused(tmp_path):
    from docx import Document

    path = tmp_path / "register.xlsx"
    Document().save(path)
    with pytest.raises(UnreadableFileError, match="is a Word document, not an Excel workbook"):
        load_register(path)


def test_ragged_csv_row_names_the_row(tmp_path):
    path = tmp_path / "pupils.csv"
    path.write_text("UPN,Surname,Forename,DOB,Year,SEN Status,SEN Need 1,Notes\nB801200005001,Smith,Al,03/04/2015,3,K,SPLD,£6,000\n", encoding="utf-8")
    assert any("pupils.csv › row 2: this row has 9 values but the header has 8" in p for p in problems_of(path))


def test_control_characters_are_removed_with_a_warning(samples, tmp_path):
    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    data["pupils"][0]["strengths"] = "Kind\x0bcurious\x00 and\r\nfunny"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_register(path, as_of=AS_OF).register.pupils[0].strengths == "Kind\ncurious and\nfunny"


def test_address_lines_are_cleaned_like_other_text(samples, tmp_path):
    from docx import Document

    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    pupil = data["pupils"][0]
    pupil["address"] = ["11 Meadow Road\x07", "\x0cEastmere ", "\x01", "Northshire\x00", "NR99 1AB"]
    pupil["contacts"][0]["address"] = ["Flat 2\x1b", "7 Mill Lane\x0bEastmere", "NR99 2CD\r\n"]
    data["school"]["address"][1] = "12 Orchard Lane\x08"
    data["local_authority"]["address"][1] = "\x1fCounty Hall"
    path = tmp_path / "addresses.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    register = load_register(path, as_of=AS_OF).register
    assert (register.school.address[1], register.local_authority.address[1]) == ("12 Orchard Lane", "County Hall")
    loaded = register.pupils[0]
    assert loaded.address == ["11 Meadow Road", "Eastmere", "Northshire", "NR99 1AB"]
    assert loaded.contacts[0].address == ["Flat 2", "7 Mill Lane", "Eastmere", "NR99 2CD"]
    out = tmp_path / "letters"
    result = CliRunner().invoke(cli, ["render", "parent-notification", str(path), "-o", str(out), "--pupil", pupil["upn"], "--date", "23/11/2026", "--all"])
    assert result.exit_code == 0, result.output
    letter = out / f"{pupil['upn']}-parent-notification-{pupil['contacts'][0]['id']}.docx"
    text = "\n".join(p.text for p in Document(str(letter)).paragraphs)
    assert "\nFlat 2\n7 Mill Lane\nEastmere\nNR99 2CD\n" in text


def test_reserved_docxtpl_markers_are_refused(samples, tmp_path):
    data = json.loads((samples / "register.json").read_text(encoding="utf-8"))
    data["pupils"][0]["strengths"] = "{_{ x }_}"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert any("reserved sequence" in p for p in problems_of(path))


# --- warnings -----------------------------------------------------------------------------

def test_warnings_a_senco_needs(samples):
    warnings = [str(w) for w in load_register(samples / "register.xlsx", as_of=AS_OF).warnings]
    assert any("the Code of Practice (6.65) expects at least 3" in w for w in warnings)
    assert any("were formally told that special educational provision is being made (s.68)" in w for w in warnings)
    later = [str(w) for w in load_register(samples / "register.xlsx", as_of=dt.date(2027, 1, 10)).warnings]
    assert any("was due for review on 11 December 2026 and has no review" in w for w in later)


# --- values and derived facts ---------------------------------------------------------------

def test_upn_check_letter_matches_the_dfe_example():
    assert upn_check_letter("801200005001") == "B"
    assert validate_upn("b801200005001") == "B801200005001"


@pytest.mark.parametrize("text,expected", [("03/04/2015", dt.date(2015, 4, 3)), ("3 March 2015", dt.date(2015, 3, 3)), ("2015-04-03", dt.date(2015, 4, 3)), ("Tuesday 3rd March 2015", dt.date(2015, 3, 3))])
def test_uk_dates(text, expected):
    assert parse_uk_date(text) == expected


def test_derived_facts(sample_register):
    pupil = sample_register.pupils[0]
    assert pupil.age(dt.date(2026, 11, 23)) == (10, 6)
    assert school_year(dt.date(2026, 11, 23)) == "2026/27" and term(dt.date(2026, 2, 1)) == "spring"
    # Born 1 September 2010: turns 16 in the 2026/27 school year, so compulsory school age ends 25 June 2027.
    assert end_of_compulsory_school_age(dt.date(2010, 9, 1)) == dt.date(2027, 6, 25)
    # Born 31 August 2010: turns 16 in 2025/26, so is a young person from 27 June 2026.
    assert end_of_compulsory_school_age(dt.date(2010, 8, 31)) == dt.date(2026, 6, 26)
    assert is_young_person(dt.date(2010, 8, 31), dt.date(2026, 7, 1))


def test_committed_schema_is_the_generated_one():
    assert (ROOT / "schema" / "register.schema.json").read_text(encoding="utf-8") == schema_text()


def test_sample_json_satisfies_the_published_schema(samples):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schema" / "register.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads((samples / "register.json").read_text(encoding="utf-8")), schema)


def test_shipped_workbook_template(tmp_path):
    from senforms.resources import workbook_template

    workbook = openpyxl.load_workbook(workbook_template())
    assert workbook.sheetnames[:2] == ["Instructions", "School"]
    for name in ("Pupils", "Contacts", "Professionals", "Cycles", "Outcomes", "Provision", "Reviews", "Meetings", "Evidence"):
        ws = workbook[name]
        assert ws.freeze_panes == "A2"
    pupils = workbook["Pupils"]
    validations = {str(v.sqref).split(":")[0]: v for v in pupils.data_validations.dataValidation}
    headers = {c.value: c.column_letter for c in pupils[1]}
    assert validations[f"{headers['Primary need']}2"].type == "list"
    assert validations[f"{headers['Date of birth']}2"].type == "date"
    assert pupils[f"{headers['UPN']}2"].number_format == "@"
    assert pupils[f"{headers['Date of birth']}2"].number_format == "dd/mm/yyyy"
    # and it is readable: an empty register, no errors
    assert load_register(workbook_template()).register.pupils == []
