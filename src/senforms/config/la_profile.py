"""A local authority's profile from the school settings file, laid over what the register says.

The register's School sheet names the LA and its SEND team; the settings file's [local_authority]
table adds what only some LAs ask for: their own section order and labels, how many APDR cycles
they expect, how old reports may be, the email size limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from senforms.config.settings import settings_table
from senforms.errors import InputError, Location, Problem
from senforms.inputs.locate import Locator, problem_from_error
from senforms.model import LocalAuthority

TABLE = "local_authority"


def local_authority_profile(base: LocalAuthority | None, settings: Path | None) -> LocalAuthority | None:
    """`base` with the settings file's [local_authority] values applied (`base` itself without any)."""
    table = settings_table(settings, TABLE)
    if not table:
        return base
    assert settings is not None
    return profile_from_table(base, table, settings)


def profile_from_table(base: LocalAuthority | None, table: dict[str, Any], settings: Path) -> LocalAuthority:
    """`base` with a [local_authority] table applied, as if it were in `settings`; InputError naming
    each bad key of that file (the web app's settings page checks a table before writing it)."""
    table = dict(table)
    for key in ("form", "form_map"):  # a relative path is from the settings file's folder, wherever senforms runs
        if isinstance(table.get(key), str) and table[key] and not Path(table[key]).is_absolute():
            table[key] = str(settings.parent / table[key])
    merged = {**(base.model_dump() if base else {}), **table}
    try:
        return LocalAuthority.model_validate(merged)
    except ValidationError as exc:
        raise InputError([_problem(settings, error) for error in exc.errors()]) from None


class _TableLocator(Locator):
    """Every place is a key of the settings file's [local_authority] table."""

    def find(self, path: Sequence[Any]) -> Location:
        return Location(self.file, f"[{TABLE}]", column=".".join(str(part) for part in path) or TABLE)


def _problem(settings: Path, error: ErrorDetails) -> Problem:
    """The register's translator of pydantic errors, with the settings file's own wording for
    an unknown or missing key."""
    problem = problem_from_error(error, _TableLocator(settings.name))
    if error["type"] == "extra_forbidden":
        return Problem(problem.location, "is not a setting senforms knows", "use one of: " + ", ".join(LocalAuthority.model_fields))
    if error["type"] == "missing":
        return Problem(problem.location, "is needed", "give the local authority's name")
    return problem
