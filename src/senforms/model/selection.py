"""Choosing pupils: by UPN, and by filters such as "year=5"."""

from __future__ import annotations

from collections.abc import Iterable

from senforms.errors import SenformsError
from senforms.model import Pupil, Register

WHERE_FIELDS = {
    "year": lambda p: str(p.year_group),
    "class": lambda p: p.class_name or "",
    "need": lambda p: p.primary_need.value if p.primary_need else "",
    "status": lambda p: p.sen_status.value,
    "upn": lambda p: p.upn,
    "surname": lambda p: p.legal_surname,
}


def _parse(condition: str) -> tuple[str, str, bool]:
    for operator, negate in (("!=", True), ("=", False)):
        if operator in condition:
            field, value = condition.split(operator, 1)
            field = field.strip().casefold()
            if field not in WHERE_FIELDS:
                raise SenformsError(f"the filter '{condition}' asks for '{field}', which senforms cannot filter on", fix="filter on one of: " + ", ".join(WHERE_FIELDS), option="where")
            return field, value.strip(), negate
    raise SenformsError(f"'{condition}' is not a filter", fix='write it as field=value, e.g. year=5', option="where")


def select_pupils(register: Register, upns: Iterable[str] = (), where: Iterable[str] = ()) -> list[Pupil]:
    """The pupils named by UPN (all when none are named) that meet every condition, in register order."""
    wanted = [u.strip().upper() for u in upns]
    unknown = [u for u in wanted if register.pupil(u) is None]
    if unknown:
        raise SenformsError(f"no pupil with UPN {', '.join(unknown)} in the register", fix="check the UPN with `senforms validate`")
    conditions = [_parse(c) for c in where]
    chosen = []
    for pupil in register.pupils:
        if wanted and pupil.upn not in wanted:
            continue
        if all((WHERE_FIELDS[f](pupil).casefold() == v.casefold()) != negate for f, v, negate in conditions):
            chosen.append(pupil)
    return chosen
