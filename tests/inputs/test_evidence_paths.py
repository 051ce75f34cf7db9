"""The Evidence sheet's paths follow the rule `bundle --evidence` follows (senforms.inputs.confined): a file
inside the register's folder (or the evidence folder named for the pack), never a link out of it.
`../../etc/passwd`, an absolute path elsewhere and a link leading out are each an error at their
cell, from `validate` and from `bundle` alike, before anything is made."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import senforms
from senforms.cli import cli
from senforms.errors import EvidenceError
from senforms.inputs import load_register

from ..conftest import AS_OF

DATE = "23/11/2026"
PUPIL = "Z881999919001"  # the first pupil: Evidence sheet rows 2 to 6, pupils[0].evidence[0] to [4]


def run(*args: str, expect: int):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == expect, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def line_with(output: str, text: str) -> str:
    lines = [line for line in output.splitlines() if text in line]
    assert len(lines) == 1, (text, output)
    return lines[0]


@pytest.fixture
def escapes(sample_copy: Path, tmp_path: Path) -> dict[str, str]:
    """A private file outside the register's folder, and the paths that would reach it: written with
    `..`, written absolute, and a link inside evidence/ leading out. A link that stays inside is fine."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "private.pdf"
    shutil.copy(sample_copy / "evidence" / "01-ep-report.pdf", secret)
    evidence = sample_copy / "evidence"
    (evidence / "01-parent-views.docx").unlink()
    (evidence / "01-parent-views.docx").symlink_to(secret)  # the path on the sheet stays as it was
    (evidence / "salt-link.pdf").symlink_to(evidence / "01-salt-report.pdf")  # inside to inside
    return {
        "dotdot": "../../outside/private.pdf",
        "absolute": str(secret),
        "link": "evidence/01-parent-views.docx",
        "inside_link": "evidence/salt-link.pdf",
    }


def workbook_with(folder: Path, paths: dict[str, str]) -> Path:
    """The sample workbook with the first pupil's evidence rows 3 to 6 set to `paths`."""
    path = folder / "register.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Evidence"]
    column = next(cell.column for cell in sheet[1] if cell.value == "File")
    for row, key in zip((3, 4, 5, 6), ("dotdot", "absolute", "link", "inside_link"), strict=True):
        assert sheet.cell(2, 1).value == sheet.cell(row, 1).value  # still the first pupil's row
        sheet.cell(row, column).value = paths[key]
    book.save(path)
    return path


def json_with(folder: Path, paths: dict[str, str]) -> Path:
    path = folder / "register.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    evidence = data["pupils"][0]["evidence"]
    for index, key in zip((1, 2, 3, 4), ("dotdot", "absolute", "link", "inside_link"), strict=True):
        evidence[index]["path"] = paths[key]
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_validate_refuses_each_evidence_path_out_of_the_workbooks_folder_at_its_cell(sample_copy, escapes):
    register = workbook_with(sample_copy, escapes)
    result = run("validate", str(register), "--date", DATE, expect=1)
    assert "Errors (3)" in result.output and "Nothing was produced" in result.output
    dotdot = line_with(result.output, "row 3")
    assert "register.xlsx › Evidence › row 3 › File: '../../outside/private.pdf' is outside the register's folder" in dotdot
    assert "copy the file into the register's folder" in dotdot and "give its path from there" in dotdot
    absolute = line_with(result.output, "row 4")
    assert f"Evidence › row 4 › File: '{escapes['absolute']}' is outside the register's folder" in absolute
    link = line_with(result.output, "row 5")
    assert "Evidence › row 5 › File: 'evidence/01-parent-views.docx' is a link (shortcut) to a file outside the register's folder" in link
    assert "copy the file itself into the register's folder in place of the link" in link
    assert "row 6" not in result.output and "salt-link" not in result.output  # a link that stays inside is fine


def test_validate_refuses_the_same_paths_in_a_json_register_at_their_place(sample_copy, escapes):
    register = json_with(sample_copy, escapes)
    result = run("validate", str(register), "--date", DATE, expect=1)
    assert "Errors (3)" in result.output
    assert "register.json › pupils[0].evidence[1].path: '../../outside/private.pdf' is outside the register's folder" in result.output
    assert f"register.json › pupils[0].evidence[2].path: '{escapes['absolute']}' is outside the register's folder" in result.output
    assert "register.json › pupils[0].evidence[3].path: 'evidence/01-parent-views.docx' is a link (shortcut)" in result.output
    assert "evidence[4]" not in result.output


@pytest.mark.parametrize("kind", ["xlsx", "json"])
def test_bundle_refuses_them_before_anything_is_made(sample_copy, escapes, tmp_path, kind):
    register = workbook_with(sample_copy, escapes) if kind == "xlsx" else json_with(sample_copy, escapes)
    out = tmp_path / "pack"
    result = run("bundle", str(register), "--pupil", PUPIL, "-o", str(out), "--date", DATE, expect=1)
    where = "Evidence › row 3 › File" if kind == "xlsx" else "pupils[0].evidence[1].path"
    assert f"{where}: '../../outside/private.pdf' is outside the register's folder" in result.output
    assert "is a link (shortcut) to a file outside the register's folder" in result.output
    assert not out.exists()  # refused while reading the register: no folder, no LibreOffice


def test_a_path_into_the_named_evidence_folder_is_allowed_and_nowhere_else(sample_copy, tmp_path):
    """The folder the SENCo names with --evidence counts as inside too, for validate and bundle alike;
    its absence makes the same path an error again."""
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(sample_copy / "evidence" / "01-ep-report.pdf", scans / "ep-report.pdf")
    register = workbook_with(sample_copy, {
        "dotdot": "../scans/ep-report.pdf", "absolute": str(scans / "ep-report.pdf"),
        "link": "evidence/01-parent-views.docx", "inside_link": "evidence/01-salt-report.pdf",
    })
    named = run("validate", str(register), "--date", DATE, "--evidence", str(scans), expect=0)
    assert "is valid" in named.output
    refused = run("validate", str(register), "--date", DATE, expect=1)
    assert "Errors (2)" in refused.output
    assert "row 3 › File: '../scans/ep-report.pdf' is outside the register's folder" in refused.output
    with pytest.raises(senforms.InputError) as caught:
        load_register(register, as_of=AS_OF, evidence_dir=tmp_path / "elsewhere")
    (first, second) = caught.value.problems
    assert f"outside the register's folder and the evidence folder {tmp_path / 'elsewhere'}" in first.message
    assert "the register's folder (or the evidence folder)" in first.fix and second.location.row == 4


@pytest.mark.libreoffice  # build_pack finds LibreOffice first; none is started (the only file is a PDF)
def test_build_pack_applies_the_rule_to_a_register_made_in_code(sample_copy, tmp_path):
    """The same rule where the files are read: a register changed after loading (or made in code) is
    refused by the evidence's title, with the other bad files, and nothing is left behind."""
    loaded = load_register(sample_copy / "register.xlsx", as_of=AS_OF)
    pupil = loaded.register.pupil(PUPIL)
    assert pupil is not None
    kept = [e for e in pupil.evidence if e.path == "evidence/01-ep-report.pdf"]
    sneaked = kept[0].model_copy(update={"title": "Sneaked in", "path": "../../../etc/hostname"})
    pupils = [p.model_copy(update={"evidence": [*kept, sneaked]}) if p.upn == PUPIL else p for p in loaded.register.pupils]
    register = loaded.register.model_copy(update={"pupils": pupils})
    out = tmp_path / "pack"
    options = senforms.PackOptions(out_dir=out, on=dt.date(2026, 11, 23), base_dir=loaded.base_dir)
    with pytest.raises(EvidenceError) as caught:
        senforms.build_pack(register, PUPIL, options)
    assert str(caught.value) == "the Evidence sheet's file for 'Sneaked in': '../../../etc/hostname' is outside the register's folder, so it cannot go into a pack for the LA"
    assert "correct the File column on the Evidence sheet" in caught.value.fix
    assert not out.exists()
