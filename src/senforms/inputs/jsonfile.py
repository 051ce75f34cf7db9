"""Read a register saved as JSON (the format `schema/register.schema.json` describes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from senforms.errors import UnreadableFileError

MAX_JSON_BYTES = 50 * 1024 * 1024


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a register")


def read_json(path: Path) -> dict[str, Any]:
    """The file's data; refuses duplicate keys, NaN/Infinity, very large or very deep files."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise UnreadableFileError(f"{path.name} is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB", fix="a register is far smaller: check it is the right file")
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="strict") if path.stat().st_size else ""
    except UnicodeDecodeError:
        raise UnreadableFileError(f"{path.name} is not UTF-8 text, so it cannot be a register JSON file", fix="save it as UTF-8 JSON, or check it is the right file") from None
    if not text.strip():
        raise UnreadableFileError(f"{path.name} is empty", fix="save the register again")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        raise UnreadableFileError(f"{path.name} has the key '{exc}' twice in one object", fix="remove one of them") from None
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(f"{path.name} line {exc.lineno}, column {exc.colno}: {exc.msg}", fix="fix the JSON at that place (a trailing comma is a common cause)") from None
    except RecursionError:
        raise UnreadableFileError(f"{path.name} is nested too deeply to be a register", fix="check it is the right file") from None
    except ValueError as exc:
        raise UnreadableFileError(f"{path.name}: {exc}", fix="use null for a missing value") from None
    if not isinstance(data, dict):
        raise UnreadableFileError(f"{path.name} does not hold a register (expected an object with 'pupils')", fix="see schema/register.schema.json")
    return data
