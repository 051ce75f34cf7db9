"""Where the shipped templates and schema live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]


def _find(installed: str, checkout: str) -> Path:
    # A wheel carries them inside the package; an editable install reads the checkout's folders.
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _CHECKOUT / checkout


def templates_dir() -> Path:
    """The folder holding templates/docx and templates/xlsx."""
    return _find("_templates", "templates")


def docx_templates_dir() -> Path:
    return templates_dir() / "docx"


def workbook_template() -> Path:
    return templates_dir() / "xlsx" / "senforms-register.xlsx"


def schema_path() -> Path:
    return _find("_schema", "schema") / "register.schema.json"


def samples_dir() -> Path:
    """The fictional sample school shipped with senforms."""
    return _find("_samples", "samples")
