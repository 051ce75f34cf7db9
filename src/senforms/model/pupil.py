"""A pupil on the SEN register, the adults around them, and their SEN support history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from senforms.model import calendar
from senforms.model._base import Record
from senforms.model.apdr import Cycle
from senforms.model.codes import BroadArea, ContactMethod, Gender, MeetingType, NeedCode, ProfessionalRole, SenStatus
from senforms.model.events import Consent, EvidenceFile, Meeting
from senforms.model.values import Address, Email, OptionalText, OptionalUkDate, Phone, Text, UkDate, Upn, YesNo
from senforms.ukformat import age_on


def parse_year_group(value: Any) -> Any:
    """5, 'Year 5', 'Y5', 'R' / 'Reception', 'N1', 'N2'."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, str):
        return value
    text = value.strip().casefold().replace("year", "").replace("yr", "").strip().lstrip("y").strip()
    named = {"r": 0, "reception": 0, "rec": 0, "n2": -1, "n1": -2, "nursery": -1}
    if text in named:
        return named[text]
    if text.lstrip("-").isdigit():
        return int(text)
    raise PydanticCustomError(
        "year_group", "'{value}' is not a year group", {"value": value, "fix": "use R for Reception, or 1 to 14"}
    )


class ParentCarer(Record):
    """A parent or carer, with or without parental responsibility."""

    id: Text
    title: OptionalText = None
    name: Text
    relationship: Text
    parental_responsibility: YesNo
    address: Address = Field(default_factory=list)
    email: Email = None
    phone: Phone = None
    preferred_contact: ContactMethod = ContactMethod.EMAIL
    language: OptionalText = None
    interpreter_needed: YesNo = False

    @property
    def salutation(self) -> str:
        """'Dear Mrs Okafor' material: title and surname when a title is given, else the full name."""
        if self.title:
            return f"{self.title} {self.name.split()[-1]}"
        return self.name

    @property
    def wants_email(self) -> bool:
        return bool(self.email) and self.preferred_contact == ContactMethod.EMAIL


class Professional(Record):
    """An external professional involved with the pupil."""

    role: ProfessionalRole
    name: OptionalText = None
    service: Text
    first_involved: OptionalUkDate = None
    last_involved: OptionalUkDate = None
    report_date: OptionalUkDate = None
    summary: OptionalText = None


class Pupil(Record):
    """One pupil on the SEN register: identity, needs, people, and every APDR cycle."""

    upn: Upn
    legal_forename: Text
    legal_surname: Text
    preferred_name: OptionalText = None
    date_of_birth: UkDate
    gender: Gender | None = None
    year_group: Annotated[int, BeforeValidator(parse_year_group)] = Field(
        ge=-2, le=14, description="National Curriculum year; 0 = Reception, -1/-2 = nursery"
    )
    taught_out_of_year_group: YesNo = Field(
        False, description="Yes when the pupil is taught outside their chronological year group, so the year group is not checked against the date of birth"
    )
    class_name: OptionalText = None
    address: Address = Field(default_factory=list)
    admission_date: OptionalUkDate = None
    sen_status: SenStatus
    sen_support_start: OptionalUkDate = None
    primary_need: NeedCode | None = Field(
        None, validate_default=True, description="Needed for SEN support (K) and an EHC plan (E); none for status N (no SEN)"
    )
    secondary_need: NeedCode | None = None
    broad_areas: list[BroadArea] = Field(default_factory=list)
    eal: YesNo = False
    first_language: OptionalText = None
    pupil_premium: YesNo = False
    looked_after: YesNo = False
    attendance_percent: float | None = Field(None, ge=0, le=100)
    attendance_period: OptionalText = None
    strengths: OptionalText = None
    needs_communication: OptionalText = None
    needs_cognition: OptionalText = None
    needs_semh: OptionalText = None
    needs_sensory_physical: OptionalText = None
    pupil_views: OptionalText = None
    # The one-page profile ("All about me"): strengths are what people like and admire about the pupil.
    important_to_me: OptionalText = Field(None, description="One-page profile: what is important to the pupil, in their words")
    how_to_support_me: OptionalText = Field(None, description="One-page profile: what helps, and how best to support the pupil")
    what_does_not_help: OptionalText = Field(None, description="One-page profile: what does not help the pupil")
    hopes_for_the_future: OptionalText = Field(None, description="One-page profile: the pupil's hopes and goals for the future")
    parent_views: OptionalText = None
    attainment: OptionalText = None
    attainment_date: OptionalUkDate = None
    health_and_care: OptionalText = None
    outcomes_sought: OptionalText = None
    parental_notification_sent: OptionalUkDate = None
    contacts: list[ParentCarer] = Field(default_factory=list)
    professionals: list[Professional] = Field(default_factory=list)
    cycles: list[Cycle] = Field(default_factory=list)
    meetings: list[Meeting] = Field(default_factory=list)
    evidence: list[EvidenceFile] = Field(default_factory=list)
    consents: list[Consent] = Field(default_factory=list)

    @field_validator("primary_need")
    @classmethod
    def _needed_unless_no_sen(cls, need: NeedCode | None, info: ValidationInfo) -> NeedCode | None:
        # Status N (no SEN) has no type of need; K and E always have one (the census asks for it).
        if need is None and info.data.get("sen_status", SenStatus.NO_SEN) != SenStatus.NO_SEN:
            raise PydanticCustomError(
                "primary_need", "is empty, but a pupil on SEN support or with an EHC plan needs a primary need",
                {"fix": "give the census type-of-need code (for example SPLD, ASD or SEMH; NSA for SEN support without a specialist assessment)"},
            )
        return need

    @model_validator(mode="after")
    def _coherent(self) -> Pupil:
        if self.secondary_need is not None and self.secondary_need == self.primary_need:
            raise ValueError("the secondary need is the same as the primary need")
        if NeedCode.NSA in (self.primary_need, self.secondary_need) and self.sen_status == SenStatus.EHC_PLAN:
            raise ValueError("NSA (no specialist assessment) cannot go with an EHC plan, as the primary or the secondary need")
        numbers = [c.number for c in self.cycles]
        if len(numbers) != len(set(numbers)):
            raise ValueError("two APDR cycles have the same number")
        ids = [c.id for c in self.contacts]
        if len(ids) != len(set(ids)):
            raise ValueError("two parents or carers have the same contact ID")
        self.cycles.sort(key=lambda c: (c.start_date, c.number))
        return self

    # --- derived, never typed ---------------------------------------------------------------
    @property
    def known_as(self) -> str:
        """The name the pupil is known by."""
        return self.preferred_name or self.legal_forename

    @property
    def full_name(self) -> str:
        """Legal forename and surname."""
        return f"{self.legal_forename} {self.legal_surname}"

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in f"{self.legal_forename} {self.legal_surname}".split() if part[0].isalpha()).upper()

    def age(self, on: dt.date) -> tuple[int, int]:
        """(years, months) on a date."""
        return age_on(self.date_of_birth, on)

    def is_young_person(self, on: dt.date) -> bool:
        """Over compulsory school age on that date: letters go to them, not their parents."""
        return calendar.is_young_person(self.date_of_birth, on)

    @property
    def with_parental_responsibility(self) -> list[ParentCarer]:
        return [c for c in self.contacts if c.parental_responsibility]

    @property
    def needs_by_area(self) -> dict[BroadArea, str]:
        """Described needs, keyed by broad area, only where something is written."""
        texts = {
            BroadArea.COMMUNICATION: self.needs_communication,
            BroadArea.COGNITION: self.needs_cognition,
            BroadArea.SEMH: self.needs_semh,
            BroadArea.SENSORY_PHYSICAL: self.needs_sensory_physical,
        }
        return {area: text for area, text in texts.items() if text}

    @property
    def current_cycle(self) -> Cycle | None:
        """The cycle in progress (not yet reviewed), or the latest one."""
        open_cycles = [c for c in self.cycles if not c.completed]
        if open_cycles:
            return open_cycles[-1]
        return self.cycles[-1] if self.cycles else None

    @property
    def completed_cycles(self) -> list[Cycle]:
        return [c for c in self.cycles if c.completed]

    @property
    def latest_review(self):
        reviews = [c.review for c in self.cycles if c.review]
        return max(reviews, key=lambda r: r.date) if reviews else None

    @property
    def has_ehc_plan(self) -> bool:
        """An EHC plan is maintained (status E): no needs assessment request, no SEN support documents by default."""
        return self.sen_status == SenStatus.EHC_PLAN

    @property
    def requests_ehc_assessment(self) -> bool:
        """The latest review decided to request an EHC needs assessment, and the pupil has no EHC plan yet."""
        review = self.latest_review
        return not self.has_ehc_plan and bool(review and review.decision.value == "request_ehc_assessment")

    @property
    def ehc_request_date(self) -> dt.date | None:
        """When the school sends the EHC needs assessment request (the deciding review's Request date), if recorded."""
        review = self.latest_review
        return review.request_date if self.requests_ehc_assessment and review is not None else None

    @property
    def early_discussion(self) -> Meeting | None:
        """The latest held early discussion with parents (Meetings › Type = Early discussion) that records what was said."""
        held = [m for m in self.meetings if m.held and m.type == MeetingType.EARLY_DISCUSSION and m.discussion_points]
        return max(held, key=lambda m: m.date) if held else None

    def contact(self, contact_id: str) -> ParentCarer | None:
        return next((c for c in self.contacts if c.id == contact_id), None)

    def allowed_addresses(self) -> frozenset[str]:
        """Every email address on this pupil's record: the only ones a message about them may go to."""
        return frozenset(c.email.lower() for c in self.contacts if c.email)
