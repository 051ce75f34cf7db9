"""Secrets the app must keep at rest, sealed: a pack's passphrase on its way to being shown once,
and the password of a protected register.

Sealed with Fernet (AES with an HMAC) under a key derived, for each purpose, from the data folder's
private key (0600): any process on the data folder (the pages, every worker) can open them, a copy
of the database alone cannot, and a value sealed for one purpose does not open as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from senforms.web.datadir import secret_key

PACK_PASSPHRASE = b"senforms: pack passphrases"
REGISTER_PASSWORD = b"senforms: register passwords"


def _fernet(root: Path, purpose: bytes) -> Fernet:
    key = hmac.new(secret_key(root), purpose, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(root: Path, purpose: bytes, secret: str) -> str:
    return _fernet(root, purpose).encrypt(secret.encode("utf-8")).decode("ascii")


def unseal(root: Path, purpose: bytes, sealed: str) -> str | None:
    """The secret, or None when the seal is not this data folder's for this purpose (or was tampered with)."""
    try:
        return _fernet(root, purpose).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
