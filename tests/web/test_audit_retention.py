"""The audit trail (rows from the pages, the Audit page, its CSV) and retention of uploads and outputs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import time
from pathlib import Path

from senforms.web import audit, create_app, datadir, store
from senforms.web.retention import purge

from .conftest import OFFICE, SENCO, Browser
from .test_pages import SAMPLE_REGISTER, SEN_SUPPORT, download, table_rows

DAY = 86400


def audit_rows(data_dir: Path) -> list[tuple[str, str, str, str]]:
    database = store.connect(data_dir / datadir.DATABASE)
    try:
        return [(r["user"], r["action"], r["what"], r["outcome"]) for r in database.execute("SELECT * FROM audit ORDER BY id")]
    finally:
        database.close()


def test_sign_in_sign_out_and_refusals_are_recorded(app, data_dir: Path) -> None:
    browser = Browser(app.test_client())
    browser.sign_in(OFFICE, "not the password")
    browser.sign_in("nobody@school.example", "whatever it is")
    browser.sign_in(OFFICE)
    browser.post("/sign-out")
    rows = audit_rows(data_dir)
    assert (OFFICE, "sign-in", "", "refused") in rows
    assert ("(no such account)", "sign-in", "", "refused") in rows  # an unknown address is not kept
    assert (OFFICE, "sign-in", "", "ok") in rows and (OFFICE, "sign-out", "", "ok") in rows
    assert not any("whatever" in cell or "nobody@" in cell for row in rows for cell in row)


def test_a_register_documents_and_a_download_are_recorded_without_pupil_data(with_register: Browser, data_dir: Path) -> None:
    upns = [p.upn for p in SEN_SUPPORT[:2]]
    made = with_register.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"}, follow_redirects=True)
    file_id = re.search(r'href="/files/([^"]+)"', made.text).group(1)
    download(with_register, made.text)
    rows = audit_rows(data_dir)
    assert any(r[1] == "register uploaded" and r[3].startswith("in use") for r in rows)
    documents = [r for r in rows if r[1] == "documents made"]
    assert documents and documents[0][0] == SENCO and documents[0][2].startswith("support-plan, job ") and documents[0][3] == "done: made 2, failed 0"
    downloads = [r for r in rows if r[1] == "download"]
    assert downloads == [(SENCO, "download", f"file {file_id} of job {documents[0][2].split()[-1]}", "ok")]
    everything = " ".join(cell for row in rows for cell in row)
    for pupil in SAMPLE_REGISTER.pupils:  # no name, no UPN, anywhere in the trail
        assert pupil.upn not in everything and pupil.legal_surname not in everything


def test_the_audit_page_filters_by_user_action_and_date(app, senco: Browser, office: Browser, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    database.execute("INSERT INTO audit (time, user, action, what, outcome) VALUES (?, 'old@school.example', 'download', 'file x', 'ok')", (time.mktime((2025, 3, 3, 10, 0, 0, 0, 0, -1)),))
    database.close()
    page = senco.get("/audit").text
    rows = table_rows(page, "audit")
    assert any(r[1] == OFFICE and r[2] == "sign-in" for r in rows)
    assert any(r[0] == "3 March 2025 10:00:00" and r[1] == "old@school.example" for r in rows)  # UK dates
    only_office = table_rows(senco.get(f"/audit?user={OFFICE}").text, "audit")
    assert only_office and all(r[1] == OFFICE for r in only_office)
    filtered = senco.get("/audit?action=download&from=2025-01-01").text
    assert 'href="/audit.csv?action=download&amp;from=2025-01-01"' in filtered  # the export has the page's filter
    downloads = table_rows(filtered, "audit")
    assert [r[1] for r in downloads] == ["old@school.example"]
    in_2025 = table_rows(senco.get("/audit?from=2025-03-01&to=2025-03-03").text, "audit")
    assert [r[1] for r in in_2025] == ["old@school.example"]
    assert "Nothing matches" in senco.get("/audit?from=2025-03-04&to=2025-03-05").text
    backwards = senco.get("/audit?from=2025-03-05&to=2025-03-01")
    assert backwards.status_code == 400 and "end before they start" in backwards.text


def test_the_csv_export_has_the_filtered_rows_and_is_safe_to_open_in_a_spreadsheet(app, senco: Browser, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    audit.write(database, "=cmd|' /C calc'!A0", "+sum", '@SUM(1+1)*cmd|"/C calc"!A0', "-2+3")
    audit.write(database, "harmless@school.example", "download", "file abc", "ok")
    database.close()
    response = senco.get("/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and response.headers["Cache-Control"] == "no-store"
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["Time", "User", "Action", "What", "Outcome"]
    hostile = next(r for r in table if "calc" in r[1])
    assert hostile[1:] == ["'=cmd|' /C calc'!A0", "'+sum", "'@SUM(1+1)*cmd|\"/C calc\"!A0", "'-2+3"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    assert ["harmless@school.example", "download", "file abc", "ok"] in [r[1:] for r in table]
    only = list(csv.reader(io.StringIO(senco.get("/audit.csv?action=download").text)))
    assert [r[1] for r in only[1:]] == ["harmless@school.example"]


def _age(path: Path, days: float) -> None:
    when = time.time() - days * DAY
    for inner in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(inner, (when, when))


def _finished_job(database, root: Path, job_id: str, days_ago: float) -> Path:
    finished = time.time() - days_ago * DAY
    database.execute("INSERT INTO jobs (id, kind, user_id, status, options, created, finished) VALUES (?, 'documents', 1, 'done', '{}', ?, ?)", (job_id, finished, finished))
    folder = root / "outputs" / job_id
    folder.mkdir()
    (folder / "letters.pdf").write_bytes(b"%PDF-1.7 old")
    database.execute("INSERT INTO files (id, job_id, path, download_name, media_type, created) VALUES (?, ?, ?, 'letters.pdf', 'application/pdf', ?)", (f"f-{job_id}", job_id, f"outputs/{job_id}/letters.pdf", finished))
    _age(folder, days_ago)
    return folder


def test_retention_deletes_what_is_older_than_the_period_keeps_the_rest_and_records_it(with_register: Browser, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    old_job = _finished_job(database, data_dir, "oldjob", 31)
    new_job = _finished_job(database, data_dir, "newjob", 29)
    database.execute("INSERT INTO jobs (id, kind, user_id, status, options, created) VALUES ('busyjob', 'documents', 1, 'running', '{}', ?)", (time.time() - 90 * DAY,))
    busy = data_dir / "outputs" / "busyjob"
    busy.mkdir()
    _age(busy, 90)
    old_upload, new_upload = data_dir / "uploads" / "old.upload", data_dir / "uploads" / "new.upload"
    old_upload.write_bytes(b"evidence")
    new_upload.write_bytes(b"evidence")
    _age(old_upload, 40)
    register = next(p for p in (data_dir / "uploads").iterdir() if p.suffix == ".xlsx")
    _age(register, 400)  # the register in use stays, however old
    database.close()

    confirm = with_register.get("/retention")
    assert confirm.status_code == 200 and "Delete them now" in confirm.text
    assert "<strong>1 job folder(s)</strong>" in confirm.text and "<strong>1</strong> upload(s)" in confirm.text
    assert old_job.exists()  # the confirmation page deletes nothing
    done = with_register.post("/retention")
    assert done.status_code == 200 and "Deleted 1 job folder(s), 0 other made file(s) and 1 upload(s)" in done.text
    assert not old_job.exists() and not old_upload.exists()
    assert new_job.exists() and new_upload.exists() and busy.exists() and register.exists()
    assert with_register.get("/files/f-oldjob").status_code == 404
    rows = [r for r in audit_rows(data_dir) if r[1] == "retention"]
    assert rows == [(SENCO, "retention", "deleted older than 30 days: 1 job folder(s), 0 other output(s), 1 upload(s), 1 download link(s); jobs oldjob", "ok")]
    assert with_register.get("/register").status_code == 200 and "Nothing is older" in with_register.get("/retention").text


def test_retention_runs_at_start_up_with_the_period_from_the_settings(data_dir: Path, tmp_path: Path) -> None:
    root = datadir.prepare(data_dir)
    store.initialise(root / datadir.DATABASE)
    kept, gone = root / "outputs" / "meetings-a", root / "outputs" / "meetings-b"
    for folder, days in ((kept, 5), (gone, 11)):
        folder.mkdir()
        (folder / "register-with-meetings.xlsx").write_bytes(b"PK")
        _age(folder, days)
    settings = tmp_path / "school.toml"
    settings.write_text("[web]\nretention_days = 10\n", encoding="utf-8")
    create_app(data_dir, settings_path=settings)
    assert kept.exists() and not gone.exists()
    rows = audit_rows(data_dir)
    assert rows == [(audit.SYSTEM, "retention", "deleted older than 10 days: 0 job folder(s), 1 other output(s), 0 upload(s), 0 download link(s)", "ok")]


def test_a_bad_retention_setting_is_named_and_nothing_is_deleted(data_dir: Path, tmp_path: Path, caplog) -> None:
    root = datadir.prepare(data_dir)
    old = root / "uploads" / "old.upload"
    old.write_bytes(b"x")
    _age(old, 400)
    settings = tmp_path / "school.toml"
    settings.write_text('[web]\nretention_days = "a month"\n', encoding="utf-8")
    create_app(data_dir, settings_path=settings)
    assert old.exists()
    assert "retention_days must be a whole number of days" in caplog.text


def test_purge_with_nothing_old_records_nothing(app, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    try:
        assert purge(database, data_dir, 30).nothing
        assert database.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0
    finally:
        database.close()


def test_retention_is_checked_again_from_a_request_at_most_hourly(app, senco: Browser, data_dir: Path) -> None:
    import threading

    clock = app.extensions["senforms_retention"]
    old = data_dir / "uploads" / "old.upload"
    old.write_bytes(b"x")
    _age(old, 40)
    senco.get("/")  # the start-up check was moments ago: nothing runs
    assert old.exists()
    clock._last -= 3601  # an hour later
    senco.get("/")
    for thread in threading.enumerate():
        if thread.name == "senforms-retention":
            thread.join(10)
    assert not old.exists()
    assert [r[1] for r in audit_rows(data_dir) if r[0] == audit.SYSTEM] == ["retention"]


def test_ehc_evidence_goes_a_pupil_at_a_time(app, data_dir: Path) -> None:
    """One pupil's fresh upload does not keep every other pupil's old evidence."""
    evidence = data_dir / "uploads" / "evidence"
    old_pupil, new_pupil = evidence / "A881999919001", evidence / "B881999919002"
    for folder, days in ((old_pupil, 45), (new_pupil, 2)):
        folder.mkdir(parents=True)
        (folder / "report.pdf").write_bytes(b"%PDF-1.7")
        _age(folder / "report.pdf", days)
        _age(folder, days)
    database = store.connect(data_dir / datadir.DATABASE)
    try:
        result = purge(database, data_dir, 30)
    finally:
        database.close()
    assert result.uploads == 1
    assert not old_pupil.exists() and (new_pupil / "report.pdf").exists()


# --- the audit trail's own retention ([web] audit_retention_days) ----------------------------------


def _audit_at(database, days_ago: float, action: str) -> None:
    database.execute("INSERT INTO audit (time, user, action, what, outcome) VALUES (?, 'teacher@school.example', ?, 'file x', 'ok')", (time.time() - days_ago * DAY, action))


def test_audit_rows_older_than_their_period_go_newer_stay_and_the_trim_is_recorded(app, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    try:
        _audit_at(database, 900, "download")
        _audit_at(database, 731, "sign-in")
        _audit_at(database, 729, "documents made")
        result = purge(database, data_dir, 30)  # the default: two years
        assert result.audit_rows == 2 and result.audit_days == 730 and result.no_files
        rows = audit_rows(data_dir)
        assert [r[1] for r in rows] == ["documents made", "audit trimmed"]
        # the trim's own row: a count and the period, nobody's name, address or file
        assert rows[-1] == (audit.SYSTEM, "audit trimmed", "2 audit row(s) older than 730 days", "ok")
        assert not any(r[1] == "retention" for r in rows)  # no file went, so no file row
        again = purge(database, data_dir, 30)
        assert again.nothing and len(audit_rows(data_dir)) == 2  # nothing more to trim, nothing recorded
    finally:
        database.close()


def test_the_audit_period_comes_from_the_settings_at_start_up_and_a_bad_one_is_named(data_dir: Path, tmp_path: Path, caplog) -> None:
    root = datadir.prepare(data_dir)
    store.initialise(root / datadir.DATABASE)
    database = store.connect(root / datadir.DATABASE)
    _audit_at(database, 101, "download")
    _audit_at(database, 99, "sign-in")
    database.close()
    settings = tmp_path / "school.toml"
    settings.write_text('[web]\naudit_retention_days = "forever"\n', encoding="utf-8")
    create_app(data_dir, settings_path=settings)
    assert "audit_retention_days must be a whole number of days from 1 to 3650, not 'forever'" in caplog.text
    assert [r[1] for r in audit_rows(data_dir)] == ["download", "sign-in"]  # nothing trimmed on a bad setting
    settings.write_text("[web]\naudit_retention_days = 100\n", encoding="utf-8")
    create_app(data_dir, settings_path=settings)
    assert [r[1:] for r in audit_rows(data_dir)] == [("sign-in", "file x", "ok"), ("audit trimmed", "1 audit row(s) older than 100 days", "ok")]


def test_the_retention_page_shows_and_trims_old_audit_rows(app, senco: Browser, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    _audit_at(database, 800, "download")
    database.close()
    confirm = senco.get("/retention").text
    assert "The audit trail is kept for 730 days" in confirm
    assert "<strong>1</strong> row(s) of the audit trail older than 730 days" in confirm
    done = senco.post("/retention").text
    assert "and 1 row(s) of the audit trail older than 730 days" in done
    rows = audit_rows(data_dir)
    assert (SENCO, "audit trimmed", "1 audit row(s) older than 730 days", "ok") in rows and not any(r[1] == "download" for r in rows)


# --- a job's page once retention has deleted its files ---------------------------------------------


def _made_long_ago(data_dir: Path, job_id: str, days: float) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    database.execute("UPDATE jobs SET finished = ?, created = ? WHERE id = ?", (time.time() - days * DAY, time.time() - days * DAY, job_id))
    database.close()
    _age(data_dir / "outputs" / job_id, days)


def test_a_job_whose_files_retention_deleted_says_so_with_no_links(with_register: Browser, data_dir: Path) -> None:
    from senforms.ukformat import long_date

    upns = [p.upn for p in SEN_SUPPORT[:2]]
    made = with_register.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    job_path = made.headers["Location"]
    job_id = job_path.rsplit("/", 1)[1]
    before = with_register.get(job_path).text
    link = re.search(r'href="(/files/[^"]+)"', before).group(1)
    assert "deleted on" not in before
    _made_long_ago(data_dir, job_id, 31)
    assert "Deleted 1 job folder(s)" in with_register.post("/retention").text

    page = with_register.get(job_path)
    assert page.status_code == 200
    assert with_register.get(link).status_code == 404  # the link the page no longer offers
    assert 'href="/files/' not in page.text
    notice = re.search(r'<div class="notice notice-warning" role="status" id="files-removed">(.*?)</div>', page.text, re.S)
    assert notice, page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", notice.group(1)))
    assert f"The files this made were deleted on {long_date(dt.date.today())}." in text
    assert "keeps uploads and the documents senforms makes for 30 days (its retention period" in text
    assert "2 documents made" in page.text  # what it did stays on the page
    # made again from the page: a new job with working links
    again = with_register.post(f"/jobs/{job_id}/again", follow_redirects=True)
    assert "deleted on" not in again.text and with_register.get(re.search(r'href="(/files/[^"]+)"', again.text).group(1)).status_code == 200


def test_removed_invitations_and_packs_go_to_their_job_page_not_to_empty_pages(senco: Browser, data_dir: Path) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    removed = time.mktime((2026, 3, 3, 9, 0, 0, 0, 0, -1))
    for job_id, kind, result in (
        ("invjob", "prepare-invitations", {"invitations": 3, "emails": 2, "posted": 1, "print": "f-gone"}),
        ("packjob", "ehc-pack", {"upn": "Z881999919001", "files": [{"id": "f-gone2", "label": "The whole pack, in a zip file", "name": "pack.zip"}], "pages": 12, "missing": 0, "encrypted": False, "la_form": False}),
        ("sendjob", "send-invitations", {"sent": 2, "total": 2, "failed": 0}),
    ):
        database.execute(
            "INSERT INTO jobs (id, kind, user_id, status, options, result, created, finished, files_removed, files_removed_days) VALUES (?, ?, 1, 'done', '{}', ?, 0, 0, ?, 45)",
            (job_id, kind, json.dumps(result), removed),
        )
    database.close()
    page = senco.get("/jobs/invjob")
    assert page.status_code == 200  # not sent on to the review page, which would say there is no one to invite
    assert "deleted on 3 March 2026" in page.text and "for 45 days" in page.text and "Make them again" in page.text
    for url, job_page in (("/invitations/invjob", "/jobs/invjob"), ("/invitations/invjob/send", "/jobs/invjob"), ("/ehc/packs/packjob/send", "/jobs/packjob")):
        moved = senco.get(url)
        assert moved.status_code == 303 and moved.headers["Location"] == job_page, url
    pack = senco.get("/jobs/packjob").text
    assert "deleted on 3 March 2026" in pack and 'href="/files/' not in pack and "Send it to the local authority" not in pack
    assert 'href="/ehc/Z881999919001"' in pack
    sent = senco.get("/jobs/sendjob").text
    assert "2 of 2 emails sent" in sent and "send log still records what was sent" in sent and "Make them again" not in sent
