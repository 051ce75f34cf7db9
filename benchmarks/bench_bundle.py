"""Benchmark: build_bundle against a plain pypdf merge of the same 40 documents (300+ pages).

    python benchmarks/bench_bundle.py [--documents 40] [--keep DIR]

Each variant runs in a fresh Python process. "Peak MB" is that process's peak resident set
size during the work (VmHWM after resetting it, on Linux); "(imports)" is the resident size
after importing the libraries, before the work started.
The fixtures imitate a real pack: text-heavy LibreOffice-style reports and scanned pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCAN_EVERY = 4  # every fourth document is a scan (one JPEG per page)


def _reset_peak() -> None:
    """Forget the peak left by imports (Linux only), so the peak measured is the work's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _rss_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) in MB on Linux; ru_maxrss elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def make_fixtures(folder: Path, documents: int) -> list[Path]:
    """Write `documents` PDFs with 7–10 pages each; every fourth is a scan."""
    from PIL import Image, ImageDraw, ImageFilter
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    rng = random.Random(20260303)
    words = "pupil progress reading phonics support review outcome target adult group weekly".split()
    paths = []
    for number in range(1, documents + 1):
        path = folder / f"doc-{number:02d}.pdf"
        pages = rng.randint(7, 10)
        if number % SCAN_EVERY == 0:
            pdf = canvas.Canvas(str(path), pagesize=A4)
            for page in range(pages):
                # A grey "scan" with text-like strokes: compresses like a real 150-dpi scan.
                image = Image.new("L", (1240, 1754), 235)
                draw = ImageDraw.Draw(image)
                for line in range(60):
                    y = 120 + line * 26
                    draw.line((100, y, rng.randint(600, 1140), y), fill=40, width=3)
                image = image.filter(ImageFilter.GaussianBlur(1))
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=75)
                buffer.seek(0)
                pdf.drawImage(ImageReader(buffer), 0, 0, width=A4[0], height=A4[1])
                pdf.drawString(40, 20, f"DOC-{number} page {page + 1}")
                pdf.showPage()
            pdf.save()
        else:
            styles = getSampleStyleSheet()
            story = []
            for _ in range(pages * 9):
                text = " ".join(rng.choice(words) for _ in range(rng.randint(40, 70)))
                story.append(Paragraph(text.capitalize() + ".", styles["BodyText"]))
            SimpleDocTemplate(str(path), pagesize=A4).build(story)
        paths.append(path)
    return paths


def run_variant(variant: str, folder: Path) -> dict[str, float]:
    """Time one variant in this (fresh) process and return seconds and memory."""
    from pypdf import PdfWriter

    from senforms.bundle import BundleDocument, BundleSection, BundleSpec, build_bundle

    sources = sorted(folder.glob("doc-*.pdf"))
    baseline = _rss_mb("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    out = folder / f"out-{variant}.pdf"
    out.unlink(missing_ok=True)
    if variant == "plain":
        writer = PdfWriter()
        for source in sources:
            writer.append(source)
        writer.write(out)
        pages = len(writer.pages)
    else:
        docs = [
            BundleDocument(f"Document {n}", "Author", dt.date(2025, 10, 1), path)
            for n, path in enumerate(sources, start=1)
        ]
        sections = tuple(
            BundleSection(f"s{n}", f"Section {n}", tuple(docs[i : i + 4]))
            for n, i in enumerate(range(0, len(docs), 4), start=1)
        )
        spec = BundleSpec(
            title="Benchmark bundle",
            subtitle_lines=("Pupil: Benchmark",),
            initials="BB",
            pack_date=dt.date(2026, 3, 3),
            sections=sections,
            metadata_title="Benchmark bundle",
        )
        pages = build_bundle(spec, out, manifest_csv=folder / "out.csv", overwrite=True).pages
        (folder / "out.csv").unlink()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": _rss_mb("VmHWM"),
        "import_mb": baseline,
        "pages": pages,
        "output_mb": out.stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="write fixtures here and keep them")
    parser.add_argument("--run", choices=("plain", "bundle"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:  # child mode
        print(json.dumps(run_variant(args.run, args.folder)))
        return

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        made = time.perf_counter()
        sources = make_fixtures(folder, args.documents)
        input_mb = sum(p.stat().st_size for p in sources) / 1e6
        print(f"{len(sources)} documents, {input_mb:.1f} MB, made in {time.perf_counter() - made:.1f} s")
        results = {}
        for variant in ("plain", "bundle"):
            output = subprocess.run(
                [sys.executable, __file__, "--run", variant, "--folder", str(folder)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[variant] = json.loads(output.strip().splitlines()[-1])
        print(f"{'':8} {'pages':>6} {'seconds':>8} {'peak MB':>8} {'(imports)':>10} {'output MB':>10}")
        for variant, r in results.items():
            print(
                f"{variant:8} {r['pages']:>6} {r['seconds']:>8.2f} {r['peak_mb']:>8.0f} "
                f"{r['import_mb']:>10.0f} {r['output_mb']:>10.1f}"
            )
        plain, bundle = results["plain"], results["bundle"]
        grew = {name: r["peak_mb"] - r["import_mb"] for name, r in results.items()}
        print(
            f"ratio bundle/plain: time {bundle['seconds'] / plain['seconds']:.1f}x, "
            f"peak memory {bundle['peak_mb'] / plain['peak_mb']:.2f}x, "
            f"memory used by the work {grew['bundle'] / max(grew['plain'], 1):.2f}x"
        )


if __name__ == "__main__":
    main()
