"""The one-page profile stands in the bundle's child's-views section when no child's views were uploaded."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from senforms.cli import cli

pytestmark = [pytest.mark.libreoffice, pytest.mark.timeout(300)]

UPN = "Z881999919001"
PROFILE = "One-page profile: all about me"


def _pack(register: Path, out: Path) -> tuple[list[dict], str]:
    result = CliRunner().invoke(cli, ["bundle", str(register), "--pupil", UPN, "-o", str(out), "--date", "23/11/2026"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(out / f"{UPN}-manifest.csv", encoding="utf-8")))
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(out / f"{UPN}-bundle.pdf")).pages)
    return rows, text


def test_the_profile_is_the_childs_views_when_none_were_uploaded(sample_copy: Path, tmp_path: Path) -> None:
    register = sample_copy / "register.json"
    data = json.loads(register.read_text(encoding="utf-8"))
    pupil = next(p for p in data["pupils"] if p["upn"] == UPN)
    pupil["evidence"] = [e for e in pupil["evidence"] if e["kind"] != "pupil_views"]
    register.write_text(json.dumps(data), encoding="utf-8")

    rows, text = _pack(register, tmp_path / "pack")
    views = [row for row in rows if row["document"] == PROFILE]
    assert len(views) == 1
    first = int(views[0]["first_page"])
    page = PdfReader(str(tmp_path / "pack" / f"{UPN}-bundle.pdf")).pages[first - 1].extract_text()
    assert "All about me" in page and "What is important to me" in page and "How best to support me" in page
    assert pupil["how_to_support_me"].split(".")[0] in " ".join(page.split())
    index = text[: text.index("All about me")]
    assert PROFILE in " ".join(index.split())  # listed in the index under the child's views


def test_an_uploaded_all_about_me_is_used_instead(sample_copy: Path, tmp_path: Path) -> None:
    rows, _ = _pack(sample_copy / "register.json", tmp_path / "pack")
    assert not [row for row in rows if row["document"] == PROFILE]
    assert [row["document"] for row in rows if row["document"] == "All about me (drawing)"]
