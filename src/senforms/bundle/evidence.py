"""Evidence intake: one file from a parent, clinic or scanner in, one clean PDF out.

Evidence is untrusted. `intake` sniffs the real type from the file's first bytes (never the
extension), then does all parsing in a child Python process with a wall-clock timeout and a
memory cap, because the next pypdf/Pillow infinite loop is not yet known
(shared/reliability.md §3). The child writes a PDF that keeps only what a reader needs to see:

- pages are copied with `PdfWriter().append(reader)` into a fresh writer (never `clone_from`),
  which leaves behind document JavaScript, `/OpenAction`, embedded files, XFA and outlines;
- page `/AA`, risky link actions and form-field scripts are removed before the copy, and
  `compress_identical_objects(remove_unreferenced=True)` drops anything left orphaned;
- `/Info` and XMP metadata are not carried over (titles can name other children);
- page rotation is baked into the content, so later stamps sit upright;
- photos are re-encoded upright on an A4 page, so no EXIF/GPS bytes survive.

Any sign of damage (pypdf recovery warnings, a page count that does not match, a truncated
stream) refuses the file: a silently half-read report is worse than asking for a new copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senforms.errors import EvidenceError
from senforms.filetypes import head_kind, read_head, zip_kind
from senforms.outputs.atomic import atomic_path, sha256_file
from senforms.pdf.soffice import kill_group, popen_group

__all__ = [
    "IntakeResult",
    "intake",
    "sniff",
    "DocxConverter",
]

#: Converts a DOCX at the first path into a PDF at the second (the caller supplies LibreOffice).
DocxConverter = Callable[[Path, Path], None]

#: Seconds a child may spend on one file before it is killed, plus an allowance per megabyte.
BASE_TIMEOUT = 60.0
TIMEOUT_PER_MB = 1.0
@dataclass(frozen=True)
class IntakeResult:
    """A clean PDF made from one evidence file.

    `warnings` are sentences for the SENCo (for example "copy/print restrictions removed");
    `source_sha256` is the hash of the file as received; `kind` is "pdf", "docx", "jpeg" or "png".
    """

    pdf: Path
    pages: int
    warnings: tuple[str, ...]
    source_sha256: str
    kind: str


# --------------------------------------------------------------------------------------------
# Parent side: sniff, convert, run the child, turn its answer into messages.


def sniff(path: Path) -> str:
    """Return "pdf", "docx", "jpeg" or "png" from the file's first bytes.

    Anything else raises EvidenceError naming the file, what it really is and what to do.
    """
    name = path.name
    try:
        kind = head_kind(read_head(path))
    except OSError as exc:
        raise EvidenceError(f"{name}: the file cannot be opened ({exc.strerror or exc}).") from None
    if kind == "zip-based":
        kind = zip_kind(path)
    if kind in ("pdf", "docx", "jpeg", "png"):
        return kind
    raise EvidenceError(_UNSUPPORTED.get(kind, _UNSUPPORTED["binary"]).format(name=name))


_UNSUPPORTED = {
    "empty": "{name}: the file is empty (0 bytes): ask the sender for the file again.",
    "damaged-zip": "{name}: this is a damaged zip or Office file: ask the sender for a new copy.",
    "xlsx": "{name}: this is an Excel workbook: save it as PDF and add the PDF instead.",
    "xlsx-damaged": "{name}: this is an Excel workbook: save it as PDF and add the PDF instead.",
    "xlsb": "{name}: this is an Excel workbook: save it as PDF and add the PDF instead.",
    "pptx": "{name}: this is a PowerPoint presentation: save it as PDF and add the PDF instead.",
    "zip": "{name}: this is a zip archive, not a document: unzip it and add the files inside.",
    "ole": (
        "{name}: this is an old-style Office file (.doc or .xls) or a password-protected Word "
        "document: save it as PDF, without a password, and add the PDF instead."
    ),
    "html": (
        "{name}: this is a web page (HTML), not a PDF: ask the sender for the PDF, or open it "
        "in a browser and print it to PDF."
    ),
    "rtf": "{name}: this is a Rich Text (RTF) document: save it as PDF and add the PDF instead.",
    "heic": "{name}: this is an iPhone photo (HEIC): export it as JPEG and add that instead.",
    **dict.fromkeys(("gif", "tiff", "bmp", "webp"), "{name}: this is a GIF, TIFF, WebP or BMP image: save it as PDF, JPEG or PNG."),
    **dict.fromkeys(("text", "json", "utf16-text"), "{name}: this is a plain text file, not a PDF: ask the sender for the PDF."),
    "binary": "{name}: this is not a PDF, Word document or JPEG/PNG image: ask the sender for a PDF.",
}


_EXTENSIONS = {"pdf": {".pdf"}, "docx": {".docx"}, "jpeg": {".jpg", ".jpeg"}, "png": {".png"}}
_KIND_NAMES = {"pdf": "PDF", "docx": "Word document", "jpeg": "JPEG image", "png": "PNG image"}


def shown_name(name: str) -> str:
    """A file name on one line: a newline, tab or other control character in it is written as its
    escape (`speech\\nreport.pdf`), so it can never split a message line or a CSV row, and the
    person can still tell which file is meant."""
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch).startswith("C") else ch for ch in name)


def intake(
    path: Path,
    work_dir: Path,
    *,
    docx_converter: DocxConverter | None = None,
    timeout: float | None = None,
) -> IntakeResult:
    """Turn one evidence file into a clean PDF in `work_dir`, or raise EvidenceError.

    The output is named from the source's SHA-256 (never its file name), so taking in the
    same file twice gives the same path. `timeout` defaults to 60 s plus 1 s per megabyte.
    Safe to call from several threads at once: each call runs its own child process.
    """
    path = Path(path)
    work_dir = Path(work_dir)
    name = shown_name(path.name)
    kind = sniff(path)
    notes: list[str] = []
    suffix = path.suffix.lower()
    if suffix not in _EXTENSIONS[kind]:
        if kind == "docx" and suffix == ".pdf":
            raise EvidenceError(
                f"{name}: this is a Word document named .pdf: rename it to .docx and add it again."
            )
        what = _KIND_NAMES[kind]
        named = f"named {suffix}" if suffix else "without an extension"
        notes.append(f"{name}: this is a {what} {named}; it was taken in as a {what}")

    digest = sha256_file(path)
    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = work_dir / f"evidence-{digest[:20]}.pdf"
    if timeout is None:
        timeout = BASE_TIMEOUT + TIMEOUT_PER_MB * path.stat().st_size / 1e6

    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".intake-") as scratch:
        source, task = path, ("image" if kind in ("jpeg", "png") else "pdf")
        if kind == "docx":
            source = _convert_docx(path, Path(scratch), docx_converter)
        # Content-addressed output: replacing an earlier copy of the same source is intended.
        with atomic_path(final, overwrite=True) as temp:
            answer = _run_quarantined(task, source, temp, timeout=timeout, name=name)
    notes.extend(_NOTE_TEXT[code].format(name=name) for code in answer.get("notes", ()))
    return IntakeResult(
        pdf=final,
        pages=int(answer["pages"]),
        warnings=tuple(notes),
        source_sha256=digest,
        kind=kind,
    )


def _convert_docx(path: Path, scratch: Path, converter: DocxConverter | None) -> Path:
    if converter is None:
        raise EvidenceError(
            f"{path.name}: this is a Word document: turning DOCX into PDF needs LibreOffice, which "
            "is not available. Install LibreOffice, or save the document as PDF and add that."
        )
    dest = scratch / "converted.pdf"
    converter(path, dest)
    # Never trust a converter's exit status alone: check it actually made a PDF.
    if not dest.is_file() or dest.stat().st_size == 0:
        raise EvidenceError(
            f"{path.name}: this could not be turned into PDF: open it in Word, save it as PDF and "
            "add the PDF instead."
        )
    return dest


_NOTE_TEXT = {
    "restrictions_removed": "{name}: copy/print restrictions removed (it had an owner password)",
    "attachments_removed": "{name}: files attached to it were removed (they are not in the bundle): send any the LA needs as evidence files of their own",
    "scripts_removed": "{name}: scripts and automatic actions in it were removed (the pages are unchanged)",
    "metadata_removed": "{name}: its hidden details (XMP metadata: author, software, dates) were removed",
    "form_values_not_drawn": "{name}: its form entries could not be drawn onto the pages, so they may not show: check the bundle, or ask for a printed-to-PDF copy",
}

_REFUSAL_TEXT = {
    "password": "{name}: this file is password-protected: ask the sender for an unlocked copy.",
    "damaged": (
        "{name}: the file is damaged: ask for a new copy (it is incomplete, or it needed "
        "repair to open)."
    ),
    "limit": (
        "{name}: this file is too large or complex to open safely: ask the sender for a smaller copy "
        "(for example scanned at a lower resolution)."
    ),
    "image_too_large": (
        "{name}: this image is too large to open safely: ask for a smaller copy or a PDF."
    ),
    "memory": "{name}: this file needs too much memory to open safely: ask the sender for a smaller copy.",
    "unsupported": "{name}: this is an image type senforms cannot use: save it as PDF, JPEG or PNG.",
}


def _run_quarantined(
    task: str, source: Path, dest: Path, *, timeout: float, name: str
) -> dict[str, Any]:
    """Run `evidence_worker.main` on one file in a fresh Python process and return its JSON answer.

    Only codes travel back, never text from the file, so nothing from a document reaches logs.
    """
    env = dict(os.environ)
    # Make the child import this same senforms, installed or not.
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    command = [sys.executable, "-c", _CHILD_ENTRY, task, str(source), str(dest)]
    proc = popen_group(
        command,
        stdout=subprocess.PIPE,
        # pypdf's messages may quote the file, so they are dropped unless a developer asks.
        stderr=None if os.environ.get("SENFORMS_DEBUG_INTAKE") else subprocess.DEVNULL,
        env=env,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)  # the child and anything it started
        proc.communicate()
        raise EvidenceError(
            f"{name}: reading this file took more than {timeout:g} second"
            f"{'' if timeout == 1 else 's'}, so senforms stopped: the file may be damaged: "
            "ask for a new copy."
        ) from None
    try:
        answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = {"status": "memory" if proc.returncode in (-9, 137) else "crashed"}
    status = answer.get("status")
    if status == "ok":
        return answer
    message = _REFUSAL_TEXT.get(
        status, "{name}: this file could not be read safely: ask the sender for a new copy."
    )
    raise EvidenceError(message.format(name=name))


_CHILD_ENTRY = "from senforms.bundle.evidence_worker import main; main()"
