"""Delivery library: drafts, invitations, LA checks, the send ledger, SMTP against a loopback server,
and mail-merge letters. Every connection goes to 127.0.0.1 only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import ipaddress
import json
import ssl
import zipfile
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from docx.oxml import parse_xml
from icalendar import Calendar

from senforms.deliver import (
    Attachment,
    Draft,
    Ledger,
    SmtpSettings,
    build_message,
    calendar_attachment,
    check_la_recipient,
    check_recipient,
    fill_mail_merge,
    meeting_invitation,
    merge_fields,
    passphrase_is_absent,
    send_all,
    settings_from,
    write_draft,
)
from senforms.deliver.ics import _uk_rule_offset
from senforms.errors import DeliveryError, OutputExistsError, TemplateProblemError

from ..smtp_server import LoopbackController, Recorder

pytestmark = pytest.mark.timeout(30)

LONDON = ZoneInfo("Europe/London")
SCHOOL = "senco@oakfield.sch.uk"
CANARY = "Zyxwvut Canaryson"  # a name that must never reach the ledger, file names or reports
PDF = b"%PDF-1.7\n% fake plan for tests\n%%EOF\n"


# --- a real SMTP server on loopback ----------------------------------------------------------------


@pytest.fixture
def smtp_server():
    """Start a loopback server with the given handler; stop it afterwards."""
    controllers: list[Controller] = []

    def start(handler: Recorder, **smtp_options: object) -> SmtpSettings:
        controller = LoopbackController(handler, **smtp_options)
        controller.start()
        controllers.append(controller)
        return SmtpSettings(
            host="127.0.0.1", port=controller.port, security="none", user=None, password=None,
            from_address=SCHOOL, from_name="Oakfield Primary", rate_per_minute=6000, max_retries=3,
            timeout=5,
        )

    yield start
    for controller in controllers:
        controller.stop()


class Sleeps(list):
    """Records the waits send_all asks for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_draft(n: int = 1, *, to: str | None = None, attachments: tuple[Attachment, ...] = (),
               allowed: frozenset[str] | None = None, **changes: object) -> Draft:
    address = to or f"parent{n}@example.org"
    fields: dict[str, object] = dict(
        case_id=f"case-{n:03d}",
        to_name="Ó Súilleabháin, Máire" if n == 1 else CANARY,
        to_address=address,
        from_name="Oakfield Primary",
        from_address=SCHOOL,
        subject=f"Meeting at Oakfield Primary ({n})",
        text_body=f"Dear parent,\n\nPlease come to the review meeting. <b>{n}</b> & more.\n",
        html_body=None,
        attachments=attachments,
        allowed_recipients=allowed if allowed is not None else {address.upper(), "other@example.org"},
        key=f"invite:meeting-{n}:{address}",
    )
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


def invitation(n: int = 1, **changes: object) -> bytes:
    arguments: dict[str, object] = dict(
        uid=f"meeting-{n}@oakfield.sch.uk",
        start=dt.datetime(2026, 6, 10, 15, 30),
        end=dt.datetime(2026, 6, 10, 16, 15),
        summary="Meeting at Oakfield Primary",
        location="Room 4, Oakfield Primary",
        url="https://meet.example.org/abc",
        organiser_name="Ms Jones (SENCo)",
        organiser_email=SCHOOL,
        attendee_name="Ó Súilleabháin, Máire",
        attendee_email=f"parent{n}@example.org",
        description="SEN support review.\nPlease bring any reports.",
        stamp=dt.datetime(2026, 5, 1, 9, tzinfo=dt.timezone.utc),
    )
    arguments.update(changes)
    return meeting_invitation(**arguments)  # type: ignore[arg-type]


def states(ledger_path: Path) -> dict[str, str]:
    return {key: Ledger(ledger_path).status(key) for key in Ledger(ledger_path).keys()}


# --- drafts ----------------------------------------------------------------------------------------


def test_build_message_structure_names_and_message_id() -> None:
    draft = make_draft(1, attachments=(Attachment("plan.pdf", PDF, "application/pdf", case_id="case-001"),))
    msg = message_from_bytes(build_message(draft, date=dt.datetime(2026, 3, 3, 10)).as_bytes(),
                             policy=policy.default)
    assert msg["To"].addresses[0].display_name == "Ó Súilleabháin, Máire"
    assert msg["To"].addresses[0].addr_spec == "parent1@example.org"
    assert "=?utf-8?" in build_message(draft).as_string()  # RFC 2047 on the wire
    assert msg["Cc"] is None and msg["Bcc"] is None
    assert msg["Date"] == "Tue, 03 Mar 2026 10:00:00 +0000"
    assert msg.get_content_type() == "multipart/mixed"
    alternative = msg.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in alternative.get_payload())
    assert "<b>1</b> & more." in text
    assert "&lt;b&gt;1&lt;/b&gt; &amp; more." in html and "<b>1</b>" not in html
    assert msg.get_payload()[1].get_content() == PDF
    # The same key and sender domain always give the same Message-ID; another key another one.
    assert build_message(draft)["Message-ID"] == msg["Message-ID"]
    assert msg["Message-ID"].endswith("@oakfield.sch.uk>")
    assert build_message(make_draft(2))["Message-ID"] != msg["Message-ID"]
    assert "parent1" not in msg["Message-ID"]


def test_recipient_must_be_on_the_pupils_record() -> None:
    draft = make_draft(1, allowed=frozenset({"someone.else@example.org"}))
    with pytest.raises(DeliveryError, match="not on this pupil's record; nothing was sent"):
        check_recipient(draft)
    with pytest.raises(DeliveryError, match="not on this pupil's record"):
        build_message(draft)
    check_recipient(make_draft(1, allowed=frozenset({"PARENT1@Example.ORG"})))  # case-insensitive


def test_attachment_of_another_pupil_is_refused() -> None:
    draft = make_draft(1, attachments=(Attachment("plan.pdf", PDF, "application/pdf", case_id="case-999"),))
    with pytest.raises(DeliveryError, match="belongs to another pupil"):
        build_message(draft)


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Meeting\r\nBcc: evil@example.com"},
        {"subject": "Meeting\nX-Injected: yes"},
        {"to_name": "Máire\r\nBcc: evil@example.com"},
        {"from_name": "School\u2028Bcc: evil@example.com"},
        {"to_address": "parent1@example.org\r\nBcc: evil@example.com"},
        {"to_address": "parent1@example.org, evil@example.com"},
        {"to_address": "Máire <parent1@example.org>"},
        {"reply_to": "x@example.org\nBcc: evil@example.com"},
        {"attachments": (Attachment("plan\r\n.pdf", PDF, "application/pdf"),)},
        {"attachments": (Attachment("plan.pdf", PDF, "application/pdf\r\nBcc: evil@example.com"),)},
    ],
    ids=["subject-crlf", "subject-lf", "to-name", "from-name-u2028", "to-address", "address-list",
         "address-with-name", "reply-to", "attachment-name", "mime-type"],
)
def test_header_injection_is_refused(changes: dict[str, object], tmp_path: Path) -> None:
    draft = make_draft(1, **changes)
    with pytest.raises(DeliveryError):
        build_message(draft)
    with pytest.raises(DeliveryError):
        write_draft(draft, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_write_draft_is_atomic_named_from_the_key_and_never_overwrites(tmp_path: Path) -> None:
    draft = make_draft(2)
    path = write_draft(draft, tmp_path, date=dt.datetime(2026, 3, 3, 10))
    assert path.parent == tmp_path and path.suffix == ".eml" and path.name.startswith("invite-")
    assert path.name.isascii() and "parent" not in path.name and "Canary" not in path.name
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1" and msg["To"].addresses[0].display_name == CANARY
    with pytest.raises(OutputExistsError):
        write_draft(draft, tmp_path)
    write_draft(draft, tmp_path, overwrite=True, date=dt.datetime(2026, 3, 3, 10))
    twin = write_draft(draft, tmp_path / "again", date=dt.datetime(2026, 3, 3, 10))
    assert path.read_bytes() == twin.read_bytes()  # same draft and date → same bytes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".part-")] == []


# --- calendar invitations --------------------------------------------------------------------------


def _event(ics: bytes):  # noqa: ANN202
    cal = Calendar.from_ical(ics)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return cal, events[0]


def test_invitation_is_a_request_in_uk_time_with_one_attendee_and_a_reminder() -> None:
    cal, event = _event(invitation())
    assert str(cal["METHOD"]) == "REQUEST"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART") == dt.datetime(2026, 6, 10, 15, 30, tzinfo=LONDON)
    assert event.decoded("DTSTART").astimezone(dt.timezone.utc).hour == 14  # BST
    assert event.decoded("DTEND") == dt.datetime(2026, 6, 10, 16, 15, tzinfo=LONDON)
    assert str(event["LOCATION"]) == "Room 4, Oakfield Primary"
    assert str(event["SUMMARY"]) == "Meeting at Oakfield Primary"
    assert str(event["ORGANIZER"]) == f"mailto:{SCHOOL}"
    assert event["ORGANIZER"].params["CN"] == "Ms Jones (SENCo)"
    attendees = event.get("ATTENDEE")
    assert not isinstance(attendees, list) and str(attendees) == "mailto:parent1@example.org"
    assert attendees.params["CN"] == "Ó Súilleabháin, Máire"
    alarms = list(event.walk("VALARM"))
    assert len(alarms) == 1 and alarms[0].decoded("TRIGGER") == -dt.timedelta(days=1)
    zones = list(cal.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Europe/London"]
    assert {str(sub["TZNAME"]) for sub in zones[0].subcomponents} == {"BST", "GMT"}
    # A winter meeting is in GMT; the same UID and a higher SEQUENCE update the first invitation.
    _, winter = _event(invitation(start=dt.datetime(2026, 12, 1, 9), end=dt.datetime(2026, 12, 1, 10),
                                  sequence=1))
    assert winter.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(winter["UID"]) == str(event["UID"]) and winter["SEQUENCE"] == 1
    assert invitation() == invitation()  # deterministic with a fixed DTSTAMP


def test_invitation_converts_aware_times_and_refuses_impossible_ones() -> None:
    _, event = _event(invitation(start=dt.datetime(2026, 6, 10, 14, 30, tzinfo=dt.timezone.utc),
                                 end=dt.datetime(2026, 6, 10, 15, 15, tzinfo=dt.timezone.utc)))
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART").replace(tzinfo=None) == dt.datetime(2026, 6, 10, 15, 30)
    with pytest.raises(DeliveryError, match="clocks go forward"):
        invitation(start=dt.datetime(2026, 3, 29, 1, 30), end=dt.datetime(2026, 3, 29, 3))
    with pytest.raises(DeliveryError, match="ends before it starts"):
        invitation(end=dt.datetime(2026, 6, 10, 15))
    with pytest.raises(DeliveryError):
        invitation(attendee_email="parent1@example.org\r\nATTENDEE:mailto:evil@example.com")


def test_vtimezone_rule_matches_zoneinfo() -> None:
    moment = dt.datetime(1997, 1, 1, tzinfo=dt.timezone.utc)
    while moment.year < 2038:
        assert moment.astimezone(LONDON).utcoffset() == _uk_rule_offset(moment), moment
        moment += dt.timedelta(hours=7, minutes=13)


@pytest.mark.parametrize("field", ["attendee_name", "organiser_name", "summary", "description", "location"])
def test_invitation_injection_cannot_add_an_attendee(field: str) -> None:
    payload = "Máire\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT"
    ics = invitation(**{field: payload})
    assert b"\r\nATTENDEE:mailto:evil" not in ics
    _, event = _event(ics)
    assert str(event["ATTENDEE"]) == "mailto:parent1@example.org"


# --- LA checks -------------------------------------------------------------------------------------


def test_la_allow_list() -> None:
    allowed = ["kent.gov.uk", "@medway.gov.uk"]
    assert check_la_recipient("SEN@Kent.gov.uk", allowed) == "SEN@kent.gov.uk"
    assert check_la_recipient("team@send.kent.gov.uk", allowed) == "team@send.kent.gov.uk"
    assert check_la_recipient("a@medway.gov.uk", allowed) == "a@medway.gov.uk"
    for address in ["a@evilkent.gov.uk", "a@kent.gov.uk.example.com", "a@evilkent.gov.uk.example.com",
                    "a@gov.uk", "a@kent.gov.uk\r\nBcc: x@y.com", "Kent <a@kent.gov.uk>"]:
        with pytest.raises(DeliveryError):
            check_la_recipient(address, allowed)
    with pytest.raises(DeliveryError, match="no local authority email domains"):
        check_la_recipient("a@kent.gov.uk", [])


def test_passphrase_is_never_in_the_same_email() -> None:
    passphrase = "Velvet-Harbour-Cobalt-Meadow"
    bundle = Attachment("bundle.pdf", b"%PDF encrypted bytes", "application/pdf")
    clean = build_message(make_draft(1, attachments=(bundle,)))
    assert passphrase_is_absent(clean, passphrase)
    assert passphrase_is_absent(clean.as_bytes(), passphrase)
    leaky = make_draft(1, attachments=(bundle,), text_body="The password is velvet harbour cobalt meadow.\n")
    assert not passphrase_is_absent(build_message(leaky), passphrase)
    in_subject = make_draft(1, attachments=(bundle,), subject=f"Pack {passphrase}")
    assert not passphrase_is_absent(build_message(in_subject).as_bytes(), passphrase)
    in_file = Attachment("note.txt", f"pw: {passphrase}".encode(), "text/plain")
    assert not passphrase_is_absent(build_message(make_draft(1, attachments=(bundle, in_file))), passphrase)


# --- settings --------------------------------------------------------------------------------------


def test_settings_from_config_and_environment() -> None:
    config = {"host": "smtp.office365.com", "user": "senco", "password": "pw",
              "from": "Oakfield <senco@oakfield.sch.uk>"}
    settings = settings_from(config, environ={})
    assert (settings.host, settings.port, settings.security) == ("smtp.office365.com", 587, "starttls")
    assert (settings.from_name, settings.from_address) == ("Oakfield", SCHOOL)
    assert "pw" not in repr(settings)
    env = {"SENFORMS_SMTP_HOST": "mail.example.org", "SENFORMS_SMTP_PORT": "465",
           "SENFORMS_SMTP_SECURITY": "SSL", "SENFORMS_SMTP_USER": "u", "SENFORMS_SMTP_PASSWORD": "secret",
           "SENFORMS_FROM": "office@example.org"}
    settings = settings_from(config, environ=env)
    assert (settings.host, settings.port, settings.security) == ("mail.example.org", 465, "ssl")
    assert (settings.user, settings.password) == ("u", "secret")
    assert settings.from_address == "office@example.org"
    with pytest.raises(DeliveryError, match=r"host \(or SENFORMS_SMTP_HOST\) and from \(or SENFORMS_FROM\)"):
        settings_from(None, environ={})
    with pytest.raises(DeliveryError, match="SENFORMS_SMTP_PASSWORD"):
        settings_from({"host": "h.example.org", "from": SCHOOL, "user": "u"}, environ={})
    with pytest.raises(DeliveryError, match="SENFORMS_SMTP_PORT"):
        settings_from({"host": "h.example.org", "from": SCHOOL, "port": "five"}, environ={})
    with pytest.raises(DeliveryError, match="only allowed for a server on this computer"):
        settings_from({"host": "smtp.example.org", "from": SCHOOL, "security": "none"}, environ={})
    assert settings_from({"host": "127.0.0.1", "from": SCHOOL, "security": "none"}, environ={}).port == 25


# --- sending ---------------------------------------------------------------------------------------


def test_send_all_delivers_each_message_once_with_everything_intact(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    settings = smtp_server(handler)
    ics = invitation(1)
    drafts = [
        make_draft(1, attachments=(Attachment("plan.pdf", PDF, "application/pdf", case_id="case-001"),
                                   calendar_attachment(ics, case_id="case-001"))),
        make_draft(2),
        make_draft(3, html_body="<p>Hand-made &amp; escaped</p>"),
    ]
    events: list[str] = []
    ledger_path = tmp_path / "send-ledger.jsonl"
    report = send_all(drafts, settings, Ledger(ledger_path), on_event=lambda e: events.append(e.status),
                      sleep=Sleeps())
    assert [r.status for r in report.results] == ["sent"] * 3 and report.complete
    assert report.summary() == "3 sent"
    assert handler.sessions == 1  # one connection for the batch
    assert [(m, r) for m, r, _ in handler.envelopes] == [
        (SCHOOL, ["parent1@example.org"]),
        (SCHOOL, ["parent2@example.org"]),
        (SCHOOL, ["parent3@example.org"]),
    ]

    first, second, third = handler.messages()
    assert first["Subject"] == "Meeting at Oakfield Primary (1)"
    assert first["To"].addresses[0].display_name == "Ó Súilleabháin, Máire"
    assert first["Cc"] is None and first["Bcc"] is None
    assert first["Message-ID"] == build_message(drafts[0])["Message-ID"]
    assert "Please come to the review meeting" in first.get_body(("plain",)).get_content()
    assert "&lt;b&gt;1&lt;/b&gt; &amp; more." in first.get_body(("html",)).get_content()
    assert "Hand-made &amp; escaped" in third.get_body(("html",)).get_content()
    attachments = {part.get_filename(): part for part in first.iter_attachments()}
    assert attachments["plan.pdf"].get_content() == PDF
    calendar_part = attachments["invitation.ics"]
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    cal, event = _event(calendar_part.get_payload(decode=True))
    assert calendar_part.get_payload(decode=True) == ics
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART") == dt.datetime(2026, 6, 10, 15, 30, tzinfo=LONDON)
    assert event.decoded("DTEND") == dt.datetime(2026, 6, 10, 16, 15, tzinfo=LONDON)
    assert str(event["LOCATION"]) == "Room 4, Oakfield Primary"
    assert str(event["ORGANIZER"]) == f"mailto:{SCHOOL}"
    assert not isinstance(event["ATTENDEE"], list)
    assert len(list(event.walk("VALARM"))) == 1
    assert list(second.iter_attachments()) == []

    # The ledger: every step journalled; addresses, IDs and hashes only, never names.
    lines = [json.loads(line) for line in ledger_path.read_text().splitlines()]
    assert [line["state"] for line in lines if line["key"] == drafts[0].key] == ["queued", "sending", "sent"]
    sent = Ledger(ledger_path).record(drafts[0].key)
    assert sent["recipient"] == "parent1@example.org" and sent["message_id"] == first["Message-ID"]
    assert sent["attachments_sha256"] == [drafts[0].attachments[0].sha256, drafts[0].attachments[1].sha256]
    assert sent["at"].endswith("Z")
    text = ledger_path.read_text()
    assert CANARY not in text and "Súilleabháin" not in text and "review meeting" not in text
    assert (ledger_path.stat().st_mode & 0o777) == 0o600
    assert events.count("sending") == 3 and events.count("sent") == 3

    # A rerun sends nothing and says why.
    again = send_all(drafts, settings, Ledger(ledger_path), sleep=Sleeps())
    assert [r.status for r in again.results] == ["skipped"] * 3 and again.complete
    assert len(handler.envelopes) == 3 and handler.sessions == 1  # not even a connection


def test_refused_recipient_fails_alone_and_451_is_retried(smtp_server, tmp_path: Path) -> None:
    handler = Recorder(refuse={"parent2@example.org"}, defer_once={"parent3@example.org"})
    settings = smtp_server(handler)
    drafts = [make_draft(n) for n in range(1, 5)]
    sleeps = Sleeps()
    report = send_all(drafts, settings, Ledger(tmp_path / "ledger.jsonl"), sleep=sleeps)
    assert [r.status for r in report.results] == ["sent", "failed", "sent", "sent"]
    assert report.failed[0].recipient == "parent2@example.org"
    assert "550 5.1.1 Mailbox unavailable" in report.failed[0].detail
    assert [r for _, (r,), _ in handler.envelopes] == ["parent1@example.org", "parent3@example.org",
                                                     "parent4@example.org"]
    assert 5.0 in sleeps  # one backoff before the retry
    assert Ledger(tmp_path / "ledger.jsonl").record(drafts[1].key)["reply"].startswith("550")
    assert not report.complete and report.summary() == "3 sent, 1 failed"

    # Rerun: only the refused one is tried again (and refused again); nothing is sent twice.
    again = send_all(drafts, settings, Ledger(tmp_path / "ledger.jsonl"), sleep=Sleeps())
    assert [r.status for r in again.results] == ["skipped", "failed", "skipped", "skipped"]
    assert len(handler.envelopes) == 3


def test_temporary_refusal_gives_up_after_max_retries(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    settings = smtp_server(handler)
    handler.deferred = _Always({"parent1@example.org"})
    sleeps = Sleeps()
    report = send_all([make_draft(1)], settings, Ledger(tmp_path / "l.jsonl"), sleep=sleeps)
    assert report.results[0].status == "failed" and "451" in report.results[0].detail
    assert [s for s in sleeps if s >= 5] == [5.0, 10.0, 20.0]
    assert handler.envelopes == []


class _Always(set):
    """A 'defer once' set that never forgets: the server defers that address forever."""

    def discard(self, item: object) -> None:
        pass


def test_drop_after_data_is_unknown_and_never_resent_blindly(smtp_server, tmp_path: Path) -> None:
    """F7: drop after DATA of message 3 of 10."""
    handler = Recorder(drop_on_message=3)
    settings = smtp_server(handler)
    drafts = [make_draft(n) for n in range(1, 11)]
    ledger_path = tmp_path / "ledger.jsonl"
    report = send_all(drafts, settings, Ledger(ledger_path), sleep=Sleeps())
    assert [r.status for r in report.results] == ["sent", "sent", "unknown"] + ["queued"] * 7
    assert "may have been delivered" in report.results[2].detail
    expected = ["sent", "sent", "unknown"] + ["queued"] * 7
    assert states(ledger_path) == {draft.key: state for draft, state in zip(drafts, expected)}
    assert len(handler.envelopes) == 3  # message 3 did arrive: exactly why it must not be resent blindly

    handler.drop_on_message = None
    rerun = send_all(drafts, settings, Ledger(ledger_path), sleep=Sleeps())
    assert [r.status for r in rerun.results] == ["skipped", "skipped", "unknown"] + ["sent"] * 7
    assert [r for _, (r,), _ in handler.envelopes[3:]] == [f"parent{n}@example.org" for n in range(4, 11)]

    third = send_all(drafts, settings, Ledger(ledger_path), sleep=Sleeps())
    assert len(handler.envelopes) == 10 and third.unknown and not third.sent

    resend = send_all(drafts, settings, Ledger(ledger_path), resend_unknown=True, sleep=Sleeps())
    assert [r.status for r in resend.results] == ["skipped", "skipped", "sent"] + ["skipped"] * 7
    assert [r for _, (r,), _ in handler.envelopes[10:]] == ["parent3@example.org"]
    assert Ledger(ledger_path).status(drafts[2].key) == "sent"


def test_one_bad_draft_means_nothing_is_sent(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    settings = smtp_server(handler)
    drafts = [make_draft(1), make_draft(2, allowed=frozenset({"someone.else@example.org"})), make_draft(3)]
    with pytest.raises(DeliveryError, match="not on this pupil's record; nothing was sent"):
        send_all(drafts, settings, Ledger(tmp_path / "ledger.jsonl"), sleep=Sleeps())
    injected = [make_draft(1), make_draft(2, subject="Hi\r\nBcc: evil@example.com")]
    with pytest.raises(DeliveryError):
        send_all(injected, settings, Ledger(tmp_path / "ledger.jsonl"), sleep=Sleeps())
    with pytest.raises(DeliveryError, match="share the key"):
        send_all([make_draft(1), make_draft(1)], settings, Ledger(tmp_path / "ledger.jsonl"), sleep=Sleeps())
    assert handler.sessions == 0 and handler.envelopes == []
    assert not (tmp_path / "ledger.jsonl").exists()


def test_interrupted_send_is_treated_as_unknown(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    settings = smtp_server(handler)
    ledger = Ledger(tmp_path / "ledger.jsonl")
    drafts = [make_draft(1), make_draft(2)]
    ledger.mark(drafts[0].key, "queued", recipient="parent1@example.org")
    ledger.mark(drafts[0].key, "sending")  # then the process was killed
    with open(tmp_path / "ledger.jsonl", "ab") as handle:
        handle.write(b'{"key": "invite:meeting-2:parent2@exa')  # a torn last line
    report = send_all(drafts, settings, Ledger(tmp_path / "ledger.jsonl"), sleep=Sleeps())
    assert [r.status for r in report.results] == ["unknown", "sent"]
    assert [r for _, (r,), _ in handler.envelopes] == ["parent2@example.org"]
    reopened = Ledger(tmp_path / "ledger.jsonl")
    assert reopened.status(drafts[0].key) == "unknown" and reopened.damaged_lines


def test_starttls_required_but_not_offered(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    plain = smtp_server(handler)
    settings = SmtpSettings(host="127.0.0.1", port=plain.port, security="starttls", user=None, password=None,
                            from_address=SCHOOL, from_name="Oakfield", timeout=5)
    with pytest.raises(DeliveryError, match="does not offer STARTTLS; nothing was sent"):
        send_all([make_draft(1)], settings, Ledger(tmp_path / "l.jsonl"), sleep=Sleeps())
    assert handler.envelopes == []


@pytest.fixture(scope="module")
def loopback_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1, and a server TLS context using it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


def _authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
    # handled=False makes aiosmtpd answer "535" itself on failure (the default leaves the client waiting).
    ok = (auth_data.login, auth_data.password) == (b"senco", b"correct horse")
    return AuthResult(success=ok, handled=False)


def test_starttls_verifies_the_certificate_then_logs_in(smtp_server, loopback_certificate, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cert_path, server_context = loopback_certificate

    def tls_server(handler: Recorder) -> SmtpSettings:
        plain = smtp_server(handler, tls_context=server_context, authenticator=_authenticator,
                            auth_require_tls=True)
        return dataclasses.replace(plain, security="starttls", user="senco", password="correct horse")

    # Not trusted: refused before anything is sent.
    untrusted = Recorder()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
    with pytest.raises(DeliveryError, match="certificate that could not be checked"):
        send_all([make_draft(1)], tls_server(untrusted), Ledger(tmp_path / "l.jsonl"), sleep=Sleeps())
    assert untrusted.envelopes == []

    handler = Recorder()
    settings = tls_server(handler)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # now the test CA is the only one trusted
    with pytest.raises(DeliveryError, match="refused the user name or password; nothing was sent"):
        send_all([make_draft(1)], dataclasses.replace(settings, password="wrong"), Ledger(tmp_path / "l.jsonl"),
                 sleep=Sleeps())
    assert handler.envelopes == [] and not (tmp_path / "l.jsonl").exists()

    report = send_all([make_draft(1)], settings, Ledger(tmp_path / "l.jsonl"), sleep=Sleeps())
    assert report.complete and [r for _, (r,), _ in handler.envelopes] == ["parent1@example.org"]


def test_unreachable_server_raises_before_anything_is_marked(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = SmtpSettings(host="127.0.0.1", port=port, security="none", user=None, password=None,
                            from_address=SCHOOL, from_name="Oakfield", timeout=2)
    with pytest.raises(DeliveryError, match="could not connect"):
        send_all([make_draft(1)], settings, Ledger(tmp_path / "l.jsonl"), sleep=Sleeps())
    assert not (tmp_path / "l.jsonl").exists()


def test_rate_limit_spaces_messages(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    settings = smtp_server(handler)
    slow = dataclasses.replace(settings, rate_per_minute=30)
    sleeps = Sleeps()
    send_all([make_draft(n) for n in range(1, 4)], slow, Ledger(tmp_path / "l.jsonl"), sleep=sleeps,
             clock=lambda: 100.0)
    assert sleeps == [2.0, 2.0]


def test_a_second_sender_on_the_same_ledger_is_refused(smtp_server, tmp_path: Path) -> None:
    handler = Recorder()
    settings = smtp_server(handler)
    with Ledger(tmp_path / "l.jsonl").locked():
        with pytest.raises(DeliveryError, match="another senforms run is sending"):
            send_all([make_draft(1)], settings, Ledger(tmp_path / "l.jsonl", lock_wait=0.5), sleep=Sleeps())
    assert handler.envelopes == []
    assert send_all([make_draft(1)], settings, Ledger(tmp_path / "l.jsonl"), sleep=Sleeps()).complete


class SlowRecorder(Recorder):
    """Takes a moment over each message, so two senders really overlap."""

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        import asyncio

        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def _send_in_process(settings: SmtpSettings, ledger_path: str, count: int, start: float) -> list[str]:
    import time

    while time.time() < start:  # both processes begin together
        time.sleep(0.001)
    report = send_all([make_draft(n) for n in range(1, count + 1)], settings, Ledger(ledger_path), sleep=Sleeps())
    return [r.status for r in report.results]


def test_two_senders_at_once_on_one_school_log_send_each_message_once(smtp_server, tmp_path: Path) -> None:
    # Two processes (two office computers sharing the log) send the same batch at the same moment.
    import multiprocessing
    import time

    handler = SlowRecorder()
    settings = smtp_server(handler)
    ledger_path = str(tmp_path / "shared" / "send-log.jsonl")
    start = time.time() + 1.0
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        runs = [pool.apply_async(_send_in_process, (settings, ledger_path, 8, start)) for _ in range(2)]
        outcomes = [run.get(timeout=60) for run in runs]
    recipients = [r for _, rcpts, _ in handler.envelopes for r in rcpts]
    assert sorted(recipients) == sorted(f"parent{n}@example.org" for n in range(1, 9))  # each exactly once
    assert len({m["Message-ID"] for m in handler.messages()}) == 8
    # One run sent them all; the other waited for it, then found them already sent.
    assert sorted(outcomes) == [["sent"] * 8, ["skipped"] * 8]


def test_a_second_sender_waits_for_the_first_then_sends_only_the_rest(smtp_server, tmp_path: Path) -> None:
    import threading

    handler = Recorder()
    settings = smtp_server(handler)
    path = tmp_path / "send-log.jsonl"
    first = Ledger(path)
    released = threading.Event()

    def hold_then_send_one() -> None:
        with first.locked():
            released.wait(5)
            first.mark(make_draft(1).key, "sent", recipient="parent1@example.org")

    holder = threading.Thread(target=hold_then_send_one)
    holder.start()
    import time

    time.sleep(0.2)
    threading.Timer(0.5, released.set).start()
    report = send_all([make_draft(1), make_draft(2)], settings, Ledger(path, lock_wait=10), sleep=Sleeps())
    holder.join()
    assert [r.status for r in report.results] == ["skipped", "sent"]
    assert [r for _, (r,), _ in handler.envelopes] == ["parent2@example.org"]


def test_the_send_log_of_an_output_folder_is_taken_into_the_schools(smtp_server, tmp_path: Path) -> None:
    from senforms.deliver import pending, school_ledger

    handler = Recorder()
    settings = smtp_server(handler)
    folder = tmp_path / "out"
    old = Ledger(folder / "sent-log.jsonl")  # what senforms kept in each folder before
    old.mark(make_draft(1).key, "sent", recipient="parent1@example.org", message_id="<x@y>")
    old.mark(make_draft(2).key, "unknown", recipient="parent2@example.org")
    ledger = school_ledger(folder=folder)
    assert ledger.path != old.path and ledger.status(make_draft(1).key) == "sent"
    drafts = [make_draft(n) for n in (1, 2, 3)]
    assert pending(drafts, ledger) == [drafts[2]]
    assert pending(drafts, ledger, resend_unknown=True) == drafts[1:]
    report = send_all(drafts, settings, ledger, sleep=Sleeps())
    assert [r.status for r in report.results] == ["skipped", "unknown", "sent"]
    assert [r for _, (r,), _ in handler.envelopes] == ["parent3@example.org"]
    # Taking it in again adds nothing.
    assert ledger.adopt(folder / "sent-log.jsonl") == 0


def test_where_the_school_send_log_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    from senforms.deliver import send_log_path

    settings = tmp_path / "school.toml"
    settings.write_text('[sending]\nlog = "shared/send-log.jsonl"\n')
    assert send_log_path(settings, environ={}) == tmp_path / "shared" / "send-log.jsonl"
    assert send_log_path(settings, environ={"SENFORMS_SEND_LOG": str(tmp_path / "env.jsonl")}) == tmp_path / "env.jsonl"
    assert send_log_path(None, environ={}) == Path(click.get_app_dir("senforms")) / "send-log.jsonl"
    settings.write_text("[sending]\nlog = 3\n")
    with pytest.raises(DeliveryError, match=r"\[sending\] log must be the path"):
        send_log_path(settings, environ={})


def test_errors_never_carry_names(tmp_path: Path) -> None:
    for changes in ({"to_name": CANARY + "\n"}, {"subject": CANARY + "\r\n"},
                    {"allowed_recipients": frozenset({"x@example.org"})}):
        with pytest.raises(DeliveryError) as caught:
            build_message(make_draft(2, **changes))
        assert CANARY not in str(caught.value) and CANARY not in caught.value.fix


def test_ledger_refuses_fields_that_could_hold_pupil_text(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.jsonl")
    with pytest.raises(ValueError):
        ledger.mark("k", "sent", to_name=CANARY)
    with pytest.raises(ValueError):
        ledger.mark("k", "delivered")  # type: ignore[arg-type]
    ledger.mark("k", "queued", message_id="<a@b>", recipient="p@example.org")
    ledger.mark("k", "sent", reply="250 OK")
    assert Ledger(tmp_path / "l.jsonl").record("k")["message_id"] == "<a@b>"
    assert Ledger(tmp_path / "l.jsonl").status("missing") is None


# --- mail-merge letters ----------------------------------------------------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _simple(name: str) -> str:
    return (f'<w:fldSimple {W} w:instr=" MERGEFIELD {name} \\* MERGEFORMAT "><w:r><w:rPr><w:b/></w:rPr>'
            f'<w:t>«{name}»</w:t></w:r></w:fldSimple>')


def _complex_runs(code_pieces: list[str], shown: str) -> list[str]:
    runs = [f'<w:r {W}><w:fldChar w:fldCharType="begin"/></w:r>']
    runs += [f'<w:r {W}><w:instrText xml:space="preserve">{piece}</w:instrText></w:r>'
             for piece in code_pieces]
    runs += [f'<w:r {W}><w:fldChar w:fldCharType="separate"/></w:r>',
             f'<w:r {W}><w:rPr><w:i/></w:rPr><w:t>{shown}</w:t></w:r>',
             f'<w:r {W}><w:fldChar w:fldCharType="end"/></w:r>']
    return runs


def _letter(path: Path) -> Path:
    document = docx.Document()
    header = document.sections[0].header.paragraphs[0]
    header.add_run("Ref: ")
    for xml in _complex_runs([" MERGEFIELD ", "Case_Ref", " "], "«Case_Ref»"):
        header._p.append(parse_xml(xml))

    greeting = document.add_paragraph("Dear ")
    greeting._p.append(parse_xml(_simple("Parent_Name")))
    greeting.add_run(",")

    body = document.add_paragraph("Your child ")
    # A field split across runs the way Word writes it after editing: "MERGE" "FIELD Child" "_First".
    for xml in _complex_runs([" MERGE", "FIELD  Child", "_First \\* Upper "], "«Child_First»"):
        body._p.append(parse_xml(xml))
    body.add_run(" has a review on ")
    for xml in _complex_runs([' MERGEFIELD "Review Date" '], "«Review Date»"):
        body._p.append(parse_xml(xml))
    body.add_run(".")

    address = document.add_paragraph()
    address._p.append(parse_xml(_simple("Address")))
    unknown = document.add_paragraph("Notes: ")
    unknown._p.append(parse_xml(_simple("Teacher_Notes")))

    settings = document.settings.element
    settings.append(parse_xml(f'<w:mailMerge {W}><w:mainDocumentType w:val="formLetters"/>'
                              '<w:dataType w:val="native"/></w:mailMerge>'))
    document.save(path)
    return path


def test_merge_fields_lists_simple_complex_split_and_header_fields(tmp_path: Path) -> None:
    letter = _letter(tmp_path / "letter.docx")
    assert merge_fields(letter) == ["Parent_Name", "Child_First", "Review Date", "Address", "Teacher_Notes",
                                    "Case_Ref"]


def test_fill_mail_merge(tmp_path: Path) -> None:
    letter = _letter(tmp_path / "letter.docx")
    out = tmp_path / "out" / "case-001_letter.docx"
    values = {
        "parent name": "Ó Súilleabháin, Máire & <Seán>",
        "CHILD FIRST": "aoife",
        "review_date": "3 March 2026",
        "Address": "1 High Street\nOakfield\x07\x00",
        "case ref": "C-001",
        "Unused": "x",
    }
    report = fill_mail_merge(letter, values, out)
    assert report.filled == ["Parent_Name", "Child_First", "Review Date", "Address", "Case_Ref"]
    assert report.unfilled == ["Teacher_Notes"]

    filled = docx.Document(out)
    texts = [p.text for p in filled.paragraphs]
    assert texts[0] == "Dear Ó Súilleabháin, Máire & <Seán>,"
    assert texts[1] == "Your child AOIFE has a review on 3 March 2026."
    assert texts[2] == "1 High Street\nOakfield"  # newline became a line break; controls stripped
    assert texts[3] == "Notes: «Teacher_Notes»"
    assert filled.sections[0].header.paragraphs[0].text == "Ref: C-001"
    # The formatting of the displayed result is kept: bold (simple) and italic (complex).
    assert filled.paragraphs[0].runs[1].bold and filled.paragraphs[1].runs[1].italic

    with zipfile.ZipFile(out) as archive:
        names = [n for n in archive.namelist() if n.startswith("word/") and n.endswith(".xml")]
        xml = b"".join(archive.read(n) for n in names)
    assert b"MERGEFIELD" not in xml and b"fldSimple" not in xml  # nothing left for Word to re-merge
    assert b"fldChar" not in xml and b"instrText" not in xml
    assert b"mailMerge" not in xml
    assert merge_fields(out) == []

    with pytest.raises(OutputExistsError):
        fill_mail_merge(letter, values, out)
    fill_mail_merge(letter, values, out, overwrite=True)


def test_mail_merge_refuses_what_is_not_a_docx(tmp_path: Path) -> None:
    fake = tmp_path / "letter.docx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(TemplateProblemError, match="password-protected"):
        merge_fields(fake)
    fake.write_bytes(b"not a zip")
    with pytest.raises(TemplateProblemError, match="not a Word .docx"):
        fill_mail_merge(fake, {}, tmp_path / "out.docx")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<a/>")
        archive.writestr("word/document.xml", b" " * (20 * 1024 * 1024))
    fake.write_bytes(bomb.getvalue())
    with pytest.raises(TemplateProblemError, match="too large or too compressed"):
        merge_fields(fake)
    assert not (tmp_path / "out.docx").exists()


def test_a_second_sender_is_told_it_is_waiting_for_the_send_log(tmp_path: Path) -> None:
    # #12: a second `invite --send` waited for the first one's lock in silence, looking hung.
    from senforms.deliver.ledger import Ledger
    from senforms.errors import DeliveryError

    told: list[str] = []
    first = Ledger(tmp_path / "send-log.jsonl")
    second = Ledger(tmp_path / "send-log.jsonl", on_wait=lambda: told.append("waiting"))
    with first.locked():
        with pytest.raises(DeliveryError, match="another senforms run is sending"):
            with second.locked(wait=0.3):
                pass
    assert told == ["waiting"]  # once, not every poll
    with second.locked(wait=0.3):  # free again: no wait, nothing said
        pass
    assert told == ["waiting"]


@pytest.mark.parametrize("command", ["invite", "send_pack"])
def test_both_sending_commands_say_when_they_wait_for_the_send_log(tmp_path: Path, command: str, monkeypatch, capsys) -> None:
    # #12: the message must reach the person at a terminal from send-pack too, not only invite.
    import importlib

    from senforms.cli import _sending

    module = importlib.import_module(f"senforms.cli.{command}")
    assert module.sending_ledger is _sending.sending_ledger
    monkeypatch.setenv("SENFORMS_SEND_LOG", str(tmp_path / "send-log.jsonl"))
    ledger = _sending.sending_ledger(None, tmp_path)
    assert ledger.on_wait is not None
    ledger.on_wait()
    assert f"Another send is in progress with this send log ({ledger.path}); waiting for it to finish (up to 10 minutes)" in capsys.readouterr().err
