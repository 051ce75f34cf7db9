"""Choosing pupils: by UPN, and by filters such as "year=5"."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic_core import PydanticCustomError

from senforms.errors import SenformsError
from senforms.model import Pupil, Register
from senforms.model.pupil import parse_year_group


def _year(year: int) -> str:
    return {0: "R", -1: "N2", -2: "N1"}.get(year, str(year))


WHERE_FIELDS = {
    "year": lambda p: _year(p.year_group),
    "class": lambda p: p.class_name or "",
    "need": lambda p: p.primary_need.value if p.primary_need else "",
    "status": lambda p: p.sen_status.value,
    "upn": lambda p: p.upn,
    "surname": lambda p: p.legal_surname,
}


def _parse(condition: str, register: Register) -> tuple[str, str, bool]:
    for operator, negate in (("!=", True), ("=", False)):
        if operator in condition:
            field, value = condition.split(operator, 1)
            field = field.strip().casefold()
            if field not in WHERE_FIELDS:
                raise SenformsError(f"the filter '{condition}' asks for '{field}', which senforms cannot filter on", fix="filter on one of: " + ", ".join(WHERE_FIELDS), option="where")
            value = value.strip()
            if field == "year":
                value = _year_asked(condition, value, register)
            return field, value, negate
    raise SenformsError(f"'{condition}' is not a filter", fix='write it as field=value, e.g. year=5', option="where")


def _year_asked(condition: str, value: str, register: Register) -> str:
    """'5', 'Year 5', 'Y5', 'R' or 'Reception' as the register writes years; a SenformsError for anything else."""
    try:
        year = parse_year_group(value)
    except PydanticCustomError:
        raise SenformsError(
            f"the filter '{condition}' asks for year '{value}', which is not a year group",
            fix=f"use R for Reception, or a number from 1 to 14 ({_has(register, 'year')})", option="where",
        ) from None
    return _year(year)


def _has(register: Register, field: str) -> str:
    """The values the register holds for a filter's field, in a readable order."""
    if field == "year":
        values = [_year(y) for y in sorted({p.year_group for p in register.pupils})]
    else:
        values = sorted({WHERE_FIELDS[field](p) for p in register.pupils} - {""})
    listed = ", ".join(values) or "none"
    return {
        "year": f"the register's pupils are in years {listed}",
        "class": f"the register's pupils are in classes {listed}",
        "need": f"the register's pupils have primary needs {listed}",
        "status": f"the register's pupils have SEN status {listed}",
    }.get(field, f"the register has {len(values)} different {'UPNs' if field == 'upn' else 'surnames'}")


def _no_match(register: Register, where: list[str], conditions: list[tuple[str, str, bool]]) -> SenformsError:
    for condition, (field, value, negate) in zip(where, conditions):
        if not any((WHERE_FIELDS[field](p).casefold() == value.casefold()) != negate for p in register.pupils):
            return SenformsError(
                f"no pupil in the register matches '{condition.strip()}': {_has(register, field)}",
                fix="filter on one of those values, or leave the filter out to include every pupil", option="where",
            )
    return SenformsError(
        f"no pupil in the register matches all of {', '.join(repr(c.strip()) for c in where)} together",
        fix="leave one of the filters out", option="where",
    )


def select_pupils(register: Register, upns: Iterable[str] = (), where: Iterable[str] = (), *, require_match: bool = False) -> list[Pupil]:
    """The pupils named by UPN (all when none are named) that meet every condition, in register order.

    With `require_match`, filters that leave no pupil are a SenformsError saying which filter and
    what values the register has, instead of an empty list (a command that then makes nothing).
    """
    where = list(where)
    wanted = [u.strip().upper() for u in upns]
    unknown = [u for u in wanted if register.pupil(u) is None]
    if unknown:
        raise SenformsError(f"no pupil with UPN {', '.join(unknown)} in the register", fix="check the UPN with `senforms validate`")
    conditions = [_parse(c, register) for c in where]
    chosen = []
    for pupil in register.pupils:
        if wanted and pupil.upn not in wanted:
            continue
        if all((WHERE_FIELDS[f](pupil).casefold() == v.casefold()) != negate for f, v, negate in conditions):
            chosen.append(pupil)
    if require_match and conditions and not chosen and register.pupils:
        raise _no_match(register, where, conditions)
    return chosen
