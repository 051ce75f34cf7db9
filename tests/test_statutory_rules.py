"""Rules of issue 10 (items 2, 4, 6 and 7): s.68 notification for every pupil who needs it, year
group against date of birth, no SEN support or needs-assessment documents for pupils with an EHC
plan, and the §7.2 bundle order.

Each test fails without its rule; docs/rules.md names them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from senforms.cli import cli

from .conftest import SAMPLES, sample_json

DATE = "23/11/2026"  # tests/conftest.py AS_OF: the samples' "today"


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


# --- item 4: year group against date of birth ---------------------------------------------------


def test_the_samples_have_no_year_group_warning():
    for name in ("register.xlsx", "register.json", "mis-export"):
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
    text = (SAMPLES / "mis-export" / "pupils.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "contacts.csv").write_bytes((SAMPLES / "mis-export" / "contacts.csv").read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    year = rows[0].index("NC Year")
    rows = [row[:-1] for row in rows] if rows[0][-1] == "Taught out of year group" else rows  # the MIS's own column, below
    rows[0].append("Out of year group")
    for row in rows[1:]:
        row.append("No")
    rows[1][year] = "5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "pupils.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert "recorded in Year 5, but born on 14/05/2016" in run("validate", "--date", DATE, tmp_path).output
    rows[1][-1] = "Yes"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    result = run("validate", "--date", DATE, tmp_path)
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


# --- item 2: s.68 notification for every pupil who needs it -----------------------------------

NOT_YET_TOLD = "Q881999919013"  # the one sample pupil with no Parental notification sent


def _text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_a_register_without_contacts_is_refused_for_every_pupil(tmp_path):
    # The MIS route with the pupils exported and the contacts forgotten: nobody could be told.
    (tmp_path / "pupils.csv").write_bytes((SAMPLES / "mis-export" / "pupils.csv").read_bytes())
    result = run("validate", "--date", DATE, tmp_path / "pupils.csv")
    assert result.exit_code == 1, result.output
    for row, upn in ((2, "Z881999919001"), (12, "M881999919011"), (14, NOT_YET_TOLD)):
        assert (
            f"✗ pupils.csv › row {row}: pupil {upn} has no parent or carer with parental responsibility, so nobody can be told "
            "about their SEN support (s.68) or agree to a request"
        ) in result.output, result.output
    assert result.output.count("has no parent or carer with parental responsibility") == 13
    assert "export the contacts as contacts.csv into the same folder as pupils.csv" in result.output


def test_a_young_person_needs_no_parent_with_parental_responsibility(tmp_path):
    def young_person_without_contacts(data):
        pupil = data["pupils"][4]  # F881999919005: no request, so no consent is needed
        pupil.update(date_of_birth="2009-03-01", taught_out_of_year_group=True, contacts=[])
        for meeting in pupil["meetings"]:
            meeting["invite_contact_ids"] = []
        for other in data["pupils"][5:]:
            other["contacts"] = []  # the rest, children, keep the rule

    result = run("validate", "--date", DATE, sample_json(tmp_path, young_person_without_contacts))
    assert result.exit_code == 1, result.output
    assert "pupil F881999919005 has no parent" not in result.output
    assert "pupil V881999919006 has no parent or carer with parental responsibility" in result.output


def test_no_recorded_notification_is_a_warning_with_or_without_cycles(tmp_path):
    def newly_identified(data):
        pupil = data["pupils"][1]  # N881999919002, told on its first cycle's start in the samples
        pupil.pop("parental_notification_sent", None)
        pupil.update(cycles=[], meetings=[], consents=[])
        data["pupils"][2].pop("parental_notification_sent", None)  # C881999919003 keeps its cycles

    result = run("validate", "--date", DATE, sample_json(tmp_path, newly_identified))
    assert result.exit_code == 0, result.output
    for upn in ("N881999919002", "C881999919003"):
        assert (
            f"no record that the parents of pupil {upn} were formally told that special educational provision is being made (s.68)"
        ) in result.output
    assert "pupil N881999919002 has had 0 meetings with parents in the last 12 months" in result.output
    assert "pupil N881999919002 is on SEN support but has no APDR cycle" in result.output


def test_parent_notification_letters_only_for_families_not_yet_told(tmp_path):
    out = tmp_path / "due"
    result = run("render", "parent-notification", SAMPLES / "register.json", "-o", out, "--date", DATE)
    assert result.exit_code == 0, result.output
    made = sorted(out.glob("*.docx"))
    assert [p.name for p in made] == [f"{NOT_YET_TOLD}-parent-notification-C1.docx"]
    text = _text(made[0])
    assert "Mr Tunde Adeyemi" in text and "Sienna" in text  # to the parent with parental responsibility, about his child
    assert "Left out 11 pupils already told about SEN support, with a date in Parental notification sent (Z881999919001, " in result.output
    assert "use --all to make their letters again" in result.output
    assert "Left out 1 pupil with an EHC plan (M881999919011): the s.68 letter is for pupils on SEN support" in result.output
    everyone = tmp_path / "all"
    result = run("render", "parent-notification", SAMPLES / "register.json", "-o", everyone, "--date", DATE, "--all")
    assert result.exit_code == 0, result.output
    assert len(list(everyone.glob("*.docx"))) == 14
    assert "already told" not in result.output


def test_render_says_in_words_why_it_made_no_letters(tmp_path):
    out = tmp_path / "none"
    result = run("render", "parent-notification", SAMPLES / "register.json", "-o", out, "--date", DATE, "--pupil", "Z881999919001", "--pupil", "M881999919011")
    assert result.exit_code == 0, result.output
    assert not out.exists() or not list(out.glob("*.docx"))
    assert "No letters were made, because every pupil chosen was left out:" in result.output
    assert "1 pupil already told about SEN support, with a date in Parental notification sent (Z881999919001): use --all" in result.output
    assert "1 pupil with an EHC plan (M881999919011)" in result.output


def test_the_library_renders_only_letters_still_due_unless_asked(tmp_path):
    import senforms

    register = senforms.load_register(SAMPLES / "register.json", as_of=dt.date(2026, 11, 23)).register
    due = senforms.render(register, "parent-notification", senforms.RenderOptions(out_dir=tmp_path / "a", dry_run=True))
    assert [d.job.pupil.upn for d in due.report.documents] == [NOT_YET_TOLD]
    assert {(item.pupil.upn, item.reason) for item in due.left_out} >= {("Z881999919001", "notified"), ("M881999919011", "ehc_plan")}
    told = next(item for item in due.left_out if item.pupil.upn == "Z881999919001")
    assert told.detail.startswith("told on ") and "/" not in told.detail  # a UK long date
    every = senforms.render(register, "parent-notification", senforms.RenderOptions(out_dir=tmp_path / "b", dry_run=True, include_notified=True))
    assert len(every.report.documents) == 14
    assert [item.reason for item in every.left_out] == ["ehc_plan"]


# --- item 3: provision costed the way an LA reads it -------------------------------------------

# Amara's three cycles in the 12 months to 23/11/2026 (5 Jan–27 Mar, 20 Apr–17 Jul, 7 Sep–20 Nov),
# each with an 8-pupil nurture group typed at £6,400 for the whole group, and in the last cycle a
# one-to-one teaching assistant with no cost typed (5 × 60 minutes × 38 weeks × £18.00 = £3,420).
# Worked by hand: 800 × 82/266 = 246.62; 800 × 89/266 = 267.67; 800 × 75/266 = 225.56;
# 3,420 × 75/266 = 964.29; total £1,704.14.
GROUP_TOTAL = "£1,704.14"
PERIOD = "the 12 months from 24 November 2025 to 23 November 2026"


def _nurture_group(data, rates=None):
    pupil = data["pupils"][0]
    for cycle in pupil["cycles"]:
        start, end = cycle["start_date"], cycle["end_date"]
        cycle["provision"] = [
            {"id": "P1", "description": "Lunchtime nurture group", "sessions_per_week": 5, "minutes_per_session": 30, "group_size": 8,
             "staff_role": "Teaching assistant", "start_date": start, "end_date": end, "annual_cost": "6400.00"},
        ]
    pupil["cycles"][-1]["provision"].append(
        {"id": "P2", "description": "One-to-one support in class", "sessions_per_week": 5, "minutes_per_session": 60,
         "staff_role": "Teaching assistant", "start_date": pupil["cycles"][-1]["start_date"]}
    )
    if rates:
        data["school"]["hourly_rates"] = rates


def test_group_provision_is_shared_prorated_and_the_request_map_and_checklist_agree(tmp_path):
    import senforms
    from senforms.bundle.checklist import build_checklist
    from senforms.bundle.pages import provision_map_document

    path = sample_json(tmp_path, _nurture_group)
    on = dt.date(2026, 11, 23)
    register = senforms.load_register(path, as_of=on).register
    pupil = register.pupil("Z881999919001")
    costs = register.provision_costs(pupil, on)
    assert str(costs.total) == GROUP_TOTAL.removeprefix("£").replace(",", "")
    # The request, as `render` and `bundle` make it.
    out = tmp_path / "request"
    result = run("render", "ehc-request", path, "-o", out, "--pupil", "Z881999919001", "--date", DATE)
    assert result.exit_code == 0, result.output
    request = _text(out / "Z881999919001-ehc-request.docx")
    assert f"{GROUP_TOTAL} over {PERIOD}" in request
    for share in ("£246.62", "£267.67", "£225.56", "£964.29"):
        assert share in request
    assert "is less than the £6,000.00 a year" in request and "This is not a legal bar" in request
    # The provision map, with its arithmetic.
    map_text = _text(provision_map_document(pupil, register.local_authority, costs, tmp_path / "map.docx"))
    assert "£6,400.00 a year (typed); ÷ 8 pupils in the group = £800.00; × 82 days ÷ (38 weeks × 7 days) = £246.62" in map_text
    assert "5 × 60 minutes × 38 weeks at £18.00 an hour (a teaching assistant) = £3,420.00 a year; × 75 days ÷ (38 weeks × 7 days) = £964.29" in map_text
    assert f"Cost over {PERIOD}: {GROUP_TOTAL}" in map_text
    assert "Many local authorities expect a school to show it has spent up to the notional threshold" in map_text
    # The checklist: a warning with the same figure, never MISSING.
    item = next(i for i in build_checklist(pupil, register.local_authority, on, costs) if i.label == "Costed provision map")
    assert str(item).startswith(f"WARNING  Costed provision map: {GROUP_TOTAL} over {PERIOD}, below the notional £6,000.")
    assert not item.missing


def test_the_12_months_end_on_the_date_given(tmp_path):
    import senforms

    register = senforms.load_register(sample_json(tmp_path, _nurture_group), as_of=dt.date(2026, 11, 23)).register
    pupil = register.pupil("Z881999919001")
    later = register.provision_costs(pupil, dt.date(2027, 3, 1))  # from 2 March 2026: 26 days of the first cycle
    first = next(row for row in later.rows if row.cycle.number == pupil.cycles[0].number)
    assert (first.days, str(first.cost)) == (26, "78.20")  # 800 × 26/266
    long_ago = register.provision_costs(pupil, dt.date(2028, 1, 10))
    assert long_ago.total == 0


def test_hourly_rates_come_from_the_school_sheet(tmp_path):
    import senforms

    path = sample_json(tmp_path, lambda d: _nurture_group(d, {"teaching_assistant": "20.00"}))
    register = senforms.load_register(path, as_of=dt.date(2026, 11, 23)).register
    costs = register.provision_costs(register.pupil("Z881999919001"), dt.date(2026, 11, 23))
    one_to_one = next(row for row in costs.rows if row.provision.id == "P2")
    assert (str(one_to_one.computed), str(one_to_one.cost)) == ("3800.00", "1071.43")  # 190 hours × £20.00; × 75/266


def test_a_typed_cost_far_from_the_computed_one_is_a_warning_at_its_cell(tmp_path):
    result = run("validate", "--date", DATE, sample_json(tmp_path, _nurture_group))
    assert result.exit_code == 0, result.output
    assert (
        "! register.json › pupils[0].cycles[0].provision[0].annual_cost: provision P1 of pupil Z881999919001, cycle 1: the typed "
        "annual cost £6,400.00 (the cost of the sessions) is far from 5 × 30 minutes × 38 weeks at £18.00 an hour "
        "(a teaching assistant) = £1,710.00 a year"
    ) in result.output


def test_the_pupils_own_cost_is_not_divided_by_the_group(tmp_path):
    import senforms

    def own(data):
        _nurture_group(data)
        data["pupils"][0]["cycles"][0]["provision"][0].update(annual_cost="213.75", cost_is_pupils_own=True)

    register = senforms.load_register(sample_json(tmp_path, own), as_of=dt.date(2026, 11, 23)).register
    costs = register.provision_costs(register.pupil("Z881999919001"), dt.date(2026, 11, 23))
    first = costs.rows[0]
    assert (str(first.share), str(first.cost), first.far_from_computed) == ("213.75", "65.89", False)  # £1,710 ÷ 8 = £213.75
    assert "the pupil's own cost" in first.arithmetic


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_strict_bundle_is_made_when_only_the_cost_is_below_the_threshold(tmp_path):
    import shutil

    from pypdf import PdfReader

    shutil.copytree(SAMPLES / "evidence", tmp_path / "evidence")  # the register's evidence files, beside it
    out = tmp_path / "pack"
    result = run("bundle", sample_json(tmp_path, _nurture_group), "--pupil", "Z881999919001", "-o", out, "--date", DATE, "--strict")
    assert result.exit_code == 0, result.output
    assert f"WARNING  Costed provision map: {GROUP_TOTAL} over {PERIOD}" in result.output
    assert "MISSING" not in result.output
    (bundle,) = out.glob("*-bundle.pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(str(bundle)).pages).split())
    assert f"Cost over {PERIOD}: {GROUP_TOTAL}" in text


# --- item 5: facts the request needs, and the stored request date --------------------------------


@pytest.mark.parametrize("kind", ["ehc-request", "la-cover-letter"])
def test_a_register_without_a_school_is_refused_before_any_request_is_rendered(tmp_path, kind):
    path = sample_json(tmp_path, lambda d: d.pop("school"))
    out = tmp_path / "out"
    result = run("render", kind, path, "-o", out, "--date", DATE)
    assert result.exit_code == 1, result.output
    assert "nothing can be made, because the register has no school details" in result.output  # before any request is rendered
    assert "add the school's details: on the workbook's School sheet; in a folder of CSV exports, a school.csv" in result.output
    assert "there is no 'name'" not in result.output
    assert not out.exists() or not list(out.glob("*.docx"))


def test_a_register_without_a_local_authority_is_refused_and_names_where_to_give_it(tmp_path):
    path = sample_json(tmp_path, lambda d: d.pop("local_authority"))
    result = run("render", "la-cover-letter", path, "-o", tmp_path / "out", "--date", DATE)
    assert result.exit_code == 1, result.output
    assert "the register does not say which local authority the request goes to" in result.output
    assert "add 'Local authority' on the School sheet (or a row in school.csv), or the [local_authority] table of the school settings file" in result.output
    bundle = run("bundle", path, "--pupil", "Z881999919001", "-o", tmp_path / "pack", "--date", DATE)
    assert bundle.exit_code == 1 and "which local authority the request goes to" in bundle.output, bundle.output
    assert not (tmp_path / "pack").exists()


def test_a_school_without_an_address_is_refused_for_the_request(tmp_path):
    path = sample_json(tmp_path, lambda d: d["school"].pop("address"))
    result = run("render", "ehc-request", path, "-o", tmp_path / "out", "--date", DATE)
    assert result.exit_code == 1, result.output
    assert "cannot be made: the school's details have no School address" in result.output
    assert "add 'School address' on the School sheet (or a row in school.csv)" in result.output


def test_support_documents_need_no_local_authority(tmp_path):
    path = sample_json(tmp_path, lambda d: d.pop("local_authority"))
    result = run("render", "review", path, "-o", tmp_path / "out", "--date", DATE, "--pupil", "Z881999919001")
    assert result.exit_code == 0, result.output


def _without_request_date(data):
    data["pupils"][0]["cycles"][-1]["review"].pop("request_date", None)


def test_bundle_without_a_request_date_is_refused_unless_a_date_is_given(tmp_path):
    path = sample_json(tmp_path, _without_request_date)
    result = run("bundle", path, "--pupil", "Z881999919001", "-o", tmp_path / "pack")
    assert result.exit_code == 1, result.output
    assert "pupil Z881999919001 has no request date, and every date in the pack (the request's, the 6, 16 and 20 weeks) runs from it" in result.output
    assert "fill in 'Request date' on the Reviews sheet" in result.output and "or give the date with --date" in result.output
    assert not (tmp_path / "pack").exists()


def test_the_request_date_is_read_from_the_reviews_sheet():
    import senforms
    from senforms.bundle.pack import request_date

    register = senforms.load_register(SAMPLES / "register.xlsx", as_of=dt.date(2026, 11, 23)).register
    pupil = register.pupil("Z881999919001")
    assert pupil.ehc_request_date == dt.date(2026, 11, 23)
    assert request_date(pupil, None) == dt.date(2026, 11, 23)
    assert request_date(pupil, dt.date(2026, 12, 1)) == dt.date(2026, 12, 1)  # --date wins
    assert register.pupil("F881999919005").ehc_request_date is None  # no review decided to request


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_every_date_in_the_pack_runs_from_the_stored_request_date(tmp_path):
    import shutil

    shutil.copytree(SAMPLES / "evidence", tmp_path / "evidence")
    data = json.loads((SAMPLES / "register.json").read_text(encoding="utf-8"))
    data["pupils"][0]["cycles"][-1]["review"]["request_date"] = "2026-11-30"
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "pack"
    result = run("bundle", path, "--pupil", "Z881999919001", "-o", out)  # no --date
    assert result.exit_code == 0, result.output
    assert "checklist for UPN Z881999919001 (30 November 2026)" in result.output
    (cover,) = out.glob("*-cover-letter.docx")
    letter = _text(cover)
    assert "This request is dated 30 November 2026, the day the school sends it" in letter
    assert "11 January 2027" in letter  # + 6 weeks
    (request,) = out.glob("*-ehc-request.docx")
    assert "30 November 2026" in _text(request)


# --- §7.3 hard errors already in the model -----------------------------------------------------


def test_required_pupil_facts_and_nsa_with_an_ehc_plan_are_errors_at_their_place(tmp_path):
    def broken(data):
        data["pupils"][0].pop("legal_surname")
        data["pupils"][1].pop("date_of_birth")
        data["pupils"][10].update(primary_need="NSA", secondary_need=None)  # M881999919011 has an EHC plan

    result = run("validate", "--date", DATE, sample_json(tmp_path, broken))
    assert result.exit_code == 1, result.output
    assert "✗ register.json › pupils[0].legal_surname: is empty but must be filled in" in result.output
    assert "✗ register.json › pupils[1].date_of_birth: is empty but must be filled in" in result.output
    assert "NSA (no specialist assessment) cannot go with an EHC plan" in result.output


# --- item 8: smaller gaps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "day,expected",
    [
        ("2025-04-01", "spring"),  # Easter Sunday was 20 April 2025: still the spring term
        ("2025-04-18", "spring"),  # Good Friday, the last day of it
        ("2025-04-28", "summer"),
        ("2026-03-31", "spring"),
        ("2026-04-07", "summer"),  # Easter Sunday was 5 April 2026
        ("2026-09-01", "autumn"),
        ("2027-01-04", "spring"),
    ],
)
def test_terms_follow_easter(day, expected):
    from senforms.model.calendar import term

    assert term(dt.date.fromisoformat(day)) == expected


def test_nsa_as_the_secondary_need_with_an_ehc_plan_is_an_error(tmp_path):
    path = sample_json(tmp_path, lambda d: d["pupils"][10].update(secondary_need="NSA"))  # M881999919011 has an EHC plan
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 1, result.output
    assert "NSA (no specialist assessment) cannot go with an EHC plan, as the primary or the secondary need" in result.output


def test_a_planned_review_date_before_the_cycle_starts_is_an_error_at_the_cycle(tmp_path):
    def early(data):
        cycle = data["pupils"][0]["cycles"][0]
        cycle["review_date"] = "2025-12-01"  # the cycle starts on 5 January 2026
        cycle.pop("review")

    result = run("validate", "--date", DATE, sample_json(tmp_path, early))
    assert result.exit_code == 1, result.output
    assert "register.json › pupils[0].cycles[0]: the planned review date is before this cycle starts" in result.output


def test_an_undated_report_does_not_count_as_recent(tmp_path):
    import senforms
    from senforms.bundle.checklist import build_checklist

    def undated(data):
        data["pupils"][0]["evidence"][0].pop("date")  # the educational psychology report

    register = senforms.load_register(sample_json(tmp_path, undated), as_of=dt.date(2026, 11, 23)).register
    pupil = register.pupil("Z881999919001")
    on = dt.date(2026, 11, 23)
    item = next(i for i in build_checklist(pupil, register.local_authority, on, register.provision_costs(pupil, on)) if i.label.startswith("Reports less than"))
    assert item.missing
    assert "'Educational psychology report' has no date, so it cannot be shown to be recent" in item.detail


# --- the table in docs/rules.md -----------------------------------------------------------------


def test_docs_rules_names_only_tests_that_exist():
    import ast
    import re

    root = SAMPLES.parent
    text = (root / "docs" / "rules.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| Rule", "|---"))]
    assert len(rows) >= 30
    functions: dict[str, set[str]] = {}
    named = 0
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 4, row
        rule, kind, where, tests = cells
        assert rule and kind and where, row
        assert "tests/" in tests or rule.startswith("Not yet checked"), f"no test proves: {rule}"
        current = None
        for file, function in re.findall(r"`(tests/[\w/]+\.py)?::(test_\w+)(?:\[[^\]`]+\])?`", tests):
            current = file or current
            assert current is not None, f"'::{function}' names no file: {row}"
            if current not in functions:
                tree = ast.parse((root / current).read_text(encoding="utf-8"))
                functions[current] = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
            assert function in functions[current], f"{current}::{function}"
            named += 1
        for path in re.findall(r"`(src/senforms/[\w/]+\.py)", where):
            assert (root / path).is_file(), path
    assert named >= 60
