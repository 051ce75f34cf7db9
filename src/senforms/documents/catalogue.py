"""The documents senforms makes, and which ones a register calls for (one per cycle, parent, meeting…).

Selecting is kept apart from rendering: `plan_jobs` is pure, so --dry-run and the bundle use it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from senforms.documents.context import base_context, contact_context, cycle_context, meeting_context, request_context
from senforms.errors import SenformsError
from senforms.model import Cycle, LocalAuthority, Meeting, ParentCarer, Pupil, Register, SenStatus
from senforms.ukformat import long_date


@dataclass(frozen=True)
class Job:
    """One document to make: which template, for whom, with what context."""

    kind: str
    pupil: Pupil
    context: dict[str, Any] = field(hash=False, compare=False)
    cycle: Cycle | None = None
    contact: ParentCarer | None = None
    meeting: Meeting | None = None
    on: dt.date = field(default_factory=dt.date.today)  # the date the batch is made for (--date)

    @property
    def name_fields(self) -> dict[str, str]:
        """What a file-name pattern may use."""
        return {
            "upn": self.pupil.upn,
            "forename": self.pupil.legal_forename,
            "surname": self.pupil.legal_surname,
            "known_as": self.pupil.known_as,
            "initials": self.pupil.initials,
            "year": str(self.pupil.year_group),
            "class": self.pupil.class_name or "",
            "document": self.kind,
            "cycle": str(self.cycle.number) if self.cycle else "",
            "contact": self.contact.id if self.contact else ("pupil" if self.kind == "parent-notification" else ""),
            "meeting": self.meeting.id if self.meeting else "",
            "date": (self.meeting.date if self.meeting else self.on).isoformat(),
        }

    @property
    def description(self) -> str:
        """For summaries and the manifest; no names (they may be logged)."""
        parts = [self.kind, self.pupil.upn]
        if self.cycle:
            parts.append(f"cycle {self.cycle.number}")
        if self.meeting:
            parts.append(f"meeting {self.meeting.id}")
        if self.contact:
            parts.append(f"contact {self.contact.id}")
        return " · ".join(parts)


@dataclass(frozen=True)
class DocumentKind:
    name: str
    title: str
    template: str
    unit: str
    default_name: str
    jobs: Callable[[Register, Pupil, dt.date, bool], Iterator[Job]]
    sen_support_only: bool = False  # SEN support plans and reviews: not for a pupil with an EHC plan unless asked
    not_for_ehc_plans: bool = False  # a needs assessment request: never for a pupil who already has an EHC plan
    dated_by_request: bool = False  # without a date given, dated on the pupil's stored request date (Reviews › Request date)
    to_parent: bool = False  # one letter per parent (or young person): a school's Word mail-merge letter can be used


ANNUAL_REVIEW_ROUTE = (
    "a pupil with an EHC plan does not need an EHC needs assessment request: "
    "their plan is reviewed at the annual review (or an early review), which can ask the LA to amend it"
)


SCHOOL_DETAILS_FIX = (
    "add the school's details: on the workbook's School sheet; in a folder of CSV exports, a school.csv with "
    "Setting and Value columns and a row each for School name, School address, Head teacher, SENCo and Local authority; "
    "in a JSON register, 'school'"
)


def request_facts_missing(register: Register, la: LocalAuthority | None = None) -> list[tuple[str, str]]:
    """What the request and the covering letter need from the register and is not there: (what, how to fill it)."""
    missing = []
    school = register.school
    if school is None:
        missing.append(("the register has no school details", SCHOOL_DETAILS_FIX))
    elif not school.address:
        missing.append(("the school's details have no School address", "add 'School address' on the School sheet (or a row in school.csv)"))
    if (la or register.local_authority) is None:
        missing.append((
            "the register does not say which local authority the request goes to",
            "add 'Local authority' on the School sheet (or a row in school.csv), or the [local_authority] table of the school settings file",
        ))
    return missing


def require_request_facts(register: Register, la: LocalAuthority | None = None) -> None:
    """Refuse, before anything is rendered, a request or covering letter the register cannot fill."""
    missing = request_facts_missing(register, la)
    if missing:
        raise SenformsError(
            "the request for an EHC needs assessment and the covering letter cannot be made: " + "; ".join(what for what, _ in missing),
            fix="; ".join(fix for _, fix in missing),
        )


def require_school(register: Register, kind: str) -> None:
    """Refuse, before anything is rendered, a shipped document the register has no school for."""
    if register.school is None:
        raise SenformsError(
            f"{KINDS[kind].title}: nothing can be made, because the register has no school details (every document names the school, its head teacher and its SENCo)",
            fix=SCHOOL_DETAILS_FIX,
        )


def documents_lacking(register: Register) -> list[tuple[str, str]]:
    """What the shipped documents need that the register lacks, before `render` fails: (what, how to fill it)."""
    if register.school is None:
        return [("no document can be made yet: the register has no school details, and every document names the school, its head teacher and its SENCo", SCHOOL_DETAILS_FIX)]
    if not any(p.requests_ehc_assessment and not p.has_ehc_plan for p in register.pupils):
        return []
    missing = request_facts_missing(register)
    if not missing:
        return []
    return [(
        "the request for an EHC needs assessment and the covering letter to the LA cannot be made: " + "; ".join(what for what, _ in missing),
        "; ".join(fix for _, fix in missing),
    )]


def held_back_for_ehc_plan(kind: str, pupils: list[Pupil], *, include_ehc_plans: bool = False) -> list[Pupil]:
    """The pupils among `pupils` that `kind` leaves out because they already have an EHC plan."""
    document = KINDS[kind]
    if document.not_for_ehc_plans:  # only those a review asked a request for: the rest were never due one
        return [p for p in pupils if p.has_ehc_plan and p.latest_review is not None and p.latest_review.decision.value == "request_ehc_assessment"]
    if document.sen_support_only and not include_ehc_plans:
        return [p for p in pupils if p.has_ehc_plan]
    return []


@dataclass(frozen=True)
class LeftOut:
    """A pupil a batch makes no letter for, and why, in words a SENCo reads."""

    pupil: Pupil
    reason: str  # "notified", "ehc_plan" or "not_on_sen_support": the CLI groups by it
    detail: str  # e.g. "parents told on 7 September 2026"


def notification_due(pupil: Pupil) -> bool:
    """The s.68 letter is still to be sent: SEN support is being made and no notification is recorded."""
    return pupil.sen_status == SenStatus.SEN_SUPPORT and pupil.parental_notification_sent is None


def notifications_left_out(pupils: list[Pupil], *, include_notified: bool = False) -> list[LeftOut]:
    """The pupils among `pupils` who get no parent-notification letter, each with the reason."""
    left_out: list[LeftOut] = []
    for pupil in pupils:
        if pupil.has_ehc_plan:
            left_out.append(LeftOut(pupil, "ehc_plan", "has an EHC plan (s.68 applies where no EHC plan is maintained)"))
        elif pupil.sen_status != SenStatus.SEN_SUPPORT:
            left_out.append(LeftOut(pupil, "not_on_sen_support", "is not on SEN support (status N)"))
        elif not include_notified and pupil.parental_notification_sent is not None:
            left_out.append(LeftOut(pupil, "notified", f"told on {long_date(pupil.parental_notification_sent)}"))
    return left_out


def _young_person_recipient(pupil: Pupil) -> dict[str, Any]:
    return {
        "id": "pupil",
        "name": pupil.full_name,
        "title": "",
        "salutation": pupil.known_as,
        "relationship": "Young person",
        "parental_responsibility": False,
        "address": list(pupil.address),
        "email": "",
        "phone": "",
        "language": pupil.first_language or "",
        "interpreter_needed": False,
    }


def _cycles_for(pupil: Pupil, all_cycles: bool, reviewed: bool) -> list[Cycle]:
    cycles = [c for c in pupil.cycles if c.completed] if reviewed else list(pupil.cycles)
    if all_cycles:
        return cycles
    if reviewed:
        return cycles[-1:]
    current = pupil.current_cycle
    return [current] if current else []


def _support_plans(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    for cycle in _cycles_for(pupil, all_cycles, reviewed=False):
        yield Job("support-plan", pupil, {**base_context(register, pupil, on), "cycle": cycle_context(cycle, register.hourly_rates, on, term_dates=register.term_dates)}, cycle=cycle, on=on)


def _reviews(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    for cycle in _cycles_for(pupil, all_cycles, reviewed=True):
        yield Job("review", pupil, {**base_context(register, pupil, on), "cycle": cycle_context(cycle, register.hourly_rates, term_dates=register.term_dates)}, cycle=cycle, on=on)


def _recipients(pupil: Pupil, on: dt.date, only: list[str] | None = None) -> Iterator[tuple[ParentCarer | None, dict[str, Any]]]:
    """Who a letter goes to: the young person once over compulsory school age, else each parent with PR."""
    if pupil.is_young_person(on):
        yield None, _young_person_recipient(pupil)
        return
    for contact in pupil.with_parental_responsibility:
        if only and contact.id not in only:
            continue
        yield contact, contact_context(contact, pupil)


def _notifications(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    if pupil.sen_status != SenStatus.SEN_SUPPORT:
        return
    cycle = pupil.current_cycle
    for contact, recipient in _recipients(pupil, on):
        context = {**base_context(register, pupil, on), "recipient": recipient, "cycle": cycle_context(cycle, register.hourly_rates, term_dates=register.term_dates) if cycle else None}
        yield Job("parent-notification", pupil, context, cycle=cycle, contact=contact, on=on)


def _invitations(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    for meeting in pupil.meetings:
        if meeting.held or meeting.date <= on:
            continue  # a letter dated the day of the meeting (or after it) cannot invite anyone to it
        for contact, recipient in _recipients(pupil, on, meeting.invite_contact_ids or None):
            context = {**base_context(register, pupil, on), "recipient": recipient, "meeting": meeting_context(meeting, on)}
            yield Job("invitation", pupil, context, contact=contact, meeting=meeting, on=on)


def _profiles(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    """One "All about me" for each pupil on the SEN register (SEN support or an EHC plan)."""
    if pupil.sen_status != SenStatus.NO_SEN:
        yield Job("one-page-profile", pupil, base_context(register, pupil, on), on=on)


def _requests(kind: str) -> Callable[[Register, Pupil, dt.date, bool], Iterator[Job]]:
    def jobs(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
        if pupil.requests_ehc_assessment:
            yield Job(kind, pupil, request_context(register, pupil, on), on=on)

    return jobs


KINDS: dict[str, DocumentKind] = {
    kind.name: kind
    for kind in (
        DocumentKind("support-plan", "SEN support plan", "support-plan.docx", "cycle", "{upn}-support-plan-cycle-{cycle}", _support_plans, sen_support_only=True),
        DocumentKind("review", "SEN support review record", "review.docx", "cycle", "{upn}-review-cycle-{cycle}", _reviews, sen_support_only=True),
        DocumentKind("parent-notification", "Letter telling parents about SEN support", "parent-notification.docx", "parent", "{upn}-parent-notification-{contact}", _notifications, to_parent=True),
        DocumentKind("invitation", "Meeting invitation", "invitation.docx", "meeting invitee", "{upn}-invitation-{meeting}-{contact}", _invitations, to_parent=True),
        DocumentKind("ehc-request", "Request for an EHC needs assessment", "ehc-request.docx", "pupil", "{upn}-ehc-request", _requests("ehc-request"), not_for_ehc_plans=True, dated_by_request=True),
        DocumentKind("la-cover-letter", "Covering letter to the local authority", "la-cover-letter.docx", "pupil", "{upn}-la-cover-letter", _requests("la-cover-letter"), not_for_ehc_plans=True, dated_by_request=True),
        DocumentKind("one-page-profile", "One-page profile", "one-page-profile.docx", "pupil", "{upn}-one-page-profile", _profiles),
    )
}


def plan_jobs(
    register: Register,
    kind: str,
    *,
    on: dt.date | None = None,
    pupils: list[Pupil] | None = None,
    all_cycles: bool = False,
    include_ehc_plans: bool = False,
    include_notified: bool = True,
) -> list[Job]:
    """Every document of `kind` the register calls for, in register order.

    A pupil with an EHC plan gets no needs assessment request or covering letter, and no SEN
    support plan or review unless `include_ehc_plans` asks for them. With `include_notified`
    False, parent-notification letters are planned only for families not yet told (s.68); the
    planner's default is every letter, the batch's (`RenderOptions`) only those still due.
    Without `on`, documents are dated today, except the request and its covering letter: those
    carry the pupil's stored request date when there is one, so every statutory date runs from it.
    """
    given = on
    on = on or dt.date.today()
    document = KINDS[kind]
    chosen = pupils if pupils is not None else register.pupils
    held_back = {p.upn for p in chosen if p.has_ehc_plan and (document.not_for_ehc_plans or (document.sen_support_only and not include_ehc_plans))}
    jobs: list[Job] = []
    for pupil in chosen:
        if pupil.upn in held_back:
            continue
        if kind == "parent-notification" and not include_notified and not notification_due(pupil):
            continue
        dated = (given or pupil.ehc_request_date or on) if document.dated_by_request else on
        jobs.extend(document.jobs(register, pupil, dated, all_cycles))
    return jobs
