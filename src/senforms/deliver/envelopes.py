"""Envelope order: letters to post sorted as Royal Mail sorts them, by postcode, then surname."""

from __future__ import annotations

import re
from collections.abc import Iterable

_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z0-9]*[A-Z]{2})\b")
_DIGITS = re.compile(r"(\d+)")


def postcode_of(address: Iterable[str]) -> str:
    """The postcode in an address: the last line that ends with one ('' when none is found)."""
    for line in reversed([str(line).strip().upper() for line in address if str(line).strip()]):
        found = list(_POSTCODE.finditer(line))
        if found:
            outward, inward = found[-1].groups()
            return f"{outward} {inward}"
    return ""


def _natural(text: str) -> tuple:
    # Numbers compare as numbers, so NR9 comes before NR10 as Royal Mail sorts them.
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(text.casefold()) if part)


def envelope_key(postcode: str, surname: str, name: str, *ties: str) -> tuple:
    """Envelope order for a print pile: by postcode (outward code, then inward code, numbers
    compared as numbers), then surname, then the rest of the name; letters with no postcode last.
    `ties` (IDs) keep the order stable when all of that is the same."""
    outward, _, inward = postcode.partition(" ")
    return (not postcode, _natural(outward), _natural(inward), surname.casefold(), name.casefold(), *ties)
