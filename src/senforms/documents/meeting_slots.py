"""When a school can meet parents, and a diary that never puts one person in two meetings at once.

The school says in its settings file when it holds parent meetings; without it, senforms assumes
Tuesday to Thursday after school, 15:30 to 17:00, in 30-minute meetings, with the SENCo::

    [meetings]
    days = ["Tuesday", "Wednesday", "Thursday"]
    from = "15:30"
    until = "17:00"
    minutes = 30
    attending = ["Mr Daniel Price (SENCo)", "Class teacher"]   # default: the SENCo on the School sheet
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from senforms.errors import SenformsError
from senforms.model import Meeting, Pupil, Register

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Availability:
    """The school's times for parent meetings and who attends them."""

    days: tuple[int, ...] = (1, 2, 3)  # weekday numbers: Tuesday, Wednesday, Thursday
    start: dt.time = dt.time(15, 30)
    end: dt.time = dt.time(17, 0)
    length: dt.timedelta = dt.timedelta(minutes=30)
    attending: tuple[str, ...] = ()  # empty: the SENCo named on the School sheet

    def slots(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The meeting times on `day`, earliest first (none on a day the school does not hold them)."""
        if day.weekday() not in self.days:
            return []
        times = []
        begin = dt.datetime.combine(day, self.start)
        close = dt.datetime.combine(day, self.end)
        while begin + self.length <= close:
            times.append((begin, begin + self.length))
            begin += self.length
        return times

    def staff(self, register: Register) -> tuple[str, ...]:
        if self.attending:
            return self.attending
        school = register.school
        return (school.senco.name,) if school is not None else ()


def _fail(setting: str, problem: str, fix: str) -> SenformsError:
    return SenformsError(f"the [meetings] setting '{setting}' {problem}", fix=fix)


def _time(setting: str, value: Any) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise _fail(setting, f"is '{value}', not a time", 'write it as 24-hour hh:mm, e.g. "15:30"') from None


def availability_from(table: dict[str, Any]) -> Availability:
    """The [meetings] table of the settings file ({} gives the defaults)."""
    default = Availability()
    days = default.days
    if "days" in table:
        names = table["days"] if isinstance(table["days"], list) else [table["days"]]
        try:
            days = tuple(sorted({DAY_NAMES.index(str(name).strip().casefold()) for name in names}))
        except ValueError:
            raise _fail("days", f"is {names}", 'list days by name, e.g. ["Tuesday", "Thursday"]') from None
        if not days:
            raise _fail("days", "is empty", "name at least one day")
    start = _time("from", table["from"]) if "from" in table else default.start
    end = _time("until", table["until"]) if "until" in table else default.end
    minutes = table.get("minutes", 30)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 10 <= minutes <= 180:
        raise _fail("minutes", f"is {minutes!r}", "give a meeting's length in minutes, from 10 to 180")
    length = dt.timedelta(minutes=minutes)
    if dt.datetime.combine(dt.date.min, start) + length > dt.datetime.combine(dt.date.min, end):
        raise _fail("until", f"({end:%H:%M}) leaves no room for a {minutes}-minute meeting from {start:%H:%M}", "make the times further apart")
    attending = table.get("attending", [])
    if isinstance(attending, str):
        attending = [attending]
    if not isinstance(attending, list) or not all(isinstance(a, str) and a.strip() for a in attending):
        raise _fail("attending", "is not a list of names", 'write e.g. ["Mr Daniel Price (SENCo)", "Class teacher"]')
    return Availability(days, start, end, length, tuple(a.strip() for a in attending))


def load_availability(config_path: Path | None) -> Availability:
    from senforms.config.settings import settings_table

    return availability_from(settings_table(config_path, "meetings"))


# Staff named by role rather than by name are a different person for each class.
PER_CLASS_ROLES = frozenset({"class teacher", "teacher", "teaching assistant", "ta", "form tutor", "key worker"})


def _staff(pupil: Pupil, names: Iterable[str]) -> set[str]:
    keys = set()
    for name in names:
        key = re.sub(r"\s*\(.*?\)\s*$", "", name).strip().casefold()  # "Mr Daniel Price (SENCo)" is Mr Daniel Price
        keys.add(f"staff:{key}:{(pupil.class_name or pupil.upn).casefold()}" if key in PER_CLASS_ROLES else f"staff:{key}")
    return keys


def _family(pupil: Pupil, meeting: Meeting | None = None) -> set[str]:
    """Who from home comes: the invited contacts (or everyone with parental responsibility), as
    the same person across brothers and sisters (by email, else by name)."""
    wanted = set(meeting.invite_contact_ids) if meeting and meeting.invite_contact_ids else None
    people = [c for c in pupil.contacts if (c.id in wanted if wanted else c.parental_responsibility)]
    return {f"parent:{(c.email or c.name).casefold()}" for c in people}


@dataclass
class Diary:
    """Everyone's meetings by person, so a new one can be put where none of its people is busy."""

    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = field(default_factory=lambda: defaultdict(list))
    clashes: list[tuple[str, str, str]] = field(default_factory=list)  # (UPN, meeting ID, who) among the meetings already booked

    def free(self, people: Iterable[str], begin: dt.datetime, end: dt.datetime) -> bool:
        return all(end <= b or begin >= e for person in people for b, e in self.busy[person])

    def book(self, people: Iterable[str], begin: dt.datetime, end: dt.datetime) -> None:
        for person in people:
            self.busy[person].append((begin, end))


def diary_of(register: Register, staff: tuple[str, ...], on: dt.date, length: dt.timedelta) -> Diary:
    """The meetings already booked from `on`: each blocks its family and its staff (the named
    staff, or those who attend every meeting when it names none)."""
    diary = Diary()
    for pupil in register.pupils:
        for meeting in pupil.meetings:
            if meeting.held or meeting.date < on or meeting.start_time is None:
                continue
            begin = dt.datetime.combine(meeting.date, meeting.start_time)
            end = dt.datetime.combine(meeting.date, meeting.end_time) if meeting.end_time else begin + length
            names = {key: name for name in (meeting.staff_attending or staff) for key in _staff(pupil, [name])}
            people = set(names) | _family(pupil, meeting)
            for person in sorted(people):
                if not diary.free([person], begin, end):
                    diary.clashes.append((pupil.upn, meeting.id, names.get(person, "a parent")))
            diary.book(people, begin, end)
    return diary


def people_for(pupil: Pupil, staff: tuple[str, ...]) -> set[str]:
    return _staff(pupil, staff) | _family(pupil)
