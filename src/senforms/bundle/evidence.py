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

import io
import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senforms.errors import EvidenceError
from senforms.outputs.atomic import atomic_path, sha256_file

__all__ = [
    "IntakeResult",
    "intake",
    "sniff",
    "strip_page_active_content",
    "DocxConverter",
]

#: Converts a DOCX at the first path into a PDF at the second (the caller supplies LibreOffice).
DocxConverter = Callable[[Path, Path], None]

#: Seconds a child may spend on one file before it is killed, plus an allowance per megabyte.
BASE_TIMEOUT = 60.0
TIMEOUT_PER_MB = 1.0
#: Address-space cap for the child (bytes). A 60-page 300-dpi scan needed ~800 MB in pypdf.
CHILD_MEMORY_LIMIT = 3 * 1024**3

#: Photos are drawn on A4 inside this margin (points), leaving the edges for the bundle stamps.
A4 = (595.2756, 841.8898)
IMAGE_MARGIN = 42.0
#: Photos are downsampled to at most this many pixels per inch at their drawn size.
IMAGE_MAX_DPI = 200

# Link and widget actions that only move around or open a web page are kept; everything else
# (Launch, JavaScript, SubmitForm, ImportData, GoToR, GoToE, Rendition, Sound, Movie…) goes.
_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
# Annotation types that carry files, media or scripts of their own.
_BLOCKED_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)


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
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as exc:
        raise EvidenceError(f"{name}: the file cannot be opened ({exc.strerror or exc}).") from None
    if size == 0:
        raise EvidenceError(f"{name}: the file is empty (0 bytes): ask the sender for the file again.")
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    # The PDF standard lets the header sit anywhere in the first 1,024 bytes.
    if b"%PDF-" in head:
        return "pdf"
    raise EvidenceError(_describe_unsupported(name, head))


def _sniff_zip(path: Path) -> str:
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise EvidenceError(
            f"{name}: this is a damaged zip or Office file: ask the sender for a new copy."
        ) from None
    if "word/document.xml" in members:
        return "docx"
    if any(m.startswith("xl/") for m in members):
        what = "an Excel workbook"
    elif any(m.startswith("ppt/") for m in members):
        what = "a PowerPoint presentation"
    else:
        raise EvidenceError(
            f"{name}: this is a zip archive, not a document: unzip it and add the files inside."
        )
    raise EvidenceError(f"{name}: this is {what}: save it as PDF and add the PDF instead.")


def _describe_unsupported(name: str, head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            f"{name}: this is an old-style Office file (.doc or .xls) or a password-protected Word "
            "document: save it as PDF, without a password, and add the PDF instead."
        )
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        text.startswith(b"<") and b"<html" in text
    ):
        return (
            f"{name}: this is a web page (HTML), not a PDF: ask the sender for the PDF, or open it "
            "in a browser and print it to PDF."
        )
    if text.startswith(b"{\\rtf"):
        return f"{name}: this is a Rich Text (RTF) document: save it as PDF and add the PDF instead."
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return f"{name}: this is an iPhone photo (HEIC): export it as JPEG and add that instead."
    if head.startswith((b"GIF8", b"II*\x00", b"MM\x00*", b"BM")) or (
        head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    ):
        return f"{name}: this is a GIF, TIFF, WebP or BMP image: save it as PDF, JPEG or PNG."
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return f"{name}: this is a plain text file, not a PDF: ask the sender for the PDF."
    return f"{name}: this is not a PDF, Word document or JPEG/PNG image: ask the sender for a PDF."


_EXTENSIONS = {"pdf": {".pdf"}, "docx": {".docx"}, "jpeg": {".jpg", ".jpeg"}, "png": {".png"}}
_KIND_NAMES = {"pdf": "PDF", "docx": "Word document", "jpeg": "JPEG image", "png": "PNG image"}


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
    name = path.name
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
    """Run `_child_main` on one file in a fresh Python process and return its JSON answer.

    Only codes travel back, never text from the file, so nothing from a document reaches logs.
    """
    env = dict(os.environ)
    # Make the child import this same senforms, installed or not.
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    command = [sys.executable, "-c", _CHILD_ENTRY, task, str(source), str(dest)]
    posix = os.name == "posix"
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        # pypdf's messages may quote the file, so they are dropped unless a developer asks.
        stderr=None if os.environ.get("SENFORMS_DEBUG_INTAKE") else subprocess.DEVNULL,
        env=env,
        start_new_session=posix,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc, posix)
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


def _kill(proc: subprocess.Popen[bytes], posix: bool) -> None:
    try:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------------------------
# Child side: everything that parses untrusted bytes. Keep it self-contained.

_CHILD_ENTRY = "from senforms.bundle.evidence import _child_main; _child_main()"


class _Refusal(Exception):
    """Raised inside the child with a code from `_REFUSAL_TEXT`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _child_main() -> None:
    """Entry point of the quarantine process: `task source dest` on argv, JSON on stdout."""
    task, source, dest = sys.argv[1:4]
    _limit_resources()
    from pypdf.errors import LimitReachedError

    try:
        if task == "pdf":
            answer = _clean_pdf(Path(source), Path(dest))
        elif task == "image":
            answer = _image_to_pdf(Path(source), Path(dest))
        else:
            raise _Refusal("unsupported")
    except _Refusal as refusal:
        answer = {"status": refusal.code}
    except LimitReachedError:
        answer = {"status": "limit"}
    except MemoryError:
        answer = {"status": "memory"}
    except Exception:  # noqa: BLE001 - any parser failure on untrusted input means "damaged"
        answer = {"status": "damaged"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def _limit_resources() -> None:
    try:
        import resource
    except ImportError:  # Windows: the timeout still applies
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = CHILD_MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(hard, CHILD_MEMORY_LIMIT)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


class _Capture(logging.Handler):
    """Collects pypdf's log records: each one means pypdf guessed or repaired something."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _clean_pdf(source: Path | io.BytesIO, dest: Path) -> dict[str, Any]:
    """Copy a PDF's pages into a fresh file without active content or metadata.

    Runs in the quarantine child; call it directly only on files you already trust.
    Raises _Refusal("password" | "damaged") or a pypdf error for the caller to classify.
    """
    from pypdf import PasswordType, PdfReader, PdfWriter
    from pypdf.errors import PdfReadWarning
    from pypdf.generic import DictionaryObject

    notes: list[str] = []
    capture = _Capture()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(capture)
    propagate, pypdf_log.propagate = pypdf_log.propagate, False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PdfReadWarning)
            reader = PdfReader(source, strict=False)
            if reader.is_encrypted:
                if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                    raise _Refusal("password")
                notes.append("restrictions_removed")  # opened with the empty user password
            pages = list(reader.pages)
            # The page tree's own count must match the pages found: else pages are missing.
            tree = reader.root_object["/Pages"]
            if not isinstance(tree, DictionaryObject):
                raise _Refusal("damaged")
            declared = tree["/Count"]
            if not pages or declared != len(pages):
                raise _Refusal("damaged")
            for page in pages:
                contents = page.get_contents()  # decoding finds truncated or bomb streams
                if contents is not None:
                    contents.get_data()
                strip_page_active_content(page)
            # The form (and any XFA in it) must not be copied: its fields can carry scripts.
            reader.root_object.pop("/AcroForm", None)
            writer = PdfWriter()
            writer.append(reader, import_outline=False)
        if capture.count or any(issubclass(w.category, PdfReadWarning) for w in caught):
            raise _Refusal("damaged")
    finally:
        pypdf_log.removeHandler(capture)
        pypdf_log.propagate = propagate

    for page in writer.pages:
        strip_page_active_content(page)  # again: append re-adds what it thinks pages need
        if page.rotation % 360:
            page.transfer_rotation_to_content()
    for key in ("/AcroForm", "/Names", "/OpenAction", "/AA", "/Metadata", "/Outlines"):
        writer.root_object.pop(key, None)
    writer.metadata = None  # no /Info at all: not the sender's, not ours
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    with open(dest, "wb") as handle:
        writer.write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    return {"status": "ok", "pages": len(writer.pages), "notes": notes}


def strip_page_active_content(page: Any) -> None:
    """Remove page actions, metadata and risky annotations from one pypdf page, in place.

    Kept: links that go to a page, a named view or an http(s)/mailto address. Removed: page
    `/AA`, page and image XMP, file-attachment and media annotations, and annotations whose
    action launches, runs script, submits or imports data. Form widgets keep their look but
    lose their actions and their link to the form (whose scripts would otherwise be copied).
    """
    from pypdf.generic import ArrayObject

    for key in ("/AA", "/Metadata", "/PieceInfo"):
        page.pop(key, None)
    _strip_resource_metadata(page.get("/Resources"), depth=0)
    annots = page.get("/Annots")
    if annots is None:
        return
    kept = ArrayObject()
    for ref in annots.get_object():
        annot = ref.get_object()
        if not hasattr(annot, "get"):
            continue
        subtype = annot.get("/Subtype")
        if subtype in _BLOCKED_ANNOTATIONS:
            continue
        annot.pop("/AA", None)
        if subtype == "/Widget":
            annot.pop("/Parent", None)
        action = annot.get("/A")
        if action is not None:
            action = action.get_object()
            if _safe_action(action):
                action.pop("/Next", None)  # a safe first action can chain an unsafe one
            elif subtype == "/Link":
                continue
            else:
                annot.pop("/A", None)
        kept.append(ref)
    if kept:
        page[_name("/Annots")] = kept
    else:
        page.pop("/Annots", None)


def _safe_action(action: Any) -> bool:
    kind = action.get("/S")
    if kind not in _SAFE_ACTIONS:
        return False
    if kind == "/URI":
        uri = str(action.get("/URI", "")).strip().lower()
        return uri.startswith(_SAFE_URI_SCHEMES)
    return True


def _strip_resource_metadata(resources: Any, depth: int) -> None:
    # Image and form XObjects can carry their own XMP (camera, author, location).
    if resources is None or depth > 8:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        if hasattr(xobject, "pop"):
            xobject.pop("/Metadata", None)
            xobject.pop("/PieceInfo", None)
            if xobject.get("/Subtype") == "/Form":
                _strip_resource_metadata(xobject.get("/Resources"), depth + 1)


def _name(value: str) -> Any:
    from pypdf.generic import NameObject

    return NameObject(value)


def _image_to_pdf(source: Path, dest: Path) -> dict[str, Any]:
    """Draw a JPEG/PNG upright on one A4 page (portrait or landscape to match), without EXIF.

    Runs in the quarantine child. The pixels are copied into a new image, so no EXIF, GPS,
    XMP or comments from the original can reach the PDF.
    """
    from PIL import Image, ImageOps
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    try:
        opened = Image.open(source)
    except Image.DecompressionBombError:
        raise _Refusal("image_too_large") from None
    with opened:
        if opened.format not in ("JPEG", "PNG"):
            raise _Refusal("unsupported")
        original_format = opened.format
        if original_format == "JPEG":
            # Let libjpeg decode at a reduced scale (never below what the page can show):
            # far less memory and time for 50-megapixel photos.
            longest = math.ceil((A4[1] - 2 * IMAGE_MARGIN) / 72 * IMAGE_MAX_DPI)
            opened.draft("RGB", (longest, longest))
        upright = ImageOps.exif_transpose(opened)
        pixels = _flatten(upright)

    width, height = pixels.size
    page = (A4[1], A4[0]) if width > height else A4
    box_w, box_h = page[0] - 2 * IMAGE_MARGIN, page[1] - 2 * IMAGE_MARGIN
    scale = min(box_w / width, box_h / height)
    draw_w, draw_h = width * scale, height * scale
    max_w = max(1, round(draw_w / 72 * IMAGE_MAX_DPI))
    if width > max_w:
        pixels = pixels.resize((max_w, max(1, round(height * max_w / width))), Image.Resampling.LANCZOS)
    # A brand-new image has no .info: nothing from the original file's metadata survives.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    encoded = io.BytesIO()
    if original_format == "JPEG":
        clean.save(encoded, "JPEG", quality=85, optimize=True)
    else:
        clean.save(encoded, "PNG", optimize=False)
    encoded.seek(0)

    drawn = io.BytesIO()
    pdf = canvas.Canvas(drawn, pagesize=page, invariant=True, pageCompression=1)
    pdf.drawImage(
        ImageReader(encoded),
        (page[0] - draw_w) / 2,
        (page[1] - draw_h) / 2,
        width=draw_w,
        height=draw_h,
    )
    pdf.showPage()
    pdf.save()
    drawn.seek(0)
    # Same exit path as any PDF, so metadata handling lives in one place.
    return _clean_pdf(drawn, dest)


def _flatten(image: Any) -> Any:
    """RGB or greyscale, with transparency composited onto white."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("RGB")

