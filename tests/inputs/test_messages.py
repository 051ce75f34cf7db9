"""Messages a SENCo understands: in her register's order, one per mistake, in her register's terms (issue 11 item 6)."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.errors import InputError
from senforms.inputs import load_register
from tests.conftest import AS_OF, SAMPLES, sample_json

DATE = "23/11/2026"  # AS_OF


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def problems_of(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_register(path, as_of=AS_OF)
    return [str(p) for p in caught.value.problems]


def test_workbook_errors_come_in_sheet_order_then_row_order(tmp_path):
    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    workbook["Contacts"]["F2"] = "Perhaps"
    workbook["Pupils"]["E7"] = "31/02/2015"
    workbook["Pupils"]["E3"] = "30/02/2016"
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    assert problems_of(path) == [
        "register.xlsx › Pupils › row 3 › Date of birth: '30/02/2016' is not a real date (use dd/mm/yyyy, e.g. 03/03/2015)",
        "register.xlsx › Pupils › row 7 › Date of birth: '31/02/2015' is not a real date (use dd/mm/yyyy, e.g. 03/03/2015)",
        "register.xlsx › Contacts › row 2 › Parental responsibility: 'Perhaps' is not Yes or No (type Yes or No)",
    ]


def test_json_errors_come_in_pupil_order(tmp_path):
    def change(data):
        data["pupils"][11]["date_of_birth"] = "soon"
        data["pupils"][3]["date_of_birth"] = "soon"

    assert problems_of(sample_json(tmp_path, change)) == [
        "register.json › pupils[3].date_of_birth: 'soon' is not a date senforms can read (use dd/mm/yyyy, e.g. 03/03/2015)",
        "register.json › pupils[11].date_of_birth: 'soon' is not a date senforms can read (use dd/mm/yyyy, e.g. 03/03/2015)",
    ]


def _mistype_upn(sheets: tuple[str, ...], tmp_path):
    workbook = openpyxl.load_workbook(SAMPLES / "register.xlsx")
    for name in sheets:
        for row in workbook[name].iter_rows(min_row=2):
            if row[0].value == "Q881999919013":
                row[0].value = "Q881999919031"
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    return workbook, path


def test_one_upn_typo_is_one_error_that_counts_the_rows_sharing_it(tmp_path):
    _, path = _mistype_upn(("Contacts", "Cycles", "Outcomes", "Provision", "Meetings"), tmp_path)
    assert problems_of(path) == [
        "register.xlsx › Contacts › row 18 › UPN: no pupil with UPN Q881999919031 on the Pupils sheet, and 10 more rows refer to it "
        "(Cycles 1, Outcomes 3, Provision 2, Meetings 4) (did you mean Q881999919013, Pupils row 14? Correct the UPN on every row, or add the pupil)"
    ]


def test_an_orphaned_cycle_still_reports_its_own_outcome_and_provision_errors(tmp_path):
    workbook, path = _mistype_upn(("Cycles", "Outcomes", "Provision"), tmp_path)
    outcomes, provision = workbook["Outcomes"], workbook["Provision"]
    out_row = next(r for r in outcomes.iter_rows(min_row=2) if r[0].value == "Q881999919031")
    prov_row = next(r for r in provision.iter_rows(min_row=2) if r[0].value == "Q881999919031")
    out_headers = {c.value: c.column - 1 for c in outcomes[1]}
    prov_headers = {c.value: c.column - 1 for c in provision[1]}
    out_row[out_headers["By date"]].value = "31/02/2027"
    prov_row[prov_headers["Minutes a session"]].value = "half an hour"
    workbook.save(path)
    assert problems_of(path) == [
        "register.xlsx › Cycles › row 26 › UPN: no pupil with UPN Q881999919031 on the Pupils sheet, and 5 more rows refer to it "
        "(Outcomes 3, Provision 2) (did you mean Q881999919013, Pupils row 14? Correct the UPN on every row, or add the pupil)",
        f"register.xlsx › Outcomes › row {out_row[0].row} › By date: '31/02/2027' is not a real date (use dd/mm/yyyy, e.g. 03/03/2015)",
        f"register.xlsx › Provision › row {prov_row[0].row} › Minutes a session: 'half an hour' is not a whole number (type a whole number)",
    ]


def test_a_csv_register_says_where_its_cycles_go(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("school.csv", "pupils.csv", "contacts.csv"):
        shutil.copy(SAMPLES / "mis-export" / name, folder / name)
    warnings = [str(w) for w in load_register(folder, as_of=AS_OF).warnings if "no APDR cycle" in w.message]
    assert warnings[0] == (
        "pupils.csv › row 2: pupil Z881999919001 is on SEN support but has no APDR cycle (add the current plan in cycles.csv "
        "beside the other CSV files: a row with the pupil's UPN, Cycle (1), Start date and Assessment summary)"
    )


def test_a_filter_that_matches_nobody_says_so_and_what_the_register_has(tmp_path):
    result = run("render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "out", "--where", "year=12", "--date", DATE)
    assert result.exit_code == 1
    assert result.output == (
        "Error: no pupil in the register matches 'year=12': the register's pupils are in years 1, 2, 3, 4, 5, 6\n"
        "Tip: filter on one of those values, or leave the filter out to include every pupil\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_year_that_is_not_a_year_group_is_refused_with_the_years_there_are(tmp_path):
    result = run("render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "out", "--where", "year=abc", "--date", DATE)
    assert result.exit_code == 1
    assert result.output == (
        "Error: the filter 'year=abc' asks for year 'abc', which is not a year group\n"
        "Tip: use R for Reception, or a number from 1 to 14 (the register's pupils are in years 1, 2, 3, 4, 5, 6)\n"
    )


def test_filters_that_match_only_apart_say_so(tmp_path):
    result = run("render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "out", "--where", "year=5", "--where", "need=VI", "--date", DATE)
    assert result.exit_code == 1
    assert result.output == "Error: no pupil in the register matches all of 'year=5', 'need=VI' together\nTip: leave one of the filters out\n"


def test_year_filters_read_years_as_the_register_does(tmp_path):
    result = run("render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "out", "--where", "year=Year 5", "--date", DATE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "SEN support plan: 2 would be made" in result.output


# --- sending: what is held back, and why, in the words of the command ---------------------------


def _drafts(count: int):
    from senforms.deliver.messages import Draft

    return [
        Draft(f"case{n}", f"Parent {n}", f"parent{n}@example.com", "Office", "office@school.example", "Meeting", "Text", None, (),
              frozenset({f"parent{n}@example.com"}), key=f"invite:M1:parent{n}")
        for n in range(count)
    ]


def test_the_send_summary_tells_sent_from_unknown(tmp_path, capsys):
    from senforms.cli._sending import confirm_send
    from senforms.deliver import pending
    from senforms.deliver.ledger import Ledger

    drafts = _drafts(12)
    ledger = Ledger(tmp_path / "send-log.jsonl")
    ledger.mark(drafts[0].key, "sent")
    ledger.mark(drafts[1].key, "unknown")
    todo = pending(drafts, ledger)
    assert confirm_send(todo, drafts, ledger, yes=True, expect_count=None, label=lambda d: d.to_address)
    assert capsys.readouterr().out.splitlines()[1] == (
        "10 messages to 10 recipients (not counted: 1 sent in an earlier run; 1 whose delivery is unknown, held back: "
        "ask the recipient whether it arrived, then run again with --resend-unknown to send it):"
    )


def test_nothing_to_send_says_what_is_held_back(tmp_path, capsys):
    from senforms.cli._sending import confirm_send
    from senforms.deliver.ledger import Ledger

    drafts = _drafts(3)
    ledger = Ledger(tmp_path / "send-log.jsonl")
    for draft in drafts[:2]:
        ledger.mark(draft.key, "sent")
    ledger.mark(drafts[2].key, "unknown")
    assert not confirm_send([], drafts, ledger, yes=True, expect_count=None, label=lambda d: d.to_address)
    assert capsys.readouterr().out == (
        "Nothing to send: 2 sent in an earlier run; 1 whose delivery is unknown, held back: ask the recipient whether it arrived, "
        "then run again with --resend-unknown to send it (see the send log).\n"
    )


def test_an_unknown_delivery_is_explained_without_naming_an_api_parameter(tmp_path):
    from senforms.deliver.ledger import Ledger
    from senforms.deliver.smtp import SmtpSettings, send_all

    drafts = _drafts(1)
    ledger = Ledger(tmp_path / "send-log.jsonl")
    ledger.mark(drafts[0].key, "unknown")
    settings = SmtpSettings("127.0.0.1", 1, "none", None, None, "office@school.example", "Office")
    report = send_all(drafts, settings, ledger)
    assert [(r.status, r.detail) for r in report.results] == [
        ("unknown", "may already have been delivered, so it was not sent again: ask the recipient whether it arrived")
    ]


# --- a template that uses what a record lacks: the tag by name, and how to guard it --------------


def _template(tmp_path, *paragraphs: str):
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "letter.docx"
    document.save(str(path))
    return path


def _render_error(path, context) -> str:
    from senforms.documents.templating import render_docx
    from senforms.errors import SenformsError

    with pytest.raises(SenformsError) as caught:
        render_docx(path, context)
    return caught.value.message


def test_a_value_of_something_empty_names_the_tag_and_the_guard(tmp_path):
    path = _template(tmp_path, "Reviewed on {{ cycle.review.date }}.")
    assert _render_error(path, {"cycle": {"review": None}}) == (
        "template letter.docx could not be filled in: it uses cycle.review.date, but this record has no cycle.review "
        "(put it inside {% if cycle.review %} … {% endif %})"
    )


def test_a_register_without_a_school_is_named_not_there_is_no_name(tmp_path):
    path = _template(tmp_path, "{{ school.name }}", "Yours, {{ pupil.known_as }}")
    assert _render_error(path, {"school": {}, "pupil": {"known_as": "Amara"}}) == (
        "template letter.docx could not be filled in: it uses school.name, which this record does not have (the register has no school details)"
    )


def test_a_broken_tag_does_not_hide_the_template_s_other_mistakes(tmp_path):
    from senforms.documents.template_files import check_template

    path = _template(
        tmp_path,
        "Dear {{ pupil.known_as }}",
        "Born {{ pupil.date_of_birth|uk_dat }}",
        "Hello {% if pupil.known_as %} there",
        "Broken {{ pupil.known_as }",
    )
    path = path.rename(tmp_path / "support-plan.docx")
    assert [p.within_file for p in check_template(path) if p.severity == "error"] == [
        "paragraph 2 ('Born {{ pupil.date_of_birth|uk_dat }}'): '|uk_dat' is not a filter senforms knows (did you mean 'uk_date'?): "
        "see the list of filters in docs/templates.md",
        "paragraph 3 ('Hello {% if pupil.known_as %} there'): {% if %} is never closed with {% endif %}",
        "paragraph 4 ('Broken {{ pupil.known_as }'): a tag is broken: unexpected '}'",
    ]


def test_a_png_given_as_the_register_is_called_a_png(tmp_path):
    result = run("validate", SAMPLES / "logo.png")
    assert result.exit_code == 1
    assert result.output == "Error: logo.png is a PNG image\nTip: senforms reads the Excel workbook from templates/xlsx/, CSV exports (or a zip of them), or JSON\n"
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(SAMPLES / "mis-export" / "pupils.csv", folder / "pupils.csv")
    shutil.copy(SAMPLES / "logo.png", folder / "contacts.csv")
    result = run("validate", folder)
    assert result.output == "Error: contacts.csv is a PNG image, not a CSV file\nTip: export the data as CSV\n"
