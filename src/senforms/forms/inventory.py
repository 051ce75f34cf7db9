"""`inspect_form`: what a form (PDF or Word) asks for, whichever kind of file it is."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from senforms.errors import FormError, UnreadableFileError
from senforms.forms.fields import FormInventory, FormType

MAX_FORM_BYTES = 50 * 1024 * 1024


def form_type(path: Path, data: bytes) -> FormType:
    """pdf or docx, from the file's first bytes (its name may lie)."""
    if data.startswith(b"%PDF-") or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                if "word/document.xml" in package.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFileError(
            f"{path.name} is an old Word .doc file or a password-protected document",
            fix="open it in Word, remove any password and save it as a Word Document (.docx)",
        )
    raise UnreadableFileError(f"{path.name} is not a PDF or a Word (.docx) form", fix="give the LA's fillable PDF or Word form")


def read_form(path: Path | str) -> tuple[bytes, FormType]:
    """The form's bytes and its type; UnreadableFileError naming it when it cannot be a form."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FORM_BYTES:
            raise UnreadableFileError(f"{path.name} is larger than {MAX_FORM_BYTES // (1024 * 1024)} MB: too large to be a form", fix="check it is the LA's form")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"{path} cannot be read ({exc.strerror or exc})", fix="check the file's name and that you may open it") from None
    return data, form_type(path, data)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspect_form(path: Path | str) -> FormInventory:
    """Every field of the LA's form at `path` (PDF or Word), in page or document order.

    A Word form with no fields lists instead the empty table cells beside a label. Raises
    UnreadableFileError for a file that is not a form senforms can read.
    """
    path = Path(path)
    data, kind = read_form(path)
    if kind == "pdf":
        from senforms.forms.pdf_inspect import inspect_pdf, open_pdf

        fields = inspect_pdf(open_pdf(path, data))
    else:
        from senforms.forms.docx_inspect import inspect_docx

        try:
            found, places = inspect_docx(data)
        except (KeyError, zipfile.BadZipFile, ValueError) as exc:  # lxml's XMLSyntaxError is a ValueError
            raise UnreadableFileError(f"{path.name} is damaged: its Word XML cannot be read ({type(exc).__name__})", fix="open it in Word and save it again as a .docx") from None
        fields = found or places
    return FormInventory(path, kind, sha256_bytes(data), tuple(fields))


__all__ = ["FormError", "inspect_form", "read_form"]
