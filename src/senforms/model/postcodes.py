"""UK postcodes in addresses: the line that tries to be one, and whether it is one."""

from __future__ import annotations

import re
from collections.abc import Sequence

# The Royal Mail shape: an outward code (area letters, district digit, optional letter or digit), a
# space, then an inward code of one digit and two letters (never C, I, K, M, O or V).
_UK_POSTCODE = re.compile(r"(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-HJKMNPR-Y0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2})", re.IGNORECASE)
# A line a person typed as a postcode: two short groups of letters and digits, with a digit.
_POSTCODE_LIKE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]{0,2} ?[A-Z0-9]{2,4}", re.IGNORECASE)

POSTCODE_FIX = "check it on a letter from them or with Royal Mail's postcode finder: a UK postcode looks like NR99 4HB, a space then a digit and two letters"


def bad_postcode(address: Sequence[str]) -> str | None:
    """The address's postcode as typed when it is not a valid UK postcode; None when it is, or when
    the address has no line that looks like one (an address abroad)."""
    if not address:
        return None
    candidate = address[-1].split(",")[-1].strip()  # "Eastmere, NR99 4HB" ends with its postcode too
    if _UK_POSTCODE.fullmatch(candidate):
        return None
    return candidate if _POSTCODE_LIKE.fullmatch(candidate) else None
