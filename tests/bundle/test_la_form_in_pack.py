"""The LA's own form in the request pack, and the attachments the LA requires (issue 13)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from senforms.bundle.checklist import build_checklist, months_between
from senforms.cli import cli
from senforms.model import LocalAuthority
from senforms.model.school import RequiredAttachment

from ..conftest import AS_OF, SAMPLES

FORMS = SAMPLES / "la-forms"
UPN = "Z881999919001"


def _settings(tmp_path: Path, form: str, extra: str = "") -> Path:
    path = tmp_path / "school.toml"
    path.write_text(
        f'[local_authority]\nname = "Wyvernshire Council"\nform = "{FORMS / form}"\nform_map = "{FORMS / Path(form).with_suffix(".toml")}"\n{extra}'
        '[[local_authority.required_attachments]]\nlabel = "Professional reports from the last 24 months"\nkind = "professional_report"\nmax_age_months = 24\n'
        '[[local_authority.required_attachments]]\nlabel = "Signed consent form"\nkind = "consent"\n',
        encoding="utf-8",
    )
    return path


def _top_sections(reader: PdfReader) -> list[tuple[str, list[str]]]:
    sections = []
    for item in reader.outline:
        if isinstance(item, list):
            sections[-1][1].extend(child.title for child in item if not isinstance(child, list))
        else:
            sections.append((item.title, []))
    return sections


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_bundle_puts_the_filled_la_form_in_the_request_section_in_place_of_ours(tmp_path):
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["bundle", str(SAMPLES / "register.xlsx"), "--pupil", UPN, "-o", str(out), "--date", "23/11/2026", "--config", str(_settings(tmp_path, "wyvernshire-ehcna-request.pdf"))])
    assert result.exit_code == 0, result.output
    filled = PdfReader(out / f"{UPN}-la-form.pdf").get_fields()
    assert filled["child_forename"]["/V"] == "Amara" and filled["upn"]["/V"] == UPN
    assert (out / f"{UPN}-ehc-request.pdf").is_file()  # ours is still made, beside the pack
    reader = PdfReader(out / f"{UPN}-bundle.pdf")
    request = dict(_top_sections(reader))["The request for an EHC needs assessment"]
    assert request == ["Request for an EHC needs assessment (Wyvernshire Council's form)"]
    text = " ".join(" ".join(page.extract_text() for page in reader.pages[2:4]).split())
    assert "Wyvernshire Council" in text and "Amara" in text
    assert "/AcroForm" not in reader.trailer["/Root"]  # the form went in flattened: no fields to collide
    checklist = (out / f"{UPN}-checklist.txt").read_text(encoding="utf-8")
    assert "OK       Request form: Wyvernshire Council's own form, filled in from the record" in checklist
    assert "MISSING  Signed consent form (required by Wyvernshire Council): none is attached" in checklist


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_keep_own_request_puts_both_requests_in_the_bundle_with_a_word_form(tmp_path):
    out = tmp_path / "pack"
    settings = _settings(tmp_path, "eastmere-ehcna-request.docx", "keep_own_request = true\n")
    result = CliRunner().invoke(cli, ["bundle", str(SAMPLES / "register.xlsx"), "--pupil", UPN, "-o", str(out), "--date", "23/11/2026", "--config", str(settings)])
    assert result.exit_code == 0, result.output
    assert (out / f"{UPN}-la-form.docx").is_file()
    request = dict(_top_sections(PdfReader(out / f"{UPN}-bundle.pdf")))["The request for an EHC needs assessment"]
    assert request == ["Request for an EHC needs assessment (Wyvernshire Council's form)", "Request for an EHC needs assessment"]


def test_a_form_without_its_map_is_refused_in_plain_words(tmp_path):
    settings = tmp_path / "school.toml"
    settings.write_text(f'[local_authority]\nname = "Wyvernshire Council"\nform = "{FORMS / "wyvernshire-ehcna-request.pdf"}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["bundle", str(SAMPLES / "register.xlsx"), "--pupil", UPN, "-o", str(tmp_path / "pack"), "--config", str(settings)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "name its form (wyvernshire-ehcna-request.pdf) but not the map that fills it" in result.output
    assert not (tmp_path / "pack").exists()


def test_required_attachments_are_checked_against_their_maximum_age(sample_register):
    pupil = sample_register.pupil(UPN)
    la = LocalAuthority(name="Wyvernshire Council", required_attachments=[
        RequiredAttachment(label="EP report from the last 3 months", kind="professional_report", max_age_months=3),
        RequiredAttachment(label="Attainment data", kind="attainment", max_age_months=12),
        RequiredAttachment(label="Attendance for two years", kind="attendance"),
    ])
    lines = [str(item) for item in build_checklist(pupil, la, AS_OF, sample_register.provision_costs(pupil, AS_OF))][-3:]
    assert lines == [
        "MISSING  EP report from the last 3 months (required by Wyvernshire Council): 'Educational psychology report' is 4 months old; Wyvernshire Council accepts 3",
        "OK       Attainment data (required by Wyvernshire Council): 'Reading and maths attainment, 2025 to 2026' is 1 month old (dated 16 October 2026)",
        "MISSING  Attendance for two years (required by Wyvernshire Council): none is attached (attendance record on the Evidence sheet)",
    ]
    assert months_between(dt.date(2024, 9, 1), dt.date(2026, 11, 23)) == 26


def test_the_forms_paths_in_the_settings_file_are_from_its_own_folder(tmp_path):
    from senforms.config.la_profile import local_authority_profile

    settings = tmp_path / "settings" / "school.toml"
    settings.parent.mkdir()
    settings.write_text('[local_authority]\nname = "Wyvernshire Council"\nform = "forms/ehcna.pdf"\nform_map = "forms/ehcna.toml"\n', encoding="utf-8")
    profile = local_authority_profile(None, settings)
    assert profile is not None and profile.form == str(settings.parent / "forms" / "ehcna.pdf")
    assert profile.form_map == str(settings.parent / "forms" / "ehcna.toml")


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_sections_are_kept_under_the_portals_per_file_limit(tmp_path):
    settings = tmp_path / "school.toml"
    settings.write_text('[local_authority]\nname = "Wyvernshire Council"\nportal_file_limit_mb = 0.1\n', encoding="utf-8")
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["bundle", str(SAMPLES / "register.xlsx"), "--pupil", UPN, "-o", str(out), "--date", "23/11/2026", "--sections", "--config", str(settings)])
    assert result.exit_code == 0, result.output
    files = sorted((out / f"{UPN}-sections").glob("*.pdf"))
    assert any("-part-" in f.name for f in files), [f.name for f in files]  # a section over 0.1 MB was cut
    for path in files:
        assert path.stat().st_size <= 100_000 or len(PdfReader(path).pages) == 1, path.name


@pytest.mark.libreoffice
@pytest.mark.timeout(300)
def test_the_forms_warnings_reach_the_person_making_the_pack(tmp_path, monkeypatch):
    import senforms.forms.fill as fill

    real = fill.fill_for_pupil

    def with_a_warning(*args, **kwargs):
        path, warnings = real(*args, **kwargs)
        return path, [*warnings, "field 'child_forename': no installed font has every character of its text"]

    monkeypatch.setattr(fill, "fill_for_pupil", with_a_warning)
    out = tmp_path / "pack"
    result = CliRunner().invoke(cli, ["bundle", str(SAMPLES / "register.xlsx"), "--pupil", UPN, "-o", str(out), "--date", "23/11/2026", "--config", str(_settings(tmp_path, "wyvernshire-ehcna-request.pdf"))])
    assert result.exit_code == 0, result.output
    assert "Wyvernshire Council's form: field 'child_forename': no installed font has every character of its text" in result.output
