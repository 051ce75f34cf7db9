r"""The values a school's own Word mail-merge letter gets: every field name schools use, filled from
the context of any letter to one parent (an invitation, the letter telling parents about SEN
support); the names are matched ignoring case, spaces and underscores. Dates and times carry the
moment they are, so a field's ``\@ "dddd d MMMM yyyy"`` picture can lay them out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from senforms.deliver.envelopes import postcode_of
from senforms.deliver.mailmerge import field_key
from senforms.deliver.merge_codes import MergeValue, date_value, time_value

# Word mail-merge field names senforms fills (matching ignores case, spaces and underscores, so
# «Parent_Name», «PARENT NAME» and «ParentName» are the same field). Each row: the names a school
# may have used, and what they get. Documented for schools in the `senforms invite --help` text.
MERGE_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("Title", "ParentTitle"), "the parent's title (Mrs, Mr, Dr…)"),
    (("FirstName", "Forename", "ParentFirstName"), "the parent's first name"),
    (("LastName", "Surname", "ParentLastName", "ParentSurname"), "the parent's surname"),
    (("ParentName", "FullName", "RecipientName", "Name", "ParentFullName"), "title and full name: Mrs Grace Okafor"),
    (("Salutation", "Dear", "GreetingName"), "Mrs Okafor (the full name when no title is held)"),
    (("GreetingLine",), "Dear Mrs Okafor,"),
    (("AddressBlock",), "name and postal address, one per line"),
    (("Address", "FullAddress", "PostalAddress"), "postal address, one line each"),
    (("Address1", "AddressLine1"), "address line 1 (also 2 to 5)"),
    (("Address2", "AddressLine2"), ""),
    (("Address3", "AddressLine3"), ""),
    (("Address4", "AddressLine4"), ""),
    (("Address5", "AddressLine5"), ""),
    (("Postcode", "PostalCode"), "the postcode"),
    (("ChildName", "PupilName", "StudentName", "ChildFullName"), "the child's name: Amara Okafor"),
    (("ChildFirstName", "PupilFirstName", "ChildForename", "KnownAs"), "the name the child is known by"),
    (("ChildLastName", "ChildSurname", "PupilSurname", "PupilLastName"), "the child's surname"),
    (("YearGroup", "Year"), "Year 5, Reception…"),
    (("Class", "ClassName"), "the child's class"),
    (("UPN",), "the child's unique pupil number"),
    (("MeetingDate", "DateOfMeeting"), "3 December 2026"),
    (("MeetingDay",), "Thursday"),
    (("MeetingTime", "StartTime", "Time"), "3:30pm"),
    (("EndTime", "FinishTime"), "4:15pm"),
    (("Location", "Venue", "Room", "Place"), "where the meeting is"),
    (("OnlineLink", "MeetingLink", "Link", "VideoLink"), "the link for an online meeting"),
    (("Purpose", "MeetingPurpose", "Reason"), "what the meeting is for"),
    (("MeetingType",), "SEN support review…"),
    (("SchoolName", "School"), "the school's name"),
    (("SchoolAddress",), "the school's address, one line each"),
    (("SchoolPhone",), "the school's phone number"),
    (("SchoolEmail",), "the school's email address"),
    (("SENCoName", "SENCo"), "the SENCo's name"),
    (("SENCoEmail",), "the SENCo's email address"),
    (("SENCoPhone",), "the SENCo's phone number"),
    (("HeadTeacher", "HeadTeacherName", "HeadName"), "the head teacher's name"),
    (("ReplyBy", "ReplyDate", "RSVPDate", "RespondBy"), "the date to reply by: 26 November 2026 (empty when the meeting is too close)"),
    (("LetterDate", "Date", "Today", "DocumentDate"), "the date on the letter"),
    (("ReviewDate", "PlanReviewDate", "NextReviewDate"), "the date the current SEN support plan is to be reviewed"),
)

_KNOWN = frozenset(field_key(name) for names, _ in MERGE_FIELDS for name in names)


def is_known_field(name: str) -> bool:
    """Whether senforms fills a MERGEFIELD of this name (case, spaces and underscores ignored)."""
    return field_key(name) in _KNOWN


def merge_values(context: dict[str, Any]) -> dict[str, str | MergeValue]:
    """The mail-merge values for one letter to a parent (every name in MERGE_FIELDS; '' where the
    letter's context does not have it, as a meeting's fields in a parent-notification letter)."""
    recipient, pupil = context["recipient"], context["pupil"]
    meeting = context.get("meeting") or {}
    cycle = context.get("cycle") or {}
    school = context.get("school") or {}
    senco = school.get("senco") or {}
    head = school.get("head_teacher") or {}
    parent_name = str(recipient.get("name") or "")
    parts = parent_name.split()
    title = str(recipient.get("title") or "")
    full = f"{title} {parent_name}".strip()
    address = [str(line) for line in recipient.get("address") or [] if str(line).strip()]
    lines = (address + [""] * 5)[:5]
    values = [
        title,
        parts[0] if parts else "",
        parts[-1] if parts else "",
        full,
        str(recipient.get("salutation") or full),
        f"Dear {recipient.get('salutation') or full},",
        "\n".join([full, *address]),
        "\n".join(address),
        *lines,
        postcode_of(address),
        f"{pupil['known_as']} {pupil['legal_surname']}",
        pupil["known_as"],
        pupil["legal_surname"],
        pupil["year_group"],
        pupil["class_name"],
        pupil["upn"],
        *_meeting_values(meeting),
        school.get("name", ""),
        "\n".join(school.get("address") or []),
        school.get("phone", ""),
        school.get("email", ""),
        senco.get("name", ""),
        senco.get("email", ""),
        senco.get("phone", ""),
        head.get("name", ""),
        date_value(_reply_date(meeting, context["document_date"]) if meeting else None),
        date_value(context["document_date"]),
        date_value(cycle.get("review_date")),
    ]
    result: dict[str, str | MergeValue] = {}
    for (names, _), value in zip(MERGE_FIELDS, values, strict=True):
        for name in names:
            result[name] = value if isinstance(value, MergeValue) else str(value or "")
    return result


def _meeting_values(meeting: dict[str, Any]) -> list[str | MergeValue]:
    if not meeting:
        return [""] * 8
    return [
        date_value(meeting["date"]),
        MergeValue(meeting["date"].strftime("%A"), meeting["date"]),
        time_value(meeting["date"], meeting["start_time"]),
        time_value(meeting["date"], meeting["end_time"]),
        meeting["location"] or ("Online" if meeting["online_link"] else ""),
        meeting["online_link"],
        meeting["purpose"],
        meeting["type"],
    ]


def _reply_date(meeting: dict[str, Any], letter_date: dt.date) -> dt.date | None:
    """A date that reads right after "reply by": the rule's date; for a meeting too close for one,
    the day before the meeting when that is after the letter; else empty (never before the letter)."""
    if meeting["reply_by"]:
        return meeting["reply_by"]
    day_before = meeting["date"] - dt.timedelta(days=1)
    return day_before if day_before > letter_date else None
