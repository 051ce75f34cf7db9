"""A 40-pupil register, every document kind as Word and PDF, against LibreOffice's warm floor.

    python benchmarks/bench_register.py [--pupils 40] [--workers 2] [--repeat 2]

Builds the register from samples/register.json (its pupils copied round to --pupils, each with a
new UPN and its right check letter), then times senforms making every document kind as Word and
PDF (parent-notification for every family, as `render --all`), one PdfConverter for the whole run (LibreOffice's start-up included), rendering and converting
at once. Then, on the same Word files, it times the pool warm (seconds per document) against
LibreOffice's warm floor: the same number of LibreOffices, already started, each converting its
share of the files over UNO with the same export options and nothing else (no copies, checks or
publishing). Not a test; the machine's load average is printed, since other work skews it.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import senforms  # noqa: E402
from senforms.model.values import upn_check_letter  # noqa: E402
from senforms.pdf import PdfConverter, convert_many, find_soffice, find_uno_python, soffice_version  # noqa: E402
from senforms.pdf.pool import PDF_EXPORT_OPTIONS, WORKER_SCRIPT  # noqa: E402
from senforms.pdf.soffice import kill_group, popen_group, uno_python_env  # noqa: E402

ON = dt.date(2026, 11, 23)  # the samples' "today"


def build_register(folder: Path, pupils: int) -> Path:
    """samples/register.json with `pupils` pupils (the samples' own, copied round), each with a new valid UPN."""
    data = json.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    originals = data["pupils"]
    made = []
    for number in range(pupils):
        pupil = copy.deepcopy(originals[number % len(originals)])
        body = f"8819999{30000 + number:05d}"  # the samples' LA and school numbers, then a serial
        pupil["upn"] = upn_check_letter(body) + body
        made.append(pupil)
    data["pupils"] = made
    shutil.copy(ROOT / "samples" / "logo.png", folder / "logo.png")
    path = folder / "register.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def make_everything(loaded, out: Path, workers: int) -> tuple[float, list[Path], int]:
    """Every kind as Word and PDF with one pool; (seconds, the Word files, PDFs made)."""
    started = time.perf_counter()
    documents: list[Path] = []
    pdfs = 0
    with PdfConverter(workers) as pool:
        for kind in senforms.KINDS:
            options = senforms.RenderOptions(out_dir=out / kind, pdf=True, on=ON, logo=loaded.logo, include_notified=True)
            result = senforms.render(loaded.register, kind, options, converter=pool)
            if result.failed:
                sys.exit(f"{kind}: {result.failed} failed")
            documents += result.report.paths
            pdfs += sum(1 for r in result.pdfs if r.status == "converted")
    return time.perf_counter() - started, documents, pdfs


def pool_warm(sources: list[Path], out: Path, workers: int) -> float:
    """Seconds per document for senforms' pool, LibreOffice already started."""
    with PdfConverter(workers) as pool:
        convert_many(sources[:workers], out / "warm-up", converter=pool)  # start every LibreOffice
        started = time.perf_counter()
        results = convert_many(sources, out / "pool", converter=pool)
        elapsed = time.perf_counter() - started
    if any(r.status != "converted" for r in results):
        sys.exit("the pool failed to convert some documents")
    return elapsed / len(sources)


class _BareWorker:
    """One LibreOffice driven over UNO by senforms' worker script, with nothing of senforms around it."""

    def __init__(self, python: Path, soffice: Path, home: Path, number: int) -> None:
        profile = home / f"profile-{number}"
        profile.mkdir()
        self.proc = popen_group(
            [str(python), str(WORKER_SCRIPT), "--soffice", str(soffice), "--profile", str(profile),
             "--pipe", f"senforms_floor_{os.getpid()}_{number}", "--export-options", json.dumps(PDF_EXPORT_OPTIONS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=uno_python_env(dict(os.environ)),
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        if ready.get("event") != "ready":
            sys.exit(f"LibreOffice did not start: {ready}")

    def send(self, number: int, source: Path, pdf: Path) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"id": number, "src": str(source), "dst": str(pdf)}).encode() + b"\n")
        self.proc.stdin.flush()

    def receive(self) -> dict:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)


def warm_floor(sources: list[Path], out: Path, workers: int) -> float:
    """Seconds per document for `workers` warm LibreOffices converting their share of `sources`, one after another each."""
    python, soffice = find_uno_python(), find_soffice()
    if python is None:
        sys.exit("no Python that can import uno: the floor needs one")
    home = Path(tempfile.mkdtemp(prefix="senforms-floor-"))
    (out / "floor").mkdir(parents=True, exist_ok=True)
    bare = [_BareWorker(python, soffice, home, n) for n in range(workers)]
    try:
        for n, worker in enumerate(bare):  # warm up, as the pool is: one document each first
            worker.send(0, sources[n % len(sources)], home / f"warm-{n}.pdf")
            worker.receive()
        shares = [sources[n::workers] for n in range(workers)]
        failures: list[dict] = []

        def convert_share(n: int) -> None:  # one document in flight per LibreOffice, as in the pool
            for i, source in enumerate(shares[n]):
                bare[n].send(i + 1, source, out / "floor" / f"{n}-{i}.pdf")
                reply = bare[n].receive()
                if not reply.get("ok"):
                    failures.append(reply)

        threads = [threading.Thread(target=convert_share, args=(n,)) for n in range(workers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            sys.exit(f"LibreOffice failed: {failures[0]}")
        elapsed = time.perf_counter() - started
    finally:
        for worker in bare:
            worker.close()
        shutil.rmtree(home, ignore_errors=True)
    return elapsed / len(sources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2, help="LibreOffices (default 2: the cores the goal is for)")
    parser.add_argument("--repeat", type=int, default=2, help="times to measure the pool and the floor (the best is kept)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="senforms-bench-register-"))
    try:
        register = build_register(folder, args.pupils)
        loaded = senforms.load_register(register, as_of=ON)
        print(f"LibreOffice {soffice_version()}, {os.cpu_count()} cores, {args.workers} LibreOffices, {len(loaded.register.pupils)} pupils")
        print(f"load average before: {', '.join(f'{n:.2f}' for n in os.getloadavg())}")
        wall, documents, pdfs = make_everything(loaded, folder / "out", args.workers)
        print(f"every kind, Word and PDF: {len(documents)} Word documents and {pdfs} PDFs in {wall:.1f} s "
              f"= {wall / len(documents):.3f} s per document (Word and PDF)")
        pool = min(pool_warm(documents, folder / f"pool-{n}", args.workers) for n in range(args.repeat))
        floor = min(warm_floor(documents, folder / f"floor-{n}", args.workers) for n in range(args.repeat))
        print(f"pool, warm          : {pool:.3f} s per document")
        print(f"LibreOffice's floor : {floor:.3f} s per document ({args.workers} warm LibreOffices, same files and export options)")
        print(f"pool ÷ floor        : {pool / floor:.2f}×")
        print(f"load average after: {', '.join(f'{n:.2f}' for n in os.getloadavg())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
