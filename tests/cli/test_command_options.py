"""Small things a command says or takes: `convert`'s tip when nothing reached LibreOffice, and
`users --config` finding the accounts where `serve --config` keeps them."""

from __future__ import annotations

from click.testing import CliRunner

from senforms.cli import cli
from tests.conftest import SAMPLES


def run(*args: object, input: str | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


# --- convert ----------------------------------------------------------------------------------------


def test_convert_does_not_blame_libreoffice_when_no_file_was_a_word_document(tmp_path, monkeypatch):
    monkeypatch.setenv("SENFORMS_SOFFICE", str(tmp_path / "no-libreoffice-here"))  # never asked for
    photo = tmp_path / "photo.png"
    photo.write_bytes((SAMPLES / "logo.png").read_bytes())
    notes = tmp_path / "notes.txt"
    notes.write_text("Notes from the review, not a Word document", encoding="utf-8")
    result = run("convert", photo, notes, "-o", tmp_path / "pdfs")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:2] == [
        "  FAILED     photo.png is not a Word document (.docx), or it is damaged",
        "  FAILED     notes.txt is not a Word document (.docx), or it is damaged",
    ]
    assert lines[2].startswith("0 converted, 2 failed in ")
    assert lines[3:] == [
        "Error: 2 files could not be converted",
        "Tip: give only Word documents (.docx) that open in Word; each file above says what is wrong with it",
    ]
    assert "doctor" not in result.output
    assert not (tmp_path / "pdfs").exists() or not any((tmp_path / "pdfs").iterdir())


# --- users --config ---------------------------------------------------------------------------------


def test_users_takes_config_like_serve_and_finds_the_accounts_in_its_data_folder(tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text('[web]\ndata = "shared-data"\n', encoding="utf-8")  # relative to the settings file
    added = run("users", "add", "senco@school.example", "--role", "senco", "--config", settings, input="three random words\n")
    assert added.exit_code == 0, added.output
    assert added.output == "Account made for senco@school.example (senco).\n"
    assert (tmp_path / "shared-data" / "senforms.db").is_file()  # where serve --config would look
    assert run("users", "add", "office@school.example", "--role", "office", "--config", settings, input="another long one\n").exit_code == 0
    listed = run("users", "list", "--config", settings)
    assert listed.output == "office@school.example\toffice\nsenco@school.example\tsenco\n"
    # --data wins over [web] data, as for serve and worker.
    elsewhere = run("users", "list", "--config", settings, "--data", tmp_path / "other")
    assert elsewhere.output == "No accounts yet: make one with `senforms users add EMAIL --role senco`.\n"
    reset = run("users", "reset-password", "office@school.example", "--config", settings, input="a brand new password\n")
    assert reset.output == "Password changed for office@school.example; any open sessions are signed out.\n"
    removed = run("users", "remove", "office@school.example", "--config", settings)
    assert removed.output == "Account for office@school.example removed.\n"
    assert run("users", "list", "--config", settings).output == "senco@school.example\tsenco\n"


def test_users_config_is_checked_like_serves(tmp_path):
    missing = run("users", "list", "--config", tmp_path / "nowhere.toml")
    assert missing.exit_code == 2 and "nowhere.toml' does not exist" in missing.output
    settings = tmp_path / "settings.toml"
    settings.write_text("[web]\ndata = 5\n", encoding="utf-8")
    bad = run("users", "list", "--config", settings)
    assert bad.exit_code == 1
    assert bad.output.startswith('Error: settings.toml: [web] data must be the path of the folder the app keeps its data in, such as "/srv/senforms"\n')
    for command in ("add", "list", "remove", "reset-password"):
        help_text = " ".join(run("users", command, "--help").output.split())
        assert "--config FILE School settings file (JSON or TOML): [web] data names the web app's data folder (--data wins over it)." in help_text
