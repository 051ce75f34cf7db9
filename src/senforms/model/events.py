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
    """Agreement from a parent with parental responsibility, or the young person."""

    given_by: Text
    scope: ConsentScope
    date: UkDate
    method: ConsentMethod
    recorded_by: OptionalText = None
    exclusions: OptionalText = None  # people who must not be given information
