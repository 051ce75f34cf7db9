"""School calendar facts derived from dates: school year, term, end of compulsory school age."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated

from dateutil.easter import easter
from pydantic import Field, model_validator

from senforms.model._base import Record
from senforms.model.values import UkDate
from senforms.ukformat import short_date

TERM_NAMES = ("autumn", "spring", "summer")


def school_year_start(on: dt.date) -> int:
    """The calendar year in which the school year containing `on` began (1 September)."""
    return on.year if on.month >= 9 else on.year - 1


def school_year(on: dt.date) -> str:
    """'2025/26' for any date from 1 September 2025 to 31 August 2026."""
    start = school_year_start(on)
    return f"{start}/{(start + 1) % 100:02d}"


TermSpan = Annotated[list[UkDate], Field(min_length=2, max_length=2, description="The term's first and last day")]


class SchoolYearTerms(Record):
    """One school year's term dates, as the school publishes them (the settings file's [terms."2025/26"]
    table, or School › term_dates in JSON): each term's first and last day."""

    autumn: TermSpan
    spring: TermSpan
    summer: TermSpan

    @model_validator(mode="after")
    def _in_order(self) -> SchoolYearTerms:
        previous_last: dt.date | None = None
        for name in TERM_NAMES:
            first, last = getattr(self, name)
            if last < first:
                raise ValueError(f"the {name} term ends ({short_date(last)}) before it starts ({short_date(first)})")
            if previous_last is not None and first <= previous_last:
                raise ValueError(f"the {name} term starts ({short_date(first)}) before the term before it ends")
            previous_last = last
        return self

    def spans(self) -> list[tuple[str, dt.date, dt.date]]:
        return [(name, *getattr(self, name)) for name in TERM_NAMES]

    def term_of(self, on: dt.date) -> str:
        """The term `on` falls in; in a holiday, the term just ended (before the autumn term starts: autumn)."""
        current = "autumn"
        for name, first, _last in self.spans():
            if on >= first:
                current = name
        return current


TermDates = Mapping[str, SchoolYearTerms]  # keyed by school year, '2025/26'
NO_TERM_DATES: TermDates = {}


def check_term_dates(table: Mapping[str, SchoolYearTerms]) -> Mapping[str, SchoolYearTerms]:
    """Each key a school year ('2025/26') whose terms fall inside it (1 September to 31 August)."""
    for key, terms in table.items():
        start = int(key[:4]) if len(key) == 7 and key[:4].isdigit() and key[4] == "/" else None
        if start is None or key != f"{start}/{(start + 1) % 100:02d}":
            raise ValueError(f"'{key}' is not a school year: write it as 2025/26")
        for name, first, last in terms.spans():
            if school_year(first) != key or school_year(last) != key:
                raise ValueError(f"the {name} term given for {key} is not inside that school year (1 September to 31 August)")
    return table


def term(on: dt.date, term_dates: TermDates = NO_TERM_DATES) -> str:
    """'autumn', 'spring' or 'summer'. From the school's own term dates for that school year when
    it gives them; else by rule: autumn is September to December, spring January to Good Friday,
    summer after Easter to August. English schools break for Easter, so the spring term ends with
    it, not with March (1 April 2025 is still spring: Easter Sunday was 20 April)."""
    own = term_dates.get(school_year(on))
    if own is not None:
        return own.term_of(on)
    if on.month >= 9:
        return "autumn"
    return "spring" if on <= good_friday(on.year) else "summer"


def good_friday(year: int) -> dt.date:
    return easter(year) - dt.timedelta(days=2)


def term_label(on: dt.date, term_dates: TermDates = NO_TERM_DATES) -> str:
    """'autumn term 2025' / 'spring term 2026'."""
    return f"{term(on, term_dates)} term {on.year}"


def _last_friday_of_june(year: int) -> dt.date:
    day = dt.date(year, 6, 30)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def end_of_compulsory_school_age(born: dt.date) -> dt.date:
    """The last Friday of June in the school year in which the pupil turns 16."""
    sixteenth = dt.date(born.year + 16, born.month, 28 if (born.month, born.day) == (2, 29) else born.day)
    return _last_friday_of_june(school_year_start(sixteenth) + 1)


def is_young_person(born: dt.date, on: dt.date) -> bool:
    """Over compulsory school age: letters then go to the young person, not their parents."""
    return on > end_of_compulsory_school_age(born)


def national_curriculum_year(born: dt.date, on: dt.date) -> int:
    """The year group a pupil's age puts them in (0 = Reception), for a chronological-year check."""
    age_on_31_august = school_year_start(on) - born.year - (1 if (born.month, born.day) > (8, 31) else 0)
    return age_on_31_august - 4


REPLY_NOTICE = dt.timedelta(days=7)
REPLY_SCHOOL_DAYS = 2  # the least time a family is given to answer a letter


def add_school_days(day: dt.date, count: int) -> dt.date:
    """`count` weekdays after `day` (term dates are not known here: weekends are skipped)."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def reply_by(meeting_date: dt.date, letter_date: dt.date) -> dt.date | None:
    """The date an invitation asks parents to reply by, or None when there is no time to ask for one.

    A week before the meeting; when that leaves the family less than two school days from the
    letter, two school days after the letter instead, as long as that is still before the meeting.
    Never a date on or before the letter's own date.
    """
    wanted = meeting_date - REPLY_NOTICE
    earliest = add_school_days(letter_date, REPLY_SCHOOL_DAYS)
    if wanted >= earliest:
        return wanted
    return earliest if earliest < meeting_date else None
