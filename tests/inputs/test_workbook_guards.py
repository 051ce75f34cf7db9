"""The workbook refuses what it can (drop-downs with an error message) and validate warns about bad postcodes (issue 11 item 7)."""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.inputs import load_register
from senforms.inputs.tables import TABLES
from senforms.resources import workbook_template
from tests.conftest import AS_OF, SAMPLES, sample_json

WORKBOOKS = [pytest.param(workbook_template(), id="template"), pytest.param(SAMPLES / "register.xlsx", id="samples")]


def validations_by_header(sheet) -> dict[str, object]:
    headers = {c.column_letter: c.value for c in sheet[1]}
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            letter = cell_range.coord.split(":")[0].rstrip("0123456789")
            found[headers[letter]] = validation
    return found


@pytest.mark.parametrize("path", WORKBOOKS)
def test_year_group_is_a_drop_down_that_refuses_anything_else(path):
    validation = validations_by_header(openpyxl.load_workbook(path)["Pupils"])["Year group"]
    assert validation.type == "list"
    assert validation.formula1 == '"N1,N2,R,1,2,3,4,5,6,7,8,9,10,11,12,13,14"'
    assert (validation.showErrorMessage, validation.errorStyle, validation.allow_blank) == (True, "stop", True)
    assert validation.error == "Year group: choose from the list (R for Reception, or 1–14)."
    assert validation.errorTitle == "Year group"
    assert str(validation.sqref) == "G2:G1000"


@pytest.mark.parametrize("path", WORKBOOKS)
def test_yes_no_columns_refuse_other_entries_with_a_message(path):
    validation = validations_by_header(openpyxl.load_workbook(path)["Contacts"])["Parental responsibility"]
    assert (validation.type, validation.formula1) == ("list", '"Yes,No"')
    assert (validation.showErrorMessage, validation.errorStyle) == (True, "stop")
    assert validation.error == "Parental responsibility: choose Yes or No."


@pytest.mark.parametrize("path", WORKBOOKS)
def test_every_coded_and_yes_no_column_on_every_sheet_refuses_other_entries(path):
    workbook = openpyxl.load_workbook(path)
    for table in TABLES:
        found = validations_by_header(workbook[table.name])
        for column in table.columns:
            if column.codes is None and column.kind != "yesno" and not column.allowed:
                continue
            validation = found[column.header]
            assert validation.type == "list" and validation.showErrorMessage and validation.errorStyle == "stop", (table.name, column.header)
            if column.codes is not None:
                assert validation.error == f"Choose one of the options in the list for {column.header}."
                assert validation.formula1.startswith("=Lists!$")


def test_the_samples_show_year_groups_as_the_drop_down_offers_them():
    sheet = openpyxl.load_workbook(SAMPLES / "register.xlsx")["Pupils"]
    years = {row[6].value for row in sheet.iter_rows(min_row=2, max_row=14)}
    assert years <= set(range(1, 15)) and len(years) > 3  # numbers Excel's list accepts, as typed


def test_a_reception_pupil_is_written_as_r():
    from senforms.inputs.tables import PUPILS
    from senforms.inputs.workbook import csv_text

    assert [csv_text(PUPILS.column("year_group"), year) for year in (0, -1, -2, 6)] == ["R", "N2", "N1", "6"]


def test_an_invalid_postcode_is_a_warning_at_its_cell(tmp_path):
    def change(data):
        data["pupils"][2]["address"][-1] = "NR99 13AB"
        data["pupils"][2]["contacts"][0]["address"] = ["1 Mill Lane", "Eastmere", "NR9 4CB"]

    warnings = [str(w) for w in load_register(sample_json(tmp_path, change), as_of=AS_OF).warnings if "postcode" in w.message]
    fix = "check it on a letter from them or with Royal Mail's postcode finder: a UK postcode looks like NR99 4HB, a space then a digit and two letters"
    assert warnings == [
        f"register.json › pupils[2].address: 'NR99 13AB' is not a valid UK postcode, so letters may not arrive ({fix})",
        f"register.json › pupils[2].contacts[0].address: 'NR9 4CB' is not a valid UK postcode, so letters may not arrive ({fix})",
    ]


def test_an_invalid_postcode_in_the_workbook_names_its_cell(tmp_path):
    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    sheet = workbook["Pupils"]
    headers = {c.value: c.column_letter for c in sheet[1]}
    sheet[f"{headers['Home address']}3"] = "12 Meadow Road\nEastmere\nNR99 13AB"
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    result = CliRunner().invoke(cli, ["validate", "--date", "23/11/2026", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "  ! register.xlsx › Pupils › row 3 › Home address: 'NR99 13AB' is not a valid UK postcode, so letters may not arrive "
        "(check it on a letter from them or with Royal Mail's postcode finder: a UK postcode looks like NR99 4HB, a space then a digit and two letters)\n"
    ) in result.output


def test_the_samples_have_no_postcode_warning():
    for name in ("register.xlsx", "register.json", "mis-export"):
        assert not [w for w in load_register(SAMPLES / name, as_of=AS_OF).warnings if "postcode" in w.message], name


@pytest.mark.parametrize(
    ("typed", "bad"),
    [("NR99 4HB", False), ("SW1A 1AA", False), ("m1 1ae", False), ("Eastmere, NR99 4HB", False), ("France", False),
     ("NR99 13AB", True), ("NR99 1CC", True), ("ZZ1 1ZZ", True)],
)
def test_what_counts_as_a_uk_postcode(typed, bad):
    from senforms.model.postcodes import bad_postcode

    assert (bad_postcode(["1 High Street", typed]) is not None) is bad
