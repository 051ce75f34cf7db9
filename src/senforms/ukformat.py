"""The one place that formats values for people: UK long dates, money in pounds, ages."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def long_date(value: dt.date | None) -> str:
    """3 March 2026 (no leading zero, as UK letters write it); '' for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.day} {value.strftime('%B')} {value.year}"


def short_date(value: dt.date | None) -> str:
    """03/03/2026; '' for None."""
    return value.strftime("%d/%m/%Y") if value else ""


def money(value: Decimal | int | float | None, *, pence: bool = True) -> str:
    """£1,250.00 (or £1,250 with pence=False); '' for None."""
    if value is None:
        return ""
    amount = Decimal(str(value)).quantize(Decimal("0.01") if pence else Decimal("1"), ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}" if pence else f"{sign}£{abs(amount):,.0f}"


def age_on(born: dt.date, on: dt.date) -> tuple[int, int]:
    """Completed (years, months) of age on a date."""
    months = (on.year - born.year) * 12 + (on.month - born.month)
    if on.day < born.day:
        months -= 1
    return months // 12, months % 12


def age_text(born: dt.date | None, on: dt.date) -> str:
    """'9 years 4 months'; '' when the date of birth is unknown."""
    if born is None:
        return ""
    years, months = age_on(born, on)
    y = f"{years} year{'s' if years != 1 else ''}"
    return f"{y} {months} month{'s' if months != 1 else ''}"


def time_text(value: dt.time | None) -> str:
    """'3:30pm' / '10am', as UK letters write times; '' for None."""
    if value is None:
        return ""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"
