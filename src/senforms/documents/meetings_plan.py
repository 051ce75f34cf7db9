"""The year's meetings with parents: who has had theirs, who is overdue, and dates to propose.

The SEND Code of Practice (6.65) expects schools to meet parents of children on SEN support at
least three times a year. Here a school year runs from 1 September to 31 August in three terms, as
`model.calendar` counts them: autumn (September–December), spring (January–March) and summer
(April–August).

Overdue (documented rule): fewer meetings held this school year than terms already over, or the
last meeting held was more than about four months ago (OVERDUE_AFTER; or there has never been
one) with nothing booked for the current term.

Proposed dates: one for each term still to come (the current term included) that has no meeting
yet: the Tuesday nearest the term's middle (15 November, 10 March, 20 June), 15:30 to 16:15, "SEN
support review". A date that is already past, or less than a week away (NOTICE, so parents can
reply), moves to the first Tuesday after that week, if the term has not ended by then (LAST_DAY).
IDs continue the pupil's M-numbers (M4 → M5, M6).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.styles import Alignment, Font, PatternFill

from senforms.model import Meeting, MeetingType, Pupil, Register, SenStatus
from senforms.model.calendar import school_year, school_year_start
from senforms.outputs.cells import keep_as_text
from senforms.ukformat import long_date, short_date

EXPECTED_PER_YEAR = 3  # Code of Practice 6.65
OVERDUE_AFTER = dt.timedelta(days=122)  # about four months: longer than any term
NOTICE = dt.timedelta(days=7)
TUESDAY = 1
START, END = dt.time(15, 30), dt.time(16, 15)
PURPOSE = "SEN support review"
PLAN_SHEET = "Meeting plan"
# (term, first month, middle (month, day), last day a meeting may be proposed (month, day), end (month, day))
TERMS = (
    ("autumn", 9, (11, 15), (12, 18), (12, 31)),
    ("spring", 1, (3, 10), (3, 31), (3, 31)),
    ("summer", 4, (6, 20), (7, 20), (8, 31)),
)
_M_NUMBER = re.compile(r"^M(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """One term of a school year, with its middle (where a proposed meeting goes)."""

    name: str
    first: dt.date
    last: dt.date  # the term's end for counting (the day before the next term starts)
    middle: dt.date
    last_day: dt.date  # the latest date a meeting is proposed for (before the holidays)

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    @property
    def label(self) -> str:
        return f"{self.name} term {self.first.year}"


def terms_of(on: dt.date) -> list[Term]:
    """The three terms of the school year that `on` falls in."""
    start = school_year_start(on)
    terms = []
    for name, month, (mid_m, mid_d), (last_m, last_d), (end_m, end_d) in TERMS:
        year = start if month >= 9 else start + 1
        terms.append(
            Term(name, dt.date(year, month, 1), dt.date(year, end_m, end_d), dt.date(year, mid_m, mid_d), dt.date(year, last_m, last_d))
        )
    return terms


def nearest_tuesday(day: dt.date) -> dt.date:
    """The Tuesday nearest `day` (the day itself if it is one)."""
    back = (day.weekday() - TUESDAY) % 7
    return day - dt.timedelta(days=back) if back <= 3 else day + dt.timedelta(days=7 - back)


def _first_tuesday_from(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(TUESDAY - day.weekday()) % 7)


def proposed_date(term: Term, on: dt.date) -> dt.date | None:
    """Where a meeting for `term` goes: mid-term, never sooner than NOTICE from `on`, None if too late."""
    day = nearest_tuesday(term.middle)
    earliest = on + NOTICE
    if day < earliest:
        day = _first_tuesday_from(earliest)
    return day if day <= term.last_day else None


@dataclass
class PupilPlan:
    """One pupil's meetings this school year against the three-a-year expectation."""

    pupil: Pupil
    held: list[Meeting]
    booked: list[Meeting]
    proposed: list[Meeting]
    overdue: bool
    notes: list[str] = field(default_factory=list)

    @property
    def upn(self) -> str:
        return self.pupil.upn


@dataclass
class MeetingPlan:
    """The plan for every pupil on SEN support or with an EHC plan, as of `on`."""

    on: dt.date
    school_year: str
    terms: list[Term]
    terms_over: int
    pupils: list[PupilPlan]

    @property
    def proposed_count(self) -> int:
        return sum(len(p.proposed) for p in self.pupils)


def _next_ids(pupil: Pupil) -> Iterator[str]:
    taken = {m.id.upper() for m in pupil.meetings}
    numbers = [int(m.group(1)) for m in (_M_NUMBER.match(x.id) for x in pupil.meetings) if m]
    number = max(numbers, default=0)
    while True:
        number += 1
        if f"M{number}" not in taken:
            yield f"M{number}"


def _location(pupil: Pupil, register: Register) -> str | None:
    """Where the pupil's meetings usually are: the latest one with a place, else the school."""
    for meeting in sorted(pupil.meetings, key=lambda m: m.date, reverse=True):
        if meeting.location:
            return meeting.location
    return register.school.name if register.school else None


def plan_pupil(pupil: Pupil, register: Register, on: dt.date, terms: list[Term]) -> PupilPlan:
    first, last = terms[0].first, terms[-1].last
    this_year = [m for m in pupil.meetings if first <= m.date <= last]
    held = sorted((m for m in this_year if m.held), key=lambda m: m.date)
    booked = sorted((m for m in this_year if not m.held and m.date >= on), key=lambda m: m.date)
    notes: list[str] = []
    unrecorded = [m for m in this_year if not m.held and m.date < on]
    if unrecorded:
        notes.append(f"{len(unrecorded)} past meeting(s) not marked as held ({', '.join(m.id for m in unrecorded)})")

    terms_over = sum(1 for t in terms if t.last < on)
    current = next((t for t in terms if t.holds(on)), None)
    overdue = False
    if len(held) < terms_over:
        overdue = True
        notes.append(f"{len(held)} held this year, {terms_over} term(s) over")
    last_held = max((m.date for m in pupil.meetings if m.held and m.date <= on), default=None)
    booked_this_term = current is not None and any(current.holds(m.date) for m in booked)
    if (last_held is None or on - last_held > OVERDUE_AFTER) and not booked_this_term:
        overdue = True
        notes.append("no meeting held in the last four months" if last_held else "no meeting held yet")

    ids = _next_ids(pupil)
    proposed: list[Meeting] = []
    for term in terms:
        if term.last < on or any(term.holds(m.date) for m in held + booked):
            continue
        day = proposed_date(term, on)
        if day is None:
            notes.append(f"too late to propose a date in the {term.name} term")
            continue
        proposed.append(
            Meeting(
                id=next(ids), date=day, start_time=START, end_time=END, type=MeetingType.REVIEW,
                location=_location(pupil, register), purpose=PURPOSE,
            )
        )
    return PupilPlan(pupil, held, booked, proposed, overdue, notes)


def plan_meetings(register: Register, on: dt.date) -> MeetingPlan:
    """Held, booked and proposed meetings for every pupil on SEN support or with an EHC plan."""
    terms = terms_of(on)
    pupils = [p for p in register.pupils if p.sen_status in (SenStatus.SEN_SUPPORT, SenStatus.EHC_PLAN)]
    return MeetingPlan(
        on=on,
        school_year=school_year(on),
        terms=terms,
        terms_over=sum(1 for t in terms if t.last < on),
        pupils=[plan_pupil(p, register, on, terms) for p in pupils],
    )


def with_proposals(register: Register, plan: MeetingPlan) -> Register:
    """A copy of the register with every proposed meeting added to its pupil's meetings."""
    extra = {p.upn: p.proposed for p in plan.pupils if p.proposed}
    pupils = [
        pupil.model_copy(update={"meetings": [*pupil.meetings, *extra[pupil.upn]]}) if pupil.upn in extra else pupil
        for pupil in register.pupils
    ]
    return register.model_copy(update={"pupils": pupils})


def _dates(meetings: list[Meeting]) -> str:
    return "; ".join(f"{m.id} {short_date(m.date)}" for m in meetings)


def plan_workbook(register: Register, plan: MeetingPlan):
    """The complete register workbook with the proposed meetings in it, and a first sheet
    "Meeting plan" (UPN, held, booked, proposed, overdue). `senforms` reads it back as a register."""
    from senforms.inputs.workbook import build_workbook

    workbook = build_workbook(with_proposals(register, plan))
    sheet = workbook.create_sheet(PLAN_SHEET, 0)
    headers = ["UPN", "Held this year", "Booked", "Proposed", "Overdue", "Note"]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.font = Font(bold=True, color="FFFFFF")
    for row in plan.pupils:
        values = [row.upn, len(row.held), _dates(row.booked), _dates(row.proposed), "Yes" if row.overdue else "No", "; ".join(row.notes)]
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            keep_as_text(cell)  # never a live formula
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for letter, width in zip("ABCDEF", (18, 14, 22, 30, 10, 50)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    note_row = sheet.max_row + 2
    sheet.cell(note_row, 1, f"School year {plan.school_year}, as of {long_date(plan.on)}. Code of Practice 6.65: meet parents at least "
               f"{EXPECTED_PER_YEAR} times a year. Proposed meetings are on the Meetings sheet: change their dates there, then "
               "run senforms invite on this workbook.")
    workbook.active = 0
    return workbook


def save_plan(register: Register, plan: MeetingPlan, path: Path | str, *, overwrite: bool = False) -> Path:
    """Write `plan_workbook` atomically (never over an existing file unless `overwrite`)."""
    from senforms.inputs.workbook import save_workbook

    return save_workbook(plan_workbook(register, plan), path, overwrite=overwrite)
