"""The school's settings file (TOML or JSON): an [smtp] table for sending, a [local_authority] table
for the LA's profile. Read here once so every command understands it the same way."""

from __future__ import annotations

import json
from pathlib import Path

from senforms.errors import SenformsError

SETTINGS_TIP = "see 'The school settings file' in the README for what it may hold"


def read_settings(path: Path) -> dict:
    """The whole file as a dict; TOML or JSON whatever its suffix says."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SenformsError(f"{path.name} could not be read ({exc.strerror or exc})", fix=SETTINGS_TIP) from None
    readers = (_toml, _json) if path.suffix.lower() == ".toml" else (_json, _toml)
    first_problem = ""
    for reader in readers:
        try:
            data = reader(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            first_problem = first_problem or str(exc)
            continue
        if isinstance(data, dict):
            return data
        if reader is _json:  # valid JSON, but a list or a number: never read it again as TOML
            raise SenformsError(f"{path.name} holds a JSON {type(data).__name__}, not settings (a JSON object or TOML tables)", fix=SETTINGS_TIP)
    raise SenformsError(f"{path.name} is not a TOML or JSON settings file ({first_problem})", fix=SETTINGS_TIP)


def settings_table(path: Path | None, name: str) -> dict:
    """One table of the settings file ({} without a file or without the table)."""
    if path is None:
        return {}
    table = read_settings(path).get(name, {})
    if not isinstance(table, dict):
        raise SenformsError(f"{path.name}: '{name}' must be a table of settings, not a single value", fix=SETTINGS_TIP)
    return table


def _json(raw: bytes) -> object:
    return json.loads(raw.decode("utf-8-sig"))


def _toml(raw: bytes) -> object:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10 has no TOML reader in the standard library
        import tomli as tomllib
    return tomllib.loads(raw.decode("utf-8-sig"))
