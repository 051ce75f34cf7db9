"""File names from patterns: safe on Windows, macOS and Linux, and unique in a folder."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping

from senforms.errors import SenformsError

MAX_NAME_BYTES = 100
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def pattern_fields(pattern: str) -> list[str]:
    """The {fields} a pattern uses."""
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name]


def check_pattern(pattern: str, allowed: Mapping[str, str]) -> None:
    """Refuse a pattern with fields senforms cannot fill, naming them and the ones it can."""
    try:
        unknown = [f for f in pattern_fields(pattern) if f not in allowed]
    except ValueError as exc:
        raise SenformsError(f"the file-name pattern '{pattern}' is not valid ({exc})", fix="put field names in braces, e.g. {surname}-{document}") from None
    if unknown:
        raise SenformsError(
            f"the file-name pattern uses {', '.join('{' + u + '}' for u in unknown)}, which senforms does not know",
            fix="use any of: " + ", ".join("{" + f + "}" for f in allowed),
        )


def safe_part(text: str) -> str:
    """Letters, digits, dot, dash and underscore only (accents folded: Zoë → Zoe)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", text))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"[\s/\\]+", "-", ascii_text.strip())
    ascii_text = re.sub(r"[^A-Za-z0-9._-]", "", ascii_text)
    return re.sub(r"-{2,}", "-", ascii_text)


def make_filename(pattern: str, fields: Mapping[str, str], fallback: str) -> str:
    """A safe file stem from a pattern; `fallback` (an ID) when the names leave nothing usable."""
    check_pattern(pattern, fields)
    pieces = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        # The pattern's own text is made safe too: '/' or ':' must not make folders or streams.
        pieces.append(re.sub(r"[^A-Za-z0-9._-]+", "-", literal))
        if name:
            pieces.append(safe_part(fields[name]))
    stem = "".join(pieces)
    stem = re.sub(r"-{2,}", "-", stem).strip(" .-_")
    if not stem or not re.search(r"[A-Za-z0-9]", stem):
        stem = safe_part(fallback)
    first, dot, rest = stem.partition(".")
    if first.upper() in _WINDOWS_RESERVED:
        # Windows takes AUX.txt (and AUX.txt_.docx) for the device AUX: change the part before the dot.
        stem = f"{first}_{dot}{rest}"
    return stem.encode("ascii")[:MAX_NAME_BYTES].decode("ascii").rstrip(" .")


class NameAllocator:
    """Hands out names unique within a run, ignoring case (Windows and macOS do): x, x-2, x-3…"""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, stem: str, suffix: str) -> str:
        candidate, number = stem, 1
        while (candidate + suffix).casefold() in self._used:
            number += 1
            candidate = f"{stem}-{number}"
        self._used.add((candidate + suffix).casefold())
        return candidate + suffix
