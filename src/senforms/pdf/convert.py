"""DOCX in, checked PDFs out: preflight each file, convert with the pool, validate, publish atomically.

A PDF only ever appears at its final name once it has been checked (it starts with %PDF-, pypdf
can read it and it has at least one page) and then it appears all at once, via
senforms.outputs.atomic.atomic_path. LibreOffice's exit status is never trusted: it exits 0 after
"Error: source file could not be loaded". Messages name files, never what is in them.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pypdf import PdfReader

from senforms.errors import ConversionError, OutputExistsError
from senforms.outputs.atomic import atomic_path, private_temp_dir
from senforms.pdf.pool import JobOutcome, PdfConverter
from senforms.pdf.reproducible import make_file_reproducible

log = logging.getLogger(__name__)

Status = Literal["converted", "skipped", "failed"]
FAILURE_TIP = (
    "run 'senforms doctor' to check LibreOffice and its fonts; if only some files fail, "
    "open them in Word or LibreOffice to check they are not damaged"
)


@dataclass(frozen=True)
class ConversionResult:
    """What happened to one file. `error` is a plain-English sentence naming the file (never its contents)."""

    source: Path
    pdf: Path | None
    status: Status
    error: str = ""
    attempts: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


ProgressCallback = Callable[[ConversionResult], None]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc files and password-protected .docx


def preflight(source: Path) -> str | None:
    """Why `source` cannot be a Word document, or None if it looks like one (checked without LibreOffice)."""
    name = source.name
    try:
        if not source.exists():
            return f"{name} was not found"
        if not source.is_file():
            return f"{name} is not a file"
        with open(source, "rb") as handle:
            head = handle.read(8)
        if head == _OLE_MAGIC:
            return (
                f"{name} is not a Word document (.docx): it is password-protected or an old-style .doc file; "
                "open it in Word and save it as a .docx without a password"
            )
        with zipfile.ZipFile(source) as archive:
            # Reading the main part in full also catches a damaged one (bad CRC, truncated data).
            archive.read("word/document.xml")
    except KeyError:
        return f"{name} is not a Word document (.docx)"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
        return f"{name} is not a Word document (.docx), or it is damaged"
    except PermissionError:
        return f"{name} could not be read (permission denied)"
    except OSError as exc:
        return f"{name} could not be read ({exc.strerror or type(exc).__name__})"
    return None


def validate_pdf(path: Path) -> str | None:
    """Why `path` is not a usable PDF, or None if it is one with at least one page."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(5)
    except FileNotFoundError:
        return "LibreOffice did not produce a PDF"
    except OSError:
        return "the PDF LibreOffice produced could not be read"
    if head != b"%PDF-":
        return "LibreOffice produced a file that is not a PDF"
    try:
        pages = len(PdfReader(str(path), strict=False).pages)
    except Exception:  # pypdf raises many types for damaged files
        return "LibreOffice produced a damaged PDF"
    if pages < 1:
        return "LibreOffice produced a PDF with no pages"
    return None


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _convert_pairs(
    pairs: Sequence[tuple[Path, Path]],
    *,
    workers: int | None,
    timeout: float | None,
    overwrite: bool,
    on_progress: ProgressCallback | None,
    converter: PdfConverter | None,
) -> list[ConversionResult]:
    """Convert each (source, final pdf) pair; results in input order."""
    if converter is not None and (workers is not None or timeout is not None):
        raise ValueError("give workers and timeout to the PdfConverter, not with converter=")
    results: list[ConversionResult | None] = [None] * len(pairs)

    def finish(index: int, result: ConversionResult) -> None:
        results[index] = result
        if result.status == "failed":
            log.warning("%s", result.error)  # errors name files only
        else:
            log.info("%s: %s", result.source.name, result.status)
        if on_progress is not None:
            on_progress(result)

    # 1. Decide, without LibreOffice, which files cannot or need not be converted.
    todo: list[int] = []
    claimed: dict[str, Path] = {}
    for index, (source, target) in enumerate(pairs):
        problem = preflight(source)
        if problem is None and _key(target) == _key(source):
            problem = f"{source.name} cannot be converted onto itself"
        if problem is None and _key(target) in claimed:
            problem = f"{source.name} would make the same PDF ({target.name}) as {claimed[_key(target)].name}"
        if problem is not None:
            finish(index, ConversionResult(source, None, "failed", problem))
            continue
        claimed[_key(target)] = source
        if target.exists() and not overwrite:
            finish(index, _skipped(source, target))
            continue
        todo.append(index)

    # 2. Convert the rest in a private folder, then check and publish each PDF as it arrives.
    if todo:
        staging = private_temp_dir("senforms-convert")  # 0700: outputs hold pupil data
        own = converter is None
        pool = converter if converter is not None else PdfConverter(workers, timeout=timeout)
        try:
            jobs: list[tuple[Path, Path]] = []
            job_index: list[int] = []
            for index in todo:
                source = pairs[index][0]
                folder = staging / str(index)
                folder.mkdir()
                # Work on a private copy: LibreOffice never puts lock files beside the user's
                # file, and the file cannot change between the preflight and the conversion.
                copy = folder / source.name
                try:
                    shutil.copyfile(source, copy)
                except OSError as exc:
                    reason = exc.strerror or type(exc).__name__
                    finish(index, ConversionResult(source, None, "failed", f"{source.name} could not be read ({reason})"))
                    continue
                jobs.append((copy, folder / "out.pdf"))
                job_index.append(index)
            for n, outcome in pool.convert(jobs):
                index = job_index[n]
                source, target = pairs[index]
                finish(index, _publish(source, target, jobs[n][1], outcome, overwrite))
        finally:
            if own:
                pool.close()
            shutil.rmtree(staging, ignore_errors=True)
    return [r for r in results if r is not None]


def _skipped(source: Path, target: Path) -> ConversionResult:
    message = f"{target.name} already exists, so it was left as it was"
    return ConversionResult(source, target, "skipped", message)


def _publish(source: Path, target: Path, staged: Path, outcome: JobOutcome, overwrite: bool) -> ConversionResult:
    """Check a raw PDF and put it at `target` atomically; never leave a half-written file there."""
    name = source.name
    if not outcome.ok:
        return ConversionResult(source, None, "failed", f"{name} could not be converted: {outcome.error}", outcome.attempts, outcome.seconds)
    try:
        # Before validating, so what is checked is what is published.
        make_file_reproducible(staged, source)
    except OSError:
        pass  # no readable file: validate_pdf says what is wrong
    problem = validate_pdf(staged)
    if problem is not None:
        return ConversionResult(source, None, "failed", f"{name} could not be converted: {problem}", outcome.attempts, outcome.seconds)
    try:
        with atomic_path(target, overwrite=overwrite) as temp:
            shutil.copyfile(staged, temp)
    except OutputExistsError:  # appeared while we were converting: still never overwritten
        return _skipped(source, target)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return ConversionResult(source, None, "failed", f"{target.name} could not be saved ({reason})", outcome.attempts, outcome.seconds)
    return ConversionResult(source, target, "converted", "", outcome.attempts, outcome.seconds)


def convert_many(
    sources: Sequence[Path | str],
    out_dir: Path | str | None = None,
    *,
    workers: int | None = None,
    timeout: float | None = None,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
    converter: PdfConverter | None = None,
) -> list[ConversionResult]:
    """Turn DOCX files into PDFs beside them (same name, .pdf), or into `out_dir`.

    One result per source, in input order. A file that cannot be converted is reported as
    "failed" and the rest carry on; an existing PDF is "skipped" unless overwrite=True.
    `on_progress` is called (in this thread) with each result as soon as it is known.
    `converter` reuses an open PdfConverter (then leave workers and timeout unset).
    Raises ConversionError only when nothing can be converted at all (LibreOffice missing).
    """
    paths = [Path(s) for s in sources]
    folder = Path(out_dir) if out_dir is not None else None
    if folder is not None and folder.exists() and not folder.is_dir():
        raise ConversionError(f"{folder} is not a folder", fix="give a folder for the PDFs with -o")
    pairs = [(p, (folder or p.parent) / f"{p.stem}.pdf") for p in paths]
    return _convert_pairs(
        pairs, workers=workers, timeout=timeout, overwrite=overwrite, on_progress=on_progress, converter=converter
    )


def convert_one(
    source: Path | str,
    dest: Path | str | None = None,
    *,
    timeout: float | None = None,
    overwrite: bool = False,
    converter: PdfConverter | None = None,
) -> Path:
    """Convert one DOCX to `dest` (default: beside it, same name, .pdf) and return the PDF's path.

    Raises ConversionError if it cannot be converted, OutputExistsError if `dest` exists and
    overwrite is False.
    """
    source = Path(source)
    target = Path(dest) if dest is not None else source.with_suffix(".pdf")
    started = time.monotonic()
    (result,) = _convert_pairs(
        [(source, target)], workers=None if converter else 1, timeout=timeout, overwrite=overwrite,
        on_progress=None, converter=converter,
    )
    if result.status == "skipped":
        raise OutputExistsError(target)
    if result.status == "failed" or result.pdf is None:
        raise ConversionError(result.error, fix=FAILURE_TIP)
    log.debug("%s converted in %.1f s", source.name, time.monotonic() - started)
    return result.pdf
