"""The one-page profile's fields ("All about me") come in through every input: CSV headers a school
would type, the workbook's Pupils sheet, and JSON."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from openpyxl import load_workbook

from senforms.inputs import load_register

from ..conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]


def test_a_csv_export_with_all_about_me_columns(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(SAMPLES / "mis-export", folder)
    pupils = folder / "pupils.csv"
    with pupils.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    # The shipped export has the workbook's own headings; an MIS export names them its own way.
    own = [rows[0].index(h) for h in ("What is important to me", "How best to support me", "What does not help", "My hopes for the future")]
    rows = [[cell for i, cell in enumerate(row) if i not in own] for row in rows]
    rows[0] += ["What's important to me", "What helps me", "What doesn't help", "Hopes and goals"]
    rows[1] += ["My dog Biscuit", "Pictures to show me", "Shouting", "To be a vet"]
    for row in rows[2:]:
        row += ["", "", "", ""]
    with pupils.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    pupil = load_register(folder).register.pupils[0]
    assert (pupil.important_to_me, pupil.how_to_support_me, pupil.what_does_not_help, pupil.hopes_for_the_future) == (
        "My dog Biscuit", "Pictures to show me", "Shouting", "To be a vet")
    assert load_register(folder).register.pupils[1].how_to_support_me is None


def test_the_workbook_and_json_carry_them() -> None:
    headers = [cell.value for cell in next(load_workbook(ROOT / "templates" / "xlsx" / "senforms-register.xlsx")["Pupils"].iter_rows(max_row=1))]
    for header in ("What is important to me", "How best to support me", "What does not help", "My hopes for the future"):
        assert header in headers
    from_workbook = load_register(SAMPLES / "register.xlsx").register.pupils[0]
    from_json = load_register(SAMPLES / "register.json").register.pupils[0]
    assert from_workbook.how_to_support_me == from_json.how_to_support_me
    assert from_json.how_to_support_me and from_json.how_to_support_me.startswith("Short instructions, one step at a time")
    assert from_json.important_to_me and from_json.what_does_not_help and from_json.hopes_for_the_future
