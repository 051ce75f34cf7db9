"""Emailing an EHC needs assessment request pack (made by `senforms bundle`) to the local authority.

The pack folder's `<stem>-pack.json` says whose pack it is (by UPN), whether it is encrypted and
its file names. One email carries the bundle (or one email per part when the bundle was split with
--max-mb); the first also carries the covering letter's PDF (encrypted, like everything else, when
the pack is). Subjects carry the UPN as the LA's reference, never a name.

The body holds no personal data by default (`[local_authority] email_body = "minimal"`): the
school's reference (the UPN), the school, that a request is attached, who to contact (the SENCo)
and, for an encrypted pack, that the passphrase comes separately by another route — it is never in
any email. `email_body = "cover-letter"` puts the covering letter's text in the body instead (the
child's name, date of birth and need), and is refused for an encrypted pack.

Where the LA's address comes from: the pack description is an editable file in the pack folder, so
it is never trusted for where the pack may go. The LA's SEND team address, allowed domains, size
limit and the body setting come from the register (its School sheet) with the school's settings
file (`[local_authority]`) laid over it, exactly as `bundle` uses them; so `send-pack` is given the
register (`--register`). The description's own copy of the LA is ignored, and the pack's UPN must
be a pupil of that register.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from senforms.bundle.pack_file import REMAKE, PackDescription, read_description
from senforms.deliver import Attachment, Draft, Ledger, SendReport, SmtpSettings, check_la_recipient, send_all, write_draft
from senforms.deliver.messages import draft_filename, html_page
from senforms.deliver.saved import SavedDraft, check_saved_drafts
from senforms.deliver.smtp import SendResult, as_sent_by
from senforms.errors import DeliveryError, OutputExistsError
from senforms.model import LocalAuthority, Register, School

PDF_MIME = "application/pdf"
MB = 1_000_000  # as `bundle --max-mb` counts: file size, before email encoding adds about a third
ENCRYPTED_NOTE = (
    "The attached files are protected with a passphrase. We will send you the passphrase separately, "
    "by a different route; it is not in this email."
)
CONFIG_TIP = "set it in the [local_authority] table of the school's settings file (--config), or on the School sheet"


@dataclass(frozen=True)
class Addressing:
    """Where the pack goes and who it is from, from the register and the school's settings only."""

    la: LocalAuthority
    school_name: str
    senco_name: str
    senco_email: str

    @classmethod
    def of(cls, register: Register, settings: Path | None = None) -> Addressing:
        from senforms.config.la_profile import local_authority_profile

        la = local_authority_profile(register.local_authority, settings)
        if la is None:
            raise DeliveryError("the register does not say which local authority the request goes to", fix="fill in 'Local authority' on the School sheet")
        school: School | None = register.school
        return cls(la, school.name if school else "", school.senco.name if school else "", (school.senco.email or "") if school else "")

    @property
    def team(self) -> str:
        return self.la.send_team_name or self.la.name


@dataclass(frozen=True)
class Pack:
    """A pack folder and what its description says."""

    folder: Path
    description: PackDescription

    def path(self, key: str) -> Path:
        name = self.description.files.get(key)
        if not name:
            raise DeliveryError(f"the pack description does not name its {key.replace('_', ' ')} file", fix=REMAKE)
        return self.folder / Path(name).name  # a name only: the description cannot point outside the pack


def read_pack(folder: Path | str) -> Pack:
    """The pack in `folder` (DeliveryError if it holds no description, or several, or a damaged one)."""
    folder = Path(folder)
    _, description = read_description(folder)
    return Pack(folder, description)


def pack_recipient(addressing: Addressing, to: str = "la") -> str:
    """The LA's SEND team address (`to="la"`) or another address; either must be at one of the LA's
    allowed domains as the register and the school's settings give them (never the pack's own file)."""
    la = addressing.la
    if to.strip().casefold() == "la":
        if not la.send_team_email:
            raise DeliveryError(
                f"the register gives no SEND team email address for {la.name or 'the local authority'}",
                fix="add it on the School sheet, or give the address with --to",
            )
        return check_la_recipient(la.send_team_email, la.allowed_domains)
    return check_la_recipient(to, la.allowed_domains)


def cover_letter_blocks(docx_path: Path) -> list[tuple[str, str | list[list[str]]]]:
    """The covering letter's body in order: ("p", text) paragraphs and ("table", rows) tables."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(str(docx_path))
    except Exception:  # python-docx raises several types for a damaged file
        raise DeliveryError(f"{docx_path.name} could not be read as a Word document", fix="make the pack again with `senforms bundle`") from None
    blocks: list[tuple[str, str | list[list[str]]]] = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            blocks.append(("p", Paragraph(element, document).text))
        elif element.tag == qn("w:tbl"):
            rows = []
            for row in Table(element, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    if not cells or cell.text != cells[-1]:  # merged cells repeat; show them once
                        cells.append(cell.text)
                rows.append(cells)
            blocks.append(("table", rows))
    return blocks


def _text(blocks: list[tuple[str, str | list[list[str]]]]) -> str:
    """Plain text: a blank line between paragraphs; a two-column table as "label: value" lines."""
    chunks: list[str] = []
    for kind, value in blocks:
        if kind == "p":
            if str(value).strip():
                chunks.append(str(value).strip())
        else:
            chunks.append("\n".join(f"{row[0]}: {row[1]}" if len(row) == 2 else " | ".join(row) for row in value))
    return "\n\n".join(chunks) + "\n"


def _html(blocks: list[tuple[str, str | list[list[str]]]]) -> str:
    parts: list[str] = []
    for kind, value in blocks:
        if kind == "p":
            parts.append(f"<p>{html.escape(str(value))}</p>" if str(value).strip() else "")
        else:
            rows = "\n".join(
                "<tr>" + "".join(f'<td style="padding:2px 8px;border:1px solid #aaa">{html.escape(c)}</td>' for c in row) + "</tr>"
                for row in value
            )
            parts.append(f'<table style="border-collapse:collapse">\n{rows}\n</table>')
    body = "\n".join(p for p in parts if p)
    return html_page(body)


def pack_subject(pack: Pack, addressing: Addressing, number: int = 1, total: int = 1) -> str:
    """'EHC needs assessment request from Hollybrook Primary School (ref Z881999919001)': no names."""
    subject = f"EHC needs assessment request from {addressing.school_name or 'school'} (ref {pack.description.upn})"
    return f"{subject}, part {number} of {total}" if total > 1 else subject


def _too_big(pack: Pack, la: LocalAuthority, number: int, total: int, attachments: list[Attachment]) -> None:
    size = sum(len(a.data) for a in attachments)
    limit = la.email_size_limit_mb
    if size > limit * MB:
        which = f"email {number} of {total}" if total > 1 else "the email"
        suggestion = max(0.5, round(limit * 0.7, 1))
        raise DeliveryError(
            f"{which} would carry {size / MB:.1f} MB of attachments, more than the {limit:g} MB "
            f"{la.name or 'the local authority'} accepts; nothing was sent",
            fix=f"split the bundle into parts: senforms bundle INPUT --pupil {pack.description.upn} -o FOLDER --max-mb {suggestion:g} --overwrite "
            "(leave room: email encoding adds about a third)",
        )


def minimal_body(pack: Pack, addressing: Addressing) -> str:
    """What the LA needs to route the email, and nothing about the child: reference, school, contact."""
    lines = [
        f"Dear {addressing.team},",
        f"Please find attached a request for an EHC needs assessment from {addressing.school_name or 'our school'}. "
        f"Our reference: {pack.description.upn}.",
        *([ENCRYPTED_NOTE] if pack.description.encrypted else []),
        f"If you have any questions, please contact {addressing.senco_name}, SENCo, at {addressing.senco_email}.",
        f"Yours faithfully,\n\n{addressing.senco_name}\nSENCo, {addressing.school_name}",
    ]
    return "\n\n".join(lines) + "\n"


def pack_drafts(pack: Pack, addressing: Addressing, to: str = "la") -> list[Draft]:
    """The email(s) for the pack: one per bundle part, the covering letter with the first.

    Refuses (DeliveryError) an address outside the LA's allowed domains, an email whose
    attachments exceed the LA's size limit, and the covering letter as the body of an encrypted pack.
    """
    la = addressing.la
    recipient = pack_recipient(addressing, to)
    if not addressing.senco_email:
        raise DeliveryError("the register does not give the SENCo's email address, so the email cannot say who it is from", fix="add it on the School sheet")
    if la.email_body == "cover-letter" and pack.description.encrypted:
        raise DeliveryError(
            "the pack is encrypted, but the settings ask for the covering letter's text (the child's details) as the email body; nothing was sent",
            fix='set email_body = "minimal" in the [local_authority] table of the settings file, or make the pack without a password',
        )
    cover_pdf = pack.path("cover_pdf")
    files = [pack.folder / Path(p).name for p in pack.description.parts] or [pack.path("bundle")]
    needed = [cover_pdf, *files] + ([pack.path("cover_docx")] if la.email_body == "cover-letter" else [])
    for path in needed:
        if not path.is_file():
            raise DeliveryError(f"{path.name} is missing from the pack folder", fix="make the pack again with `senforms bundle`")
    total = len(files)
    drafts: list[Draft] = []
    for number, path in enumerate(files, start=1):
        attachments = [Attachment(path.name, path.read_bytes(), PDF_MIME, case_id=pack.description.upn)]
        page: str | None = None  # the HTML is made from the text
        if number == 1:
            attachments.append(Attachment(cover_pdf.name, cover_pdf.read_bytes(), PDF_MIME, case_id=pack.description.upn))
            if la.email_body == "cover-letter":
                blocks = cover_letter_blocks(pack.path("cover_docx"))
                text, page = _text(blocks), _html(blocks)
            else:
                text = minimal_body(pack, addressing)
        else:
            lines = [
                f"Dear {addressing.team},",
                f"This is part {number} of {total} of the evidence bundle for our request for an EHC needs assessment "
                f"(ref {pack.description.upn}). The bundle was split to keep each email under your size limit; the covering letter "
                "and part 1 came in the first email.",
                *([ENCRYPTED_NOTE] if pack.description.encrypted else []),
                f"Yours faithfully,\n\n{addressing.senco_name}\nSENCo, {addressing.school_name}",
            ]
            text = "\n\n".join(lines) + "\n"
        _too_big(pack, la, number, total, attachments)
        drafts.append(
            Draft(
                case_id=pack.description.upn,
                to_name=addressing.team,
                to_address=recipient,
                from_name=f"{addressing.senco_name}, {addressing.school_name}".strip(", "),
                from_address=addressing.senco_email,
                subject=pack_subject(pack, addressing, number, total),
                text_body=text,
                html_body=page,
                attachments=tuple(attachments),
                allowed_recipients=frozenset({recipient}),
                reply_to=addressing.senco_email,
                key=f"pack:{pack.description.upn}:{pack.description.made_on.isoformat()}:{number}of{total}:{recipient.casefold()}",
            )
        )
    return drafts


def saved_pack_drafts(drafts: list[Draft], folder: Path) -> list[SavedDraft]:
    """The pack's drafts with the .eml files `write_pack_drafts` saved them as in `folder`."""
    total = len(drafts)
    return [
        SavedDraft(d, Path(folder) / draft_filename(d.key), f"pack for {d.case_id}, email {n} of {total}")
        for n, d in enumerate(drafts, start=1)
    ]


def write_pack_drafts(drafts: list[Draft], out_dir: Path, *, overwrite: bool = False) -> tuple[list[Path], list[Path]]:
    """Save each draft as a .eml in `out_dir`: (written, skipped because already there)."""
    written: list[Path] = []
    skipped: list[Path] = []
    for draft in drafts:
        try:
            written.append(write_draft(draft, out_dir, overwrite=overwrite))
        except OutputExistsError as exc:
            skipped.append(Path(exc.path))
    return written, skipped


def send_pack(drafts: list[Draft], settings: SmtpSettings, ledger_path: Ledger | Path | str, *, resend_unknown: bool = False,
              drafts_folder: Path | None = None, on_event: Callable[[SendResult], None] | None = None) -> SendReport:
    """Send the pack's drafts (checked, journalled, never twice: see `deliver.send_all`).

    With `drafts_folder` (the pack's emails/ folder), each saved .eml must first be exactly the
    draft made now (see `deliver.saved`).
    """
    if drafts_folder is not None:
        check_saved_drafts(saved_pack_drafts(drafts, drafts_folder))
    ledger = ledger_path if isinstance(ledger_path, Ledger) else Ledger(ledger_path)
    return send_all([as_sent_by(d, settings) for d in drafts], settings, ledger, resend_unknown=resend_unknown, on_event=on_event)


@dataclass(frozen=True)
class PackEmails:
    """The drafts for one pack, and which draft files were written or kept."""

    pack: Pack
    addressing: Addressing
    drafts: list[Draft]
    written: list[Path]
    skipped: list[Path]

    @property
    def folder(self) -> Path:
        return self.pack.folder / "emails"


def prepare_pack_emails(folder: Path | str, register: Register, to: str = "la", *, settings: Path | None = None, overwrite: bool = False) -> PackEmails:
    """Read the pack in `folder`, address it from `register` and the school's `settings` file (never
    from the pack's own description), make its drafts and write them to `folder/emails` (nothing is sent)."""
    pack = read_pack(folder)
    if register.pupil(pack.description.upn) is None:
        raise DeliveryError(
            f"the pack is for UPN {pack.description.upn}, who is not in the register given; nothing was sent",
            fix="give the register the pack was made from",
        )
    addressing = Addressing.of(register, settings)
    drafts = pack_drafts(pack, addressing, to)
    written, skipped = write_pack_drafts(drafts, pack.folder / "emails", overwrite=overwrite)
    return PackEmails(pack, addressing, drafts, written, skipped)
