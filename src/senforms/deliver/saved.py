"""Drafts are what is sent: before sending, each saved .eml is checked against the draft made now.

The office reviews the `.eml` files; the send makes each message again from the register. If the two
differ (the register changed since the drafts were made, or a draft was edited by hand), nothing is
sent: senforms never sends a hand-edited draft, and never sends something other than what was
reviewed. The message names each draft, its pupil and contact, and what differs, so the office can
decide which is right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from senforms.deliver.messages import Draft, build_message
from senforms.errors import DeliveryError


@dataclass(frozen=True)
class SavedDraft:
    """A draft as made now, the .eml it was saved as, and who it is for in words (IDs, no names)."""

    draft: Draft
    path: Path
    label: str


def saved_draft_changes(draft: Draft, path: Path) -> list[str]:
    """How the .eml at `path` differs from `draft` as senforms makes it now ([] when they agree)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ["the draft file is missing"]
    except OSError as exc:
        return [f"the draft file cannot be read ({exc.strerror or exc})"]
    saved = message_from_bytes(data, policy=policy.default)
    assert isinstance(saved, EmailMessage)  # policy.default parses into EmailMessage
    try:
        when = parsedate_to_datetime(str(saved["Date"]))
    except (TypeError, ValueError):
        when = None
    made = build_message(draft, date=when)
    made["X-Unsent"] = "1"
    if when is not None and made.as_bytes() == data:
        return []  # byte for byte what senforms wrote: the usual case
    return _differences(saved, made) or ["the draft file was changed after senforms made it"]


def _addresses(msg: EmailMessage, header: str) -> list[str]:
    value = msg.get(header)
    if value is None:
        return []
    try:
        return [a.addr_spec.lower() for a in value.addresses]
    except (AttributeError, ValueError, IndexError):
        return [str(value)]


def _text(msg: EmailMessage, kind: str) -> str:
    try:
        part = msg.get_body((kind,))
        content = part.get_content() if part is not None else ""
    except (KeyError, LookupError, ValueError):
        return ""
    return "\n".join(line.rstrip() for line in str(content).replace("\r\n", "\n").strip().split("\n"))


def _attachments(msg: EmailMessage) -> list[tuple[str, str]]:
    found = []
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        found.append((str(part.get_filename() or "(no name)"), hashlib.sha256(data).hexdigest()))
    return found


def _differences(saved: EmailMessage, made: EmailMessage) -> list[str]:
    changes: list[str] = []
    for header, what in (("To", "To"), ("Cc", "Cc"), ("Bcc", "Bcc"), ("From", "From"), ("Reply-To", "Reply-To")):
        before, now = _addresses(saved, header), _addresses(made, header)
        if before != now:
            changes.append(f"{what}: {', '.join(before) or 'none'} in the draft, {', '.join(now) or 'none'} now")
    for header in ("Subject",):
        if " ".join(str(saved.get(header, "")).split()) != " ".join(str(made.get(header, "")).split()):
            changes.append(f"the {header.lower()} differs")
    if str(saved.get("To", "")) != str(made.get("To", "")) and not any(c.startswith("To:") for c in changes):
        changes.append("the recipient's name differs")
    if _text(saved, "plain") != _text(made, "plain") or _text(saved, "html") != _text(made, "html"):
        changes.append("the text differs")
    before_files, now_files = _attachments(saved), _attachments(made)
    if before_files != now_files:
        names_before = {name for name, _ in before_files}
        names_now = {name for name, _ in now_files}
        for name in sorted(names_before - names_now):
            changes.append(f"attachment {name} is in the draft but not in the email made now")
        for name in sorted(names_now - names_before):
            changes.append(f"attachment {name} is not in the draft")
        for name in sorted(names_before & names_now):
            if dict(before_files)[name] != dict(now_files)[name]:
                changes.append(f"attachment {name} differs")
        if not any(c.startswith("attachment") for c in changes):
            changes.append("the attachments differ")
    return changes


def check_saved_drafts(saved: Iterable[SavedDraft]) -> None:
    """Raise DeliveryError, listing every draft at once, unless each saved .eml is what would be sent."""
    stale = [(item, saved_draft_changes(item.draft, item.path)) for item in saved]
    stale = [(item, changes) for item, changes in stale if changes]
    if not stale:
        return
    lines = [f"{item.path.parent.name}/{item.path.name} ({item.label}): {'; '.join(changes)}" for item, changes in stale]
    count = len(stale)
    raise DeliveryError(
        f"{count} email draft{'s are' if count != 1 else ' is'} not what would be sent now, so nothing was sent:\n  "
        + "\n  ".join(lines),
        fix=(
            "if the register is right, make the drafts again with {option}, check them, then send; "
            "senforms never sends a draft edited by hand, so make any change in the register instead"
        ),
        option="overwrite",
    )
