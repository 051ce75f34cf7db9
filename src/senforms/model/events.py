"""Things that happen around a pupil's SEN support: meetings, evidence files, consent."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from senforms.model._base import Record
from senforms.model.codes import ConsentMethod, ConsentScope, EvidenceKind, MeetingType
from senforms.model.values import OptionalText, OptionalTime, OptionalUkDate, Text, TextList, UkDate, YesNo


class Meeting(Record):
    """A meeting with parents or carers, held or booked."""

    id: Text
    date: UkDate
    start_time: OptionalTime = None
    end_time: OptionalTime = None
    type: MeetingType = MeetingType.REVIEW
    location: OptionalText = None
    online_link: OptionalText = None
    purpose: OptionalText = None
    invite_contact_ids: TextList = Field(default_factory=list)  # empty: everyone with parental responsibility
    staff_attending: TextList = Field(default_factory=list)
    held: YesNo = False
    # What an early discussion with parents covered (§1.2, §5.5); any meeting may record it.
    strengths: OptionalText = None
    difficulties: OptionalText = None
    concerns: OptionalText = None  # the parents' concerns
    agreed_outcomes: OptionalText = None
    next_steps: OptionalText = None

    @property
    def discussion_points(self) -> list[tuple[str, str]]:
        """(label, what was said) for each part of the discussion recorded, in the Code's order."""
        labelled = (
            ("Strengths", self.strengths), ("Difficulties", self.difficulties), ("Your concerns", self.concerns),
            ("What we agreed to aim for", self.agreed_outcomes), ("Next steps", self.next_steps),
        )
        return [(label, text) for label, text in labelled if text]

    @model_validator(mode="after")
    def _times_in_order(self) -> Meeting:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValueError("the meeting ends before it starts")
        return self

    @property
    def start(self) -> dt.datetime | None:
        return dt.datetime.combine(self.date, self.start_time) if self.start_time else None

    @property
    def end(self) -> dt.datetime | None:
        if not self.start_time:
            return None
        if self.end_time:
            return dt.datetime.combine(self.date, self.end_time)
        return dt.datetime.combine(self.date, self.start_time) + dt.timedelta(minutes=45)


class EvidenceFile(Record):
    """A document for an EHC request pack that the school already has (a report, data, views)."""

    title: Text
    author: OptionalText = None
    date: OptionalUkDate = None
    kind: EvidenceKind = EvidenceKind.OTHER
    path: Text


class Consent(Record):
    """Agreement from a parent with parental responsibility, or the young person.

    Who gave it is a contact ID (`contact_id`) or the young person (`young_person`); older registers
    name the person in `given_by` only, and senforms then matches that name against the pupil's
    contacts and the pupil (see senforms.model.consent).
    """

    given_by: OptionalText = None  # the name as written; optional when contact_id or young_person says who
    contact_id: OptionalText = None  # the Contacts row of the parent or carer who gave it
    young_person: YesNo = False  # given by the pupil themself, as a young person
    scope: ConsentScope
    date: UkDate
    method: ConsentMethod
    recorded_by: OptionalText = None
    exclusions: OptionalText = None  # people who must not be given information

    @model_validator(mode="after")
    def _says_who(self) -> Consent:
        if self.contact_id and self.young_person:
            raise ValueError("a consent is given either by a contact or by the young person, not both")
        if not (self.given_by or self.contact_id or self.young_person):
            raise ValueError("the consent does not say who gave it (give a contact ID, or Young person = Yes)")
        return self

    @property
    def covers_request(self) -> bool:
        """It is agreement to the request for an EHC needs assessment (not only to sharing or a referral)."""
        return self.scope in (ConsentScope.EHC_REQUEST, ConsentScope.BOTH)
