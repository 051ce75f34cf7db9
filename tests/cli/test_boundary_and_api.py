"""The error boundary, the public API the CLI stands on, and the `demo` and `schema` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

import senforms
from senforms.cli import cli
from senforms.cli._boundary import EXIT_UNEXPECTED

from ..conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_api_lists_and_resolves_every_name():
    out = subprocess.run([sys.executable, "-c", "import senforms; print(senforms.__all__)"], capture_output=True, text=True, check=True).stdout
    for name in ("load_register", "validate", "render", "convert", "build_pack", "prepare_invitations", "send_invitations", "prepare_pack_emails", "send_pack", "SenformsError"):
        assert f"'{name}'" in out
    for name in senforms.__all__:
        assert getattr(senforms, name) is not None
    with pytest.raises(AttributeError):
        senforms.no_such_thing  # noqa: B018


def test_importing_senforms_loads_no_document_libraries():
    code = "import sys, senforms; print(sorted(m for m in ('docxtpl', 'pypdf', 'reportlab', 'openpyxl') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("command", "function"),
    [("render", "render"), ("bundle", "build_pack"), ("invite", "prepare_invitations"), ("send_pack", "prepare_pack_emails"), ("validate", "validate"), ("meetings", "plan_meetings")],
)
def test_each_command_is_a_call_of_the_api(command, function):
    source = (ROOT / "src" / "senforms" / "cli" / f"{command}.py").read_text()
    assert f"senforms.{function}(" in source


def test_an_unexpected_failure_is_one_calm_sentence_and_exit_3(monkeypatch, tmp_path):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug senforms did not expect")

    monkeypatch.setattr("senforms.documents.batch.plan_jobs", broken)
    result = run("render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == EXIT_UNEXPECTED
    assert "senforms hit a problem it did not expect" in result.output
    assert "--debug" in result.output
    assert "Traceback" not in result.output and "a bug senforms did not expect" not in result.output


def test_debug_shows_the_traceback(monkeypatch, tmp_path):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug senforms did not expect")

    monkeypatch.setattr("senforms.documents.batch.plan_jobs", broken)
    result = run("--debug", "render", "support-plan", SAMPLES / "register.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == EXIT_UNEXPECTED
    assert "Traceback" in result.output and "RuntimeError: a bug senforms did not expect" in result.output


def test_an_error_names_the_flag_of_the_command_that_ran(tmp_path):
    out = tmp_path / "out"
    assert run("render", "review", SAMPLES / "register.xlsx", "-o", out, "--merge", tmp_path / "all.docx").exit_code == 0
    again = run("render", "review", SAMPLES / "register.xlsx", "-o", out, "--merge", tmp_path / "all.docx")
    assert again.exit_code == 1
    assert "all.docx already exists" in again.output and "Tip: run again with --overwrite to replace it" in again.output


def test_schema_prints_the_committed_schema_and_writes_it_once(tmp_path):
    printed = run("schema")
    assert printed.exit_code == 0
    assert json.loads(printed.output) == json.loads((ROOT / "schema" / "register.schema.json").read_text())
    target = tmp_path / "schema.json"
    assert run("schema", "-o", target).exit_code == 0 and json.loads(target.read_text())["$id"].endswith("register.schema.json")
    again = run("schema", "-o", target)
    assert again.exit_code == 1 and "already exists" in again.output


def test_demo_makes_every_document_and_makes_nothing_twice(tmp_path):
    out = tmp_path / "demo"
    first = run("demo", "-o", out, "--no-pdf")
    assert first.exit_code == 0, first.output
    assert "1. Validating" in first.output and "Done." in first.output
    plans = sorted((out / "documents" / "support-plan").glob("*.docx"))
    assert plans, first.output
    text = "\n".join(p.text for p in Document(str(plans[0])).paragraphs)
    assert "SEN support plan" in text or "Support plan" in text
    profiles = sorted((out / "documents" / "one-page-profile").glob("*.docx"))
    assert "One-page profile: 13 made" in first.output and len(profiles) == 13
    assert "What is important to me" in "\n".join(p.text for p in Document(str(profiles[0])).paragraphs)
    assert (out / "meetings-plan.xlsx").is_file()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    second = run("demo", "-o", out, "--no-pdf")
    assert second.exit_code == 0, second.output
    assert "already there" in second.output
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_the_evidence_child_process_imports_no_typesetting():
    """Each evidence file is taken in by a fresh Python: it must not load reportlab or the bundle's
    typesetting, which cost 0.17 s a file (0.9 s of a five-file pack)."""
    import subprocess
    import sys

    code = "import sys, senforms.bundle.evidence_worker; print(sorted(m for m in sys.modules if m.startswith(('reportlab', 'senforms.bundle.'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['senforms.bundle.evidence_worker']"
