"""A local authority's profile from the school settings file, laid over what the register says.

The register's School sheet names the LA and its SEND team; the settings file's [local_authority]
table adds what only some LAs ask for: their own section order and labels, how many APDR cycles
they expect, how old reports may be, the email size limit.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from senforms.config.settings import settings_table
from senforms.errors import InputError, Location, Problem
from senforms.model import LocalAuthority

TABLE = "local_authority"


def local_authority_profile(base: LocalAuthority | None, settings: Path | None) -> LocalAuthority | None:
    """`base` with the settings file's [local_authority] values applied (`base` itself without any)."""
    table = settings_table(settings, TABLE)
    if not table:
        return base
    assert settings is not None
    merged = {**(base.model_dump() if base else {}), **table}
    try:
        return LocalAuthority.model_validate(merged)
    except ValidationError as exc:
        raise InputError([_problem(settings, error) for error in exc.errors()]) from None


def _problem(settings: Path, error: ErrorDetails) -> Problem:
    key = ".".join(str(part) for part in error["loc"]) or TABLE
    context = error.get("ctx") or {}
    fix = context.get("fix", "") if isinstance(context, dict) else ""
    if error["type"] == "extra_forbidden":
        fields = ", ".join(LocalAuthority.model_fields)
        return Problem(Location(settings.name, f"[{TABLE}]", column=key), "is not a setting senforms knows", f"use one of: {fields}")
    if error["type"] == "missing":
        return Problem(Location(settings.name, f"[{TABLE}]", column=key), "is needed", "give the local authority's name")
    return Problem(Location(settings.name, f"[{TABLE}]", column=key), error["msg"], fix)
