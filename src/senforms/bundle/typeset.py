"""Page geometry and type for what senforms draws on bundle pages: A4 front matter, stamps, fonts."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

# --------------------------------------------------------------------------------------------
# Page geometry and type. Front matter is A4 portrait; stamps sit in the outer 30 points.

A4 = (595.2756, 841.8898)
MARGIN_X = 50.0
FRONT_TOP = 70.0  # clear of the header stamp
FRONT_BOTTOM = 60.0  # clear of the footer stamp
STAMP_SIZE = 7.5
HEADER_BASELINE = 18.0  # from the top edge
FOOTER_BASELINE = 14.0  # from the bottom edge
INK = Color(0.15, 0.15, 0.15)
RULE = Color(0.75, 0.75, 0.75)
DASH = "\u2013"  # en dash in page ranges: 12–15
DOT = "\u00b7"  # middle dot between footer parts


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    unicode: bool  # False: the built-in Helvetica, which only has Western European letters


# Fonts that cover Latin Extended-A (Polish, Czech, Romanian names…) on common systems.
_FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
    (
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
)


@lru_cache(maxsize=1)
def load_fonts() -> Fonts:
    """The first Unicode TrueType pair found (SENFORMS_PDF_FONT/_BOLD first), else Helvetica."""
    wanted = os.environ.get("SENFORMS_PDF_FONT"), os.environ.get("SENFORMS_PDF_FONT_BOLD")
    candidates = ((wanted,) if all(wanted) else ()) + _FONT_CANDIDATES
    for regular, bold in candidates:
        if regular and bold and Path(regular).is_file() and Path(bold).is_file():
            try:
                pdfmetrics.registerFont(TTFont("SenformsSans", regular))
                pdfmetrics.registerFont(TTFont("SenformsSans-Bold", bold))
            except Exception:  # noqa: BLE001 - a broken system font: try the next one
                continue
            return Fonts("SenformsSans", "SenformsSans-Bold", True)
    return Fonts("Helvetica", "Helvetica-Bold", False)


# Letters Helvetica lacks that do not decompose into a base letter plus an accent.
_FALLBACK_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H"}
)


def printable(value: str) -> str:
    """Text the chosen font can draw: unchanged with a Unicode font, else the nearest Latin-1."""
    value = " ".join(str(value).split())  # newlines and tabs from titles become single spaces
    if load_fonts().unicode:
        return value
    value = unicodedata.normalize("NFKD", value.translate(_FALLBACK_LETTERS))
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return value.encode("cp1252", "replace").decode("cp1252")


def paragraph(value: str, size: float, *, bold: bool = False, leading: float | None = None) -> Paragraph:
    fonts = load_fonts()
    style = ParagraphStyle(
        "cell",
        fontName=fonts.bold if bold else fonts.regular,
        fontSize=size,
        leading=leading or size * 1.25,
        alignment=TA_LEFT,
        textColor=INK,
        wordWrap="LTR",
        splitLongWords=True,
    )
    return Paragraph(escape(printable(value)), style)


