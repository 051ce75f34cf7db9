"""Rules of issue 10 (items 4, 6 and 7): year group against date of birth, no SEN support or
needs-assessment documents for pupils with an EHC plan, and the §7.2 bundle order.

Each test fails without its rule; docs/rules.md names them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from senforms.cli import cli

from .conftest import SAMPLES

DATE = "23/11/2026"  # tests/conftest.py AS_OF: the samples' "today"


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def sample_json(tmp_path: Path, change=None) -> Path:
    data = json.loads((SAMPLES / "register.json").read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- item 4: year group against date of birth ---------------------------------------------------


def test_the_samples_have_no_year_group_warning():
    for name in ("register.xlsx", "register.json", "pupils-mis-export.csv"):
        result = run("validate", "--date", DATE, SAMPLES / name)
        assert result.exit_code == 0, result.output
        assert "Year group" not in result.output and "year_group" not in result.output, result.output


def test_a_year_group_that_does_not_match_the_date_of_birth_is_a_warning_at_its_cell(tmp_path):
    path = sample_json(tmp_path, lambda d: d["pupils"][0].update(year_group=5))  # born 14/05/2016: Year 6 in 2026/27
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert (
        "! register.json › pupils[0].year_group: pupil Z881999919001 is recorded in Year 5, but born on 14/05/2016 "
        "they are in Year 6 in 2026/27 (correct the year group, or set Taught out of year group = Yes)"
    ) in result.output


def test_the_year_group_is_judged_on_the_date_given(tmp_path):
    # In 2025/26 the same pupil was in Year 5: the recorded Year 6 is then a year ahead.
    result = run("validate", "--date", "01/07/2026", SAMPLES / "register.json")
    assert "pupils[0].year_group: pupil Z881999919001 is recorded in Year 6, but born on 14/05/2016 they are in Year 5 in 2025/26" in result.output


def test_the_workbook_warning_names_sheet_row_and_column(tmp_path):
    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    sheet = workbook["Pupils"]
    column = next(cell.column for cell in sheet[1] if cell.value == "Year group")
    sheet.cell(row=2, column=column).value = "R"
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    result = run("validate", "--date", DATE, path)
    assert "! register.xlsx › Pupils › row 2 › Year group: pupil Z881999919001 is recorded in Reception, but born on 14/05/2016 they are in Year 6 in 2026/27" in result.output


def test_taught_out_of_year_group_silences_the_warning(tmp_path):
    path = sample_json(tmp_path, lambda d: d["pupils"][0].update(year_group=5, taught_out_of_year_group=True))
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert "year_group" not in result.output


def test_taught_out_of_year_group_is_read_from_a_workbook_column(tmp_path):
    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    sheet = workbook["Pupils"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(row=2, column=headers["Year group"]).value = 5
    sheet.cell(row=2, column=headers["Taught out of year group"]).value = "Yes"
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert "Year group:" not in result.output


def test_taught_out_of_year_group_is_read_from_a_csv_export(tmp_path):
    text = (SAMPLES / "pupils-mis-export.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    year = rows[0].index("NC Year")
    rows[0].append("Out of year group")
    for row in rows[1:]:
        row.append("No")
    rows[1][year] = "5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "pupils.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert "recorded in Year 5, but born on 14/05/2016" in run("validate", "--date", DATE, path).output
    rows[1][-1] = "Yes"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert "recorded in Year 5" not in result.output


def test_a_date_of_birth_in_the_future_is_an_error_at_its_place(tmp_path):
    path = sample_json(tmp_path, lambda d: d["pupils"][0].update(date_of_birth="2027-05-14"))
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 1, result.output
    assert (
        "✗ register.json › pupils[0].date_of_birth: pupil Z881999919001 has a date of birth in the future "
        "(14/05/2027, after 23/11/2026)"
    ) in result.output
    assert "age -" not in result.output


def test_a_future_date_of_birth_stops_rendering(tmp_path):
    path = sample_json(tmp_path, lambda d: d["pupils"][0].update(date_of_birth="2027-05-14"))
    result = run("render", "support-plan", path, "-o", tmp_path / "out", "--date", DATE)
    assert result.exit_code == 1, result.output
    assert "date of birth in the future" in result.output
    assert not list((tmp_path / "out").glob("*.docx")) if (tmp_path / "out").exists() else True


# --- item 6: pupils with an EHC plan -----------------------------------------------------------

EHC_PLAN_UPN = "M881999919011"  # Layla: sen_status E in the samples


def _with_plan_and_request(data):
    # Amara already has an EHC plan, though her latest review still says "request an assessment".
    data["pupils"][0]["sen_status"] = "E"


def test_no_needs_assessment_request_or_cover_letter_for_a_pupil_with_an_ehc_plan(tmp_path):
    path = sample_json(tmp_path, _with_plan_and_request)
    for kind, stem in (("ehc-request", "ehc-request"), ("la-cover-letter", "la-cover-letter")):
        out = tmp_path / kind
        result = run("render", kind, path, "-o", out, "--date", DATE)
        assert result.exit_code == 0, result.output
        made = sorted(p.name for p in out.glob("*.docx"))
        assert made == [f"C881999919003-{stem}.docx", f"N881999919002-{stem}.docx"], made
        assert "Left out 1 pupil(s) with an EHC plan (Z881999919001)" in result.output
        assert "annual review" in result.output


def test_bundle_refuses_a_pupil_with_an_ehc_plan_and_names_the_annual_review(tmp_path):
    path = sample_json(tmp_path, _with_plan_and_request)
    result = run("bundle", path, "--pupil", "Z881999919001", "-o", tmp_path / "pack", "--date", DATE)
    assert result.exit_code == 1, result.output
    assert "pupil Z881999919001 already has an EHC plan, so senforms makes no EHC needs assessment request for them" in result.output
    assert "annual review" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "pack").exists() or not any((tmp_path / "pack").iterdir())


@pytest.mark.parametrize("kind", ["support-plan", "review"])
def test_no_sen_support_documents_for_a_pupil_with_an_ehc_plan_unless_asked(tmp_path, kind):
    out = tmp_path / "out"
    result = run("render", kind, SAMPLES / "register.json", "-o", out, "--date", DATE)
    assert result.exit_code == 0, result.output
    assert not [p for p in out.glob("*.docx") if p.name.startswith(EHC_PLAN_UPN)]
    assert f"Left out 1 pupil(s) with an EHC plan ({EHC_PLAN_UPN})" in result.output
    asked = tmp_path / "asked"
    result = run("render", kind, SAMPLES / "register.json", "-o", asked, "--date", DATE, "--include-ehc-plans")
    assert result.exit_code == 0, result.output
    assert [p.name for p in asked.glob("*.docx") if p.name.startswith(EHC_PLAN_UPN)] == [f"{EHC_PLAN_UPN}-{kind}-cycle-2.docx"]


def test_the_library_option_includes_ehc_plans(tmp_path):
    import senforms

    register = senforms.load_register(SAMPLES / "register.json").register
    layla = [p for p in register.pupils if p.upn == EHC_PLAN_UPN]
    plain = senforms.render(register, "support-plan", senforms.RenderOptions(out_dir=tmp_path / "a", dry_run=True), layla)
    assert plain.report.documents == []
    asked = senforms.render(register, "support-plan", senforms.RenderOptions(out_dir=tmp_path / "b", dry_run=True, include_ehc_plans=True), layla)
    assert len(asked.report.documents) == 1
