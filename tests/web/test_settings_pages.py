"""The Templates and Settings pages (senco): the school's templates checked before use, the LA's form
and its map, and the SMTP and LA settings written to the file the CLI reads."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from docx import Document

import senforms
from senforms.config.la_profile import local_authority_profile
from senforms.deliver.smtp import load_smtp_settings
from senforms.resources import docx_templates_dir

from .conftest import ROOT, Browser
from .test_pages import SEN_SUPPORT, download, table_rows

SECRET = "Sup3r-secret pa55word!"
NEW_PAGES = ("/templates", "/settings", "/audit", "/audit.csv", "/retention", "/templates/shipped?kind=support-plan")
NEW_POSTS = ("/templates", "/templates/remove", "/templates/la-form", "/settings/smtp", "/settings/local-authority", "/settings/retention", "/retention")
LA_FORMS = ROOT / "samples" / "la-forms"


@pytest.fixture
def settings(app, tmp_path: Path) -> Path:
    """A settings file of the school's, with a comment and a table the pages do not edit."""
    path = tmp_path / "school.toml"
    path.write_text('# Hollybrook\'s settings\n[meetings]\ndays = ["Tuesday"]\n\n[smtp]\nhost = "old.example"\nfrom = "office@hollybrook.example"\n', encoding="utf-8")
    app.config["SENFORMS_SETTINGS"] = path
    app.extensions["senforms_queue"].settings_path = path
    return path


def template_with(tmp_path: Path, kind: str, text: str) -> Path:
    document = Document(str(docx_templates_dir() / senforms.KINDS[kind].template))
    document.add_paragraph(text)
    path = tmp_path / f"our-{kind}.docx"
    document.save(str(path))
    return path


def upload_template(browser: Browser, path: Path, kind: str):
    with open(path, "rb") as handle:
        return browser.post("/templates", {"kind": kind, "template": (handle, path.name)}, content_type="multipart/form-data")


def test_the_new_pages_answer_a_senco_and_refuse_office(senco: Browser, office: Browser) -> None:
    for url in NEW_PAGES:
        assert senco.get(url).status_code == 200, url
        refused = office.get(url)
        assert refused.status_code == 403 and "does not have access" in refused.text, url
    for url in NEW_POSTS:
        assert office.post(url, {}).status_code == 403, url
        without_token = senco.client.post(url, data={})
        assert without_token.status_code == 400 and "could not be accepted" in without_token.text, url
    nav = senco.get("/").text
    assert all(label in nav for label in (">Templates<", ">Settings<", ">Audit<"))
    assert ">Settings<" not in office.get("/").text


def test_the_shipped_templates_download(senco: Browser) -> None:
    response = senco.get("/templates/shipped?kind=parent-notification")
    assert response.status_code == 200
    assert response.data == (docx_templates_dir() / senforms.KINDS["parent-notification"].template).read_bytes()
    assert senco.get("/templates/shipped?kind=../../etc/passwd").status_code == 404


def test_a_broken_template_shows_its_findings_and_is_not_used(senco: Browser, data_dir: Path, tmp_path: Path) -> None:
    broken = template_with(tmp_path, "support-plan", "{% if pupil.upn %}this block is never closed")
    response = upload_template(senco, broken, "support-plan")
    assert response.status_code == 422
    assert "our-support-plan.docx was not used" in response.text
    rows = table_rows(response.text, "findings")
    assert rows[0][1] == "Error" and rows[0][0].startswith("paragraph ") and "this block is never closed" in rows[0][0]
    assert rows[0][2] == "{% if %} is never closed with {% endif %}"
    assert not (data_dir / "templates" / "support-plan.docx").exists()
    assert "senforms' own" in senco.get("/templates").text


def test_a_good_template_becomes_the_schools_and_web_documents_use_it(with_register: Browser, data_dir: Path, tmp_path: Path) -> None:
    ours = template_with(tmp_path, "support-plan", "Hollybrook's own plan layout")
    response = upload_template(with_register, ours, "support-plan")
    assert response.status_code == 200 and "is now the school's template" in response.text
    assert (data_dir / "templates" / "support-plan.docx").read_bytes() == ours.read_bytes()
    page = with_register.get("/templates").text
    assert "--templates " + str(data_dir / "templates") in page  # how the CLI uses the same folder
    made = with_register.post("/documents", {"kind": "support-plan", "upn": [SEN_SUPPORT[0].upn], "on": "2026-12-01", "output": "zip"}, follow_redirects=True)
    archive = zipfile.ZipFile(io.BytesIO(download(with_register, made.text)))
    text = "\n".join(p.text for p in Document(io.BytesIO(archive.read(archive.namelist()[0]))).paragraphs)
    assert "Hollybrook's own plan layout" in text
    # and back to the shipped one
    with_register.post("/templates/remove", {"kind": "support-plan"})
    assert not (data_dir / "templates" / "support-plan.docx").exists()


def test_a_file_that_is_not_a_word_document_is_refused_as_a_template(senco: Browser, tmp_path: Path) -> None:
    fake = tmp_path / "plan.docx"
    fake.write_bytes(b"%PDF-1.7 not word")
    response = upload_template(senco, fake, "support-plan")
    assert response.status_code == 422 and "plan.docx was not used" in response.text and "Word" in response.text


def test_the_las_form_and_its_map_are_checked_then_named_in_the_settings(senco: Browser, settings: Path) -> None:
    form, form_map = LA_FORMS / "wyvernshire-ehcna-request.pdf", LA_FORMS / "wyvernshire-ehcna-request.toml"
    with open(form, "rb") as f, open(LA_FORMS / "eastmere-ehcna-request.toml", "rb") as wrong:
        refused = senco.post("/templates/la-form", {"form": (f, form.name), "map": (wrong, "eastmere.toml"), "action": "use"}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "was not used" in refused.text and "different version" in refused.text
    assert "form" not in (local_authority_profile(senforms.model.LocalAuthority(name="X"), settings).form or "")
    with open(form, "rb") as f, open(form_map, "rb") as m:
        used = senco.post("/templates/la-form", {"form": (f, form.name), "map": (m, form_map.name), "action": "use"}, content_type="multipart/form-data", follow_redirects=True)
    assert used.status_code == 200 and "and its map are now the LA&#39;s form" in used.text
    profile = local_authority_profile(senforms.model.LocalAuthority(name="Wyvernshire"), settings)
    assert profile is not None and profile.form and profile.form_map
    assert Path(profile.form).read_bytes() == form.read_bytes() and Path(profile.form_map).read_bytes() == form_map.read_bytes()
    assert "days = [\"Tuesday\"]" in settings.read_text(encoding="utf-8")  # the rest of the file kept


def test_a_starting_map_is_made_from_the_form(senco: Browser) -> None:
    form = LA_FORMS / "eastmere-ehcna-request.docx"
    with open(form, "rb") as f:
        response = senco.post("/templates/la-form", {"form": (f, form.name), "action": "starting-map"}, content_type="multipart/form-data")
    assert response.status_code == 200 and "starting map is ready" in response.text
    text = download(senco, response.text).decode("utf-8")
    assert 'form = "eastmere-ehcna-request.docx"' in text and "[fields]" in text
    assert re.search(r'form_sha256 = "[0-9a-f]{64}"', text)


def test_smtp_settings_are_written_for_the_cli_and_the_password_never_shown(senco: Browser, settings: Path) -> None:
    form = {"host": "smtp.hollybrook.example", "port": "2525", "security": "ssl", "user": "office", "password": SECRET, "from": "Hollybrook Office <office@hollybrook.example>"}
    saved = senco.post("/settings/smtp", form, follow_redirects=True)
    assert saved.status_code == 200 and "Saved the [smtp] settings" in saved.text
    loaded = load_smtp_settings(settings, environ={})  # the CLI's own reader
    assert (loaded.host, loaded.port, loaded.security, loaded.user, loaded.password) == ("smtp.hollybrook.example", 2525, "ssl", "office", SECRET)
    assert loaded.from_address == "office@hollybrook.example"
    text = settings.read_text(encoding="utf-8")
    assert text.startswith("# Hollybrook's settings") and 'days = ["Tuesday"]' in text
    assert settings.stat().st_mode & 0o077 == 0  # it holds a password: the owner's only
    # blank password: the one in the file stays
    senco.post("/settings/smtp", dict(form, password="", host="smtp2.hollybrook.example"))
    assert load_smtp_settings(settings, environ={}).password == SECRET
    page = senco.get("/settings").text
    assert "The password is set" in page and 'value="smtp2.hollybrook.example"' in page
    for url in (*NEW_PAGES, "/", "/settings"):
        assert SECRET.encode() not in senco.get(url).data, url
    assert SECRET not in senco.get("/audit.csv").text


def test_smtp_settings_the_cli_would_refuse_are_refused_with_its_words(senco: Browser, settings: Path) -> None:
    before = settings.read_bytes()
    response = senco.post("/settings/smtp", {"host": "smtp.hollybrook.example", "user": "office", "password": "", "from": "office@hollybrook.example"})
    assert response.status_code == 400
    assert "the SMTP password is missing" in response.text and "were not saved" in response.text
    assert 'value="smtp.hollybrook.example"' in response.text  # what was typed is kept on the page
    bad_port = senco.post("/settings/smtp", {"host": "h.example", "port": "twenty", "from": "office@hollybrook.example"})
    assert bad_port.status_code == 400 and "the SMTP port must be a number" in bad_port.text
    assert settings.read_bytes() == before


def test_la_settings_are_checked_as_bundle_would_and_read_back(senco: Browser, settings: Path) -> None:
    bad = senco.post("/settings/local-authority", {"name": "Northshire County Council", "expected_cycles": "99"})
    assert bad.status_code == 400
    rows = table_rows(bad.text, "settings-problems")
    assert rows and rows[0][0] == "school.toml" and rows[0][1] == "[local_authority]" and rows[0][3] == "expected_cycles"
    assert "local_authority" not in settings.read_text(encoding="utf-8")
    good = senco.post("/settings/local-authority", {"name": "Northshire County Council", "expected_cycles": "3", "allowed_domains": "northshire.gov.uk, nhs.net", "email_body": "cover-letter"})
    assert good.status_code == 303
    profile = local_authority_profile(None, settings)
    assert profile is not None and profile.name == "Northshire County Council" and profile.expected_cycles == 3
    assert profile.allowed_domains == ["northshire.gov.uk", "nhs.net"] and profile.email_body == "cover-letter"


def test_settings_go_to_the_data_folder_when_serve_had_no_config(app, senco: Browser, data_dir: Path) -> None:
    assert senco.post("/settings/retention", {"retention_days": "45"}).status_code == 303
    path = data_dir / "settings.toml"
    assert "retention_days = 45" in path.read_text(encoding="utf-8")
    assert app.config["SENFORMS_SETTINGS"] == path and app.extensions["senforms_queue"].settings_path == path
    assert 'value="45"' in senco.get("/settings").text
    refused = senco.post("/settings/retention", {"retention_days": "0"})
    assert refused.status_code == 400 and "not allowed" in refused.text


def test_a_hand_edited_retention_the_app_cannot_use_is_shown_and_can_be_put_right(senco: Browser, settings: Path) -> None:
    settings.write_text(settings.read_text(encoding="utf-8") + '\n[web]\nretention_days = "a month"\n', encoding="utf-8")
    page = senco.get("/settings")
    assert page.status_code == 200 and "retention_days must be a whole number of days from 1 to 3650" in page.text
    assert senco.post("/settings/retention", {"retention_days": "60"}).status_code == 303
    from senforms.web.school_settings import retention_days

    assert retention_days(settings) == 60 and "The password" in senco.get("/settings").text


def test_the_audit_trails_period_is_shown_saved_and_read_back(senco: Browser, settings: Path) -> None:
    from senforms.web.school_settings import audit_retention_days

    page = senco.get("/settings").text
    assert re.search(r'<input id="audit_retention_days" name="audit_retention_days" type="text" value="730"', page)  # the default
    assert senco.post("/settings/retention", {"retention_days": "45", "audit_retention_days": "400"}).status_code == 303
    text = settings.read_text(encoding="utf-8")
    assert "retention_days = 45" in text and "audit_retention_days = 400" in text and "# Hollybrook's settings" in text
    assert audit_retention_days(settings) == 400
    assert re.search(r'name="audit_retention_days" type="text" value="400"', senco.get("/settings").text)
    refused = senco.post("/settings/retention", {"retention_days": "45", "audit_retention_days": "0"})
    assert refused.status_code == 400 and "Days to keep the audit trail: 0 days is not allowed" in refused.text
    assert audit_retention_days(settings) == 400  # nothing written
    # a form without the box (an old page still open) leaves it as it is
    assert senco.post("/settings/retention", {"retention_days": "50"}).status_code == 303
    assert audit_retention_days(settings) == 400


def test_a_hand_edited_audit_period_the_app_cannot_use_is_shown_and_can_be_put_right(senco: Browser, settings: Path) -> None:
    from senforms.web.school_settings import audit_retention_days

    settings.write_text(settings.read_text(encoding="utf-8") + "\n[web]\naudit_retention_days = 0\n", encoding="utf-8")
    page = senco.get("/settings")
    assert page.status_code == 200 and "audit_retention_days must be a whole number of days from 1 to 3650, not 0" in page.text
    assert senco.post("/settings/retention", {"retention_days": "30", "audit_retention_days": "1095"}).status_code == 303
    assert audit_retention_days(settings) == 1095
