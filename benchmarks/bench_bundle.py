"""Benchmark: build_bundle against a bare pypdf merge of the same 40 documents (300+ pages).

    python benchmarks/bench_bundle.py [--documents 40] [--rounds 5] [--keep DIR]

The bare merge appends each file with one bookmark and writes once. Each variant runs in a
fresh Python process, alternating, `--rounds` times; the best time of each is compared, since
the machine is shared and slower runs measure the neighbours. Peak memory is tracemalloc's peak
(Python allocations) in separate runs, so that tracing does not slow the timed ones; the peak
resident size (VmHWM, Linux) of the timed runs is printed too. The load average (`uptime`) is
printed before and after. Fixtures imitate a real pack: text-heavy reports and scanned pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
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


def run_variant(variant: str, folder: Path, *, trace: bool) -> dict[str, float]:
    """Run one variant in this (fresh) process: seconds, or tracemalloc's peak when `trace`."""
    from pypdf import PdfWriter

    from senforms.bundle import BundleDocument, BundleSection, BundleSpec, build_bundle

    sources = sorted(folder.glob("doc-*.pdf"))
    baseline = _rss_mb("VmRSS")
    _reset_peak()
    if trace:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    out = folder / f"out-{variant}.pdf"
    out.unlink(missing_ok=True)
    if variant == "plain":
        writer = PdfWriter()
        for number, source in enumerate(sources, start=1):
            writer.append(source, outline_item=f"Document {number}")
        writer.write(out)
        pages = len(writer.pages)
        del writer
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
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    traced = tracemalloc.get_traced_memory()[1] / 1e6 if trace else 0.0
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "traced_mb": traced,
        "peak_mb": _rss_mb("VmHWM"),
        "import_mb": baseline,
        "pages": pages,
        "output_mb": out.stat().st_size / 1e6,
    }


def _child(variant: str, folder: Path, *, trace: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--run", variant, "--folder", str(folder)] + (["--trace"] if trace else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write fixtures here and keep them (reused if there)")
    parser.add_argument("--run", choices=("plain", "bundle"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run:  # child mode
        print(json.dumps(run_variant(args.run, args.folder, trace=args.trace)))
        return

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        made = time.perf_counter()
        sources = sorted(folder.glob("doc-*.pdf"))
        if len(sources) != args.documents:
            for old in sources:
                old.unlink()
            sources = make_fixtures(folder, args.documents)
        input_mb = sum(p.stat().st_size for p in sources) / 1e6
        print(f"{len(sources)} documents, {input_mb:.1f} MB, ready in {time.perf_counter() - made:.1f} s")
        print(f"before: {_load()}")
        variants = ("plain", "bundle")
        timed: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for variant in variants:
                timed[variant].append(_child(variant, folder, trace=False))
        traced = {variant: _child(variant, folder, trace=True) for variant in variants}
        print(f"after:  {_load()}")
        best = {name: min(runs, key=lambda r: r["seconds"]) for name, runs in timed.items()}
        print(
            f"{'':8} {'pages':>6} {'best s':>7} {'best CPU s':>10} {'all runs (s)':<34} {'traced MB':>10} "
            f"{'peak RSS MB':>12} {'output MB':>10}"
        )
        for name in variants:
            runs = " ".join(f"{r['seconds']:.2f}" for r in timed[name])
            r = best[name]
            cpu = min(run["cpu"] for run in timed[name])
            print(
                f"{name:8} {r['pages']:>6} {r['seconds']:>7.2f} {cpu:>10.2f} {runs:<34} {traced[name]['traced_mb']:>10.1f} "
                f"{r['peak_mb']:>12.0f} {r['output_mb']:>10.1f}"
            )
        time_ratio = best["bundle"]["seconds"] / best["plain"]["seconds"]
        cpu_ratio = min(r["cpu"] for r in timed["bundle"]) / min(r["cpu"] for r in timed["plain"])
        memory_ratio = traced["bundle"]["traced_mb"] / traced["plain"]["traced_mb"]
        print(
            f"ratio bundle/plain: time {time_ratio:.2f}x (goal at most 1.5x; CPU time {cpu_ratio:.2f}x), "
            f"peak memory (tracemalloc) {memory_ratio:.2f}x (goal at most 1.3x)"
        )


if __name__ == "__main__":
    main()
