"""How much faster is the LibreOffice pool than one `soffice --convert-to` per file?

    python benchmarks/bench_convert.py [--count N] [--workers W]

Makes N one-page letters with python-docx, converts them with the pool (soffice kept open, driven
over UNO) and then with one fresh `soffice --convert-to pdf` per file (each with its own profile,
as the fallback mode does), both with the same number of parallel workers, and prints seconds per
document for each and their ratio. Wall-clock times include starting LibreOffice. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import docx

from senforms.pdf import PdfConverter, convert_many, soffice_version

PUPILS = ["Zyxwvut Canaryson", "Amira Haddad", "Oluwaseun Adeyemi", "Siobhan O'Connell", "Kacper Nowak"]


def make_letters(folder: Path, count: int) -> list[Path]:
    """Letters shaped like senforms' rendered ones: heading, paragraphs and a small table."""
    paths = []
    for n in range(count):
        pupil = PUPILS[n % len(PUPILS)]
        document = docx.Document()
        document.add_heading("Invitation to an SEN support plan review", level=1)
        document.add_paragraph(f"Dear parent or carer of {pupil},")
        document.add_paragraph(
            "We would like to invite you to a meeting to review the support your child receives in school, "
            "to hear your views and to agree the next steps together."
        )
        table = document.add_table(rows=4, cols=2)
        for row, (label, value) in enumerate(
            [("Date", "Tuesday 14 October 2025"), ("Time", "3.30 pm"), ("Place", "SENCo's office"), ("Reference", f"BEN{n:04d}")]
        ):
            table.cell(row, 0).text = label
            table.cell(row, 1).text = value
        document.add_paragraph("If this time is not convenient, please contact the school office.")
        document.add_paragraph("Yours sincerely,\nThe SENCo")
        path = folder / f"letter-{n:03d}.docx"
        document.save(str(path))
        paths.append(path)
    return paths


def run(label: str, sources: list[Path], out: Path, converter: PdfConverter) -> float:
    started = time.perf_counter()
    results = convert_many(sources, out, converter=converter)
    elapsed = time.perf_counter() - started
    failed = [r.error for r in results if r.status != "converted"]
    if failed:
        sys.exit(f"{label}: {len(failed)} failed, e.g. {failed[0]}")
    per_doc = elapsed / len(sources)
    print(f"{label:<34} {elapsed:7.2f} s for {len(sources)} documents = {per_doc:6.3f} s per document")
    return per_doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="letters to convert (default 50)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel LibreOffices (default: cores)")
    args = parser.parse_args()

    print(f"LibreOffice {soffice_version()}, {args.workers} workers, {os.cpu_count()} cores, {args.count} letters")
    folder = Path(tempfile.mkdtemp(prefix="senforms-bench-"))
    try:
        sources = make_letters(folder, args.count)
        with PdfConverter(args.workers, mode="pool") as pool:
            pool_per_doc = run("pool (soffice kept open, UNO)", sources, folder / "pool", pool)
        with PdfConverter(args.workers, mode="oneshot") as oneshot:
            oneshot_per_doc = run("one soffice --convert-to per file", sources, folder / "oneshot", oneshot)
        print(f"{'pool is faster by':<34} {oneshot_per_doc / pool_per_doc:7.1f}×")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
