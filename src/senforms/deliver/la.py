"""Checks for email to a local authority: allow-listed domains only, passphrase never beside the bundle."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email import policy
from email.message import EmailMessage, Message

from senforms.deliver.messages import normalise_address
from senforms.errors import DeliveryError


def _domain(value: str) -> str:
    domain = value.strip().lstrip("@").strip(".").lower()
    if domain and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return domain


def check_la_recipient(address: str, allowed_domains: Iterable[str]) -> str:
    """Return the normalised address if its domain is allow-listed (exactly, or as a subdomain).

    `kent.gov.uk` allows `send@kent.gov.uk` and `a@sen.kent.gov.uk` but never `a@evilkent.gov.uk` or
    `a@kent.gov.uk.example.com`. Raises DeliveryError otherwise, or when the allow-list is empty.
    """
    allowed = {d for d in (_domain(x) for x in allowed_domains) if d and "." in d}
    if not allowed:
        raise DeliveryError(
            "no local authority email domains are allow-listed; nothing was sent",
            fix="add the LA's domain (for example kent.gov.uk) to its profile",
        )
    normalised = normalise_address(address, what="local authority address")
    domain = normalised.rpartition("@")[2]
    # Compare whole labels: "evilkent.gov.uk" must not match "kent.gov.uk".
    if not any(domain == d or domain.endswith("." + d) for d in allowed):
        raise DeliveryError(
            f"{normalised} is not at an allow-listed local authority domain; nothing was sent",
            fix="check the address, or add the domain to the LA profile if it really is the LA's",
        )
    return normalised


def _squash(text: str) -> str:
    """Letters and digits only, case-folded: finds 'Apple-Brick-Cloud' written as 'apple brick cloud'."""
    return re.sub(r"[\W_]+", "", text.casefold())


def passphrase_is_absent(message: Message | bytes, passphrase: str) -> bool:
    """True if the passphrase appears nowhere in the message: headers, bodies, any attachment.

    Bodies are decoded (base64, quoted-printable, RFC 2047) before searching, and the search ignores
    case, spaces and punctuation, so a reformatted passphrase is still caught.
    """
    if not passphrase or not passphrase.strip():
        raise ValueError("passphrase_is_absent needs the passphrase to look for")
    if isinstance(message, (bytes, bytearray)):
        from email import message_from_bytes

        message = message_from_bytes(bytes(message), policy=policy.default)
    raw = message.as_bytes(policy=policy.SMTP) if isinstance(message, EmailMessage) else message.as_bytes()
    texts: list[str] = [raw.decode("utf-8", "replace")]
    for part in message.walk():
        texts.extend(str(value) for value in part.values())
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:  # decode=True gives bytes, or None for a multipart part
            charset = part.get_content_charset() or "utf-8"
            try:
                texts.append(payload.decode(charset, "replace"))
            except LookupError:
                texts.append(payload.decode("utf-8", "replace"))
            texts.append(payload.decode("latin-1"))
    needle, squashed = passphrase.casefold(), _squash(passphrase)
    for text in texts:
        if needle in text.casefold():
            return False
        # Very short squashed forms would match by chance; real passphrases are long.
        if len(squashed) >= 8 and squashed in _squash(text):
            return False
    return True
