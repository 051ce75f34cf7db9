"""The pages, end to end through Flask's test client: register, documents, meetings, and their files."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from docx import Document

import senforms

from .conftest import ROOT, SAMPLE, Browser

SAMPLE_REGISTER = senforms.load_register(SAMPLE).register
SEN_SUPPORT = [p for p in SAMPLE_REGISTER.pupils if p.sen_status.value == "K"]


def upns_on(page: str) -> list[str]:
    return re.findall(r'name="upn" value="([^"]+)"', page)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert table, f"no table {table_id}"
    body = table.group(0).split("<tbody>")[1]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def download(browser: Browser, page: str, pattern: str = r'href="(/files/[^"]+)"') -> bytes:
    link = re.search(pattern, page)
    assert link, "no download link"
    response = browser.get(link.group(1))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return response.data


# --- register -------------------------------------------------------------------------------------


def test_a_valid_register_is_kept_and_its_warnings_shown_as_a_table(senco: Browser) -> None:
    response = senco.upload()
    assert response.status_code == 200
    assert "register.xlsx is now the register in use" in response.text
    assert re.search(r"<dt>Pupils</dt><dd>13</dd>", response.text)
    warnings = table_rows(response.text, "warnings")
    expected = senforms.load_register(SAMPLE).warnings
    assert len(warnings) == len(expected) > 0
    first = expected[0]
    assert warnings[0][:4] == ["register.xlsx", first.location.sheet or "", str(first.location.row or ""), first.location.column or ""]
    assert warnings[0][4:] == [first.message, first.fix]
    # and it is what every other page now uses
    assert len(upns_on(senco.get("/documents").text)) == 13


def test_a_register_with_errors_is_refused_with_every_problem_and_the_old_one_kept(senco: Browser, tmp_path) -> None:
    import json

    assert senco.upload().status_code == 200
    data = json.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    data["pupils"][1]["date_of_birth"] = "31/02/2019"
    data["pupils"][2]["upn"] = "NOT-A-UPN"
    bad = tmp_path / "broken register.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    response = senco.upload(bad)
    assert response.status_code == 422
    assert "broken register.json was not used: it has" in response.text
    assert "The register uploaded before it is still in use" in response.text
    errors = table_rows(response.text, "errors")
    assert len(errors) >= 2
    assert all(row[0] == "broken register.json" for row in errors)  # the name they know, not our random one
    assert any("31/02/2019" in " ".join(row) or "date" in row[4].lower() for row in errors)
    assert "register.xlsx" in senco.get("/register").text  # still the one in use
    assert len(upns_on(senco.get("/documents").text)) == 13


def test_a_file_that_is_not_a_register_is_refused_in_plain_words(senco: Browser) -> None:
    response = senco.upload(ROOT / "samples" / "logo.png", name="photo.png")
    assert response.status_code == 422
    assert "photo.png was not used" in response.text and "a PNG image" in response.text


def test_a_zip_of_csv_exports_is_read_as_a_register(senco: Browser, tmp_path) -> None:
    archive = tmp_path / "mis-export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(ROOT / "samples" / "mis-export" / "pupils.csv", "export/pupils.csv")
        zipped.write(ROOT / "samples" / "mis-export" / "contacts.csv", "export/contacts.csv")  # pupils alone are refused (issue 10: s.68)
    response = senco.upload(archive)
    assert response.status_code == 200, re.findall(r"<td>(.*?)</td>", response.text)[:12]
    assert "mis-export.zip is now the register in use" in response.text


def test_a_zip_with_anything_but_csv_is_refused(senco: Browser, tmp_path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(ROOT / "samples" / "mis-export" / "pupils.csv", "pupils.csv")
        zipped.writestr("run-me.exe", b"MZ")
    response = senco.upload(archive)
    assert response.status_code == 422 and "not only CSV files" in response.text and "run-me.exe" in response.text


def test_an_empty_register_is_taken_with_the_warning_validate_gives(senco: Browser, tmp_path) -> None:
    """The blank workbook uploaded by mistake: the same words as `senforms validate` (inputs.no_pupils)."""
    response = senco.upload(ROOT / "templates" / "xlsx" / "senforms-register.xlsx")
    rows = [[html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)] for row in re.findall(r"<tr>(<td>.*?)</tr>", response.text)]
    assert [
        "senforms-register.xlsx", "", "", "",
        "there are no pupils in this register, so there is nothing to make from it",
        "check it is the school's filled-in register, not the blank template or another file: pupils go on its Pupils sheet, one row each below the headings",
    ] in rows
    refusal = (
        "there are no pupils in this register, so there is nothing to make from it",
        "check it is the school's filled-in register, not the blank template or another file: pupils go on its Pupils sheet, one row each below the headings",
    )
    made = senco.post("/documents", {"kind": "support-plan", "on": "2026-12-01", "output": "zip"})
    assert made.status_code == 400 and f"{refusal[0]} ({refusal[1]})" in html.unescape(made.text)
    invited = senco.post("/invitations", {"on": "2026-12-01"})
    assert invited.status_code == 400 and f"{refusal[0]} ({refusal[1]})" in html.unescape(invited.text)
    planned = senco.post("/meetings/workbook", {})
    assert planned.status_code == 400 and all(part in html.unescape(planned.text) for part in refusal)


def test_office_sees_the_register_but_cannot_upload(with_register: Browser, office: Browser) -> None:
    page = office.get("/register").text
    assert "register.xlsx" in page and "Only the SENCo can upload" in page and 'type="file"' not in page


def test_the_blank_workbook_downloads(senco: Browser) -> None:
    response = senco.get("/register/blank-workbook")
    assert response.status_code == 200
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(response.data))
    assert {"School", "Pupils", "Contacts"} <= set(workbook.sheetnames)


def test_pages_that_need_a_register_say_so(senco: Browser) -> None:
    for url in ("/documents", "/invitations", "/meetings"):
        response = senco.get(url)
        assert response.status_code == 400 and "no register has been uploaded yet" in response.text and "Register page" in response.text


# --- documents ------------------------------------------------------------------------------------


def test_filters_choose_the_pupils(with_register: Browser) -> None:
    year_6 = upns_on(with_register.get("/documents?year=6").text)
    assert sorted(year_6) == sorted(p.upn for p in SAMPLE_REGISTER.pupils if p.year_group == 6)
    ehc = upns_on(with_register.get("/documents?status=E").text)
    assert ehc == [p.upn for p in SAMPLE_REGISTER.pupils if p.sen_status.value == "E"]


def test_the_preview_shows_the_first_pupils_document(with_register: Browser) -> None:
    pupil = SEN_SUPPORT[0]
    response = with_register.post("/documents/preview", {"kind": "support-plan", "upn": [pupil.upn, SEN_SUPPORT[1].upn], "on": "2026-12-01", "output": "pdf"})
    assert response.status_code == 200
    preview = response.text.split('id="preview-heading"')[1]
    assert pupil.legal_surname in preview and SEN_SUPPORT[1].legal_surname not in preview
    assert "{{" not in preview
    # the choices survive the preview: the same two pupils stay ticked
    ticked = re.findall(r'name="upn" value="([^"]+)" id="[^"]+" checked', response.text)
    assert ticked == [pupil.upn, SEN_SUPPORT[1].upn]


def test_no_pupils_ticked_is_explained(with_register: Browser) -> None:
    response = with_register.post("/documents", {"kind": "support-plan", "on": "2026-12-01", "output": "zip"})
    assert response.status_code == 400 and "no pupils are ticked" in response.text


def test_documents_as_a_zip_of_word_files(with_register: Browser) -> None:
    upns = [p.upn for p in SEN_SUPPORT[:3]]
    response = with_register.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"}, follow_redirects=True)
    assert "3 documents made" in response.text
    archive = zipfile.ZipFile(io.BytesIO(download(with_register, response.text)))
    names = archive.namelist()
    assert len(names) == 3 and all(n.endswith(".docx") for n in names)
    texts = ["\n".join(p.text for p in Document(io.BytesIO(archive.read(n))).paragraphs) for n in names]
    for pupil in SEN_SUPPORT[:3]:
        assert sum(pupil.legal_surname in t for t in texts) == 1


def test_an_ehc_plan_pupil_is_left_out_of_sen_support_plans_with_a_reason(with_register: Browser) -> None:
    ehc = [p.upn for p in SAMPLE_REGISTER.pupils if p.sen_status.value == "E"]
    response = with_register.post("/documents", {"kind": "support-plan", "upn": ehc, "on": "2026-12-01", "output": "zip"}, follow_redirects=True)
    assert "0 documents made" in response.text and "Left out 1 pupil(s) with an EHC plan" in response.text


@pytest.mark.libreoffice
def test_parent_letters_as_one_pdf_hold_every_pupils_letter(with_register: Browser) -> None:
    from pypdf import PdfReader

    upns = upns_on(with_register.get("/documents").text)
    response = with_register.post("/documents", {"kind": "parent-notification", "upn": upns, "on": "2026-12-01", "output": "pdf", "duplex": "1", "all": "1"}, follow_redirects=True)
    assert "could not be made" not in response.text
    reader = PdfReader(io.BytesIO(download(with_register, response.text)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for pupil in SEN_SUPPORT:
        assert pupil.legal_surname in text or pupil.known_as in text, pupil.upn
    assert len(reader.pages) % 2 == 0  # duplex: every letter starts on a front side
    # the bar counted every stage: each letter made, each turned into PDF, then the merge
    from senforms.web import datadir, store
    from senforms.web.jobs import find_job

    database = store.connect(with_register.client.application.config["SENFORMS_ROOT"] / datadir.DATABASE)
    job = find_job(database, response.request.path.rsplit("/", 1)[1])
    database.close()
    assert job.total == 2 * job.result["made"] + 1 and job.done == job.total


@pytest.mark.libreoffice
def test_the_job_runner_keeps_libreoffice_warm_between_jobs(with_register: Browser) -> None:
    """As `serve` and `worker` run jobs: the second job's PDFs come from the LibreOffices the first started."""
    from pypdf import PdfReader

    from senforms.pdf import PdfConverter
    from senforms.pdf.warm import WarmConverters

    started: list[PdfConverter] = []

    def new_pool() -> PdfConverter:
        started.append(PdfConverter())
        return started[-1]

    queue = with_register.client.application.extensions["senforms_queue"]
    queue.converters = WarmConverters(make=new_pool)
    try:
        upns = upns_on(with_register.get("/documents").text)
        for kind in ("parent-notification", "support-plan"):
            response = with_register.post("/documents", {"kind": kind, "upn": upns, "on": "2026-12-01", "output": "pdf", "all": "1"}, follow_redirects=True)
            assert "could not be made" not in response.text
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(download(with_register, response.text))).pages)
            assert all(pupil.legal_surname in text or pupil.known_as in text for pupil in SEN_SUPPORT), kind
            assert queue.converters.idle() == 1
        assert len(started) == 1 and not started[0].closed  # one pool served both jobs, and waits for the next
    finally:
        queue.converters.close()
    assert started[0].closed


# --- meetings -------------------------------------------------------------------------------------


def test_the_meetings_plan_and_its_workbook(with_register: Browser) -> None:
    import datetime as dt

    page = with_register.get("/meetings").text
    plan = senforms.plan_meetings(SAMPLE_REGISTER, dt.date.today())
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", page.split("<tbody>")[1], re.S)
    assert len(rows) == len(plan.pupils) > 0
    token = re.search(r'action="/meetings/workbook">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page).group(1)
    response = with_register.client.post("/meetings/workbook", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].startswith("/files/")
    data = with_register.get(response.headers["Location"]).data
    from openpyxl import load_workbook

    meetings = load_workbook(io.BytesIO(data))["Meetings"]
    assert meetings.max_row - 1 >= sum(len(p.held) + len(p.booked) + len(p.proposed) for p in plan.pupils)
