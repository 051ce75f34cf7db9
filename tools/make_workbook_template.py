"""Generate the blank register workbook schools fill in: templates/xlsx/senforms-register.xlsx.

The design lives in src/senforms/inputs/tables.py (columns, drop-downs) and src/senforms/workbook.py
(layout), so the template, the reader and the samples cannot drift apart.
Run: python tools/make_workbook_template.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from senforms.inputs.workbook import build_workbook, save_workbook  # noqa: E402

TARGET = ROOT / "templates" / "xlsx" / "senforms-register.xlsx"

if __name__ == "__main__":
    save_workbook(build_workbook(), TARGET, overwrite=True)
    print(f"wrote {TARGET.relative_to(ROOT)}")
