"""The values a school's own Word mail-merge letter gets: every field name schools use, filled from
an invitation's context (the names are matched ignoring case, spaces and underscores)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from senforms.deliver.envelopes import postcode_of
from senforms.ukformat import long_date, time_text

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
    (("ReplyBy", "ReplyDate", "RSVPDate", "RespondBy"), "a week before the meeting: 26 November 2026"),
    (("LetterDate", "Date", "Today", "DocumentDate"), "the date on the letter"),
)


def merge_values(context: dict[str, Any]) -> dict[str, str]:
    """The mail-merge values for one invitation's context (every name in MERGE_FIELDS; '' where unknown)."""
    recipient, pupil, meeting = context["recipient"], context["pupil"], context["meeting"]
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
        long_date(meeting["date"]),
        meeting["date"].strftime("%A"),
        time_text(meeting["start_time"]),
        time_text(meeting["end_time"]),
        meeting["location"] or ("Online" if meeting["online_link"] else ""),
        meeting["online_link"],
        meeting["purpose"],
        meeting["type"],
        school.get("name", ""),
        "\n".join(school.get("address") or []),
        school.get("phone", ""),
        school.get("email", ""),
        senco.get("name", ""),
        senco.get("email", ""),
        senco.get("phone", ""),
        head.get("name", ""),
        long_date(_reply_date(meeting, context["document_date"])),
        long_date(context["document_date"]),
    ]
    result: dict[str, str] = {}
    for (names, _), value in zip(MERGE_FIELDS, values, strict=True):
        for name in names:
            result[name] = str(value or "")
    return result


def _reply_date(meeting: dict[str, Any], letter_date: dt.date) -> dt.date | None:
    """A date that reads right after "reply by": the rule's date; for a meeting too close for one,
    the day before the meeting when that is after the letter; else empty (never before the letter)."""
    if meeting["reply_by"]:
        return meeting["reply_by"]
    day_before = meeting["date"] - dt.timedelta(days=1)
    return day_before if day_before > letter_date else None
