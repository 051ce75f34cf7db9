"""The year's meetings with parents: who has had theirs, who is overdue, and dates to propose.

The SEND Code of Practice (6.65) expects schools to meet parents of children on SEN support at
least three times a year. Here a school year runs from 1 September to 31 August in three terms, as
`model.calendar` counts them: autumn (September–December), spring (January–March) and summer
(April–August).

Overdue (documented rule): fewer meetings held this school year than terms already over, or the
last meeting held was more than about four months ago (OVERDUE_AFTER; or there has never been
one) with nothing booked for the current term.

Proposed meetings: one for each term still to come (the current term included) that has no
meeting yet, at a time the school holds parent meetings (`meeting_slots.Availability`, from the
settings file's [meetings] table), at least a week away (NOTICE, so parents can reply) and before
the term's last day for meetings (LAST_DAY). Each term's proposals are spread evenly over its
remaining meeting days, and no one — a member of staff attending, or a parent with two children on
the register — is ever in two meetings at once, booked or proposed. IDs continue the pupil's
M-numbers (M4 → M5, M6).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.styles import Alignment, Font, PatternFill

from senforms.documents.meeting_slots import Availability, Diary, diary_of, people_for
from senforms.inputs.tables import PLAN_SHEET
from senforms.model import Meeting, MeetingType, Pupil, Register, SenStatus
from senforms.model.calendar import NO_TERM_DATES, TermDates, good_friday, school_year, school_year_start
from senforms.outputs.cells import keep_as_text
from senforms.ukformat import long_date, short_date

EXPECTED_PER_YEAR = 3  # Code of Practice 6.65
OVERDUE_AFTER = dt.timedelta(days=122)  # about four months: longer than any term
NOTICE = dt.timedelta(days=7)
PURPOSE = "SEN support review"
# Without the school's own term dates: (term, middle (month, day), last day a meeting may be proposed
# (month, day)). The spring term ends at Easter (Good Friday), so its last meeting day is the earlier of
# 31 March and the day before Good Friday; the summer term counts from the day after Good Friday.
TERMS = (
    ("autumn", (11, 15), (12, 18)),
    ("spring", (3, 10), (3, 31)),
    ("summer", (6, 20), (7, 20)),
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


def terms_of(on: dt.date, term_dates: TermDates = NO_TERM_DATES) -> list[Term]:
    """The three terms of the school year that `on` falls in, end to end from 1 September to 31 August
    (a holiday counts with the term before it): from the school's own term dates when it gives them
    for that year (meetings proposed for the middle of each term, up to its last day), else by rule."""
    start = school_year_start(on)
    year_end = dt.date(start + 1, 8, 31)
    own = term_dates.get(school_year(on))
    if own is not None:
        spans = own.spans()
        terms = []
        for i, (name, first, last) in enumerate(spans):
            counts_from = dt.date(start, 9, 1) if i == 0 else first
            counts_to = spans[i + 1][1] - dt.timedelta(days=1) if i + 1 < len(spans) else year_end
            terms.append(Term(name, counts_from, counts_to, first + (last - first) / 2, last))
        return terms
    easter_break = good_friday(start + 1)
    counting = {
        "autumn": (dt.date(start, 9, 1), dt.date(start, 12, 31)),
        "spring": (dt.date(start + 1, 1, 1), easter_break),
        "summer": (easter_break + dt.timedelta(days=1), year_end),
    }
    terms = []
    for name, middle, last_day in TERMS:
        first, last = counting[name]
        latest = dt.date(first.year, *last_day)
        if name == "spring":
            latest = min(latest, easter_break - dt.timedelta(days=1))
        terms.append(Term(name, first, last, dt.date(first.year, *middle), latest))
    return terms


def meeting_days(term: Term, on: dt.date, availability: Availability) -> list[dt.date]:
    """The days left in `term` for proposing a meeting: a week's notice from `on`, up to its last day for meetings."""
    day = max(term.first, on + NOTICE)
    days = []
    while day <= term.last_day:
        if availability.slots(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


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


def plan_pupil(pupil: Pupil, register: Register, on: dt.date, terms: list[Term]) -> tuple[PupilPlan, list[Term]]:
    """What the pupil has had and has booked this year, whether a meeting is overdue, and the terms
    that still need one (proposed later, for every pupil at once, so no two proposals clash)."""
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

    wanted = [t for t in terms if t.last >= on and not any(t.holds(m.date) for m in held + booked)]
    return PupilPlan(pupil, held, booked, [], overdue, notes), wanted


def _propose(rows: list[tuple[PupilPlan, list[Term]]], register: Register, on: dt.date, terms: list[Term], availability: Availability) -> None:
    """Give each pupil a meeting in each term that needs one: spread over the term's meeting days,
    in the first free slot of the day, never clashing for anyone attending."""
    staff = availability.staff(register)
    diary: Diary = diary_of(register, staff, on, availability.length)
    ids = {row.upn: _next_ids(row.pupil) for row, _ in rows}
    by_upn = {row.upn: row for row, _ in rows}
    for upn, meeting_id, who in diary.clashes:
        if upn in by_upn:
            by_upn[upn].notes.append(f"booked meeting {meeting_id} clashes with another meeting for {who}: move one of them")
    for term in terms:
        needing = [row for row, wanted in rows if term in wanted]
        if not needing:
            continue
        days = meeting_days(term, on, availability)
        for number, row in enumerate(needing):
            slot = _first_free(days, (number * len(days)) // len(needing) if days else 0, people_for(row.pupil, staff), diary, availability)
            if slot is None:
                row.notes.append(f"no free meeting time left in the {term.name} term" if days else f"too late to propose a date in the {term.name} term")
                continue
            begin, end = slot
            diary.book(people_for(row.pupil, staff), begin, end)
            row.proposed.append(
                Meeting(
                    id=next(ids[row.upn]), date=begin.date(), start_time=begin.time(), end_time=end.time(), type=MeetingType.REVIEW,
                    location=_location(row.pupil, register), purpose=PURPOSE, staff_attending=list(staff),
                )
            )


def _first_free(days: list[dt.date], start: int, people: set[str], diary: Diary, availability: Availability) -> tuple[dt.datetime, dt.datetime] | None:
    """The first slot from day `start` on (wrapping round to the term's earlier days) free for everyone."""
    for offset in range(len(days)):
        for begin, end in availability.slots(days[(start + offset) % len(days)]):
            if diary.free(people, begin, end):
                return begin, end
    return None


def plan_meetings(register: Register, on: dt.date, availability: Availability | None = None) -> MeetingPlan:
    """Held, booked and proposed meetings for every pupil on SEN support or with an EHC plan,
    proposals at the school's meeting times (`availability`; default: `Availability()`)."""
    terms = terms_of(on, register.term_dates)
    pupils = [p for p in register.pupils if p.sen_status in (SenStatus.SEN_SUPPORT, SenStatus.EHC_PLAN)]
    rows = [plan_pupil(p, register, on, terms) for p in pupils]
    _propose(rows, register, on, terms, availability or Availability())
    return MeetingPlan(
        on=on,
        school_year=school_year(on),
        terms=terms,
        terms_over=sum(1 for t in terms if t.last < on),
        pupils=[row for row, _ in rows],
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
    return "; ".join(f"{m.id} {short_date(m.date)}" + (f" {m.start_time:%H:%M}" if m.start_time else "") for m in meetings)


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
