"""Email drafts: one message for one recipient, checked against the pupil's record before it is built.

Nothing here opens a network connection. `build_message` makes an `EmailMessage`; `write_draft` saves it
as a `.eml` file (the dry-run default); only `smtp.send_all` sends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from senforms.errors import DeliveryError
from senforms.outputs.atomic import write_atomic

LONDON = ZoneInfo("Europe/London")
# 7-bit transfer encodings (quoted-printable/base64) for every body, so no server needs 8BITMIME,
# and CRLF line endings as SMTP wants them.
MESSAGE_POLICY = policy.SMTP.clone(cte_type="7bit")

# One ASCII addr-spec, no quoted local parts, no comments: enough for every school and LA address and
# strict enough that "a@b, c@d" or "<a@b>" can never sneak a second recipient in.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
_MIME_PARAM = re.compile(r"[A-Za-z0-9-]+=[A-Za-z0-9._-]+")
_KEY_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]{0,23}")


def _has_control(value: str) -> bool:
    """True for CR, LF and every other control or line/paragraph separator (all are unsafe in headers)."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


@dataclass(frozen=True)
class Attachment:
    """A file attached to a draft. `case_id`, when given, must equal the draft's (it is checked)."""

    filename: str
    data: bytes
    mime_type: str
    case_id: str | None = None

    @property
    def sha256(self) -> str:
        """The SHA-256 of `data`, in hex (what the send ledger records instead of the file)."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Draft:
    """One email to one person about one pupil.

    `case_id` is the pupil's opaque ID (never a name). `allowed_recipients` holds the addresses on that
    pupil's record; `to_address` must be one of them. `key` is a stable idempotency key such as
    ``"invite:<meeting id>:<recipient>"``: it names the draft file, seeds the Message-ID and identifies
    the message in the send ledger. `html_body=None` means "derive it from `text_body`".
    """

    case_id: str
    to_name: str
    to_address: str
    from_name: str
    from_address: str
    subject: str
    text_body: str
    html_body: str | None
    attachments: tuple[Attachment, ...]
    allowed_recipients: frozenset[str]
    _: KW_ONLY
    reply_to: str | None = None
    key: str

    def __post_init__(self) -> None:
        # Accept any iterable from callers but store immutable, hashable values.
        object.__setattr__(self, "attachments", tuple(self.attachments))
        object.__setattr__(self, "allowed_recipients", frozenset(self.allowed_recipients))


def normalise_address(address: str, *, what: str = "address") -> str:
    """Return a single plain email address with its domain in lower case, or raise DeliveryError.

    Refuses display names, lists, angle brackets, spaces and non-ASCII local parts. A non-ASCII domain
    is converted to its ASCII (IDNA) form.
    """
    if not isinstance(address, str) or not address.strip():
        raise DeliveryError(f"the {what} is empty")
    value = address.strip()
    if _has_control(value):
        raise DeliveryError(f"the {what} contains a line break or control character")
    local, at, domain = value.rpartition("@")
    if at and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise DeliveryError(f"the {what} has a domain that is not valid") from None
    value = f"{local}@{domain.lower().rstrip('.')}" if at else value
    if not _ADDRESS.fullmatch(value):
        raise DeliveryError(
            f"the {what} is not a single plain email address",
            fix="use just the address, such as name@example.org, with no name or brackets",
        )
    return value


def _same_address(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def check_recipient(draft: Draft) -> None:
    """Raise DeliveryError unless the draft's recipient is an address on the pupil's record."""
    if not any(_same_address(draft.to_address, allowed) for allowed in draft.allowed_recipients):
        raise DeliveryError(
            f"draft {_safe_key(draft.key)}: the recipient is not on this pupil's record; nothing was sent",
            fix="check the contact addresses held for this pupil",
        )


def check_draft(draft: Draft) -> None:
    """Every check `build_message` makes, without building: recipient binding, headers, attachments."""
    if not draft.key or _has_control(draft.key):
        raise DeliveryError("a draft has no usable key; nothing was sent")
    if not draft.case_id or _has_control(draft.case_id):
        raise DeliveryError(f"draft {_safe_key(draft.key)}: the case ID is missing; nothing was sent")
    label = f"draft {_safe_key(draft.key)}"
    headers = {
        "recipient name": draft.to_name,
        "sender name": draft.from_name,
        "subject": draft.subject,
    }
    for what, value in headers.items():
        if _has_control(value or ""):
            raise DeliveryError(f"{label}: the {what} contains a line break; nothing was sent")
    if not draft.subject.strip():
        raise DeliveryError(f"{label}: the subject is empty; nothing was sent")
    normalise_address(draft.to_address, what=f"recipient address of {label}")
    normalise_address(draft.from_address, what=f"sender address of {label}")
    if draft.reply_to is not None:
        normalise_address(draft.reply_to, what=f"reply-to address of {label}")
    check_recipient(draft)
    for number, attachment in enumerate(draft.attachments, start=1):
        where = f"{label}, attachment {number}"
        if attachment.case_id is not None and attachment.case_id != draft.case_id:
            raise DeliveryError(f"{where} belongs to another pupil; nothing was sent")
        if not attachment.filename or _has_control(attachment.filename) or any(
            ch in attachment.filename for ch in '/\\"'
        ):
            raise DeliveryError(f"{where}: the file name is empty or has unsafe characters")
        _split_mime_type(attachment.mime_type, where)
        if not isinstance(attachment.data, (bytes, bytearray)):
            raise DeliveryError(f"{where}: the data must be bytes")


def _split_mime_type(mime_type: str, where: str) -> tuple[str, str, dict[str, str]]:
    """'text/calendar; method=REQUEST' → ('text', 'calendar', {'method': 'REQUEST'})."""
    head, *params = [part.strip() for part in (mime_type or "").split(";")]
    if not _MIME_TYPE.fullmatch(head) or not all(_MIME_PARAM.fullmatch(p) for p in params):
        raise DeliveryError(f"{where}: the MIME type is not valid")
    maintype, subtype = head.lower().split("/")
    return maintype, subtype, dict(p.split("=", 1) for p in params)


def _safe_key(key: str) -> str:
    """The key as it may appear in messages: never with control characters, never very long."""
    text = "".join(ch if not _has_control(ch) else "?" for ch in key or "")
    return text if len(text) <= 80 else text[:77] + "..."


def message_id(key: str, from_address: str) -> str:
    """A Message-ID that is the same every time for the same key and sender domain.

    The key is hashed because it may hold an address, and the Message-ID travels to the recipient.
    """
    domain = normalise_address(from_address, what="sender address").rpartition("@")[2]
    digest = hashlib.sha256(b"senforms\x00" + key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def text_to_html(text: str) -> str:
    """Plain text → escaped HTML paragraphs (blank lines split paragraphs, single newlines become <br>)."""
    paragraphs = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n").strip())
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in para.split("\n")) + "</p>"
        for para in paragraphs
        if para.strip()
    )
    return html_page(body)


def html_page(body: str) -> str:
    """An email's HTML part around `body` (already escaped): UTF-8, British English for screen readers."""
    return f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"></head>\n<body>\n{body}\n</body></html>\n'


def build_message(draft: Draft, *, date: dt.datetime | None = None) -> EmailMessage:
    """Build the email for one draft after `check_draft` has passed.

    multipart/alternative (text, HTML) followed by the attachments; exactly one To address; no Cc or
    Bcc ever; a deterministic Message-ID; `date` (naive = UK time) or now.
    """
    check_draft(draft)
    when = date or dt.datetime.now(dt.timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=LONDON)
    msg = EmailMessage(policy=MESSAGE_POLICY)
    try:
        msg["From"] = Address(draft.from_name or "", addr_spec=normalise_address(draft.from_address))
        msg["To"] = Address(draft.to_name or "", addr_spec=normalise_address(draft.to_address))
        if draft.reply_to:
            msg["Reply-To"] = Address(addr_spec=normalise_address(draft.reply_to))
        msg["Subject"] = draft.subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = message_id(draft.key, draft.from_address)
        msg.set_content(_clean_body(draft.text_body))
        html_body = draft.html_body if draft.html_body is not None else text_to_html(draft.text_body)
        msg.add_alternative(_clean_body(html_body), subtype="html")
        for number, attachment in enumerate(draft.attachments, start=1):
            maintype, subtype, params = _split_mime_type(attachment.mime_type, f"attachment {number}")
            msg.add_attachment(
                bytes(attachment.data),
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                params=params,
            )
    except (ValueError, TypeError) as exc:
        # The stdlib refuses CR/LF and malformed values itself; say so without echoing the value.
        raise DeliveryError(
            f"draft {_safe_key(draft.key)} cannot be built ({type(exc).__name__}); nothing was sent"
        ) from None
    _fix_boundaries(msg, draft.key)
    return msg


def _clean_body(text: str) -> str:
    # Line endings become \n (the generator writes CRLF); NUL and other C0 controls would break transports.
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _fix_boundaries(msg: EmailMessage, key: str) -> None:
    """Give multipart boundaries derived from the key, so the same draft builds to the same bytes."""
    digest = hashlib.sha256(b"boundary\x00" + key.encode("utf-8")).hexdigest()[:24]
    parts = [part for part in msg.walk() if part.is_multipart()]
    bodies = [part.get_content() for part in msg.walk() if part.get_content_maintype() == "text"]
    for number, part in enumerate(parts):
        boundary = f"=_senforms_{digest}_{number}"
        if not any(boundary in body for body in bodies if isinstance(body, str)):
            part.set_boundary(boundary)


def draft_filename(key: str, suffix: str = ".eml") -> str:
    """An ASCII file name for a draft: the key's kind (e.g. 'invite') plus a hash of the whole key.

    The key itself may hold an address, so it never appears in the name.
    """
    kind = (key or "").split(":", 1)[0].lower()
    kind = kind if _KEY_PREFIX.fullmatch(kind) else "draft"
    digest = hashlib.sha256(b"senforms\x00" + (key or "").encode("utf-8")).hexdigest()[:20]
    return f"{kind}-{digest}{suffix}"


def write_draft(
    draft: Draft, out_dir: Path | str, overwrite: bool = False, *, date: dt.datetime | None = None
) -> Path:
    """Write the draft as a `.eml` file in `out_dir` (atomically; never overwrites unless asked).

    The file carries `X-Unsent: 1`, so Outlook opens it as a message ready to send.
    """
    msg = build_message(draft, date=date)
    msg["X-Unsent"] = "1"
    return write_atomic(Path(out_dir) / draft_filename(draft.key), msg.as_bytes(), overwrite=overwrite)


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent over SMTP (CRLF line endings, 7-bit safe)."""
    return msg.as_bytes(policy=MESSAGE_POLICY)


def recipients_in(addresses: Iterable[str]) -> frozenset[str]:
    """Normalise a pupil record's contact addresses for `Draft.allowed_recipients` (blanks dropped)."""
    return frozenset(normalise_address(a) for a in addresses if a and a.strip())
