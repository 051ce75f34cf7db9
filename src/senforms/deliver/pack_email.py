"""Emailing an EHC needs assessment request pack (made by `senforms bundle`) to the local authority.

The pack folder's `<stem>-pack.json` says whose pack it is (by UPN), the LA's address and allowed
domains, its email size limit and the file names. One email carries the bundle (or one email per
part when the bundle was split with --max-mb); the first also carries the covering letter, whose
text is its body. Subjects carry the UPN as a reference, never a name. An encrypted bundle's
passphrase is never in any email: the body says it will follow separately.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from senforms.bundle.pack_file import REMAKE, PackDescription, read_description
from senforms.deliver import Attachment, Draft, Ledger, SendReport, SmtpSettings, check_la_recipient, send_all, write_draft
from senforms.deliver.messages import html_page
from senforms.deliver.smtp import as_sent_by
from senforms.errors import DeliveryError, OutputExistsError

PDF_MIME = "application/pdf"
MB = 1_000_000  # as `bundle --max-mb` counts: file size, before email encoding adds about a third
ENCRYPTED_NOTE = (
    "The evidence bundle is protected with a passphrase. We will send you the passphrase separately, "
    "by a different route; it is not in this email."
)


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


def pack_recipient(pack: Pack, to: str = "la") -> str:
    """The LA's SEND team address (`to="la"`) or another address; either must be at an allow-listed domain."""
    if to.strip().casefold() == "la":
        if not pack.description.la_email:
            raise DeliveryError(
                f"the register gives no SEND team email address for {pack.description.la_name or 'the local authority'}",
                fix="add it on the School sheet and make the pack again, or give the address with --to",
            )
        return check_la_recipient(pack.description.la_email, pack.description.allowed_domains)
    return check_la_recipient(to, pack.description.allowed_domains)


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


def pack_subject(pack: Pack, number: int = 1, total: int = 1) -> str:
    """'EHC needs assessment request from Hollybrook Primary School (ref Z881999919001)': no names."""
    subject = f"EHC needs assessment request from {pack.description.school_name or 'school'} (ref {pack.description.upn})"
    return f"{subject}, part {number} of {total}" if total > 1 else subject


def _too_big(pack: Pack, number: int, total: int, attachments: list[Attachment]) -> None:
    size = sum(len(a.data) for a in attachments)
    if size > pack.description.size_limit_mb * MB:
        which = f"email {number} of {total}" if total > 1 else "the email"
        suggestion = max(0.5, round(pack.description.size_limit_mb * 0.7, 1))
        raise DeliveryError(
            f"{which} would carry {size / MB:.1f} MB of attachments, more than the {pack.description.size_limit_mb:g} MB "
            f"{pack.description.la_name or 'the local authority'} accepts; nothing was sent",
            fix=f"split the bundle into parts: senforms bundle INPUT --pupil {pack.description.upn} -o FOLDER --max-mb {suggestion:g} --overwrite "
            "(leave room: email encoding adds about a third)",
        )


def pack_drafts(pack: Pack, to: str = "la") -> list[Draft]:
    """The email(s) for the pack: one per bundle part, the covering letter with the first.

    Refuses (DeliveryError) an address outside the LA's allowed domains and an email whose
    attachments exceed the LA's size limit.
    """
    recipient = pack_recipient(pack, to)
    if not pack.description.senco_email:
        raise DeliveryError("the pack does not say the SENCo's email address, so the email cannot say who it is from", fix="add it on the School sheet and make the pack again")
    cover_pdf, cover_docx = pack.path("cover_pdf"), pack.path("cover_docx")
    files = [pack.folder / Path(p).name for p in pack.description.parts] or [pack.path("bundle")]
    for path in [cover_pdf, cover_docx, *files]:
        if not path.is_file():
            raise DeliveryError(f"{path.name} is missing from the pack folder", fix="make the pack again with `senforms bundle`")
    blocks = cover_letter_blocks(cover_docx)
    if pack.description.encrypted:
        blocks.insert(0, ("p", ENCRYPTED_NOTE))
    total = len(files)
    drafts: list[Draft] = []
    for number, path in enumerate(files, start=1):
        attachments = [Attachment(path.name, path.read_bytes(), PDF_MIME, case_id=pack.description.upn)]
        if number == 1:
            attachments.append(Attachment(cover_pdf.name, cover_pdf.read_bytes(), PDF_MIME, case_id=pack.description.upn))
            text, page = _text(blocks), _html(blocks)
        else:
            lines = [
                f"Dear {pack.description.la_team},",
                f"This is part {number} of {total} of the evidence bundle for our request for an EHC needs assessment "
                f"(ref {pack.description.upn}). The bundle was split to keep each email under your size limit; the covering letter "
                "and part 1 came in the first email.",
                *([ENCRYPTED_NOTE] if pack.description.encrypted else []),
                f"Yours faithfully,\n\n{pack.description.senco_name}\nSENCo, {pack.description.school_name}",
            ]
            text, page = "\n\n".join(lines) + "\n", None  # the HTML is made from the text
        _too_big(pack, number, total, attachments)
        drafts.append(
            Draft(
                case_id=pack.description.upn,
                to_name=pack.description.la_team,
                to_address=recipient,
                from_name=f"{pack.description.senco_name}, {pack.description.school_name}".strip(", "),
                from_address=pack.description.senco_email,
                subject=pack_subject(pack, number, total),
                text_body=text,
                html_body=page,
                attachments=tuple(attachments),
                allowed_recipients=frozenset({recipient}),
                reply_to=pack.description.senco_email,
                key=f"pack:{pack.description.upn}:{pack.description.made_on.isoformat()}:{number}of{total}:{recipient.casefold()}",
            )
        )
    return drafts


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


def send_pack(drafts: list[Draft], settings: SmtpSettings, ledger_path: Path | str, *, resend_unknown: bool = False) -> SendReport:
    """Send the pack's drafts (checked, journalled, never twice: see `deliver.send_all`)."""
    return send_all([as_sent_by(d, settings) for d in drafts], settings, Ledger(ledger_path), resend_unknown=resend_unknown)


@dataclass(frozen=True)
class PackEmails:
    """The drafts for one pack, and which draft files were written or kept."""

    pack: Pack
    drafts: list[Draft]
    written: list[Path]
    skipped: list[Path]

    @property
    def folder(self) -> Path:
        return self.pack.folder / "emails"


def prepare_pack_emails(folder: Path | str, to: str = "la", *, overwrite: bool = False) -> PackEmails:
    """Read the pack in `folder`, make its email drafts and write them to `folder/emails` (nothing is sent)."""
    pack = read_pack(folder)
    drafts = pack_drafts(pack, to)
    written, skipped = write_pack_drafts(drafts, pack.folder / "emails", overwrite=overwrite)
    return PackEmails(pack, drafts, written, skipped)
