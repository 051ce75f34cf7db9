"""Render 1,000 letters: senforms (a template compiled once per batch, sandbox, escaping, checks,
atomic writes, manifest) against a plain docxtpl loop over the same template and data. Prints
documents per second, the ratio, and senforms' peak memory (tracemalloc) for growing batches.

    python benchmarks/bench_render.py [--count 1000] [--template parent-notification] [--memory 250,1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docxtpl import DocxTemplate  # noqa: E402
from jinja2 import Environment  # noqa: E402

from senforms.documents.catalogue import plan_jobs  # noqa: E402
from senforms.documents.render import RenderRequest, render_documents, template_for  # noqa: E402
from senforms.documents.templating import FILTERS  # noqa: E402
from senforms.inputs import load_register  # noqa: E402

PATTERN = "{upn}-{contact}-{meeting}{cycle}"


def jobs_for(count: int, kind: str):
    register = load_register(ROOT / "samples" / "register.xlsx").register
    base = plan_jobs(register, kind, on=dt.date(2026, 11, 23))
    return [base[i % len(base)] for i in range(count)]


def plain_docxtpl(template: Path, jobs, out: Path) -> float:
    # The same filters (the template needs them) and escaping (without it the "&" in a sample
    # name breaks the XML), but none of senforms' sandbox, text cleaning,
    # checks, atomic writes or manifest.
    start = time.perf_counter()
    for number, job in enumerate(jobs):
        environment = Environment()
        environment.filters.update(FILTERS)
        document = DocxTemplate(str(template))
        document.render({**job.context, "school_logo": ""}, jinja_env=environment, autoescape=True)
        document.save(out / f"{number}.docx")
    return time.perf_counter() - start


def with_senforms(kind: str, jobs, out: Path) -> float:
    request = RenderRequest(kind, out, name_pattern=PATTERN)
    start = time.perf_counter()
    report = render_documents(jobs, request)
    elapsed = time.perf_counter() - start
    if report.count("written") != len(jobs):
        sys.exit(f"senforms wrote {report.count('written')} of {len(jobs)} documents")
    return elapsed


def peak_memory(kind: str, jobs) -> int:
    """senforms' peak traced memory (bytes) for a batch of `jobs`, the jobs themselves not counted."""
    with tempfile.TemporaryDirectory() as folder:
        tracemalloc.start()
        tracemalloc.reset_peak()
        render_documents(jobs, RenderRequest(kind, Path(folder), name_pattern=PATTERN))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--template", default="parent-notification")
    parser.add_argument("--memory", default="250,1000", help="batch sizes to measure peak memory for (comma-separated; empty: none)")
    args = parser.parse_args()
    jobs = jobs_for(args.count, args.template)
    template = template_for(args.template)
    print(f"{args.count} × {args.template}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as plain_dir, tempfile.TemporaryDirectory() as ours_dir:
        plain = plain_docxtpl(template, jobs, Path(plain_dir))
        ours = with_senforms(args.template, jobs, Path(ours_dir))
    print(f"  plain docxtpl loop: {plain:7.2f} s  {args.count / plain:7.1f} documents/s")
    print(f"  senforms          : {ours:7.2f} s  {args.count / ours:7.1f} documents/s")
    print(f"  ratio (senforms documents/s ÷ plain documents/s): {plain / ours:.1f}×")
    for size in [int(n) for n in args.memory.split(",") if n.strip()]:
        peak = peak_memory(args.template, jobs_for(size, args.template))
        print(f"  senforms peak memory for {size:5d} documents: {peak / 2**20:6.1f} MiB")
    print(f"  load average afterwards {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
