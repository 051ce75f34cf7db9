"""Meeting invitations, end to end: letters, PDFs, email drafts with calendar invitations, a print pile.

`prepare_invitations` makes everything under OUTDIR and sends nothing (it never opens a connection):

    letters/    one Word letter and its PDF per meeting × invitee ({upn}-invitation-{meeting}-{contact})
    emails/     one .eml draft per invitee with an email address (letter PDF and .ics attached)
    calendar/   the same .ics files, for anyone who wants to import them by hand
    print/invitations-to-post.pdf   every letter for an invitee without email, in envelope order

`send_invitations` sends the drafts through `deliver.send_all` (checked first, journalled, never twice).

Who is invited is decided by `documents.plan_jobs` (parents with parental responsibility, or the
meeting's listed contacts; a young person over compulsory school age is invited himself).
Nothing here logs: results carry IDs, and names only where the user must see them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from senforms.deliver import (
    Attachment,
    Draft,
    Ledger,
    SendReport,
    SendResult,
    SmtpSettings,
    calendar_attachment,
    check_recipient,
    meeting_invitation,
    normalise_address,
    send_all,
    write_draft,
)
from senforms.deliver.envelopes import envelope_key, postcode_of
from senforms.deliver.messages import html_page
from senforms.deliver.saved import SavedDraft, check_saved_drafts
from senforms.deliver.smtp import as_sent_by
from senforms.documents.catalogue import Job, plan_jobs
from senforms.documents.own_letter import OwnLetter, read_own_letter
from senforms.documents.render import RenderRequest, render_documents
from senforms.errors import DeliveryError, OutputExistsError, SenformsError
from senforms.model import ContactMethod, Meeting, Pupil, Register
from senforms.model.calendar import reply_by
from senforms.outputs.atomic import write_atomic
from senforms.pdf.combine import merge_pdfs
from senforms.ukformat import long_date, time_text

if TYPE_CHECKING:
    from senforms.pdf.pool import PdfConverter

Channel = Literal["email", "post"]
PRINT_NAME = "invitations-to-post.pdf"
REMINDER_MINUTES = 24 * 60  # the day before
PDF_MIME = "application/pdf"


# ---------------------------------------------------------------------------------------------------
# Results


@dataclass
class Invitation:
    """One meeting × one invitee: how the invitation travels and the files made for it.

    `contact_id` is the parent's contact ID, or "pupil" for a young person invited himself.
    `draft` is the email (None for post, or when the letter could not be made).
    """

    upn: str
    meeting_id: str
    contact_id: str
    recipient_name: str
    meeting_date: dt.date
    channel: Channel
    letter_docx: Path | None = None
    letter_pdf: Path | None = None
    eml: Path | None = None
    ics: Path | None = None
    draft: Draft | None = None
    postcode: str = ""
    surname: str = ""
    failed: str = ""

    @property
    def key(self) -> str:
        """The stable idempotency key of this invitation's email (also names its send-ledger entry)."""
        return f"invite:{self.upn}:{self.meeting_id}:{self.contact_id}"

    @property
    def files(self) -> list[Path]:
        return [p for p in (self.letter_docx, self.letter_pdf, self.eml, self.ics) if p is not None]


@dataclass
class InvitationBatch:
    """Everything `prepare_invitations` made, skipped and could not make."""

    out_dir: Path
    on: dt.date
    invitations: list[Invitation] = field(default_factory=list)
    print_pdf: Path | None = None
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unfilled_fields: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    template: Path | None = None
    mail_merge: bool = False

    @property
    def drafts(self) -> list[Draft]:
        """The emails ready to send, one per invitee with an email address."""
        return [i.draft for i in self.invitations if i.draft is not None]

    def saved_drafts(self) -> list[SavedDraft]:
        """Each email draft with the .eml it was saved as, to check they agree before sending."""
        return [
            SavedDraft(i.draft, i.eml, f"pupil {i.upn}, " + ("the young person" if i.contact_id == "pupil" else f"contact {i.contact_id}"))
            for i in self.invitations
            if i.draft is not None and i.eml is not None
        ]

    @property
    def posted(self) -> list[Invitation]:
        """Letters to post, in envelope order (the order of the print PDF)."""
        return sorted(
            (i for i in self.invitations if i.channel == "post"),
            key=lambda i: envelope_key(i.postcode, i.surname, i.recipient_name, i.upn, i.meeting_id, i.contact_id),
        )

    def summary(self) -> list[tuple[str, str, str, dt.date, Channel, list[Path]]]:
        """(UPN, contact ID, recipient name, meeting date, channel, files) per invitation.

        The recipient's name is for the screen only; nothing here is logged.
        """
        return [(i.upn, i.contact_id, i.recipient_name, i.meeting_date, i.channel, i.files) for i in self.invitations]


# ---------------------------------------------------------------------------------------------------
# Preparing


def _meeting(job: Job) -> Meeting:
    """The meeting of an invitation job (plan_jobs gives every invitation job its meeting)."""
    assert job.meeting is not None, f"invitation job for {job.pupil.upn} has no meeting"
    return job.meeting


def _in_range(job: Job, date_from: dt.date, date_to: dt.date | None) -> bool:
    day = _meeting(job).date
    return day >= date_from and (date_to is None or day <= date_to)


def _channel(job: Job) -> Channel:
    """Email when the invitee has an address and has not asked for letters by post."""
    email = str(job.context["recipient"].get("email") or "").strip()
    if not email:
        return "post"
    if job.contact is not None and job.contact.preferred_contact == ContactMethod.POST:
        return "post"
    return "email"


def _sender(register: Register) -> tuple[str, str, str]:
    """(school name, SENCo name, the address invitations come from and replies go to)."""
    school = register.school
    if school is None:
        raise DeliveryError(
            "the register has no school details, so invitations cannot say who they are from",
            fix="fill in the School sheet (school name and SENCo)",
        )
    address = school.senco.email or school.email or ""
    return school.name, school.senco.name, address


def prepare_invitations(
    register: Register,
    out_dir: Path | str,
    *,
    on: dt.date,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    templates_dir: Path | None = None,
    mail_merge_template: Path | None = None,
    strict: bool = False,
    own_letter: OwnLetter | None = None,
    overwrite: bool = False,
    pupils: list[Pupil] | None = None,
    logo: Path | None = None,
    on_progress: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    converter: PdfConverter | None = None,
) -> InvitationBatch:
    """Make the invitation letters, PDFs, email drafts, calendar files and print pile (see the module).

    Meetings not yet held, dated from `date_from` (default and earliest: `on`, the date the letters
    carry) to `date_to`. `mail_merge_template` is a Word letter: a mail-merge letter (it has
    MERGEFIELDs, an ADDRESSBLOCK…) is filled with MERGE_FIELDS; any other .docx is used as the
    senforms invitation template. `strict` refuses a mail-merge letter with a field senforms cannot
    fill; `own_letter` is the letter already read (by `read_own_letter`, to list such fields first). Existing files are kept and reported as skipped unless `overwrite`. Raises
    DeliveryError, before anything is written, if an email would go to an address not on its
    pupil's record. `converter` (a senforms.pdf.PdfConverter) reuses LibreOffices already started.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise SenformsError(f"{out_dir} is a file, not a folder", fix="give a folder with -o")
    if own_letter is None and mail_merge_template is not None:
        own_letter = read_own_letter(mail_merge_template, "invitation", strict=strict)
    start = max(on, date_from) if date_from else on
    jobs = [j for j in plan_jobs(register, "invitation", on=on, pupils=pupils) if _in_range(j, start, date_to)]
    batch = InvitationBatch(out_dir=out_dir, on=on)
    if not jobs:
        return batch
    school_name, senco_name, from_address = _sender(register)

    invitations = [_invitation(job) for job in jobs]
    if on_start:
        on_start(2 * len(jobs))  # `on_progress` is called once for each letter and once for each PDF
    if any(inv.channel == "email" for inv in invitations) and not from_address:
        raise DeliveryError(
            "the register has no email address for the SENCo or the school, so emails cannot say who they are from",
            fix="add the SENCo's email address on the School sheet",
        )
    # The recipient↔pupil binding is checked before anything is made, so a mismatch leaves no files.
    for job, inv in zip(jobs, invitations):
        if inv.channel == "email":
            check_recipient(_draft(job, inv, school_name, senco_name, from_address, ()))

    letters, emails, calendar = out_dir / "letters", out_dir / "emails", out_dir / "calendar"
    _make_letters(logo, jobs, invitations, batch, letters, templates_dir, own_letter, overwrite, on_progress)
    _make_pdfs(invitations, batch, letters, overwrite, on_progress, converter)

    for job, inv in zip(jobs, invitations):
        if inv.channel != "email" or inv.failed:
            continue
        # _make_pdfs leaves every invitation either failed or with both its letter and its PDF.
        assert inv.letter_docx is not None and inv.letter_pdf is not None
        ics = _calendar(job, inv, school_name, senco_name, from_address, batch)
        attachments = [Attachment(_letter_attachment_name(inv), inv.letter_pdf.read_bytes(), PDF_MIME, case_id=inv.upn)]
        if ics is not None:
            inv.ics = _write(calendar / f"{inv.letter_docx.stem}.ics", ics, overwrite, batch)
            attachments.append(calendar_attachment(ics, "invitation.ics", case_id=inv.upn))
        inv.draft = _draft(job, inv, school_name, senco_name, from_address, attachments)
        try:
            inv.eml = write_draft(inv.draft, emails, overwrite=overwrite)
            batch.written.append(inv.eml)
        except OutputExistsError as exc:
            inv.eml = Path(exc.path)
            batch.skipped.append(inv.eml)

    batch.invitations = invitations
    batch.print_pdf = _print_pile(batch, out_dir / "print" / PRINT_NAME, overwrite)
    return batch


def _invitation(job: Job) -> Invitation:
    recipient = job.context["recipient"]
    name = str(recipient.get("name") or "")
    title = str(recipient.get("title") or "")
    surname = job.pupil.legal_surname if job.contact is None else (name.split() or [""])[-1]
    return Invitation(
        upn=job.pupil.upn,
        meeting_id=_meeting(job).id,
        contact_id=job.contact.id if job.contact else "pupil",
        recipient_name=f"{title} {name}".strip(),
        meeting_date=_meeting(job).date,
        channel=_channel(job),
        postcode=postcode_of(recipient.get("address") or []),
        surname=surname,
    )


def _make_letters(
    logo: Path | None,
    jobs: list[Job],
    invitations: list[Invitation],
    batch: InvitationBatch,
    letters: Path,
    templates_dir: Path | None,
    own_letter: OwnLetter | None,
    overwrite: bool,
    on_progress: Callable[[str], None] | None,
) -> None:
    """Render one Word letter per invitation: the senforms template, or the school's own letter."""
    request = RenderRequest("invitation", letters, templates_dir=templates_dir, overwrite=overwrite, logo=logo, own_letter=own_letter)
    report = render_documents(jobs, request, on_progress=(lambda d: on_progress(d.job.description)) if on_progress else None)
    batch.template = report.template
    batch.mail_merge = own_letter is not None and own_letter.mail_merge
    batch.unfilled_fields = list(report.unfilled)
    batch.warnings.extend(report.notes)
    for document, inv in zip(report.documents, invitations):
        inv.letter_docx = document.path
        if document.status == "written":
            batch.written.append(document.path)
        elif document.status == "skipped":
            batch.skipped.append(document.path)
        else:
            inv.failed = f"letter {document.path.name}: {document.error}"
            inv.letter_docx = None
            batch.failures.append(inv.failed)


def _letter_docx(inv: Invitation) -> Path:
    """The Word letter of an invitation that has not failed (_make_letters made it or kept it)."""
    assert inv.letter_docx is not None, f"invitation {inv.key} has no letter"
    return inv.letter_docx


def _make_pdfs(
    invitations: list[Invitation],
    batch: InvitationBatch,
    letters: Path,
    overwrite: bool,
    on_progress: Callable[[str], None] | None,
    converter: PdfConverter | None = None,
) -> None:
    """Every letter to PDF in one `convert_many` call (one pool of LibreOffices for the batch)."""
    from senforms.pdf import convert_many

    todo = [inv for inv in invitations if not inv.failed]
    if not todo:
        return
    progress = (lambda result: on_progress(result.source.name)) if on_progress else None
    results = convert_many([_letter_docx(inv) for inv in todo], letters, overwrite=overwrite, on_progress=progress, converter=converter)
    for inv, result in zip(todo, results):
        if result.status == "failed" or result.pdf is None:
            inv.failed = f"PDF of {_letter_docx(inv).name}: {result.error}"
            batch.failures.append(inv.failed)
            continue
        inv.letter_pdf = result.pdf
        (batch.skipped if result.status == "skipped" else batch.written).append(result.pdf)


def _write(path: Path, data: bytes, overwrite: bool, batch: InvitationBatch) -> Path:
    try:
        write_atomic(path, data, overwrite=overwrite)
        batch.written.append(path)
    except OutputExistsError:
        batch.skipped.append(path)
    return path


def _letter_attachment_name(inv: Invitation) -> str:
    # No names in file names: the recipient's mail client shows it to anyone looking over a shoulder.
    return f"meeting-invitation-{inv.meeting_date.isoformat()}.pdf"


def _uid(inv: Invitation, from_address: str) -> str:
    """The same UID every run for this meeting and invitee, so a resent invitation replaces the first."""
    digest = hashlib.sha256(f"senforms-invite\x00{inv.upn}\x00{inv.meeting_id}\x00{inv.contact_id}".encode()).hexdigest()[:32]
    domain = from_address.rpartition("@")[2] or "senforms.invalid"
    return f"{digest}@{domain}"


def _is_web_link(text: str) -> bool:
    value = text.strip()
    return value.lower().startswith(("https://", "http://")) and not any(ch.isspace() for ch in value)


def _calendar(job: Job, inv: Invitation, school_name: str, senco_name: str, from_address: str, batch: InvitationBatch) -> bytes | None:
    """The .ics for one invitee, or None when the meeting has no start time yet."""
    meeting = _meeting(job)
    start, end = meeting.start, meeting.end
    if start is None:
        batch.warnings.append(f"{inv.upn} meeting {meeting.id}: no start time, so no calendar invitation was made")
        return None
    assert end is not None  # Meeting.end is set whenever the start is
    link = meeting.online_link or ""
    url = link if _is_web_link(link) else None
    location = meeting.location or (None if url else school_name)
    if link and not url:
        location = ", ".join(x for x in (location, link) if x)
    contact_line = f"To reply or to rearrange, contact {senco_name} at {from_address}."
    # Calendars are seen on lock screens and shared diaries: no SEN detail and no child's name here.
    description = "\n".join(
        x for x in ("Details are in the invitation letter sent with this appointment.",
                    f"Join online: {url}" if url else "", contact_line) if x
    )
    return meeting_invitation(
        uid=_uid(inv, from_address),
        start=start,
        end=end,
        summary=f"Meeting at {school_name}",
        location=location,
        url=url,
        organiser_name=senco_name,
        organiser_email=from_address,
        attendee_name=inv.recipient_name,
        attendee_email=str(job.context["recipient"]["email"]),
        description=description,
        reminder_minutes=REMINDER_MINUTES,
        # The letter's date, not the clock: the same input makes the same file, so the draft the
        # office reviewed is byte for byte what is sent, and a later letter still supersedes it.
        stamp=dt.datetime.combine(job.context["document_date"], dt.time(0), tzinfo=dt.timezone.utc),
    )


def invitation_subject(school_name: str, day: dt.date) -> str:
    """'Meeting invitation from Hollybrook Primary School, Thursday 3 December 2026': no SEN detail."""
    return f"Meeting invitation from {school_name}, {day.strftime('%A')} {long_date(day)}"


def _details(job: Job) -> list[tuple[str, str]]:
    meeting = _meeting(job)
    when = time_text(meeting.start_time) or "to be confirmed"
    if meeting.start_time and meeting.end_time:
        when = f"{time_text(meeting.start_time)} to {time_text(meeting.end_time)}"
    where = meeting.location or ""
    if meeting.online_link:
        where = f"{where} (or online: {meeting.online_link})" if where else f"Online: {meeting.online_link}"
    return [
        ("Date", f"{meeting.date.strftime('%A')} {long_date(meeting.date)}"),
        ("Time", when),
        ("Where", where or str(job.context["school"].get("name", ""))),
        ("What", meeting.purpose or meeting.type.label),
    ]


def _bodies(job: Job, senco_name: str, school_name: str, on: dt.date) -> tuple[str, str]:
    """(plain text, HTML) of the invitation email."""
    context = job.context
    recipient, pupil = context["recipient"], context["pupil"]
    senco = context["school"].get("senco") or {}
    about = "your SEN support" if job.contact is None else f"{pupil['known_as']}'s SEN support"
    reply_date = reply_by(_meeting(job).date, on)
    by = f"by {long_date(reply_date)}" if reply_date else "as soon as you can"
    phone = f" or by calling {senco['phone']}" if senco.get("phone") else ""
    paragraphs = [
        f"Dear {recipient.get('salutation') or recipient.get('name')},",
        f"I would like to invite you to a meeting about {about}, to look together at how things are going, "
        "hear your views and agree what happens next.",
        None,  # the details
        f"Please let me know {by} whether you can come, by replying to this email{phone}. If the date or time "
        "is difficult for you, tell me and we will arrange another time. You are welcome to bring someone "
        "to support you.",
        "The invitation letter is attached, with a calendar invitation you can add to your calendar.",
        f"Yours sincerely,\n\n{senco_name}\n{senco.get('role') or 'SENCo'}, {school_name}",
    ]
    details = _details(job)
    text = "\n\n".join("\n".join(f"{k}: {v}" for k, v in details) if p is None else p for p in paragraphs) + "\n"
    rows = "\n".join(
        f'<tr><th align="left" style="padding-right:1em">{html.escape(k)}</th><td>{_html_value(v)}</td></tr>' for k, v in details
    )
    body = "\n".join(
        f"<table>\n{rows}\n</table>" if p is None else "<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
    )
    return text, html_page(body)


def _html_value(value: str) -> str:
    # A web link becomes clickable; everything else is escaped text.
    return re.sub(
        r"https?://[^\s<>\"']+",
        lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>',
        html.escape(value, quote=False),
    )


def _draft(job: Job, inv: Invitation, school_name: str, senco_name: str, from_address: str, attachments: Iterable[Attachment]) -> Draft:
    text, page = _bodies(job, senco_name, school_name, job.context["document_date"])
    return Draft(
        case_id=inv.upn,
        to_name=inv.recipient_name,
        to_address=normalise_address(str(job.context["recipient"]["email"]), what=f"email address of {inv.upn} contact {inv.contact_id}"),
        from_name=f"{senco_name}, {school_name}",
        from_address=from_address,
        subject=invitation_subject(school_name, _meeting(job).date),
        text_body=text,
        html_body=page,
        attachments=tuple(attachments),
        allowed_recipients=job.pupil.allowed_addresses(),
        reply_to=from_address,
        key=inv.key,
    )


def _print_pile(batch: InvitationBatch, path: Path, overwrite: bool) -> Path | None:
    """One PDF of every letter to post, in envelope order, for printing in one go."""
    posted = [inv for inv in batch.posted if inv.letter_pdf is not None]
    if not posted:
        return None
    missing = [inv for inv in posted if not inv.postcode]
    for inv in missing:
        batch.warnings.append(f"{inv.upn} contact {inv.contact_id}: no postcode in the address; the letter is at the end of the print pile")
    if path.exists() and not overwrite:
        batch.skipped.append(path)
        return path
    try:
        merge_pdfs([inv.letter_pdf for inv in posted if inv.letter_pdf is not None], path, overwrite=overwrite, title="Meeting invitations to post")
        batch.written.append(path)
    except OutputExistsError:
        batch.skipped.append(path)
    return path


# ---------------------------------------------------------------------------------------------------
# Sending


def send_invitations(
    batch: InvitationBatch,
    settings: SmtpSettings,
    ledger_path: Ledger | Path | str,
    *,
    resend_unknown: bool = False,
    on_event: Callable[[SendResult], None] | None = None,
) -> SendReport:
    """Send every draft in the batch (see `deliver.send_all`: checked first, one per recipient,
    journalled in the ledger at `ledger_path`, never sent twice).

    First each saved .eml must be exactly the draft made now: a register changed since the drafts
    were made, or a draft edited by hand, stops the send (DeliveryError naming each draft).
    """
    check_saved_drafts(batch.saved_drafts())
    drafts = [as_sent_by(d, settings) for d in batch.drafts]
    return send_all(drafts, settings, ledger_path if isinstance(ledger_path, Ledger) else Ledger(ledger_path), resend_unknown=resend_unknown, on_event=on_event)
