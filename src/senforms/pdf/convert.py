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
from senforms.pdf.pool import ConversionQueue, JobOutcome, PdfConverter
from senforms.pdf.reproducible import make_file_reproducible

log = logging.getLogger(__name__)

Status = Literal["converted", "skipped", "failed"]
FAILURE_TIP = (
    "run 'senforms doctor' to check LibreOffice and its fonts; if only some files fail, "
    "open them in Word or LibreOffice to check they are not damaged"
)
# When every failure was found before LibreOffice was involved, LibreOffice is not the problem.
NOT_CONVERTIBLE_TIP = "give only Word documents (.docx) that open in Word; each file above says what is wrong with it"


def failure_tip(results: Sequence[ConversionResult]) -> str:
    """What to try when some of `results` failed: `senforms doctor` only if LibreOffice itself failed."""
    return FAILURE_TIP if any(r.status == "failed" and r.by_libreoffice for r in results) else NOT_CONVERTIBLE_TIP


@dataclass(frozen=True)
class ConversionResult:
    """What happened to one file. `error` is a plain-English sentence naming the file (never its contents)."""

    source: Path
    pdf: Path | None
    status: Status
    error: str = ""
    attempts: int = 0
    seconds: float = 0.0
    by_libreoffice: bool = False  # failed in LibreOffice (or made a bad PDF), not in the checks before it

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
    with ConversionStream(workers=workers, timeout=timeout, overwrite=overwrite, on_progress=on_progress, converter=converter, expected=len(pairs)) as stream:
        for source, target in pairs:
            stream.add(source, target)
        return stream.finish()


class ConversionStream:
    """Word files turned into checked PDFs as they are handed in, while the caller makes the next ones.

        with ConversionStream(overwrite=False) as stream:
            for docx in make_documents():      # each one as soon as it is written
                stream.add(docx, out / f"{docx.stem}.pdf")
            results = stream.finish()          # one per file added, in that order

    Each file is checked without LibreOffice when added (a file that cannot be converted, or
    whose PDF exists and overwrite is False, is settled at once), copied to a private folder and
    queued for the pool; PDFs are checked and published atomically in the caller's thread, as
    they arrive. `on_progress` is called (in this thread) with each result as soon as it is known.
    The pool (`converter`, else one of its own) is started on the first file that needs it, so a
    batch whose PDFs all exist needs no LibreOffice; had it none at all, finish() raises the
    ConversionError. Leaving the block early abandons the conversions still running.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        timeout: float | None = None,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
        converter: PdfConverter | None = None,
        expected: int | None = None,
    ) -> None:
        if converter is not None and (workers is not None or timeout is not None):
            raise ValueError("give workers and timeout to the PdfConverter, not with converter=")
        self._workers, self._timeout, self._overwrite = workers, timeout, overwrite
        self._on_progress = on_progress
        self._converter = converter
        self._own = converter is None
        self._expected = expected
        self._results: list[ConversionResult | None] = []
        self._pairs: list[tuple[Path, Path]] = []
        self._claimed: dict[str, Path] = {}
        self._queued: dict[int, tuple[int, Path]] = {}  # queue index → (result index, staged pdf)
        self._queue: ConversionQueue | None = None
        self._staging: Path | None = None
        self._no_pool: ConversionError | None = None

    def __enter__(self) -> ConversionStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, source: Path, target: Path) -> None:
        """Hand in `source`, to become the PDF `target`; settled now, or queued for LibreOffice."""
        index = len(self._results)
        self._results.append(None)
        self._pairs.append((source, target))
        problem = preflight(source)
        if problem is None and _key(target) == _key(source):
            problem = f"{source.name} cannot be converted onto itself"
        if problem is None and _key(target) in self._claimed:
            problem = f"{source.name} would make the same PDF ({target.name}) as {self._claimed[_key(target)].name}"
        if problem is not None:
            self._finish(index, ConversionResult(source, None, "failed", problem))
        else:
            self._claimed[_key(target)] = source
            if target.exists() and not self._overwrite:
                self._finish(index, _skipped(source, target))
            else:
                self._queue_copy(index, source)
        self._collect(wait=False)

    def finish(self) -> list[ConversionResult]:
        """Wait for every PDF; one result per file added, in the order they were added.

        Raises ConversionError when files needed converting and LibreOffice cannot be found.
        """
        if self._no_pool is not None:
            raise self._no_pool
        if self._queue is not None:
            self._queue.end_input()
            self._collect(wait=True)
        return [r for r in self._results if r is not None]

    @property
    def results_so_far(self) -> list[ConversionResult]:
        """The results known now (for a caller that stopped part-way)."""
        return [r for r in self._results if r is not None]

    def close(self) -> None:
        """Stop: abandon conversions still running, close our own pool, delete the private copies."""
        try:
            if self._queue is not None:
                self._queue.close()
        finally:
            if self._own and self._converter is not None:
                self._converter.close()
            if self._staging is not None:
                shutil.rmtree(self._staging, ignore_errors=True)
                self._staging = None

    def _queue_copy(self, index: int, source: Path) -> None:
        if self._no_pool is not None:
            return  # reported by finish()
        if self._queue is None:
            try:
                if self._converter is None:
                    self._converter = PdfConverter(self._workers, timeout=self._timeout)
            except ConversionError as exc:
                self._no_pool = exc
                return
            self._staging = private_temp_dir("senforms-convert")  # 0700: outputs hold pupil data
            self._queue = self._converter.open_queue(self._expected)
        assert self._staging is not None
        folder = self._staging / str(index)
        folder.mkdir()
        # Work on a private copy: LibreOffice never puts lock files beside the user's file, and
        # the file cannot change between the preflight and the conversion.
        copy = folder / source.name
        try:
            shutil.copyfile(source, copy)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self._finish(index, ConversionResult(source, None, "failed", f"{source.name} could not be read ({reason})"))
            return
        staged = folder / "out.pdf"
        self._queued[self._queue.submit(copy, staged)] = (index, staged)

    def _collect(self, *, wait: bool) -> None:
        if self._queue is None:
            return
        for n, outcome in self._queue.outcomes(wait=wait):
            index, staged = self._queued.pop(n)
            source, target = self._pairs[index]
            self._finish(index, _publish(source, target, staged, outcome, self._overwrite))
            shutil.rmtree(staged.parent, ignore_errors=True)

    def _finish(self, index: int, result: ConversionResult) -> None:
        self._results[index] = result
        if result.status == "failed":
            log.warning("%s", result.error)  # errors name files only
        else:
            log.info("%s: %s", result.source.name, result.status)
        if self._on_progress is not None:
            self._on_progress(result)


def _skipped(source: Path, target: Path) -> ConversionResult:
    message = f"{target.name} already exists, so it was left as it was"
    return ConversionResult(source, target, "skipped", message)


def _publish(source: Path, target: Path, staged: Path, outcome: JobOutcome, overwrite: bool) -> ConversionResult:
    """Check a raw PDF and put it at `target` atomically; never leave a half-written file there."""
    name = source.name
    if not outcome.ok:
        return ConversionResult(source, None, "failed", f"{name} could not be converted: {outcome.error}", outcome.attempts, outcome.seconds, by_libreoffice=True)
    try:
        # Before validating, so what is checked is what is published.
        make_file_reproducible(staged, source)
    except OSError:
        pass  # no readable file: validate_pdf says what is wrong
    problem = validate_pdf(staged)
    if problem is not None:
        return ConversionResult(source, None, "failed", f"{name} could not be converted: {problem}", outcome.attempts, outcome.seconds, by_libreoffice=True)
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
        raise ConversionError(result.error, fix=failure_tip([result]))
    log.debug("%s converted in %.1f s", source.name, time.monotonic() - started)
    return result.pdf
