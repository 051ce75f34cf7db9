"""Rules of issue 10 that came last: an unknown LA number in a UPN, status N without a primary need,
terms from the school's own dates or Easter, the early discussion with parents, the two §7.3
warnings (cycles over less than two terms, no educational psychologist), the request's stored date
and hourly rates from the settings file.

Each test fails without its rule; docs/rules.md names them.
"""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from senforms.cli import cli
from senforms.model.values import upn_check_letter

from .conftest import sample_json

DATE = "23/11/2026"  # tests/conftest.py AS_OF: the samples' "today"


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def with_upn(body: str) -> str:
    return upn_check_letter(body) + body


# --- unknown LA number (§4.4: warn, never fail) -------------------------------------------------


def test_an_unknown_la_number_is_a_warning_at_the_upn_never_an_error(tmp_path):
    upn = with_upn("999999919001")  # 999 is no local authority's number
    path = sample_json(tmp_path, lambda d: d["pupils"][4].update(upn=upn))
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert (
        f"! register.json › pupils[4].upn: pupil {upn}'s UPN starts with LA number 999, which is not on the DfE's list "
        "of local authority numbers (characters 2 to 4 of a UPN)"
    ) in result.output


def test_known_la_numbers_old_and_new_give_no_warning(tmp_path):
    # 881 Essex (the samples), 835 an old Dorset number still in historic UPNs, 943 Westmorland and Furness (2023).
    upns = [with_upn(f"{la}999919005") for la in ("835", "943")]

    def change(data):
        data["pupils"][4]["upn"], data["pupils"][8]["upn"] = upns

    result = run("validate", "--date", DATE, sample_json(tmp_path, change))
    assert result.exit_code == 0, result.output
    assert "LA number" not in result.output


# --- status N has no primary need ----------------------------------------------------------------


def test_a_pupil_with_no_sen_is_not_asked_for_a_primary_need(tmp_path):
    def change(data):
        pupil = data["pupils"][4]
        pupil.update(sen_status="N")
        pupil.pop("primary_need")

    result = run("validate", "--date", DATE, sample_json(tmp_path, change))
    assert result.exit_code == 0, result.output
    assert "primary_need" not in result.output


def test_sen_support_without_a_primary_need_is_an_error_at_the_cell(tmp_path):
    path = sample_json(tmp_path, lambda d: d["pupils"][4].pop("primary_need"))
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 1, result.output
    assert "register.json › pupils[4].primary_need: is empty, but a pupil on SEN support or with an EHC plan needs a primary need" in result.output


def test_a_no_sen_pupil_in_the_workbook_may_leave_primary_need_blank(tmp_path):
    import openpyxl

    from .conftest import SAMPLES

    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    sheet = workbook["Pupils"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(row=6, column=headers["SEN status"]).value = "N"
    sheet.cell(row=6, column=headers["Primary need"]).value = None
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert "Primary need" not in result.output


# --- terms: the school's own dates, else Easter --------------------------------------------------

TERMS_2025_26 = """
[terms."2025/26"]
autumn = ["03/09/2025", "19/12/2025"]
spring = ["05/01/2026", "27/03/2026"]
summer = ["13/04/2026", "22/07/2026"]
"""


def _settings(tmp_path, text: str):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_term_follows_easter_without_term_dates():
    from senforms.model.calendar import term, term_label

    assert term(dt.date(2025, 4, 1)) == "spring"  # Easter Sunday was 20 April 2025
    assert term(dt.date(2025, 4, 19)) == "summer"
    assert term(dt.date(2026, 4, 1)) == "spring" and term(dt.date(2026, 4, 4)) == "summer"  # Good Friday 3 April 2026
    assert term_label(dt.date(2025, 4, 1)) == "spring term 2025"


def test_the_schools_own_term_dates_decide_the_term():
    from senforms.model.calendar import SchoolYearTerms, term

    dates = {"2025/26": SchoolYearTerms(autumn=["03/09/2025", "19/12/2025"], spring=["05/01/2026", "27/03/2026"], summer=["13/04/2026", "22/07/2026"])}
    # Good Friday was 3 April 2026, so 10 April is summer by rule; this school's holiday runs to 12 April,
    # and a day in a holiday belongs with the term just ended.
    assert term(dt.date(2026, 4, 10)) == "summer" and term(dt.date(2026, 4, 10), dates) == "spring"
    assert term(dt.date(2026, 4, 13), dates) == "summer"
    assert term(dt.date(2026, 9, 1), dates) == "autumn"  # another school year: by rule


def test_term_dates_in_the_settings_file_label_the_cycles(tmp_path):
    from docx import Document

    def late_start(data):
        data["pupils"][0]["cycles"][1]["start_date"] = "07/04/2026"  # Easter Monday was 6 April 2026: summer by rule

    path = sample_json(tmp_path, late_start)
    out = tmp_path / "out"
    by_rule = run("render", "support-plan", path, "-o", out / "rule", "--all-cycles", "--pupil", "Z881999919001", "--date", DATE)
    assert by_rule.exit_code == 0, by_rule.output
    own = run("render", "support-plan", path, "-o", out / "own", "--all-cycles", "--pupil", "Z881999919001", "--date", DATE,
              "--config", _settings(tmp_path, TERMS_2025_26))
    assert own.exit_code == 0, own.output

    def texts(folder):
        return ["\n".join(p.text for p in Document(str(f)).paragraphs) + "\n".join(c.text for t in Document(str(f)).tables for r in t.rows for c in r.cells)
                for f in sorted(folder.glob("*.docx"))]

    assert any("summer term 2026" in t for t in texts(out / "rule"))
    # The school's Easter holiday ran to 12 April: a cycle starting on 7 April belongs with the spring term just ended.
    own_texts = texts(out / "own")
    assert any("spring term 2026" in t for t in own_texts) and not any("summer term 2026" in t for t in own_texts)


def test_term_dates_that_are_not_in_order_are_an_error_naming_the_settings_table(tmp_path):
    bad = TERMS_2025_26.replace('spring = ["05/01/2026", "27/03/2026"]', 'spring = ["05/01/2026", "27/12/2025"]')
    result = run("validate", "--date", DATE, sample_json(tmp_path), "--config", _settings(tmp_path, bad))
    assert result.exit_code == 1, result.output
    assert "settings.toml › [terms]" in result.output and "the spring term ends (27/12/2025) before it starts (05/01/2026)" in result.output


def test_the_meetings_plan_follows_easter_and_the_schools_own_dates():
    from senforms.documents.meetings_plan import terms_of
    from senforms.model.calendar import SchoolYearTerms

    autumn, spring, summer = terms_of(dt.date(2026, 11, 23))  # Easter 2027 is 28 March: Good Friday 26 March
    assert (spring.last, spring.last_day, summer.first) == (dt.date(2027, 3, 26), dt.date(2027, 3, 25), dt.date(2027, 3, 27))
    autumn, spring, summer = terms_of(dt.date(2025, 1, 10))  # Easter 2025 was 20 April: the spring term ran to 18 April
    assert (spring.last, spring.last_day) == (dt.date(2025, 4, 18), dt.date(2025, 3, 31))
    dates = {"2025/26": SchoolYearTerms(autumn=["03/09/2025", "19/12/2025"], spring=["05/01/2026", "27/03/2026"], summer=["13/04/2026", "22/07/2026"])}
    autumn, spring, summer = terms_of(dt.date(2025, 11, 1), dates)
    assert (spring.first, spring.last, spring.last_day, summer.first, summer.last_day) == (
        dt.date(2026, 1, 5), dt.date(2026, 4, 12), dt.date(2026, 3, 27), dt.date(2026, 4, 13), dt.date(2026, 7, 22))
    assert autumn.middle == dt.date(2025, 10, 26)  # half way from 3 September to 19 December


# --- hourly rates from the settings file ----------------------------------------------------------


def test_hourly_rates_in_the_settings_file_cost_the_provision(tmp_path):
    import senforms

    from .test_statutory_rules import _nurture_group

    path = sample_json(tmp_path, _nurture_group)
    settings = _settings(tmp_path, "[hourly_rates]\nteaching_assistant = 25.00\n")
    result = run("validate", "--date", DATE, path, "--config", settings)
    assert result.exit_code == 0, result.output
    assert "5 × 30 minutes × 38 weeks at £25.00 an hour (a teaching assistant) = £2,375.00 a year" in result.output
    register = senforms.load_register(path, as_of=dt.date(2026, 11, 23), settings=settings).register
    one_to_one = next(r for r in register.provision_costs(register.pupil("Z881999919001"), dt.date(2026, 11, 23)).rows if r.provision.id == "P2")
    assert str(one_to_one.computed) == "4750.00"  # 190 hours × £25.00; the School sheet's other rates kept
    assert register.hourly_rates.senco == senforms.load_register(path, as_of=dt.date(2026, 11, 23)).register.hourly_rates.senco


def test_an_unknown_hourly_rate_is_an_error_at_its_setting(tmp_path):
    result = run("validate", "--date", DATE, sample_json(tmp_path), "--config", _settings(tmp_path, "[hourly_rates]\ncaretaker = 12\n"))
    assert result.exit_code == 1, result.output
    assert "settings.toml › [hourly_rates] › caretaker: is not a setting senforms knows" in result.output


# --- §7.3: cycles over fewer than two terms; no educational psychologist --------------------------

REQUESTING = "Z881999919001"  # the sample pupil whose latest review decided to request an assessment


def _checklist(path, on=dt.date(2026, 11, 23)):
    import senforms
    from senforms.bundle.checklist import build_checklist

    register = senforms.load_register(path, as_of=on).register
    pupil = register.pupil(REQUESTING)
    return {i.label: i for i in build_checklist(pupil, register.local_authority, on, register.provision_costs(pupil, on))}


def test_the_samples_request_has_cycles_over_two_terms_and_an_educational_psychologist(tmp_path):
    result = run("validate", "--date", DATE, sample_json(tmp_path))
    assert "terms" not in result.output and "educational psychologist" not in result.output, result.output
    items = _checklist(sample_json(tmp_path))
    assert items["APDR cycles over at least 2 terms"].ok and items["Educational psychologist involvement"].ok
    assert str(items["APDR cycles over at least 2 terms"]) == "OK       APDR cycles over at least 2 terms: 3 terms, from the spring term 2025/26"  # January, April and September 2026


def test_cycles_within_one_term_before_a_request_are_a_warning_never_a_bar(tmp_path):
    def one_term(data):
        cycles = data["pupils"][0]["cycles"]
        data["pupils"][0]["cycles"] = cycles[-1:]  # only the autumn 2026 cycle, reviewed in November

    path = sample_json(tmp_path, one_term)
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert (
        "pupil Z881999919001's latest review decided to request an EHC needs assessment, but their APDR cycles cover "
        "autumn term 2026/27 only; local authorities look for SEN support over at least 2 terms"
    ) in result.output
    item = _checklist(path)["APDR cycles over at least 2 terms"]
    assert str(item).startswith("WARNING  APDR cycles over at least 2 terms: the cycles cover autumn term 2026/27 only") and not item.missing


def test_no_educational_psychologist_before_a_request_is_a_warning_never_a_bar(tmp_path):
    def no_ep(data):
        pupil = data["pupils"][0]
        pupil["professionals"] = [p for p in pupil["professionals"] if p["role"] != "educational_psychologist"]

    path = sample_json(tmp_path, no_ep)
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert "pupil Z881999919001's latest review decided to request an EHC needs assessment, but no educational psychologist's involvement is recorded" in result.output
    item = _checklist(path)["Educational psychologist involvement"]
    assert not item.ok and item.advisory and not item.missing


# --- "continue" with no progress twice running (§7.3's unsourced suggestion) -------------------------

CONTINUING = "Y881999919010"  # the sample pupil whose last two reviews (cycles 2 and 3) both decided to continue
NO_PROGRESS_WARNING = "last two reviews (cycles 2 and 3, the latest on 20 November 2026) decided to continue with no progress on any outcome"


def _continuing_pupil(data) -> dict:
    return next(p for p in data["pupils"] if p["upn"] == CONTINUING)


def _no_progress_in(pupil: dict, *numbers: int) -> None:
    for cycle in pupil["cycles"]:
        if cycle["number"] in numbers:
            for n, outcome in enumerate(cycle["outcomes"]):
                outcome["rating"] = "not_started" if n == 0 else "no_progress"


def test_continue_with_no_progress_twice_running_is_a_warning_at_the_latest_review(tmp_path):
    path = sample_json(tmp_path, lambda data: _no_progress_in(_continuing_pupil(data), 2, 3))
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if NO_PROGRESS_WARNING in line)
    assert f"pupil {CONTINUING}'s " in line
    assert "consider specialist advice or requesting an EHC needs assessment (Code of Practice 6.58–6.63)" in line
    assert "register.json › pupils[9].cycles[2].review:" in line, line  # the latest review's own record
    # Only this pupil: the shipped samples themselves never gain it.
    assert result.output.count("decided to continue with no progress") == 1
    shipped = tmp_path / "as-shipped"
    shipped.mkdir()
    assert "decided to continue with no progress" not in run("validate", "--date", DATE, sample_json(shipped)).output


def test_in_the_workbook_the_no_progress_warning_is_at_the_latest_reviews_row(tmp_path):
    import openpyxl

    from .conftest import SAMPLES

    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    outcomes = workbook["Outcomes"]
    header = [cell.value for cell in outcomes[1]]
    upn, cycle, rating = header.index("UPN"), header.index("Cycle"), header.index("Progress at review")
    for row in outcomes.iter_rows(min_row=2):
        if row[upn].value == CONTINUING and int(row[cycle].value) in (2, 3):
            row[rating].value = "No progress"
    reviews = workbook["Reviews"]
    latest_row = next(
        cells[0].row for cells in reviews.iter_rows(min_row=2) if cells[0].value == CONTINUING and int(cells[1].value) == 3
    )
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    result = run("validate", "--date", DATE, path)
    assert result.exit_code == 0, result.output
    assert f"register.xlsx › Reviews › row {latest_row}: pupil {CONTINUING}'s {NO_PROGRESS_WARNING}" in result.output


def test_progress_in_one_of_the_two_reviews_gives_no_warning(tmp_path):
    def progress_in_the_earlier(data):
        pupil = _continuing_pupil(data)
        _no_progress_in(pupil, 2, 3)
        pupil["cycles"][1]["outcomes"][1]["rating"] = "some_progress"  # cycle 2

    result = run("validate", "--date", DATE, sample_json(tmp_path, progress_in_the_earlier))
    assert result.exit_code == 0, result.output
    assert "decided to continue with no progress" not in result.output


def test_no_progress_twice_but_the_plan_changed_gives_no_warning(tmp_path):
    def changed(data):
        pupil = _continuing_pupil(data)
        _no_progress_in(pupil, 2, 3)
        pupil["cycles"][1]["review"]["decision"] = "change"  # cycle 2 changed the plan

    result = run("validate", "--date", DATE, sample_json(tmp_path, changed))
    assert result.exit_code == 0, result.output
    assert "decided to continue with no progress" not in result.output


# --- render ehc-request without --date: the stored request date ----------------------------------


def _docx_text(path) -> str:
    from docx import Document

    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_render_ehc_request_without_a_date_uses_the_stored_request_date(tmp_path):
    def later(data):
        data["pupils"][0]["cycles"][-1]["review"]["request_date"] = "27/11/2026"  # neither the samples' date nor today

    path = sample_json(tmp_path, later)
    for kind in ("ehc-request", "la-cover-letter"):
        result = run("render", kind, path, "-o", tmp_path / kind, "--pupil", REQUESTING)
        assert result.exit_code == 0, result.output
        text = _docx_text(next((tmp_path / kind).glob("*.docx")))
        assert "27 November 2026" in text, text
    # The covering letter's 6-week date runs from the stored date: 27 November 2026 + 6 weeks.
    assert "8 January 2027" in _docx_text(next((tmp_path / "la-cover-letter").glob("*.docx")))
    given = run("render", "ehc-request", path, "-o", tmp_path / "given", "--pupil", REQUESTING, "--date", "30/11/2026")
    assert given.exit_code == 0, given.output
    text = _docx_text(next((tmp_path / "given").glob("*.docx")))
    assert "30 November 2026" in text and "27 November 2026" not in text  # --date wins


# --- the early discussion with parents (§1.2, §5.5) -------------------------------------------------

NOT_YET_TOLD = "Q881999919013"  # the one sample pupil with no Parental notification sent


def _early_discussion(data):
    data["pupils"][12]["meetings"][2] = {  # in place of the samples' own early discussion (M3)
        "id": "M3", "date": "2025-11-14", "type": "early_discussion", "held": True,
        "strengths": "Kind to others; loves building models",
        "difficulties": "Finds it hard to follow spoken instructions",
        "concerns": "Is unsettled at bedtime before school days",
        "agreed_outcomes": "To follow two-step instructions in class",
        "next_steps": "Visual timetable at home and in class; meet again in January",
    }


def test_the_notification_letter_carries_the_early_discussion(tmp_path):
    result = run("render", "parent-notification", sample_json(tmp_path, _early_discussion), "-o", tmp_path / "out", "--pupil", NOT_YET_TOLD, "--date", DATE)
    assert result.exit_code == 0, result.output
    path = next((tmp_path / "out").glob("*.docx"))
    text = _docx_text(path)
    assert "When we talked on 14 November 2025, this is what we discussed:" in text
    import zipfile

    body = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert '<w:b/></w:rPr><w:t xml:space="preserve">Strengths: </w:t>' in body  # the label bold, the words plain
    for line in ("Strengths: Kind to others; loves building models", "Difficulties: Finds it hard to follow spoken instructions",
                 "Your concerns: Is unsettled at bedtime before school days", "What we agreed to aim for: To follow two-step instructions in class",
                 "Next steps: Visual timetable at home and in class; meet again in January"):
        assert line in text


def test_without_an_early_discussion_the_letter_has_no_such_section(tmp_path):
    def no_discussion(data):
        data["pupils"][12]["meetings"][2]["type"] = "review"

    result = run("render", "parent-notification", sample_json(tmp_path, no_discussion), "-o", tmp_path / "out", "--pupil", NOT_YET_TOLD, "--date", DATE)
    assert result.exit_code == 0, result.output
    assert "this is what we discussed" not in _docx_text(next((tmp_path / "out").glob("*.docx")))


def test_the_early_discussion_is_read_from_the_workbook_meetings_sheet(tmp_path):
    import openpyxl

    import senforms

    from .conftest import SAMPLES

    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    sheet = workbook["Meetings"]
    headers = [cell.value for cell in sheet[1]]
    if "Strengths discussed" not in headers:  # a workbook made before the columns: senforms reads them by name
        for offset, header in enumerate(("Strengths discussed", "Parents' concerns", "Agreed outcomes", "Next steps")):
            sheet.cell(row=1, column=len(headers) + 1 + offset).value = header
        headers = [cell.value for cell in sheet[1]]
    column = {h: i + 1 for i, h in enumerate(headers)}
    row = sheet.max_row + 1
    for header, value in (("UPN", NOT_YET_TOLD), ("Meeting ID", "M0"), ("Date", dt.date(2026, 8, 28)), ("Type", "Early discussion"), ("Held", "Yes"),
                          ("Strengths discussed", "Kind to others"), ("Parents' concerns", "Bedtimes"), ("Next steps", "Meet again in January")):
        sheet.cell(row=row, column=column[header]).value = value
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    pupil = senforms.load_register(path, as_of=dt.date(2026, 11, 23)).register.pupil(NOT_YET_TOLD)
    assert pupil.early_discussion is not None
    assert pupil.early_discussion.discussion_points == [("Strengths", "Kind to others"), ("Your concerns", "Bedtimes"), ("Next steps", "Meet again in January")]


def test_the_samples_newly_identified_pupil_has_an_early_discussion(tmp_path):
    import senforms

    pupil = senforms.load_register(sample_json(tmp_path), as_of=dt.date(2026, 11, 23)).register.pupil(NOT_YET_TOLD)
    assert pupil.early_discussion is not None and pupil.early_discussion.date == dt.date(2026, 7, 17)
    assert [label for label, _ in pupil.early_discussion.discussion_points] == [
        "Strengths", "Difficulties", "Your concerns", "What we agreed to aim for", "Next steps"]
