"""The app's private folder: its database, the job queue, uploads and outputs, and the key that signs sessions."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import click

from senforms.errors import SenformsError
from senforms.outputs.atomic import write_atomic

DATABASE = "senforms.db"
QUEUE = "queue.db"
SECRET = "session.key"
UPLOADS = "uploads"
OUTPUTS = "outputs"
# Present when machines share the folder over the network: the database then keeps SQLite's rollback
# journal, whose locks a network file system can carry, instead of WAL, which needs every process on
# one machine (https://www.sqlite.org/wal.html). In the folder, so that every machine agrees.
NETWORK_SHARE = "network-share"


def default_data_dir() -> Path:
    """A per-user folder (~/.local/share-like on Linux, %APPDATA% on Windows): never the working directory."""
    return Path(click.get_app_dir("senforms")) / "web"


def prepare(folder: Path | str | None, *, network_share: bool = False) -> Path:
    """Create (or check) the data folder, private to this user (0700), with its sub-folders
    (`network_share`: mark it as used by several machines, see NETWORK_SHARE)."""
    root = Path(folder) if folder else default_data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if os.name == "posix":
            mode = stat.S_IMODE(root.stat().st_mode)
            if mode & 0o077:
                os.chmod(root, 0o700)  # pupil data: no group or other access, whatever the umask made
        for sub in (UPLOADS, OUTPUTS):
            (root / sub).mkdir(exist_ok=True, mode=0o700)
        if network_share and not (root / NETWORK_SHARE).exists():
            (root / NETWORK_SHARE).write_text("Machines share this folder: its database keeps SQLite's rollback journal, not WAL.\n", encoding="utf-8")
    except OSError as error:
        raise SenformsError(
            f"the data folder {root} cannot be used: {error.strerror or error}",
            fix="choose a folder you can write to with --data",
        ) from None
    return root


def secret_key(root: Path) -> bytes:
    """The key that signs session cookies: made once, kept in the data folder (0600)."""
    path = root / SECRET
    if not path.exists():
        try:
            write_atomic(path, secrets.token_bytes(32))
        except SenformsError:
            if not path.exists():  # another process made it first: use theirs
                raise
        if os.name == "posix":
            os.chmod(path, 0o600)
    return path.read_bytes()
