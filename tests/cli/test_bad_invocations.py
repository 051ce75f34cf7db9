"""Bad invocations a non-programmer can make: each must end in one plain-English error, never a
traceback.

What we want from every case below: exit status 1 for a problem in the user's files or folders
(3 only for a genuine internal failure), a SystemExit (not an uncaught exception), no
'Traceback', and a message naming the file or folder concerned.

Cases marked xfail(strict=True) end in a traceback (or a misleading message) today; remove the
mark when the cause is fixed. The unmarked cases already behave well and must stay that way.
None of these tests needs LibreOffice.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.resources import docx_templates_dir

from ..conftest import SAMPLES

pytestmark = pytest.mark.timeout(120)

UPN = "Z881999919001"  # a sample pupil with an EHC request, evidence and meetings
DATE = "23/11/2026"
REGISTER = SAMPLES / "register.xlsx"  # send-pack takes the LA's address from the register


# --- helpers ----------------------------------------------------------------------------------------


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_plain_error(result, *names: str, code: int = 1) -> None:
    """One plain-English error: the exit status we want, no traceback, and the names given."""
    assert isinstance(result.exception, SystemExit), f"uncaught {result.exception!r}\n{result.output}"
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for name in names:
        assert name in result.output, f"{name!r} not named in:\n{result.output}"


def xfail(cause: str):
    return pytest.mark.xfail(strict=True, reason=f"traceback today: {cause}")


def misleading(cause: str):
    return pytest.mark.xfail(strict=True, reason=f"misleading message today: {cause}")


@pytest.fixture
def register() -> Path:
    return SAMPLES / "register.xlsx"


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    """A plain file where the user meant a folder."""
    path = tmp_path / "not-a-folder.txt"
    path.write_text("x")
    return path


@pytest.fixture
def readonly_dir(tmp_path: Path):
    """A folder nothing can be written in. Root ignores mode bits, so as root use chattr +i."""
    folder = tmp_path / "read-only-folder"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("cannot make a read-only folder as root here (no chattr +i)")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)


def immutable(path: Path):
    if os.geteuid() != 0:
        pytest.skip("needs root for chattr +i")
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("chattr +i not supported here")


def fake_pack(folder: Path) -> Path:
    """A pack folder as `senforms bundle` makes it, without needing LibreOffice."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "request_docx": f"{UPN}-ehc-request.docx",
        "request_pdf": f"{UPN}-ehc-request.pdf",
        "cover_docx": f"{UPN}-cover-letter.docx",
        "cover_pdf": f"{UPN}-cover-letter.pdf",
        "bundle": f"{UPN}-bundle.pdf",
        "checklist": f"{UPN}-checklist.txt",
        "manifest": f"{UPN}-manifest.csv",
        "pack": f"{UPN}-pack.json",
    }
    letter = docx.Document()
    letter.add_paragraph("Dear SEND team,")
    letter.add_paragraph("Please find our request attached.")
    letter.save(folder / files["cover_docx"])
    for key in ("request_pdf", "cover_pdf", "bundle"):
        (folder / files[key]).write_bytes(b"%PDF-1.7\n%fake\n")
    description = {
        "format": "senforms-pack/1",
        "upn": UPN,
        "made_on": "2026-11-23",
        "encrypted": False,
        "files": files,
        "parts": [],
        "local_authority": {
            "name": "Northshire County Council",
            "send_team_name": "SEND Statutory Assessment Team",
            "send_team_email": "send.requests@northshire-council.example",
            "allowed_domains": ["northshire-council.example"],
            "email_size_limit_mb": 10.0,
        },
        "school": {"name": "Hollybrook Primary School", "senco_name": "Mr Daniel Price", "senco_email": "senco@hollybrook-primary.example"},
    }
    (folder / files["pack"]).write_text(json.dumps(description), encoding="utf-8")
    return folder


def smtp_settings(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "school-settings.toml"
    path.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = 2\nfrom = "office@hollybrook-primary.example"\n{extra}\n')
    return path


def broken_xml_docx(path: Path) -> Path:
    """A real template whose word/document.xml is damaged (what a bad save or sync can leave)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = docx_templates_dir() / "support-plan.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = b"<w:document><<<not xml"
            zout.writestr(item, data)
    return path


# --- 1. Output folder cannot be made: OSError from mkdir not caught ----------------------------------
# render.py:render_documents, bundle/pack.py:build_pack, templates.py:export_templates,
# fileio.py:atomic_path (parent.mkdir)


def test_render_output_under_a_file(register, a_file):
    assert_plain_error(run("render", "support-plan", register, "-o", a_file / "out", "--pupil", UPN), "not-a-folder.txt")


def test_render_output_under_dev_null(register):
    assert_plain_error(run("render", "support-plan", register, "-o", "/dev/null/x", "--pupil", UPN), "/dev/null")


def test_render_merge_under_a_file(register, a_file, tmp_path):
    result = run("render", "parent-notification", register, "-o", tmp_path / "out", "--pupil", UPN, "--all", "--merge", a_file / "all.docx")
    assert_plain_error(result, "not-a-folder.txt")


def test_invite_output_under_a_file(register, a_file):
    assert_plain_error(run("invite", register, "-o", a_file / "out", "--date", "01/09/2026", "--pupil", UPN), "not-a-folder.txt")


def test_bundle_output_under_a_file(register, a_file):
    assert_plain_error(run("bundle", register, "--pupil", UPN, "-o", a_file / "pack", "--date", DATE), "not-a-folder.txt")


def test_templates_export_under_a_file(a_file):
    assert_plain_error(run("templates", "export", a_file / "templates"), "not-a-folder.txt")


def test_demo_output_under_a_file(a_file):
    assert_plain_error(run("demo", "-o", a_file / "demo", "--no-pdf"), "not-a-folder.txt")


def test_meetings_plan_output_under_a_file(register, a_file):
    assert_plain_error(run("meetings", "plan", register, "-o", a_file / "plan.xlsx", "--date", DATE), "not-a-folder.txt")


def test_schema_output_under_a_file(a_file):
    assert_plain_error(run("schema", "-o", a_file / "schema.json"), "not-a-folder.txt")


def test_send_pack_emails_folder_is_a_file(tmp_path):
    pack = fake_pack(tmp_path / "pack")
    (pack / "emails").write_text("x")
    assert_plain_error(run("send-pack", pack, "--register", REGISTER), "emails")


# --- 2. Output folder is read-only: PermissionError from mkstemp / mkdtemp / copyfile not caught -------


def test_render_into_read_only_folder(register, readonly_dir):
    assert_plain_error(run("render", "support-plan", register, "-o", readonly_dir, "--pupil", UPN), "read-only-folder")


def test_render_into_subfolder_of_read_only_folder(register, readonly_dir):
    assert_plain_error(run("render", "support-plan", register, "-o", readonly_dir / "sub", "--pupil", UPN), "read-only-folder")


def test_bundle_into_read_only_folder(register, readonly_dir):
    assert_plain_error(run("bundle", register, "--pupil", UPN, "-o", readonly_dir, "--date", DATE), "read-only-folder")


def test_templates_export_into_read_only_folder(readonly_dir):
    assert_plain_error(run("templates", "export", readonly_dir), "read-only-folder")


def test_meetings_plan_into_read_only_folder(register, readonly_dir):
    assert_plain_error(run("meetings", "plan", register, "-o", readonly_dir / "plan.xlsx", "--date", DATE), "read-only-folder")


def test_schema_into_read_only_folder(readonly_dir):
    assert_plain_error(run("schema", "-o", readonly_dir / "schema.json"), "read-only-folder")


def test_demo_into_read_only_folder(readonly_dir):
    assert_plain_error(run("demo", "-o", readonly_dir, "--no-pdf"), "read-only-folder")


def test_send_pack_read_only_emails_folder(tmp_path):
    pack = fake_pack(tmp_path / "pack")
    emails = pack / "emails"
    emails.mkdir()
    if os.geteuid() == 0:
        immutable(emails)
    else:
        emails.chmod(0o555)
    try:
        assert_plain_error(run("send-pack", pack, "--register", REGISTER), "emails")
    finally:
        subprocess.run(["chattr", "-i", str(emails)], capture_output=True)
        emails.chmod(0o755)


def test_render_with_immutable_manifest(register, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    manifest = out / "manifest.csv"
    manifest.write_text("")
    immutable(manifest)
    try:
        assert_plain_error(run("render", "support-plan", register, "-o", out, "--pupil", UPN), "manifest.csv")
    finally:
        subprocess.run(["chattr", "-i", str(manifest)], capture_output=True)


# --- 3. The output folder's manifest.csv cannot be read: manifest.py:read_manifest -------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name,upn\nx.docx,1\n", id="no-file-column"),
        pytest.param(bytes(range(256)) * 8, id="binary-junk"),
        pytest.param("file,document\nJosé.docx,x\n".encode("latin-1"), id="latin-1"),
        pytest.param("file,document\nx,y\n".encode("utf-16"), id="utf-16"),
        pytest.param(b"file,document\nx," + b"a" * 200_000 + b"\n", id="huge-field"),
    ],
)
def test_render_with_unreadable_manifest(register, tmp_path, content):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.csv").write_bytes(content)
    assert_plain_error(run("render", "support-plan", register, "-o", out, "--pupil", UPN), "manifest.csv")


def test_render_with_manifest_that_is_a_folder(register, tmp_path):
    out = tmp_path / "out"
    (out / "manifest.csv").mkdir(parents=True)
    assert_plain_error(run("render", "support-plan", register, "-o", out, "--pupil", UPN), "manifest.csv")


def test_render_with_manifest_extra_columns_is_fine(register, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.csv").write_text("file,document,upn,cycle,contact,meeting,status,made_at,sha256,extra\nx.docx,a,b,c,d,e,f,g,h,i\n")
    result = run("render", "support-plan", register, "-o", out, "--pupil", UPN)
    assert result.exit_code == 0, result.output


# --- 4. Something already in the output folder is not a file: fileio.py:sha256_file -----------------


def test_render_output_name_taken_by_a_folder(register, tmp_path):
    out = tmp_path / "out"
    (out / f"{UPN}-support-plan-cycle-3.docx").mkdir(parents=True)
    assert_plain_error(run("render", "support-plan", register, "-o", out, "--pupil", UPN), f"{UPN}-support-plan-cycle-3.docx")


def test_render_output_name_is_a_symlink_loop(register, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    name = f"{UPN}-support-plan-cycle-3.docx"
    (out / name).symlink_to(name)
    assert_plain_error(run("render", "support-plan", register, "-o", out, "--pupil", UPN), name)


# --- 5. A damaged template: lxml XMLSyntaxError from templates.py:check_template ---------------------


def test_templates_check_damaged_document_xml(tmp_path):
    template = broken_xml_docx(tmp_path / "support-plan.docx")
    assert_plain_error(run("templates", "check", template), "support-plan.docx")


def test_render_with_damaged_template(register, tmp_path):
    broken_xml_docx(tmp_path / "school-templates" / "support-plan.docx")
    result = run("render", "support-plan", register, "-o", tmp_path / "out", "--pupil", UPN, "--templates", tmp_path / "school-templates")
    assert_plain_error(result, "support-plan.docx")


def test_invite_with_damaged_template(register, tmp_path):
    broken_xml_docx(tmp_path / "school-templates" / "invitation.docx")
    result = run("invite", register, "-o", tmp_path / "out", "--date", "01/09/2026", "--pupil", UPN, "--templates", tmp_path / "school-templates")
    assert_plain_error(result, "invitation.docx")


# --- 6. A JSON register that is not UTF-8, or has the wrong shape ------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(128, 256)) * 20, id="binary-junk"),
        pytest.param('{"pupils": []}'.encode("utf-16"), id="utf-16"),
    ],
)
def test_validate_json_not_utf8(tmp_path, content):
    path = tmp_path / "register.json"
    path.write_bytes(content)
    assert_plain_error(run("validate", path), "register.json")


def test_validate_json_pupils_not_a_list(tmp_path):
    path = tmp_path / "register.json"
    path.write_text('{"pupils": 5}')
    assert_plain_error(run("validate", path), "register.json")


# --- 7. Dates at the ends of the calendar: OverflowError / ValueError from date arithmetic ----------


def test_meetings_plan_date_in_year_9999(register):
    assert_plain_error(run("meetings", "plan", register, "--date", "31/12/9999"), "31/12/9999", code=2)


def test_meetings_plan_date_in_year_1(register):
    assert_plain_error(run("meetings", "plan", register, "--date", "01/01/0001"), "01/01/0001", code=2)


def test_invite_date_in_year_1(register, tmp_path):
    assert_plain_error(run("invite", register, "-o", tmp_path / "out", "--date", "01/01/0001"), "01/01/0001", code=2)


def test_render_ehc_request_date_in_year_9999(register, tmp_path):
    assert_plain_error(run("render", "ehc-request", register, "-o", tmp_path / "out", "--pupil", UPN, "--date", "31/12/9999"), "31/12/9999", code=2)


# --- 8. send-pack: the pack description is not a readable file (OSError not caught in read_pack) ----


def test_send_pack_description_is_a_folder(tmp_path):
    pack = fake_pack(tmp_path / "pack")
    (pack / f"{UPN}-pack.json").unlink()
    (pack / f"{UPN}-pack.json").mkdir()
    assert_plain_error(run("send-pack", pack, "--register", REGISTER), f"{UPN}-pack.json")


def test_send_pack_description_is_a_symlink_loop(tmp_path):
    pack = fake_pack(tmp_path / "pack")
    (pack / f"{UPN}-pack.json").unlink()
    (pack / "loop-pack.json").symlink_to("loop-pack.json")
    assert_plain_error(run("send-pack", pack, "--register", REGISTER), "loop-pack.json")


def test_send_pack_send_log_is_a_folder(tmp_path):
    pack = fake_pack(tmp_path / "pack")
    (pack / "sent-log.jsonl").mkdir()  # a pack folder's own log from before the school's log
    assert_plain_error(run("send-pack", pack, "--register", REGISTER, "--send", "--yes", "--config", smtp_settings(tmp_path)), "sent-log.jsonl")


def test_school_send_log_is_a_folder(tmp_path, send_log):
    pack = fake_pack(tmp_path / "pack")
    send_log.mkdir()
    assert_plain_error(run("send-pack", pack, "--register", REGISTER, "--send", "--yes", "--config", smtp_settings(tmp_path)), send_log.name)


# --- 9. Settings file values that pass settings_from but break smtplib: deliver/smtp.py:_connect ----


@pytest.mark.parametrize(
    "timeout",
    [
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="inf"),
    ],
)
def test_send_pack_bad_smtp_timeout(tmp_path, timeout):
    pack = fake_pack(tmp_path / "pack")
    settings = smtp_settings(tmp_path, f"timeout = {timeout}")
    assert_plain_error(run("send-pack", pack, "--register", REGISTER, "--send", "--yes", "--config", settings), "timeout")


def test_invite_bad_smtp_timeout(register, tmp_path):
    settings = smtp_settings(tmp_path, "timeout = 0")
    result = run("invite", register, "-o", tmp_path / "out", "--date", "01/09/2026", "--pupil", UPN, "--send", "--yes", "--config", settings)
    assert_plain_error(result, "timeout")


# --- 10. Messages that are wrong or unhelpful (no traceback) -----------------------------------------


@pytest.fixture
def protected_register(tmp_path: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with open(SAMPLES / "register.xlsx", "rb") as handle:
        OOXMLFile(handle).encrypt("secret", out)
    path = tmp_path / "protected.xlsx"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("invite", "{R}", "-o", "{T}/out"), id="invite"),
        pytest.param(("meetings", "plan", "{R}"), id="meetings-plan"),
        pytest.param(("demo", "--register", "{R}", "-o", "{T}/demo", "--no-pdf"), id="demo"),
    ],
)
def test_protected_register_tip_names_an_option_the_command_has(protected_register, tmp_path, args):
    result = run(*[a.replace("{R}", str(protected_register)).replace("{T}", str(tmp_path)) for a in args])
    assert_plain_error(result, "protected.xlsx", "run again with --password")
    command = [a for a in args if not a.startswith("{") and a not in ("-o", "--register", "--no-pdf")]
    assert "--password" in run(*command, "--help").output


def test_bundle_protected_register_tip_names_workbook_password(protected_register, tmp_path):
    result = run("bundle", protected_register, "--pupil", UPN, "-o", tmp_path / "pack")
    assert_plain_error(result, "protected.xlsx", "--workbook-password")


def test_damaged_logo_is_named(tmp_path):
    copy = tmp_path / "samples"
    shutil.copytree(SAMPLES, copy)
    (copy / "logo.png").write_bytes(b"")
    result = run("bundle", copy / "register.xlsx", "--pupil", UPN, "-o", tmp_path / "pack", "--date", DATE)
    assert_plain_error(result, "logo.png")


def test_json_list_settings_file_is_refused(register, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text("[1]")
    assert_plain_error(run("bundle", register, "--pupil", UPN, "-o", tmp_path / "pack", "--config", settings, "--date", DATE), "settings.json")


def test_invite_bad_meeting_date_names_the_option(register, tmp_path):
    result = run("invite", register, "-o", tmp_path / "out", "--meeting-date", "31/02/2026")
    assert_plain_error(result, "--meeting-date", code=2)


# --- 11. What already behaves well --------------------------------------------------------------------


def test_output_folder_is_an_existing_file(register, a_file):
    assert_plain_error(run("render", "support-plan", register, "-o", a_file), "not-a-folder.txt", code=2)


def test_register_is_a_word_document_renamed(tmp_path):
    path = tmp_path / "register.xlsx"
    shutil.copyfile(SAMPLES / "evidence" / "01-parent-views.docx", path)
    assert_plain_error(run("validate", path), "register.xlsx", "Word document")


def test_register_is_empty(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"")
    assert_plain_error(run("validate", path), "register.xlsx", "empty")


def test_register_password_protected(protected_register):
    assert_plain_error(run("validate", protected_register), "protected.xlsx", "password")
    assert_plain_error(run("validate", protected_register, "--password", "wrong"), "protected.xlsx", "wrong")


def test_register_is_an_empty_folder(tmp_path):
    (tmp_path / "empty-folder").mkdir()
    assert_plain_error(run("validate", tmp_path / "empty-folder"), "empty-folder")


def test_bundle_unknown_pupil(register, tmp_path):
    assert_plain_error(run("bundle", register, "--pupil", "NOPE", "-o", tmp_path / "pack"), "NOPE")


def test_impossible_date(register, tmp_path):
    assert_plain_error(run("render", "support-plan", register, "-o", tmp_path / "out", "--date", "31/02/2026"), "31/02/2026", code=2)


def test_bad_name_pattern(register, tmp_path):
    assert_plain_error(run("render", "support-plan", register, "-o", tmp_path / "out", "--name", "{"), "pattern")
    assert_plain_error(run("render", "support-plan", register, "-o", tmp_path / "out", "--name", "{0}"), "{0}")


def test_bad_where(register, tmp_path):
    assert_plain_error(run("render", "support-plan", register, "-o", tmp_path / "out", "--where", "colour=red"), "colour")


def test_templates_folder_with_junk_docx(register, tmp_path):
    (tmp_path / "school-templates").mkdir()
    (tmp_path / "school-templates" / "support-plan.docx").write_bytes(b"")
    result = run("render", "support-plan", register, "-o", tmp_path / "out", "--templates", tmp_path / "school-templates")
    assert_plain_error(result, "support-plan.docx")


def test_send_pack_on_a_folder_that_is_not_a_pack(tmp_path):
    (tmp_path / "not-a-pack").mkdir()
    assert_plain_error(run("send-pack", tmp_path / "not-a-pack", "--register", REGISTER), "not-a-pack")


def test_send_pack_corrupt_description(tmp_path):
    pack = fake_pack(tmp_path / "pack")
    (pack / f"{UPN}-pack.json").write_text('{"format": ')
    assert_plain_error(run("send-pack", pack, "--register", REGISTER), f"{UPN}-pack.json")


@pytest.mark.parametrize(
    "text",
    [pytest.param("[smtp\nhost=", id="broken-toml"), pytest.param('[smtp]\nhost = "127.0.0.1"\nport = "abc"\nfrom = "a@b.example"\n', id="port-abc")],
)
def test_send_pack_bad_settings_file(tmp_path, text):
    pack = fake_pack(tmp_path / "pack")
    settings = tmp_path / "school-settings.toml"
    settings.write_text(text)
    result = run("send-pack", pack, "--register", REGISTER, "--send", "--yes", "--config", settings)
    assert_plain_error(result)
    assert "school-settings.toml" in result.output or "port" in result.output


@pytest.mark.timeout(30)
def test_validate_refuses_a_pipe_instead_of_waiting_for_ever(tmp_path):
    pipe = tmp_path / "register.xlsx"
    os.mkfifo(pipe)
    assert_plain_error(run("validate", pipe), "register.xlsx is not a file senforms can read (it is a pipe or a device)")
