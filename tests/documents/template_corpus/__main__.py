"""Write every corpus template to a folder: python -m tests.documents.template_corpus OUTDIR."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.documents.template_corpus.cases import CASES

folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)
for case in CASES:
    print(case.write(folder / f"{case.name}.docx"))
