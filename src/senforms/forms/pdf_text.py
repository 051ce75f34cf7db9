"""Text in a PDF field's box: the font that covers it, line wrapping, and the appearance stream.

The appearance is drawn by reportlab with a TrueType font it embeds (a subset, with a ToUnicode
map), so every viewer shows the value and copies it as text: no reliance on /NeedAppearances,
which Chrome and Evince ignore, and no Helvetica from the form's /DR, which cannot draw "Ł" or "ż".
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

MIN_FONT_SIZE = 8.0  # the smallest size a box's text may shrink to before the rest goes to the addendum
DEFAULT_FONT_SIZE = 10.0
PADDING = 2.0
LEADING = 1.2
# Fonts senforms draws with, first choice first: Liberation Sans (metric-compatible with Arial, in
# Debian's fonts-liberation2) covers Latin, Greek and Cyrillic; the others cover more scripts.
FONT_FAMILIES = ("Liberation Sans", "DejaVu Sans", "Noto Sans")
_KNOWN_PATHS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Font:
    """A TrueType font registered with reportlab, and the characters it has."""

    name: str
    path: Path
    characters: frozenset[int]

    def covers(self, text: str) -> bool:
        return all(ord(c) in self.characters for c in text if not c.isspace())

    def width(self, text: str, size: float) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return float(stringWidth(text, self.name, size))


def _fc_match(family: str) -> Path | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", f"{family}:style=Regular"], capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found) if found else None
    return path if path and path.suffix.lower() == ".ttf" and path.is_file() else None


@functools.lru_cache(maxsize=1)
def fonts() -> tuple[Font, ...]:
    """The installed fonts senforms can draw field text with, best first (empty when none is found)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    paths: list[Path] = []
    for family in FONT_FAMILIES:
        path = _fc_match(family)
        if path and path not in paths:
            paths.append(path)
    paths += [Path(p) for p in _KNOWN_PATHS if Path(p).is_file() and Path(p) not in paths]
    found = []
    for index, path in enumerate(paths):
        name = f"SenformsForm{index}"
        try:
            font = TTFont(name, str(path))
        except Exception:  # a damaged or unsupported font file: try the next one
            continue
        pdfmetrics.registerFont(font)
        found.append(Font(name, path, frozenset(font.face.charToGlyph)))
    return tuple(found)


def font_for(text: str) -> tuple[Font, str]:
    """The first font that has every character of `text`, and the characters none has ("" when covered)."""
    available = fonts()
    if not available:
        from senforms.errors import FormError

        raise FormError("senforms found no TrueType font to draw the form's text with", fix="install Liberation Sans (Debian and Ubuntu: sudo apt install fonts-liberation2), then run again")
    for font in available:
        if font.covers(text):
            return font, ""
    missing = "".join(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in available[0].characters))
    return available[0], missing


def clean(text: str, *, multiline: bool) -> str:
    """NFC text without control characters; tabs become spaces, and a one-line box gets one line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    text = _CONTROL.sub("", text)
    if not multiline:
        text = re.sub(r"\s*\n\s*", ", ", text.strip())
    return text.strip()


def wrap(text: str, font: Font, size: float, width: float) -> list[str]:
    """Lines no wider than `width`, broken between words (a word wider than the box is broken inside)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while font.width(word, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and font.width(word[:cut], size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Layout:
    size: float
    lines: tuple[str, ...]


def fit(text: str, font: Font, box: tuple[float, float], *, multiline: bool, size: float = 0.0) -> Layout | None:
    """The largest size (from the field's own, or 12 pt when it says 'auto', down to 8 pt) at which `text` fits the box; None if it does not."""
    width, height = box[0] - 2 * PADDING, box[1] - 2 * PADDING
    start = size if size > 0 else (DEFAULT_FONT_SIZE if multiline else min(12.0, max(height / LEADING, MIN_FONT_SIZE)))
    current = max(start, MIN_FONT_SIZE)
    while current >= MIN_FONT_SIZE - 1e-6:
        if multiline:
            lines = wrap(text, font, current, width)
            if len(lines) * current * LEADING <= height + 0.5:
                return Layout(current, tuple(lines))
        elif font.width(text, current) <= width:
            return Layout(current, (text,))
        current -= 0.5
    return None


def longest_fitting(text: str, marker: str, font: Font, box: tuple[float, float], *, multiline: bool, size: float = 0.0) -> tuple[str, Layout]:
    """The most whole words of `text` that fit the box followed by `marker`, and their layout."""
    words = text.split(" ")
    low, high = 0, len(words)
    best: tuple[str, Layout] | None = None
    while low <= high:  # binary search on the number of words kept
        middle = (low + high) // 2
        shown = (" ".join(words[:middle]).rstrip() + " " + marker).strip()
        layout = fit(shown, font, box, multiline=multiline, size=size)
        if layout is not None:
            best = (shown, layout)
            low = middle + 1
        else:
            high = middle - 1
    if best is None:  # not even the marker fits: show it small rather than nothing
        return marker, Layout(MIN_FONT_SIZE, (marker,))
    return best


@dataclass(frozen=True)
class Frame:
    """A widget's own background and border (its /MK and /BS), which a new appearance must keep."""

    background: tuple[float, ...] = ()
    border: tuple[float, ...] = ()
    border_width: float = 1.0


def _colour(page, values: tuple[float, ...], *, stroke: bool) -> bool:
    if len(values) == 1:
        (page.setStrokeGray if stroke else page.setFillGray)(values[0])
    elif len(values) == 3:
        (page.setStrokeColorRGB if stroke else page.setFillColorRGB)(*values)
    elif len(values) == 4:
        (page.setStrokeColorCMYK if stroke else page.setFillColorCMYK)(*values)
    else:
        return False
    return True


def appearance_pdf(box: tuple[float, float], layout: Layout, font: Font, *, quadding: int = 0, multiline: bool = False, frame: Frame = Frame(), comb: int = 0) -> bytes:
    """A one-page PDF the size of the box with the laid-out text on it, to become the field's /AP stream."""
    from reportlab.pdfgen import canvas

    width, height = box
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(max(width, 1), max(height, 1)), pageCompression=1, invariant=1)
    if _colour(page, frame.background, stroke=False):
        page.rect(0, 0, width, height, stroke=0, fill=1)
    if frame.border_width > 0 and _colour(page, frame.border, stroke=True):
        page.setLineWidth(frame.border_width)
        half = frame.border_width / 2
        page.rect(half, half, width - frame.border_width, height - frame.border_width, stroke=1, fill=0)
    page.setFillGray(0)
    page.setFont(font.name, layout.size)
    line_height = layout.size * LEADING
    if multiline:
        y = height - PADDING - layout.size
    else:
        y = (height - layout.size) / 2 + layout.size * 0.22
    if comb:  # a comb field (often a UPN): one character centred in each of `comb` cells
        cell = width / comb
        for index, character in enumerate(layout.lines[0][:comb] if layout.lines else ""):
            page.drawCentredString(cell * (index + 0.5), y, character)
        page.showPage()
        page.save()
        return buffer.getvalue()
    for line in layout.lines:
        if quadding == 1:
            page.drawCentredString(width / 2, y, line)
        elif quadding == 2:
            page.drawRightString(width - PADDING, y, line)
        else:
            page.drawString(PADDING, y, line)
        y -= line_height
    page.showPage()
    page.save()
    return buffer.getvalue()
