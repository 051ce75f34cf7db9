"""Spreadsheet cells (CSV and openpyxl) that a spreadsheet will show as text, never run as a formula.

The one guard for every CSV and workbook senforms writes.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    """Whether `value` is text a spreadsheet could take for a formula (OWASP CSV injection)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> str:
    """`value` as text, with a leading ' when it starts like a formula."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def keep_as_text(cell: Any) -> None:
    """Store an openpyxl cell's formula-like text as text (data type 's'), never a live formula."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
