"""EHC request packs in the browser (SENCo only): evidence checked as it arrives, the checklist as it
changes, the pack made as a job, its passphrase shown once, and the send to the LA via a confirmation."""

from __future__ import annotations

import html
import io
import json
import os
import re
import zipfile

import pytest
from pypdf import PdfReader

from ..smtp_server import LoopbackController, Recorder
from .conftest import ROOT, SENCO, Browser, named_like_a_script, sample_json_with, settings_with_loopback_smtp

AMARA = "Z881999919001"
EVIDENCE = ROOT / "samples" / "evidence"
LA_FORMS = ROOT / "samples" / "la-forms"


def upload(browser: Browser, *paths, kind: str = "auto", htmx: bool = False, names: list[str] | None = None):
    handles = [open(p, "rb") for p in paths]
    try:
        files = [(h, (names[i] if names else p.name)) for i, (h, p) in enumerate(zip(handles, paths))]
        headers = {"HX-Request": "true"} if htmx else {}
        return browser.post(f"/ehc/{AMARA}/evidence", {"evidence": files, "kind": kind}, content_type="multipart/form-data", headers=headers)
    finally:
        for h in handles:
            h.close()


def checklist_rows(page: str) -> dict[str, tuple[str, str]]:
    table = re.search(r'<table id="checklist">.*?</table>', page, re.S)
    assert table, "no checklist"
    rows = re.findall(r"<tr[^>]*><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table.group(0), re.S)
    return {html.unescape(label): (state, html.unescape(detail)) for label, state, detail in rows}


def test_office_cannot_use_any_ehc_page(with_register: Browser, office: Browser) -> None:
    for url in ("/ehc", f"/ehc/{AMARA}"):
        response = office.get(url)
        assert response.status_code == 403 and "does not have access" in response.text
    with open(EVIDENCE / "01-ep-report.pdf", "rb") as handle:
        refused = office.post(f"/ehc/{AMARA}/evidence", {"evidence": (handle, "01-ep-report.pdf")}, content_type="multipart/form-data")
    assert refused.status_code == 403
    assert office.post(f"/ehc/{AMARA}/pack", {"on": "2026-11-23"}).status_code == 403


def test_the_pupils_page_lists_the_evidence_still_to_upload_and_the_checklist(with_register: Browser) -> None:
    index = with_register.get("/ehc")
    assert index.status_code == 200 and f'href="/ehc/{AMARA}"' in index.text
    page = with_register.get(f"/ehc/{AMARA}")
    assert page.status_code == 200
    assert "EHC request pack: Amara Okafor" in page.text
    awaited = re.search(r'<ul id="awaited">(.*?)</ul>', page.text, re.S).group(1)
    assert "01-ep-report.pdf" in awaited and "01-salt-report.pdf" in awaited
    rows = checklist_rows(page.text)
    assert rows["Advice from external professionals"][0] == "Missing"
    assert with_register.get("/ehc/Q000000000000").status_code == 404


def test_an_upload_is_checked_matched_to_the_evidence_sheet_and_changes_the_checklist(with_register: Browser) -> None:
    before = checklist_rows(with_register.get(f"/ehc/{AMARA}").text)
    assert before["Advice from external professionals"][0] == "Missing"
    response = upload(with_register, EVIDENCE / "01-ep-report.pdf")
    assert response.status_code == 200
    assert "01-ep-report.pdf: taken in as report from an external professional (3 pages)" in html.unescape(response.text)
    after = checklist_rows(response.text)
    assert after["Advice from external professionals"] == ("OK", "1 report attached")
    uploads = re.search(r'<table id="uploads">.*?</table>', response.text, re.S).group(0)
    assert "01-ep-report.pdf" in uploads and "Educational psychology report" in html.unescape(uploads) or "report" in uploads
    assert "01-ep-report.pdf" not in re.search(r'<ul id="awaited">(.*?)</ul>', response.text, re.S).group(1)
    # the same file again is not added twice
    again = upload(with_register, EVIDENCE / "01-ep-report.pdf", names=["copy of report.pdf"])
    assert "already here, as 01-ep-report.pdf" in html.unescape(again.text)
    assert html.unescape(again.text).count("1 report attached") == 1


def test_a_refused_file_is_named_with_the_reason_and_the_others_still_go_in(with_register: Browser, data_dir, tmp_path) -> None:
    notes = tmp_path / "notes from mum.pdf"
    notes.write_text("Not really a PDF, just some notes.\n", encoding="utf-8")
    response = upload(with_register, notes, EVIDENCE / "01-salt-report.pdf")
    assert response.status_code == 422  # the plain form's page: one file was refused
    text = html.unescape(response.text)
    assert "Not added:</strong> notes from mum.pdf: this is a plain text file, not a PDF: ask the sender for the PDF." in text
    assert "01-salt-report.pdf: taken in as" in text
    assert checklist_rows(response.text)["Advice from external professionals"] == ("OK", "1 report attached")
    # the audit trail has the upload's counts, never the file's name (it may name the child)
    from .test_audit_retention import audit_rows

    assert audit_rows(data_dir)[-1] == (SENCO, "evidence uploaded", "EHC pack evidence: 1 taken in, 1 refused", "some refused")


def test_htmx_gets_the_changing_part_of_the_page_with_the_arrivals_out_of_band(with_register: Browser) -> None:
    response = upload(with_register, EVIDENCE / "01-ep-report.pdf", htmx=True)
    assert response.status_code == 200
    assert "<h1>" not in response.text and "<html" not in response.text  # a fragment, not a page
    assert 'hx-swap-oob="beforeend:#upload-log"' in response.text
    assert checklist_rows(response.text)["Advice from external professionals"][0] == "OK"
    # removing it takes the report back out of the checklist
    remove = re.search(r'action="(/ehc/[A-Z0-9]+/evidence/[^/"]+/remove)"', response.text).group(1)
    removed = with_register.post(remove, headers={"HX-Request": "true"})
    assert "01-ep-report.pdf: removed from the pack" in removed.text
    assert checklist_rows(removed.text)["Advice from external professionals"][0] == "Missing"
    # refused files are answered with 200 for htmx, which swaps nothing on an error status
    refused = with_register.post(f"/ehc/{AMARA}/evidence", {"evidence": (io.BytesIO(b"<html>hi</html>"), "report.pdf")}, content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "report.pdf: this is a web page (HTML)" in html.unescape(refused.text)


def test_every_post_needs_its_token(with_register: Browser) -> None:
    with open(EVIDENCE / "01-ep-report.pdf", "rb") as handle:
        response = with_register.client.post(f"/ehc/{AMARA}/evidence", data={"evidence": (handle, "01-ep-report.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "could not be accepted" in response.text
    assert with_register.client.post(f"/ehc/{AMARA}/pack", data={"on": "2026-11-23"}).status_code == 400
    assert "01-ep-report.pdf" not in (re.search(r'<table id="uploads">.*?</table>', with_register.get(f"/ehc/{AMARA}").text, re.S) or [""])[0]


def test_names_and_file_names_are_shown_as_typed(with_register: Browser, tmp_path) -> None:
    assert with_register.upload(sample_json_with(tmp_path, named_like_a_script(0))).status_code == 200
    page = with_register.get(f"/ehc/{AMARA}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Okafor" in page
    # a file name is kept as typed but for what no file name may hold on Windows (<, >, quotes …), and escaped
    bad = upload(with_register, EVIDENCE / "01-attainment.pdf", names=['<img src=x onerror=alert(1)>.pdf'])
    assert "<img src=x" not in bad.text and "img src=x onerror=alert(1).pdf: taken in as" in bad.text
    odd = upload(with_register, EVIDENCE / "01-ep-report.pdf", names=["Tom & Jerry's report.pdf"])
    assert "Tom &amp; Jerry&#39;s report.pdf: taken in as" in odd.text


@pytest.fixture
def school_settings(app, tmp_path, monkeypatch):
    """A settings file with a loopback SMTP server and the Wyvernshire form as the LA's own."""
    recorder = Recorder()
    controller = LoopbackController(recorder)
    controller.start()
    la_form = (
        f'\n[local_authority]\nform = "{(LA_FORMS / "wyvernshire-ehcna-request.pdf").as_posix()}"\n'
        f'form_map = "{(LA_FORMS / "wyvernshire-ehcna-request.toml").as_posix()}"\n'
    )
    settings_with_loopback_smtp(app, tmp_path / "settings.toml", monkeypatch, controller.port, "Hollybrook SENCo <senco@hollybrook-primary.example>", la_form)
    yield recorder
    controller.stop()


@pytest.mark.libreoffice
def test_a_protected_pack_with_the_las_form_is_made_shown_once_and_sent_to_the_la(with_register: Browser, school_settings: Recorder, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    page = with_register.get(f"/ehc/{AMARA}").text
    assert "own form (wyvernshire-ehcna-request.pdf) is filled in" in html.unescape(page)
    assert upload(with_register, EVIDENCE / "01-ep-report.pdf").status_code == 200
    made = with_register.post(f"/ehc/{AMARA}/pack", {"on": "2026-11-23", "protect": "1"})
    assert made.status_code == 303
    job_path = made.headers["Location"]
    root = with_register.client.application.config["SENFORMS_ROOT"]
    first = with_register.get(job_path)
    assert "Finished." in first.text, re.findall(r'role="alert">(.*?)</div>', first.text, re.S)
    passphrase = re.search(r'<code id="passphrase">([^<]+)</code>', first.text).group(1)
    assert re.fullmatch(r"[a-z]+(-[a-z]+){3}-\d{4}", passphrase)
    # shown once: not on the page again, nowhere in the database, never in the log
    again = with_register.get(job_path).text
    assert passphrase not in again and "shown once" in again
    for stored in root.rglob("*"):  # the database (and its WAL), the queue, the pack's folder
        assert not stored.is_file() or passphrase.encode() not in stored.read_bytes(), stored
    assert passphrase not in caplog.text

    # the zip holds the whole pack; the bundle opens with the passphrase and holds the uploaded report
    links = dict((label, href) for href, label in re.findall(r'<a href="(/files/[^"]+)">([^<]+)</a>', first.text))
    archive = zipfile.ZipFile(io.BytesIO(with_register.get(links["The whole pack, in a zip file"]).data))
    names = archive.namelist()
    bundle_name = next(n for n in names if n.endswith("-bundle.pdf"))
    assert {f"{AMARA}-ehc-request.pdf", f"{AMARA}-cover-letter.pdf", f"{AMARA}-checklist.txt", f"{AMARA}-la-form.pdf"} <= set(names)
    reader = PdfReader(io.BytesIO(archive.read(bundle_name)))
    assert reader.is_encrypted and reader.decrypt(passphrase)
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert "Educational psychology report" in text and "Wyvernshire" in text
    assert "Northshire County Council's form" in first.text or "own form, filled in" in first.text
    office_denied = Browser(with_register.client.application.test_client())
    from .conftest import OFFICE

    office_denied.sign_in(OFFICE)
    assert office_denied.get(links["The whole pack, in a zip file"]).status_code == 403

    # the confirmation page: exactly the LA's address and the attachments, nothing sent yet
    confirm = with_register.get(f"/ehc/packs/{job_path.rsplit('/', 1)[1]}/send")
    assert confirm.status_code == 200 and school_settings.envelopes == []
    recipient = html.unescape(re.search(r'<dl class="summary" id="recipient">(.*?)</dl>', confirm.text, re.S).group(1))
    assert "SEND Statutory Assessment Team <send.requests@northshire-council.example>" in recipient
    attached = re.search(r'<table class="confirm" id="attachments">.*?</table>', confirm.text, re.S).group(0)
    assert bundle_name in attached and f"{AMARA}-cover-letter.pdf" in attached
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', confirm.text).group(1)
    sent = with_register.post(f"/ehc/packs/{job_path.rsplit('/', 1)[1]}/send", {"digest": digest}, follow_redirects=True)
    assert "1 of 1 email sent" in sent.text, re.findall(r'role="alert">(.*?)</div>', sent.text, re.S)
    assert school_settings.recipients == ["send.requests@northshire-council.example"]
    message = school_settings.messages()[0]
    assert passphrase not in message.as_string() and AMARA in message["Subject"]
    assert sorted(part.get_filename() for part in message.iter_attachments()) == sorted([bundle_name, f"{AMARA}-cover-letter.pdf"])
    # the school's one send log knows: the confirmation now has nothing to send
    assert "Nothing to send" in with_register.get(f"/ehc/packs/{job_path.rsplit('/', 1)[1]}/send").text


def test_a_sealed_passphrase_opens_only_in_its_data_folder_and_is_taken_once(app, tmp_path) -> None:
    from senforms.web import datadir, store
    from senforms.web.passphrases import SEALED, seal, take_once, unseal

    root = app.config["SENFORMS_ROOT"]
    sealed = seal(root, "copper-lantern-meadow-violet-4821")
    assert "copper" not in sealed and unseal(root, sealed) == "copper-lantern-meadow-violet-4821"
    other = datadir.prepare(tmp_path / "another")
    assert unseal(other, sealed) is None  # another school's data folder cannot open it
    assert unseal(root, sealed[:-4] + "AAAA") is None  # nor can a tampered one
    database = store.connect(root / datadir.DATABASE)
    database.execute("INSERT INTO jobs (id, kind, user_id, status, options, created) VALUES ('j1', 'ehc-pack', 1, 'done', ?, 0)", (json.dumps({"upn": AMARA, SEALED: sealed}),))
    assert take_once(database, root, "j1") == "copper-lantern-meadow-violet-4821"
    assert take_once(database, root, "j1") is None
    assert SEALED not in database.execute("SELECT options FROM jobs WHERE id = 'j1'").fetchone()[0]
    database.close()


@pytest.mark.libreoffice
def test_a_word_document_is_turned_into_pdf_as_it_arrives(with_register: Browser) -> None:
    response = upload(with_register, EVIDENCE / "01-parent-views.docx")
    assert response.status_code == 200, re.findall(r'class="arrival[^"]*">(.*?)</p>', response.text, re.S)
    assert "01-parent-views.docx: taken in as parents&#39; or carers&#39; views (1 page" in response.text
    from senforms.web.evidence import uploads

    (taken,) = uploads(with_register.client.application.config["SENFORMS_ROOT"], AMARA)
    assert taken.pdf.read_bytes().startswith(b"%PDF") and "Our views as parents" in "\n".join(p.extract_text() or "" for p in PdfReader(taken.pdf).pages)


def _sealed_in(app, job_id: str) -> str | None:
    from senforms.web import datadir, store
    from senforms.web.passphrases import SEALED

    database = store.connect(app.config["SENFORMS_ROOT"] / datadir.DATABASE)
    try:
        return json.loads(database.execute("SELECT options FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]).get(SEALED)
    finally:
        database.close()


def test_a_failed_protected_pack_keeps_no_sealed_passphrase_and_running_it_again_seals_a_new_one(app, with_register: Browser, monkeypatch) -> None:
    from senforms.errors import SenformsError
    from senforms.web.passphrases import SEALED, unseal

    opened: list[str | None] = []

    def fails(context):
        opened.append(unseal(context.root, context.options.get(SEALED) or ""))  # what the real job would open
        raise SenformsError("the evidence folder could not be read", fix="try again")

    monkeypatch.setitem(app.extensions["senforms_queue"].bodies, "ehc-pack", fails)
    made = with_register.post(f"/ehc/{AMARA}/pack", {"on": "2026-11-23", "protect": "1"})
    assert made.status_code == 303
    job_id = made.headers["Location"].rsplit("/", 1)[1]
    page = with_register.get(made.headers["Location"]).text
    assert "This could not be finished" in page and "Run it again" in page
    assert opened[0] and _sealed_in(app, job_id) is None  # it had one while it ran; none once it failed
    again = with_register.post(f"/jobs/{job_id}/again")
    assert again.status_code == 303
    assert len(opened) == 2 and opened[1] and opened[1] != opened[0]  # a fresh passphrase, not the old one's gap
    assert _sealed_in(app, again.headers["Location"].rsplit("/", 1)[1]) is None


def test_a_pack_stopped_part_way_or_deleted_by_retention_keeps_no_sealed_passphrase(app) -> None:
    import time

    from senforms.web import datadir, store
    from senforms.web.passphrases import SEALED, seal
    from senforms.web.retention import purge

    root = app.config["SENFORMS_ROOT"]
    database = store.connect(root / datadir.DATABASE)
    old = time.time() - 40 * 86400

    def pack_job(job_id: str, status: str, finished: float | None, **extra) -> None:
        options = json.dumps({"upn": AMARA, "on": "2026-11-23", "protect": True, SEALED: seal(root, "copper-lantern-meadow-violet-4821")})
        database.execute(
            "INSERT INTO jobs (id, kind, user_id, status, options, created, finished, claim, lease_until) VALUES (?, 'ehc-pack', 1, ?, ?, ?, ?, ?, ?)",
            (job_id, status, options, finished or time.time(), finished, extra.get("claim"), extra.get("lease_until")),
        )

    try:
        # the worker that ran it died: the next start marks it stopped part-way
        pack_job("stopped", "running", None, claim="gone-host-1-x", lease_until=time.time() - 60)
        assert app.extensions["senforms_queue"].recover(database) == 1
        assert _sealed_in(app, "stopped") is None
        # made, never opened, then its files deleted by retention: its passphrase goes with them
        pack_job("unopened", "done", old)
        (root / "outputs" / "unopened").mkdir()
        (root / "outputs" / "unopened" / "pack.zip").write_bytes(b"PK")
        os.utime(root / "outputs" / "unopened", (old, old))
        # a failed pack's row from before passphrases were erased as a job ends
        pack_job("failed-long-ago", "failed", time.time())
        purge(database, root, 30)
        assert _sealed_in(app, "unopened") is None and _sealed_in(app, "failed-long-ago") is None
        assert not (root / "outputs" / "unopened").exists()
        # a pack made recently and not yet opened keeps it: its page shows it once
        pack_job("recent", "done", time.time())
        purge(database, root, 30)
        assert _sealed_in(app, "recent") is not None
    finally:
        database.close()
