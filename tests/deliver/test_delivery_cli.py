"""`senforms invite`, `send-pack` and `meetings plan`, end to end on the samples, sending only to a
real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import zipfile
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from docx.oxml import parse_xml
from icalendar import Calendar
from pypdf import PdfReader

from senforms.cli import cli
from senforms.deliver import merge_fields, passphrase_is_absent
from senforms.documents.meeting_slots import Availability, availability_from
from senforms.documents.meetings_plan import (
    meeting_days,
    plan_meetings,
    terms_of,
)
from senforms.errors import SenformsError
from senforms.inputs import load_register
from senforms.model import ContactMethod, Pupil
from senforms.resources import docx_templates_dir
from senforms.ukformat import long_date, time_text

from ..conftest import AS_OF, SAMPLES, sample_json
from ..smtp_server import LoopbackController, Recorder

pytestmark = pytest.mark.timeout(120)

DATE = "23/11/2026"
LONDON = ZoneInfo("Europe/London")
SENDER = "office@hollybrook-primary.example"
SCHOOL = "Hollybrook Primary School"
PASSPHRASE = "correct horse battery staple"
REGISTER = SAMPLES / "register.xlsx"  # send-pack takes the LA's address from the register
TEMPLATE_NAMES = ("support-plan", "review", "parent-notification", "invitation", "ehc-request", "la-cover-letter")


# --- helpers ----------------------------------------------------------------------------------------


def run(*args: object, input: str | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def ok(*args: object, input: str | None = None):
    result = run(*args, input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def messages(folder: Path) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def subject(msg) -> str:
    return str(msg["Subject"]).strip()  # the stdlib folds long subjects onto a continuation line


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    """Start a loopback server with a Recorder and point SENFORMS_SMTP_* at it."""
    controllers: list[Controller] = []

    def start(recorder: Recorder | None = None, *, env: bool = True) -> tuple[Recorder, int]:
        recorder = recorder or Recorder()
        controller = LoopbackController(recorder)
        controller.start()
        controllers.append(controller)
        for name in ("SENFORMS_SMTP_HOST", "SENFORMS_SMTP_PORT", "SENFORMS_SMTP_SECURITY", "SENFORMS_FROM",
                     "SENFORMS_SMTP_USER", "SENFORMS_SMTP_PASSWORD"):
            monkeypatch.delenv(name, raising=False)
        if env:
            monkeypatch.setenv("SENFORMS_SMTP_HOST", "127.0.0.1")
            monkeypatch.setenv("SENFORMS_SMTP_PORT", str(controller.port))
            monkeypatch.setenv("SENFORMS_SMTP_SECURITY", "none")
            monkeypatch.setenv("SENFORMS_FROM", f"Hollybrook Office <{SENDER}>")
        return recorder, controller.port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """--config with a JSON settings file that lifts the one-a-second sending rate (the server is local)."""
    config = tmp_path_factory.mktemp("config") / "school.json"
    config.write_text(json.dumps({"smtp": {"rate_per_minute": 6000, "timeout": 5}}))
    return ["--config", str(config)]


@pytest.fixture(scope="module")
def templates() -> list[str]:
    """The shipped Word templates (no --templates option needed)."""
    missing = [name for name in TEMPLATE_NAMES if not (docx_templates_dir() / f"{name}.docx").is_file()]
    assert not missing, f"shipped templates missing: {missing}"
    return []


@pytest.fixture(scope="module")
def register():
    return load_register(SAMPLES / "register.xlsx", as_of=AS_OF).register


def expected_invitations(register, on: dt.date = AS_OF) -> dict[tuple[str, str, str], tuple[Pupil, object, object]]:
    """(UPN, meeting, contact) → (pupil, meeting, contact), worked out from the register."""
    found = {}
    for pupil in register.pupils:
        for meeting in pupil.meetings:
            if meeting.held or meeting.date < on:
                continue
            for contact in pupil.with_parental_responsibility:
                if meeting.invite_contact_ids and contact.id not in meeting.invite_contact_ids:
                    continue
                found[(pupil.upn, meeting.id, contact.id)] = (pupil, meeting, contact)
    return found


def by_email(contact) -> bool:
    return bool(contact.email) and contact.preferred_contact != ContactMethod.POST


@pytest.fixture(scope="module")
def invited(tmp_path_factory: pytest.TempPathFactory, templates: list[str]):
    """`senforms invite` on the samples, drafts only (made once; tests work on copies)."""
    out = tmp_path_factory.mktemp("invite") / "out"
    result = ok("invite", SAMPLES / "register.xlsx", "-o", out, "--date", DATE, *templates)
    return out, result


@pytest.fixture
def invited_copy(invited, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(invited[0], out)
    return out


# --- invite: drafts ----------------------------------------------------------------------------------


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_invite_writes_drafts_calendars_and_print_pile(invited, register) -> None:
    out, result = invited
    expected = expected_invitations(register)
    emailed = {k: v for k, v in expected.items() if by_email(v[2])}
    posted = {k: v for k, v in expected.items() if not by_email(v[2])}
    # The samples' parents without email (pupils 4 and 10, and pupil 6's second contact) go by post.
    assert {k[0] for k in posted} >= {"R881999919004", "Y881999919010"}
    assert ("V881999919006", "M4", "C2") in posted and ("V881999919006", "M4", "C1") in emailed
    assert not any(k[0] == "B881999919012" and k[2] == "C2" for k in expected)  # no parental responsibility

    assert len(list((out / "letters").glob("*.pdf"))) == len(expected)
    assert len(list((out / "letters").glob("*.docx"))) == len(expected)
    assert len(list((out / "emails").glob("*.eml"))) == len(emailed)
    assert len(list((out / "calendar").glob("*.ics"))) == len(emailed)
    assert f"{len(expected)} invitations: {len(emailed)} by email, {len(posted)} by post." in result.output
    # File names are built from IDs: no names of pupils or parents.
    surnames = {p.legal_surname.split()[-1] for p, _, _ in expected.values()}
    for path in out.rglob("*"):
        assert path.name.isascii() and not any(s in path.name for s in surnames), path.name

    by_address = {v[2].email.lower(): (k, v) for k, v in emailed.items()}
    msgs = messages(out / "emails")
    assert sorted(m["To"].addresses[0].addr_spec.lower() for m in msgs) == sorted(by_address)
    for msg in msgs:
        (upn, meeting_id, contact_id), (pupil, meeting, contact) = by_address[msg["To"].addresses[0].addr_spec.lower()]
        assert msg["X-Unsent"] == "1" and msg["Cc"] is None and msg["Bcc"] is None
        assert len(msg["To"].addresses) == 1
        assert msg["From"].addresses[0].addr_spec == "senco@hollybrook-primary.example"
        title = subject(msg)
        assert title == f"Meeting invitation from {SCHOOL}, {meeting.date:%A} {meeting.date.day} {meeting.date:%B %Y}"
        for name in (pupil.legal_forename, pupil.legal_surname, pupil.known_as):
            assert name not in title
        assert "SEN" not in title
        text = msg.get_body(("plain",)).get_content()
        page = msg.get_body(("html",)).get_content()
        assert f"Dear {contact.salutation}," in text and pupil.known_as in text
        assert f"{meeting.date.day} {meeting.date:%B %Y}" in text
        assert "<html" in page and f"{meeting.date.day} {meeting.date:%B %Y}" in page

        attachments = list(msg.iter_attachments())
        assert [a.get_content_type() for a in attachments] == ["application/pdf", "text/calendar"]
        letter = out / "letter.pdf"
        letter.write_bytes(attachments[0].get_payload(decode=True))
        words = pdf_text(letter)
        letter.unlink()
        assert contact.name in words and pupil.known_as in words

        cal = Calendar.from_ical(attachments[1].get_payload(decode=True))
        assert str(cal["METHOD"]) == "REQUEST"
        (event,) = cal.walk("VEVENT")
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert event.decoded("DTSTART") == meeting.start.replace(tzinfo=LONDON)
        assert event.decoded("DTEND") == meeting.end.replace(tzinfo=LONDON)
        if meeting.online_link:
            assert str(event["URL"]) == meeting.online_link
        else:
            assert str(event["LOCATION"]) == meeting.location
        attendee = event["ATTENDEE"]
        assert not isinstance(attendee, list) and str(attendee).lower() == f"mailto:{contact.email.lower()}"
        assert str(event["ORGANIZER"]) == "mailto:senco@hollybrook-primary.example"
        assert len(list(event.walk("VALARM"))) == 1
        summary = str(event["SUMMARY"])
        assert summary == f"Meeting at {SCHOOL}" and pupil.known_as not in str(event.get("DESCRIPTION"))
        # The same invitation file sits in calendar/ for importing by hand.
        ics_file = out / "calendar" / f"{upn}-invitation-{meeting_id}-{contact_id}.ics"
        assert ics_file.read_bytes() == attachments[1].get_payload(decode=True)

    # One print PDF: every posted letter, in envelope order (postcode, then surname).
    pile = out / "print" / "invitations-to-post.pdf"
    letters = {k: out / "letters" / f"{k[0]}-invitation-{k[1]}-{k[2]}.pdf" for k in posted}
    assert len(PdfReader(str(pile)).pages) == sum(len(PdfReader(str(p)).pages) for p in letters.values())

    def natural(text: str) -> tuple:
        return tuple(int(x) if x.isdigit() else x for x in re.split(r"(\d+)", text) if x)

    def envelope(item) -> tuple:
        pupil, _, contact = item
        postcode = (contact.address or pupil.address)[-1]
        outward, inward = postcode.split()
        return natural(outward), natural(inward), contact.name.split()[-1]

    order = [contact.name for _, _, contact in sorted(posted.values(), key=envelope)]
    pile_text = pdf_text(pile)
    positions = [pile_text.index(name) for name in order]
    assert positions == sorted(positions) and len(order) >= 3


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_invite_never_overwrites_without_being_asked(invited_copy: Path, templates: list[str]) -> None:
    before = {p: p.read_bytes() for p in invited_copy.rglob("*") if p.is_file()}
    result = ok("invite", SAMPLES / "register.xlsx", "-o", invited_copy, "--date", DATE, *templates)
    assert "already there were kept" in result.output
    assert {p: p.read_bytes() for p in invited_copy.rglob("*") if p.is_file() and p.name != "manifest.csv"} == {
        p: b for p, b in before.items() if p.name != "manifest.csv"
    }


def test_meeting_date_range_limits_the_meetings(tmp_path: Path, templates: list[str]) -> None:
    result = ok("invite", SAMPLES / "register.xlsx", "-o", tmp_path / "none", "--date", DATE,
                "--meeting-date", "01/01/2027..", *templates)
    assert "No meetings to invite anyone to" in result.output and not (tmp_path / "none").exists()
    bad = run("invite", SAMPLES / "register.xlsx", "-o", tmp_path / "x", "--meeting-date", "2026-12-10..01/12/2026")
    assert bad.exit_code == 2 and "ends before it starts" in bad.output


# --- invite: sending ---------------------------------------------------------------------------------


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_delivers_every_message_once(invited_copy: Path, register, smtp, tmp_path: Path, templates, fast,
                                         send_log: Path) -> None:
    recorder, port = smtp()
    emailed = {v[2].email.lower() for v in expected_invitations(register).values() if by_email(v[2])}
    args = ["invite", SAMPLES / "register.xlsx", "-o", invited_copy, "--date", DATE, *templates, "--send", *fast]

    # A count that does not match sends nothing; neither does answering no.
    wrong = run(*args, "--yes", "--expect-count", len(emailed) + 1)
    assert wrong.exit_code == 1 and "Error:" in wrong.output
    assert "nothing was sent" in wrong.output
    declined = ok(*args, input="n\n")
    assert f"{len(emailed)} messages to {len(emailed)} recipients" in declined.output
    assert "Nothing was sent." in declined.output
    assert recorder.sessions == 0 and not send_log.exists()

    result = ok(*args, "--yes", "--expect-count", len(emailed))
    assert f"Sending: {len(emailed)} sent." in result.output
    assert recorder.sessions == 1
    assert all(len(rcpts) == 1 and sender == SENDER for sender, rcpts, _ in recorder.envelopes)
    assert sorted(recorder.recipients) == sorted(emailed)
    for msg in recorder.messages():
        assert msg["To"].addresses[0].addr_spec.lower() in emailed
        assert msg["From"].addresses[0].addr_spec == SENDER  # the school's mail account sends…
        assert str(msg["Reply-To"]) == "senco@hollybrook-primary.example"  # …and replies go to the SENCo
        assert msg["X-Unsent"] is None
        assert len(list(msg.iter_attachments())) == 2
    ledger = send_log.read_text()
    assert all(p.legal_surname not in ledger for p in register.pupils)
    assert not (invited_copy / "sent-log.jsonl").exists()  # the school's one log, not one per folder

    # A rerun (settings from a TOML file this time) sends nothing new.
    config = tmp_path / "school.toml"
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom = "{SENDER}"\nrate_per_minute = 6000\n')
    smtp_env_free = ["SENFORMS_SMTP_HOST", "SENFORMS_SMTP_PORT", "SENFORMS_SMTP_SECURITY", "SENFORMS_FROM"]
    with pytest.MonkeyPatch.context() as patch:
        for name in smtp_env_free:
            patch.delenv(name, raising=False)
        again = ok(*args[:-2], "--yes", "--config", config)
    assert "Nothing to send" in again.output
    assert len(recorder.envelopes) == len(emailed) and recorder.sessions == 1


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_into_another_folder_sends_nothing_twice(invited, register, smtp, tmp_path: Path, templates, fast) -> None:
    # #12 item 2: the send log is the school's, so the same invitations from a second -o folder
    # (or a second copy of the drafts) are not sent again.
    recorder, _ = smtp()
    emailed = {v[2].email.lower() for v in expected_invitations(register).values() if by_email(v[2])}
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(invited[0], first)
    shutil.copytree(invited[0], second)
    base = ["invite", SAMPLES / "register.xlsx", "--date", DATE, *templates, "--send", "--yes", *fast]
    ok(*base[:2], "-o", first, *base[2:])
    assert sorted(recorder.recipients) == sorted(emailed)
    again = ok(*base[:2], "-o", second, *base[2:])
    assert "Nothing to send" in again.output
    assert sorted(recorder.recipients) == sorted(emailed) and len({m["Message-ID"] for m in recorder.messages()}) == len(emailed)


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_two_invite_sends_at_once_deliver_each_message_once(invited, register, smtp, tmp_path: Path, fast) -> None:
    import os
    import subprocess
    import sys

    recorder, _ = smtp()
    emailed = {v[2].email.lower() for v in expected_invitations(register).values() if by_email(v[2])}
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        shutil.copytree(invited[0], folder)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [
        subprocess.Popen([sys.executable, "-m", "senforms", "invite", str(SAMPLES / "register.xlsx"), "-o", str(folder),
                          "--date", DATE, "--send", "--yes", *fast], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for folder in folders
    ]
    outputs = [run.communicate(timeout=100)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(recorder.recipients) == sorted(emailed), outputs  # every parent exactly once
    assert sum("Nothing to send" in out or "already sent" in out for out in outputs) == 1


def _new_email(address: str):
    def change(data: dict) -> None:
        data["pupils"][0]["contacts"][0]["email"] = address
    return change


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_a_draft_made_before_the_register_changed_is_not_sent(tmp_path: Path, smtp, fast) -> None:
    # #12 item 3: the office reviewed drafts to grace.okafor@…; then her address changed in the register.
    recorder, _ = smtp()
    out = tmp_path / "out"
    upn = "Z881999919001"
    ok("invite", sample_json(tmp_path), "-o", out, "--date", DATE, "--pupil", upn)
    reviewed = {m["To"].addresses[0].addr_spec for m in messages(out / "emails")}
    assert reviewed == {"grace.okafor@example.com", "sam.okafor@example.com"}

    changed = sample_json(tmp_path, _new_email("grace.new@example.com"))
    send = ["invite", changed, "-o", out, "--date", DATE, "--pupil", upn, "--send", "--yes", *fast]
    refused = run(*send)
    assert refused.exit_code == 1 and "nothing was sent" in refused.output
    assert f"pupil {upn}, contact C1" in refused.output
    assert "To: grace.okafor@example.com in the draft, grace.new@example.com now" in refused.output
    assert "contact C2" not in refused.output  # Sam's draft is still what would be sent
    assert "--overwrite" in refused.output
    assert recorder.sessions == 0 and recorder.envelopes == []

    # Made again (and so reviewable again), they go to the addresses the drafts now say.
    ok("invite", changed, "-o", out, "--date", DATE, "--pupil", upn, "--overwrite")
    ok(*send)
    assert sorted(recorder.recipients) == ["grace.new@example.com", "sam.okafor@example.com"]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages(out / "emails")) == sorted(recorder.recipients)


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_a_hand_edited_draft_is_refused_never_silently_remade(invited_copy: Path, smtp, fast) -> None:
    recorder, _ = smtp()
    emails = sorted((invited_copy / "emails").glob("*.eml"))
    edited, retitled = emails[0], emails[1]
    original = message_from_bytes(edited.read_bytes(), policy=policy.default)
    address = original["To"].addresses[0].addr_spec
    edited.write_bytes(edited.read_bytes().replace(address.encode(), b"someone.else@example.org"))
    retitled.write_bytes(retitled.read_bytes().replace(b" Meeting invitation from", b" Re: Meeting invitation from", 1))
    result = run("invite", SAMPLES / "register.xlsx", "-o", invited_copy, "--date", DATE, "--send", "--yes", *fast)
    assert result.exit_code == 1 and "2 email drafts are not what would be sent now, so nothing was sent" in result.output
    assert f"emails/{edited.name}" in result.output and f"emails/{retitled.name}" in result.output
    assert f"To: someone.else@example.org in the draft, {address.lower()} now" in result.output
    assert "the subject differs" in result.output
    assert "never sends a draft edited by hand" in result.output
    assert recorder.sessions == 0


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_refused_recipient_is_reported_and_the_others_arrive(invited_copy: Path, register, smtp, templates, fast) -> None:
    emailed = sorted(v[2].email.lower() for v in expected_invitations(register).values() if by_email(v[2]))
    refused = emailed[0]
    recorder, _ = smtp(Recorder(refuse={refused}))
    result = run("invite", SAMPLES / "register.xlsx", "-o", invited_copy, "--date", DATE, *templates, "--send", "--yes", *fast)
    assert result.exit_code == 1
    assert "FAILED: " in result.output and refused in result.output and "550" in result.output
    assert sorted(recorder.recipients) == emailed[1:]


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_recipient_not_on_the_pupils_record_stops_everything(invited_copy: Path, register, smtp, templates,
                                                              monkeypatch: pytest.MonkeyPatch, send_log: Path) -> None:
    recorder, _ = smtp()
    target = "grace.okafor@example.com"
    original = Pupil.allowed_addresses
    monkeypatch.setattr(Pupil, "allowed_addresses", lambda self: frozenset(a for a in original(self) if a != target))
    result = run("invite", SAMPLES / "register.xlsx", "-o", invited_copy, "--date", DATE, *templates, "--send", "--yes")
    assert result.exit_code == 1 and "Error:" in result.output
    assert "not on this pupil's record" in result.output and "Grace" not in result.output
    assert recorder.sessions == 0 and recorder.envelopes == []
    assert not send_log.exists()


# --- invite with a Word mail-merge letter ------------------------------------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _field(name: str) -> str:
    return f'<w:fldSimple {W} w:instr=" MERGEFIELD {name} "><w:r><w:t>«{name}»</w:t></w:r></w:fldSimple>'


def _complex(name: str) -> list[str]:
    return [f'<w:r {W}><w:fldChar w:fldCharType="begin"/></w:r>',
            f'<w:r {W}><w:instrText xml:space="preserve"> MERGEFIELD "{name}" </w:instrText></w:r>',
            f'<w:r {W}><w:fldChar w:fldCharType="separate"/></w:r>',
            f'<w:r {W}><w:t>«{name}»</w:t></w:r>',
            f'<w:r {W}><w:fldChar w:fldCharType="end"/></w:r>']


def _mail_merge_letter(path: Path) -> Path:
    document = docx.Document()
    lines = [
        ["AddressBlock"],
        ["Dear ", "Title", " ", "LastName", ","],
        ["We would like to meet you about ", "Child_First_Name", " on ", "Meeting Date", " at ", "MeetingTime",
         " in ", "Location", "."],
        ["Please reply by ", "ReplyBy", " to ", "SENCoName", " (", "SENCoEmail", ")."],
        ["Notes: ", "Teacher_Notes"],
    ]
    for parts in lines:
        paragraph = document.add_paragraph()
        for index, part in enumerate(parts):
            if index % 2 == 1 or len(parts) == 1:
                xml = _complex(part) if part == "Meeting Date" else [_field(part)]
                for piece in xml:
                    paragraph._p.append(parse_xml(piece))
            else:
                paragraph.add_run(part)
    document.save(path)
    return path


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_invite_with_a_mail_merge_letter(tmp_path: Path, register) -> None:
    letter = _mail_merge_letter(tmp_path / "our-letter.docx")
    assert "Teacher_Notes" in merge_fields(letter)
    out = tmp_path / "out"
    result = ok("invite", SAMPLES / "register.xlsx", "-o", out, "--date", DATE, "--template", letter,
                "--pupil", "Z881999919001")
    assert "does not fill: «Teacher_Notes» (left" in result.output  # and only that one
    pupil = register.pupil("Z881999919001")
    meeting = next(m for m in pupil.meetings if not m.held)
    for contact in pupil.contacts:
        made = out / "letters" / f"{pupil.upn}-invitation-{meeting.id}-{contact.id}.docx"
        text = "\n".join(p.text for p in docx.Document(str(made)).paragraphs)
        surname = contact.name.split()[-1]
        assert f"Dear {contact.title} {surname}," in text
        assert f"{contact.title} {contact.name}\n{pupil.address[0]}" in text  # AddressBlock, line by line
        assert f"about Amara on 4 December 2026 at {time_text(meeting.start_time)} in SENCo office, Hollybrook Primary School." in text
        assert "Please reply by 27 November 2026 to Mr Daniel Price (senco@hollybrook-primary.example)." in text
        assert "Notes: «Teacher_Notes»" in text
        assert merge_fields(made) == []
        assert "Dear" in pdf_text(made.with_suffix(".pdf"))
    assert len(messages(out / "emails")) == 2


# --- meetings plan ------------------------------------------------------------------------------------


def test_proposals_fall_on_the_schools_meeting_days_with_a_weeks_notice() -> None:
    availability = Availability()
    autumn, spring, summer = terms_of(dt.date(2026, 11, 23))
    assert meeting_days(autumn, dt.date(2026, 11, 23), availability)[0] == dt.date(2026, 12, 1)  # a week's notice
    assert meeting_days(autumn, dt.date(2026, 12, 14), availability) == []  # the term is over by then
    assert [(b.time(), e.time()) for b, e in availability.slots(dt.date(2026, 12, 1))] == [
        (dt.time(15, 30), dt.time(16, 0)), (dt.time(16, 0), dt.time(16, 30)), (dt.time(16, 30), dt.time(17, 0))]
    assert availability.slots(dt.date(2026, 12, 4)) == []  # a Friday
    for on in (dt.date(2026, 9, 1) + dt.timedelta(days=n) for n in range(0, 365, 5)):
        for term in terms_of(on):
            for day in meeting_days(term, on, availability):
                assert day >= on + dt.timedelta(days=7) and day.weekday() in (1, 2, 3) and term.holds(day)


def assert_no_one_is_in_two_meetings_at_once(register, plan) -> None:
    from senforms.documents.meeting_slots import people_for

    staff = Availability().staff(register)
    seen: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    meetings = [(row.pupil, m) for row in plan.pupils for m in row.booked + row.proposed if m.start_time]
    for pupil, meeting in meetings:
        begin = dt.datetime.combine(meeting.date, meeting.start_time)
        end = dt.datetime.combine(meeting.date, meeting.end_time) if meeting.end_time else begin + dt.timedelta(minutes=30)
        for person in people_for(pupil, tuple(meeting.staff_attending) or staff):
            for other in seen.get(person, []):
                assert end <= other[0] or begin >= other[1], (person, pupil.upn, meeting.id, meeting.date)
            seen.setdefault(person, []).append((begin, end))


def test_the_plan_never_puts_anyone_in_two_meetings_at_once_and_names_who_attends(register) -> None:
    plan = plan_meetings(register, AS_OF)
    proposed = [m for row in plan.pupils for m in row.proposed]
    assert len(proposed) == 2 * len(register.pupils)
    assert len({(m.date, m.start_time) for m in proposed}) == len(proposed)  # the SENCo attends every one
    assert all(m.staff_attending == [register.school.senco.name] for m in proposed)
    assert_no_one_is_in_two_meetings_at_once(register, plan)  # the samples' own booked meetings included
    assert not any("clashes" in note for row in plan.pupils for note in row.notes)
    # spread through the term, not piled on one day
    spring = [m.date for row in plan.pupils for m in row.proposed if m.date.month in (1, 2, 3)]
    assert len(set(spring)) >= len(register.pupils) // 2 and max(spring) - min(spring) > dt.timedelta(days=40)
    # a school that meets on Mondays only, 16:00 to 17:00 in 20 minutes, with two staff
    settings = {"days": ["Monday"], "from": "16:00", "until": "17:00", "minutes": 20, "attending": ["Ms A Teacher", "Mr B Senco"]}
    monday = plan_meetings(register, AS_OF, availability_from(settings))
    for row in monday.pupils:
        for m in row.proposed:
            assert m.date.weekday() == 0 and dt.time(16, 0) <= m.start_time and m.end_time <= dt.time(17, 0)
            assert m.staff_attending == ["Ms A Teacher", "Mr B Senco"]


def test_brothers_and_sisters_parents_are_never_booked_twice_at_once(register) -> None:
    pupils = register.pupils
    twin = pupils[1].model_copy(update={"contacts": pupils[0].contacts})
    siblings = register.model_copy(update={"pupils": [pupils[0], twin, *pupils[2:]]})
    plan = plan_meetings(siblings, AS_OF, availability_from({"attending": ["One teacher"]}))
    assert_no_one_is_in_two_meetings_at_once(siblings, plan)


def test_booked_meetings_that_clash_are_pointed_out(register) -> None:
    first, second, *rest = register.pupils
    booked = next(m for m in first.meetings if not m.held and m.date >= AS_OF)
    same_time = [m.model_copy(update={"date": booked.date, "start_time": booked.start_time, "end_time": booked.end_time})
                 if not m.held and m.date >= AS_OF else m for m in second.meetings]
    clashing = register.model_copy(update={"pupils": [first, second.model_copy(update={"meetings": same_time}), *rest]})
    plan = plan_meetings(clashing, AS_OF)
    notes = next(row.notes for row in plan.pupils if row.upn == second.upn)
    assert any("clashes with another meeting for Mr Daniel Price (SENCo): move one of them" in n for n in notes)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"days": ["Funday"]}, "the [meetings] setting 'days' is ['Funday']"),
        ({"from": "half three"}, "the [meetings] setting 'from' is 'half three', not a time"),
        ({"minutes": 5}, "the [meetings] setting 'minutes' is 5"),
        ({"from": "16:50", "until": "17:00"}, "leaves no room for a 30-minute meeting from 16:50"),
        ({"attending": [1, 2]}, "'attending' is not a list of names"),
    ],
)
def test_bad_meeting_settings_are_named(settings: dict, message: str) -> None:
    with pytest.raises(SenformsError) as raised:
        availability_from(settings)
    assert message in raised.value.message and raised.value.fix


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_meetings_plan_counts_proposes_and_round_trips_into_invite(tmp_path: Path, register, templates) -> None:
    plan = plan_meetings(register, AS_OF)
    assert len(plan.pupils) == len(register.pupils)
    for row in plan.pupils:
        this_year = [m for m in row.pupil.meetings if m.date >= dt.date(2026, 9, 1)]
        assert len(row.held) == sum(m.held for m in this_year) == 0
        assert [m.id for m in row.booked] == [m.id for m in this_year if not m.held]
        last = max(int(m.id[1:]) for m in row.pupil.meetings)
        spring, summer = terms_of(AS_OF)[1:]
        assert [m.id for m in row.proposed] == [f"M{last + 1}", f"M{last + 2}"]
        assert spring.holds(row.proposed[0].date) and summer.holds(row.proposed[1].date)
        assert all(m.end_time.hour * 60 + m.end_time.minute - m.start_time.hour * 60 - m.start_time.minute == 30 for m in row.proposed)
        assert not row.overdue  # each has a meeting booked this term
    later = plan_meetings(register, dt.date(2027, 2, 1))  # the autumn term is over, nothing held since July
    assert all(row.overdue for row in later.pupils)
    assert all(len(row.proposed) == 2 for row in later.pupils)
    amara_plan = next(row for row in plan.pupils if row.upn == "Z881999919001")
    first, second = amara_plan.proposed

    workbook = tmp_path / "plan.xlsx"
    result = ok("meetings", "plan", SAMPLES / "register.xlsx", "-o", workbook, "--date", DATE)
    assert "Z881999919001" in result.output and f"M5 {first.date:%d/%m/%Y} {first.start_time:%H:%M}" in result.output
    assert f"{2 * len(register.pupils)} meeting(s) proposed" in result.output
    again = run("meetings", "plan", SAMPLES / "register.xlsx", "-o", workbook, "--date", DATE)
    assert again.exit_code == 1 and "already exists" in again.output and "--overwrite" in again.output

    import openpyxl

    sheets = openpyxl.load_workbook(workbook).sheetnames
    assert sheets[0] == "Meeting plan" and "Meetings" in sheets
    loaded = load_register(workbook, as_of=AS_OF)
    assert not any("Meeting plan" in str(w) for w in loaded.warnings)  # its own summary sheet is read back silently
    amara = loaded.register.pupil("Z881999919001")
    assert [(m.id, m.date, m.held) for m in amara.meetings][-2:] == [
        ("M5", first.date, False), ("M6", second.date, False)]
    assert len(loaded.register.pupils) == len(register.pupils)

    out = tmp_path / "invites"
    ok("invite", workbook, "-o", out, "--date", DATE, "--pupil", "Z881999919001", "--meeting-date", "01/01/2027..",
       *templates)
    letters = sorted(p.name for p in (out / "letters").glob("*.pdf"))
    assert letters == [f"Z881999919001-invitation-{m}-{c}.pdf" for m in ("M5", "M6") for c in ("C1", "C2")]
    subjects = sorted(subject(m) for m in messages(out / "emails"))
    assert subjects == sorted([f"Meeting invitation from {SCHOOL}, {first.date:%A} {long_date(first.date)}"] * 2
                              + [f"Meeting invitation from {SCHOOL}, {second.date:%A} {long_date(second.date)}"] * 2)


# --- send-pack ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, templates: list[str]) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pack"
    ok("bundle", SAMPLES / "register.xlsx", "--pupil", "Z881999919001", "-o", out, "--date", DATE, *templates)
    return out


@pytest.fixture(scope="module")
def secure_pack(tmp_path_factory: pytest.TempPathFactory, templates: list[str]) -> Path:
    out = tmp_path_factory.mktemp("secure") / "pack"
    ok("bundle", SAMPLES / "register.xlsx", "--pupil", "Z881999919001", "-o", out, "--date", DATE,
       "--password", PASSPHRASE, "--max-mb", "0.5", *templates)
    return out


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / folder.name
    shutil.copytree(folder, target)
    return target


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_pack_drafts_then_sends_to_the_la(pack: Path, tmp_path: Path, smtp, register) -> None:
    folder = _copy(pack, tmp_path)
    la = register.local_authority.send_team_email
    result = ok("send-pack", folder, "--register", REGISTER)
    assert la in result.output
    (draft,) = messages(folder / "emails")
    pupil = register.pupil("Z881999919001")
    assert draft["To"].addresses[0].addr_spec == la
    assert subject(draft) == f"EHC needs assessment request from {SCHOOL} (ref Z881999919001)"
    for name in (pupil.legal_forename, pupil.legal_surname):
        assert name not in subject(draft)
    # The default body is minimal (#12): reference, school, contact; no pupil details.
    text = draft.get_body(("plain",)).get_content()
    assert "Z881999919001" in text and SCHOOL in text and "request for an EHC needs assessment" in text
    assert "request for an EHC needs assessment" in draft.get_body(("html",)).get_content()
    assert_no_personal_data(draft, pupil)
    attachments = {a.get_filename(): a.get_payload(decode=True) for a in draft.iter_attachments()}
    assert attachments == {
        "Z881999919001-bundle.pdf": (folder / "Z881999919001-bundle.pdf").read_bytes(),
        "Z881999919001-cover-letter.pdf": (folder / "Z881999919001-cover-letter.pdf").read_bytes(),
    }

    recorder, _ = smtp()
    sent = ok("send-pack", folder, "--register", REGISTER, "--send", "--yes")
    assert "1 message to 1 recipient" in sent.output and "Sending: 1 sent." in sent.output
    assert recorder.recipients == [la]
    (msg,) = recorder.messages()
    assert {a.get_filename() for a in msg.iter_attachments()} == set(attachments)
    again = ok("send-pack", folder, "--register", REGISTER, "--send", "--yes")
    assert "Nothing to send" in again.output and len(recorder.envelopes) == 1


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_pack_refuses_addresses_outside_the_allow_list(pack: Path, tmp_path: Path, smtp) -> None:
    folder = _copy(pack, tmp_path)
    recorder, _ = smtp()
    for address in ("someone@gmail.example", "send@northshire-council.example.evil.example"):
        result = run("send-pack", folder, "--register", REGISTER, "--to", address, "--send", "--yes")
        assert result.exit_code == 1 and "Error:" in result.output
        assert "not at an allow-listed local authority domain" in result.output
    assert recorder.sessions == 0 and not (folder / "emails").exists()
    ok("send-pack", folder, "--register", REGISTER, "--to", "caseworker@send.northshire-council.example")
    (draft,) = messages(folder / "emails")
    assert draft["To"].addresses[0].addr_spec == "caseworker@send.northshire-council.example"


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_pack_refuses_attachments_over_the_las_limit(pack: Path, tmp_path: Path, smtp) -> None:
    folder = _copy(pack, tmp_path)
    # The limit comes from the school's settings (the pack's own file is never trusted for it).
    config = tmp_path / "school.json"
    config.write_text(json.dumps({"local_authority": {"email_size_limit_mb": 0.2}}))
    recorder, _ = smtp()
    result = run("send-pack", folder, "--register", REGISTER, "--send", "--yes", "--config", config)
    assert result.exit_code == 1 and "Error:" in result.output
    assert "more than the 0.2 MB" in result.output and "--max-mb" in result.output.split("Tip:")[1]
    assert recorder.sessions == 0


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_encrypted_pack_in_parts_never_carries_the_passphrase(secure_pack: Path, tmp_path: Path, smtp, send_log: Path) -> None:
    folder = _copy(secure_pack, tmp_path)
    parts = json.loads(next(folder.glob("*-pack.json")).read_text())["parts"]
    assert len(parts) >= 2
    ok("send-pack", folder, "--register", REGISTER)
    drafts = sorted(messages(folder / "emails"), key=lambda m: subject(m))
    assert [subject(m) for m in drafts] == [
        f"EHC needs assessment request from {SCHOOL} (ref Z881999919001), part {n} of {len(parts)}"
        for n in range(1, len(parts) + 1)
    ]
    first = drafts[0]
    assert sorted(a.get_filename() for a in first.iter_attachments()) == sorted([parts[0], "Z881999919001-cover-letter.pdf"])
    for number, msg in enumerate(drafts[1:], start=2):
        assert [a.get_filename() for a in msg.iter_attachments()] == [parts[number - 1]]
    for msg in drafts:
        assert "send you the passphrase separately" in msg.get_body(("plain",)).get_content()
        assert passphrase_is_absent(msg, PASSPHRASE)

    recorder, _ = smtp()
    ok("send-pack", folder, "--register", REGISTER, "--send", "--yes")
    assert len(recorder.envelopes) == len(parts)
    for _, _, content in recorder.envelopes:
        assert passphrase_is_absent(content, PASSPHRASE)
    assert PASSPHRASE not in send_log.read_text()


# --- send-pack: nothing leaks (#12) --------------------------------------------------------------------


def personal_data(pupil) -> list[str]:
    """What must never be in an email body: names, date of birth as the documents write it, the need."""
    dob = pupil.date_of_birth
    need_words = [w for w in re.findall(r"[A-Za-z]+", pupil.primary_need.label) if len(w) >= 6]
    assert need_words
    return [pupil.legal_forename, pupil.legal_surname, f"{dob.day} {dob:%B %Y}", f"{dob:%d/%m/%Y}", dob.isoformat(), *need_words]


def assert_no_personal_data(msg, pupil, *, encrypted: bool = False) -> None:
    """Every text part of `msg`, decoded, is free of the pupil's details; so, when `encrypted`, is
    every attachment's raw bytes."""
    found = False
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text" and not part.get_filename():
            found = True
            body = part.get_content()
            for value in personal_data(pupil):
                assert value.casefold() not in body.casefold(), (value, part.get_content_type())
        elif encrypted:
            data = part.get_payload(decode=True)
            for value in (pupil.legal_forename, pupil.legal_surname):
                assert value.encode() not in data, (value, part.get_filename())
    assert found


def test_personal_data_check_would_catch_the_cover_letter(register) -> None:
    """The check above is not vacuous: today's body (the covering letter's text) trips it."""
    from email.message import EmailMessage

    pupil = register.pupil("Z881999919001")
    msg = EmailMessage()
    msg.set_content(f"Re: {pupil.full_name}, born {pupil.date_of_birth:%d/%m/%Y}")
    with pytest.raises(AssertionError):
        assert_no_personal_data(msg, pupil)


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_encrypted_pack_encrypts_every_file_and_its_emails_hold_no_personal_data(secure_pack: Path, tmp_path: Path, register) -> None:
    import msoffcrypto
    import pikepdf

    folder = _copy(secure_pack, tmp_path)
    pupil = register.pupil("Z881999919001")
    pdfs = sorted(folder.glob("*.pdf"))
    assert {p.name for p in pdfs} >= {"Z881999919001-ehc-request.pdf", "Z881999919001-cover-letter.pdf", "Z881999919001-bundle.pdf"}
    for path in pdfs:
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(path)
        with pikepdf.open(path, password=PASSPHRASE):
            pass
    for name in ("Z881999919001-ehc-request.docx", "Z881999919001-cover-letter.docx"):
        with open(folder / name, "rb") as handle:
            assert msoffcrypto.OfficeFile(handle).is_encrypted(), name
        assert not zipfile.is_zipfile(folder / name)  # not a readable .docx without the passphrase
    ok("send-pack", folder, "--register", REGISTER)
    drafts = messages(folder / "emails")
    assert len(drafts) >= 2
    for msg in drafts:
        assert_no_personal_data(msg, pupil, encrypted=True)
        assert "send you the passphrase separately" in msg.get_body(("plain",)).get_content()
        assert passphrase_is_absent(msg, PASSPHRASE)
        for attachment in msg.iter_attachments():
            data = attachment.get_payload(decode=True)
            with pytest.raises(pikepdf.PasswordError):
                pikepdf.open(io.BytesIO(data))
            reader = PdfReader(io.BytesIO(data))
            assert reader.is_encrypted and reader.decrypt(PASSPHRASE) != 0
    first = next(m for m in drafts if "part 1 of" in subject(m))
    body = first.get_body(("plain",)).get_content()
    assert "Z881999919001" in body and SCHOOL in body and "request for an EHC needs assessment" in body
    senco = register.school.senco
    assert senco.name in body and senco.email in body
    cover = next(a for a in first.iter_attachments() if a.get_filename() == "Z881999919001-cover-letter.pdf")
    reader = PdfReader(io.BytesIO(cover.get_payload(decode=True)))
    reader.decrypt(PASSPHRASE)
    assert pupil.legal_surname in "".join(page.extract_text() or "" for page in reader.pages)  # the letter is inside, encrypted


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_cover_letter_body_is_a_setting_and_refused_for_an_encrypted_pack(pack: Path, secure_pack: Path, tmp_path: Path) -> None:
    config = tmp_path / "school.toml"
    config.write_text('[local_authority]\nemail_body = "cover-letter"\n')
    folder = _copy(pack, tmp_path)
    ok("send-pack", folder, "--register", REGISTER, "--config", config)
    (draft,) = messages(folder / "emails")
    cover = docx.Document(str(folder / "Z881999919001-cover-letter.docx"))
    text = draft.get_body(("plain",)).get_content().replace("\r\n", "\n")  # email lines end in CRLF; a heading may hold a line break
    for paragraph in cover.paragraphs:
        assert paragraph.text.strip() in text
    assert "requesting an EHC needs assessment" in draft.get_body(("html",)).get_content()

    secure = tmp_path / "secure"
    shutil.copytree(secure_pack, secure)
    result = run("send-pack", secure, "--register", REGISTER, "--config", config)
    assert result.exit_code == 1 and "the pack is encrypted" in result.output and 'email_body = "minimal"' in result.output
    assert not (secure / "emails").exists()

    bad = tmp_path / "bad.toml"
    bad.write_text('[local_authority]\nemail_body = "everything"\n')
    result = run("send-pack", folder, "--register", REGISTER, "--config", bad, "--overwrite")
    assert result.exit_code == 1 and "email_body" in result.output


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_pack_never_takes_the_allow_list_from_the_pack_file(pack: Path, tmp_path: Path, smtp, register) -> None:
    folder = _copy(pack, tmp_path)
    description = next(folder.glob("*-pack.json"))
    data = json.loads(description.read_text())
    data["local_authority"]["allowed_domains"] = ["evil.example"]
    data["local_authority"]["send_team_email"] = "send.requests@evil.example"
    description.write_text(json.dumps(data))
    recorder, _ = smtp()
    result = run("send-pack", folder, "--register", REGISTER, "--to", "send.requests@evil.example", "--send", "--yes")
    assert result.exit_code == 1 and "not at an allow-listed local authority domain" in result.output
    assert recorder.sessions == 0 and not (folder / "emails").exists()
    ok("send-pack", folder, "--register", REGISTER)
    (draft,) = messages(folder / "emails")
    assert draft["To"].addresses[0].addr_spec == register.local_authority.send_team_email
    assert "evil.example" not in draft.as_string()
    # without the register, send-pack will not guess where the pack goes
    assert run("send-pack", folder).exit_code == 2


@pytest.mark.libreoffice  # makes PDFs with the real LibreOffice
def test_send_pack_refuses_a_hand_edited_draft(pack: Path, tmp_path: Path, smtp) -> None:
    folder = _copy(pack, tmp_path)
    ok("send-pack", folder, "--register", REGISTER)
    (draft,) = (folder / "emails").glob("*.eml")
    text = draft.read_bytes()
    la_address = message_from_bytes(text, policy=policy.default)["To"].addresses[0].addr_spec
    draft.write_bytes(text.replace(la_address.encode(), b"someone@evil.example"))
    recorder, _ = smtp()
    result = run("send-pack", folder, "--register", REGISTER, "--send", "--yes")
    assert result.exit_code == 1 and "nothing was sent" in result.output
    assert f"emails/{draft.name} (pack for Z881999919001, email 1 of 1): To: someone@evil.example in the draft" in result.output
    assert recorder.sessions == 0


def test_send_pack_refuses_a_register_without_the_packs_pupil(pack: Path, tmp_path: Path) -> None:
    folder = _copy(pack, tmp_path)
    description = next(folder.glob("*-pack.json"))
    data = json.loads(description.read_text())
    data["upn"] = "A123456789012"
    description.write_text(json.dumps(data))
    result = run("send-pack", folder, "--register", REGISTER)
    assert result.exit_code == 1 and "not in the register given" in result.output


def test_send_pack_la_domain_differing_only_by_case_or_trailing_dot(pack: Path, tmp_path: Path, smtp, register) -> None:
    """#12 corpus: `Send.Requests@NORTHSHIRE-council.example.` is the LA's own domain (DNS names ignore
    case, and a trailing dot is the same name), so it is allowed and written in its plain form; a name that
    merely starts with the LA's domain (`….example.evil.example.`) is never let through."""
    folder = _copy(pack, tmp_path)
    local, _, domain = register.local_authority.send_team_email.rpartition("@")
    shouted = f"{local.title()}@{domain.upper()}."
    recorder, _ = smtp()
    for lookalike in (f"{local}@{domain}.evil.example", f"{local}@{domain.upper()}.EVIL.example.", f"{local}@evil{domain}"):
        result = run("send-pack", folder, "--register", REGISTER, "--to", lookalike, "--send", "--yes")
        assert result.exit_code == 1 and "not at an allow-listed local authority domain" in result.output
        assert "Traceback" not in result.output
    assert recorder.sessions == 0 and not (folder / "emails").exists()
    ok("send-pack", folder, "--register", REGISTER, "--to", shouted)
    (draft,) = messages(folder / "emails")
    assert draft["To"].addresses[0].addr_spec == f"{local.title()}@{domain}"
    sent = ok("send-pack", folder, "--register", REGISTER, "--to", shouted, "--send", "--yes")
    assert "Sending: 1 sent." in sent.output
    assert recorder.recipients == [f"{local.title()}@{domain}"]


def test_send_pack_to_a_server_that_drops_after_the_body_is_unknown_and_not_resent(pack: Path, tmp_path: Path, smtp, register) -> None:
    """#12 corpus (F7 through the command): the server takes the whole DATA body, then closes the
    connection before its final "250". The pack is "delivery unknown" (not sent, not failed), a
    rerun sends nothing, and only `--resend-unknown` sends it again."""
    folder = _copy(pack, tmp_path)
    la = register.local_authority.send_team_email
    recorder, _ = smtp(Recorder(drop_on_message=1))
    ok("send-pack", folder, "--register", REGISTER)
    first = run("send-pack", folder, "--register", REGISTER, "--send", "--yes")
    assert first.exit_code == 1 and "Traceback" not in first.output
    assert "Sending: 1 unknown." in first.output and "? delivery unknown: " + la in first.output
    assert "it may have been delivered" in first.output and "run again with --resend-unknown" in first.output
    assert recorder.recipients == [la]  # it did arrive: exactly why it must not go again blindly
    recorder.drop_on_message = None
    rerun = run("send-pack", folder, "--register", REGISTER, "--send", "--yes")
    assert rerun.exit_code == 0 and len(recorder.envelopes) == 1
    assert "Nothing to send: 1 whose delivery is unknown, held back" in rerun.output
    resent = ok("send-pack", folder, "--register", REGISTER, "--send", "--yes", "--resend-unknown")
    assert "Sending: 1 sent." in resent.output and recorder.recipients == [la, la]
    (a, b) = recorder.messages()
    assert a["Message-ID"] == b["Message-ID"]  # the same message, so the LA can tell it is a repeat
