"""Word documents to PDF with a pool of headless LibreOffices: fast, checked, and crash-proof.

    from senforms.pdf import convert_many
    results = convert_many([Path("letter.docx")], out_dir=Path("pdfs"))

See convert.py (checking and publishing), pool.py (the LibreOffice processes) and soffice.py
(finding LibreOffice).
"""

import logging

from senforms.pdf.convert import (
    ConversionResult,
    convert_many,
    convert_one,
    preflight,
    validate_pdf,
)
from senforms.pdf.pool import DEFAULT_TIMEOUT, STARTUP_ALLOWANCE, JobOutcome, PdfConverter
from senforms.pdf.soffice import INSTALL_TIP, find_soffice, find_uno_python, soffice_version

# A library does not print: results carry every error; an application can attach a handler.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_TIMEOUT",
    "INSTALL_TIP",
    "STARTUP_ALLOWANCE",
    "ConversionResult",
    "JobOutcome",
    "PdfConverter",
    "convert_many",
    "convert_one",
    "find_soffice",
    "find_uno_python",
    "preflight",
    "soffice_version",
    "validate_pdf",
]
