"""Calendar invitations (.ics, METHOD:REQUEST) for one attendee, in UK time.

Built with `icalendar`, never by string formatting: a hand-made .ics let a name carrying
``\\r\\nATTENDEE:…`` add an attendee (shared/reliability.md §5).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from senforms.deliver.messages import LONDON, Attachment, normalise_address
from senforms.errors import DeliveryError

PRODID = "-//senforms//delivery//EN"
TZID = "Europe/London"
ICS_MIME_TYPE = "text/calendar; method=REQUEST; charset=utf-8"
_UTC = dt.timezone.utc


def meeting_invitation(
    uid: str,
    start: dt.datetime,
    end: dt.datetime,
    summary: str,
    location: str | None,
    url: str | None,
    organiser_name: str,
    organiser_email: str,
    attendee_name: str,
    attendee_email: str,
    description: str,
    reminder_minutes: int | None = 1440,
    sequence: int = 0,
    *,
    stamp: dt.datetime | None = None,
) -> bytes:
    """An iCalendar REQUEST inviting one attendee to one meeting.

    `start`/`end` are UK wall-clock times when naive, or any aware time (converted to UK time). Re-send
    with the same `uid` and a higher `sequence` to update the meeting rather than add a second one.
    `summary` is seen on lock screens and shared calendars: keep SEN detail out of it ("Meeting at
    Oakfield Primary"). `reminder_minutes` of None or 0 means no reminder. `stamp` (DTSTAMP) defaults
    to now; pass it for byte-identical output.
    """
    if not uid or _has_control(uid) or len(uid) > 255:
        raise DeliveryError("the meeting ID for the invitation is empty or not valid")
    if not summary or not summary.strip():
        raise DeliveryError("the invitation has no summary")
    if sequence < 0:
        raise DeliveryError("the invitation's sequence number cannot be negative")
    start_uk, end_uk = _uk_time(start, "start"), _uk_time(end, "end")
    if end_uk <= start_uk:
        raise DeliveryError("the meeting ends before it starts")

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    cal.add_component(_london_vtimezone(start_uk, end_uk))

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", (stamp or dt.datetime.now(_UTC)).astimezone(_UTC))
    event.add("dtstart", start_uk)
    event.add("dtend", end_uk)
    event.add("sequence", sequence)
    event.add("summary", _text(summary))
    if location:
        event.add("location", _text(location))
    if url:
        event.add("url", _url(url))
    if description:
        event.add("description", _text(description))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _cal_address(organiser_name, organiser_email, "organiser"))
    attendee = _cal_address(attendee_name, attendee_email, "attendee")
    attendee.params.update(
        {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE", "CUTYPE": "INDIVIDUAL"}
    )
    event.add("attendee", attendee)
    if reminder_minutes:
        if reminder_minutes < 0:
            raise DeliveryError("the reminder must be a number of minutes before the meeting")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", dt.timedelta(minutes=-reminder_minutes))
        alarm.add("description", "Reminder")
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()


def calendar_attachment(
    ics: bytes, filename: str = "invitation.ics", case_id: str | None = None
) -> Attachment:
    """Wrap invitation bytes as a draft attachment with the MIME type calendar clients act on."""
    return Attachment(filename=filename, data=ics, mime_type=ICS_MIME_TYPE, case_id=case_id)


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def _text(value: str) -> str:
    # icalendar escapes newlines, commas and semicolons in TEXT values; only NUL-like controls go.
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _name(value: str) -> str:
    # A CN parameter is one line: any control or line break becomes a space, so no new property can start.
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value or "")
    return " ".join(text.split())


def _url(value: str) -> str:
    url = value.strip()
    if _has_control(url) or " " in url or not url.lower().startswith(("https://", "http://")):
        raise DeliveryError("the meeting link must be a single http(s) web address")
    return url


def _cal_address(name: str, email: str, what: str) -> vCalAddress:
    address = vCalAddress("mailto:" + normalise_address(email, what=f"{what} email address"))
    if _name(name):
        address.params["CN"] = _name(name)
    return address


def _uk_time(value: dt.datetime, what: str) -> dt.datetime:
    """A datetime in Europe/London; naive values are UK wall-clock times and must exist."""
    if not isinstance(value, dt.datetime):
        raise DeliveryError(f"the meeting {what} must be a date and time")
    if value.tzinfo is not None:
        return value.astimezone(LONDON)
    aware = value.replace(tzinfo=LONDON)
    # 01:30 on the last Sunday in March does not exist in UK time: refuse rather than guess.
    if aware.astimezone(_UTC).astimezone(LONDON).replace(tzinfo=None) != value:
        raise DeliveryError(
            f"the meeting {what} falls in the hour the clocks go forward; choose another time"
        )
    return aware


def _uk_rule_offset(moment: dt.datetime) -> dt.timedelta:
    """The UK offset by the EU rule since 1996: BST from 01:00 UTC on the last Sunday in March to
    01:00 UTC on the last Sunday in October. The VTIMEZONE below encodes exactly this rule."""
    utc = moment.astimezone(_UTC).replace(tzinfo=None)

    def last_sunday(month: int) -> dt.datetime:
        day = dt.datetime(utc.year, month, 31, 1)
        return day - dt.timedelta(days=(day.weekday() + 1) % 7)

    return dt.timedelta(hours=1) if last_sunday(3) <= utc < last_sunday(10) else dt.timedelta(0)


def _london_vtimezone(*moments: dt.datetime) -> Timezone:
    """Europe/London as a compact RRULE VTIMEZONE (the form Outlook and Google write themselves).

    If zoneinfo's tzdata ever disagrees with the rule for these moments (the UK changed its clocks),
    fall back to a VTIMEZONE generated from tzdata around the meeting.
    """
    if any(m.utcoffset() != _uk_rule_offset(m) for m in moments):
        first = min(m.date() for m in moments) - dt.timedelta(days=366)
        last = max(m.date() for m in moments) + dt.timedelta(days=366)
        return Timezone.from_tzid(TZID, first_date=first, last_date=last)
    tz = Timezone()
    tz.add("tzid", TZID)
    daylight = TimezoneDaylight()
    daylight.add("dtstart", dt.datetime(1981, 3, 29, 1))
    daylight.add("tzoffsetfrom", dt.timedelta(0))
    daylight.add("tzoffsetto", dt.timedelta(hours=1))
    daylight.add("tzname", "BST")
    daylight.add("rrule", {"FREQ": "YEARLY", "BYMONTH": 3, "BYDAY": "-1SU"})
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1996, 10, 27, 2))
    standard.add("tzoffsetfrom", dt.timedelta(hours=1))
    standard.add("tzoffsetto", dt.timedelta(0))
    standard.add("tzname", "GMT")
    standard.add("rrule", {"FREQ": "YEARLY", "BYMONTH": 10, "BYDAY": "-1SU"})
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz
