"""The documents senforms makes, and which ones a register calls for (one per cycle, parent, meeting…).

Selecting is kept apart from rendering: `plan_jobs` is pure, so --dry-run and the bundle use it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from senforms.documents.context import base_context, contact_context, cycle_context, meeting_context, request_context
from senforms.model import Cycle, Meeting, ParentCarer, Pupil, Register, SenStatus


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


ANNUAL_REVIEW_ROUTE = (
    "a pupil with an EHC plan does not need an EHC needs assessment request: "
    "their plan is reviewed at the annual review (or an early review), which can ask the LA to amend it"
)


def held_back_for_ehc_plan(kind: str, pupils: list[Pupil], *, include_ehc_plans: bool = False) -> list[Pupil]:
    """The pupils among `pupils` that `kind` leaves out because they already have an EHC plan."""
    document = KINDS[kind]
    if document.not_for_ehc_plans:  # only those a review asked a request for: the rest were never due one
        return [p for p in pupils if p.has_ehc_plan and p.latest_review is not None and p.latest_review.decision.value == "request_ehc_assessment"]
    if document.sen_support_only and not include_ehc_plans:
        return [p for p in pupils if p.has_ehc_plan]
    return []


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
        yield Job("support-plan", pupil, {**base_context(register, pupil, on), "cycle": cycle_context(cycle, on)}, cycle=cycle, on=on)


def _reviews(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    for cycle in _cycles_for(pupil, all_cycles, reviewed=True):
        yield Job("review", pupil, {**base_context(register, pupil, on), "cycle": cycle_context(cycle)}, cycle=cycle, on=on)


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
        context = {**base_context(register, pupil, on), "recipient": recipient, "cycle": cycle_context(cycle) if cycle else None}
        yield Job("parent-notification", pupil, context, cycle=cycle, contact=contact, on=on)


def _invitations(register: Register, pupil: Pupil, on: dt.date, all_cycles: bool) -> Iterator[Job]:
    for meeting in pupil.meetings:
        if meeting.held or meeting.date <= on:
            continue  # a letter dated the day of the meeting (or after it) cannot invite anyone to it
        for contact, recipient in _recipients(pupil, on, meeting.invite_contact_ids or None):
            context = {**base_context(register, pupil, on), "recipient": recipient, "meeting": meeting_context(meeting, on)}
            yield Job("invitation", pupil, context, contact=contact, meeting=meeting, on=on)


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
        DocumentKind("parent-notification", "Letter telling parents about SEN support", "parent-notification.docx", "parent", "{upn}-parent-notification-{contact}", _notifications),
        DocumentKind("invitation", "Meeting invitation", "invitation.docx", "meeting invitee", "{upn}-invitation-{meeting}-{contact}", _invitations),
        DocumentKind("ehc-request", "Request for an EHC needs assessment", "ehc-request.docx", "pupil", "{upn}-ehc-request", _requests("ehc-request"), not_for_ehc_plans=True),
        DocumentKind("la-cover-letter", "Covering letter to the local authority", "la-cover-letter.docx", "pupil", "{upn}-la-cover-letter", _requests("la-cover-letter"), not_for_ehc_plans=True),
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
) -> list[Job]:
    """Every document of `kind` the register calls for, in register order.

    A pupil with an EHC plan gets no needs assessment request or covering letter, and no SEN
    support plan or review unless `include_ehc_plans` asks for them.
    """
    on = on or dt.date.today()
    document = KINDS[kind]
    chosen = pupils if pupils is not None else register.pupils
    held_back = {p.upn for p in chosen if p.has_ehc_plan and (document.not_for_ehc_plans or (document.sen_support_only and not include_ehc_plans))}
    jobs: list[Job] = []
    for pupil in chosen:
        if pupil.upn in held_back:
            continue
        jobs.extend(document.jobs(register, pupil, on, all_cycles))
    return jobs
