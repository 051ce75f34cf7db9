"""The school's own figures from the settings file, laid over the register's School sheet.

`[hourly_rates]` sets what an hour of each kind of staff costs (for provision with no typed cost);
`[terms."2025/26"]` gives a school year's term dates (autumn, spring and summer, each [first day,
last day]), so cycle labels and the meetings plan follow the school's own calendar instead of the
Easter rule. A value the settings file gives wins over the School sheet's; one it leaves out keeps
the sheet's (or the default).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from senforms.config.settings import settings_table
from senforms.errors import InputError, Location, Problem, SenformsError
from senforms.inputs.locate import Locator, problem_from_error
from senforms.model import Register
from senforms.model.calendar import SchoolYearTerms, check_term_dates
from senforms.model.costing import HourlyRates

RATES_TABLE = "hourly_rates"
TERMS_TABLE = "terms"


def with_school_settings(register: Register, settings: Path | None) -> Register:
    """`register` with the settings file's hourly rates and term dates applied (itself without any)."""
    rates_table = settings_table(settings, RATES_TABLE)
    terms_table = settings_table(settings, TERMS_TABLE)
    if not (rates_table or terms_table):
        return register
    assert settings is not None
    if register.school is None:
        raise SenformsError(
            f"{settings.name} gives [{RATES_TABLE}] or [{TERMS_TABLE}], but the register has no school",
            fix="fill in the School sheet (or the school in the JSON file) first",
        )
    school = register.school
    rates = _validated(settings, RATES_TABLE, lambda: HourlyRates.model_validate({**school.hourly_rates.model_dump(), **rates_table}))
    terms = _validated(settings, TERMS_TABLE, lambda: _terms(terms_table))
    updated = school.model_copy(update={"hourly_rates": rates, "term_dates": {**school.term_dates, **terms}})
    return register.model_copy(update={"school": updated})


_TERM_TABLE = TypeAdapter(dict[str, SchoolYearTerms])


def _terms(table: dict[str, Any]) -> dict[str, SchoolYearTerms]:
    return dict(check_term_dates(_TERM_TABLE.validate_python(table)))


def _validated(settings: Path, table: str, build):  # noqa: ANN001, ANN202 - a small local helper
    try:
        return build()
    except ValidationError as exc:
        raise InputError([_problem(settings, table, error) for error in exc.errors()]) from None
    except ValueError as exc:
        raise InputError([Problem(Location(settings.name, f"[{table}]"), str(exc), "write each school year as 2025/26, its terms inside it")]) from None


class _TableLocator(Locator):
    def __init__(self, file: str, table: str) -> None:
        super().__init__(file)
        self.table = table

    def find(self, path: Sequence[Any]) -> Location:
        return Location(self.file, f"[{self.table}]", column=".".join(str(part) for part in path) or None)


def _problem(settings: Path, table: str, error) -> Problem:  # noqa: ANN001
    problem = problem_from_error(error, _TableLocator(settings.name, table))
    if error["type"] == "extra_forbidden":
        known = HourlyRates.model_fields if table == RATES_TABLE else ("autumn", "spring", "summer")
        return Problem(problem.location, "is not a setting senforms knows", "use one of: " + ", ".join(known))
    if error["type"] == "missing":
        return Problem(problem.location, "is needed", "give the term's first and last day, e.g. [\"03/09/2025\", \"19/12/2025\"]")
    return problem
