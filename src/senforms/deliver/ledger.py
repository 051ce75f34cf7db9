"""The send ledger: an append-only JSON-lines journal of every message's state, fsync'd line by line.

States: ``queued → sending → sent | failed | unknown``. `unknown` means the connection dropped after
the message was handed over but before the server answered: it may have been delivered (RFC 1047), so
it is never resent automatically. The ledger holds keys, addresses, Message-IDs, hashes, times and
server replies only: never names or pupil text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from senforms.errors import DeliveryError
from senforms.outputs.atomic import fsync_dir

if TYPE_CHECKING:
    from senforms.deliver.messages import Draft

State = Literal["queued", "sending", "sent", "failed", "unknown"]
STATES: frozenset[str] = frozenset({"queued", "sending", "sent", "failed", "unknown"})

# Only these fields may be recorded, so pupil text cannot reach the ledger by accident.
FIELDS: frozenset[str] = frozenset(
    {"message_id", "recipient", "case_id", "attachments_sha256", "reply", "detail", "attempt"}
)


class Ledger:
    """Append-only send journal at `path` (created on first write, mode 0600).

    One per school, not per output folder (see `send_log_path`): the keys say what was sent to whom,
    so no folder, rerun or second computer sharing the log sends the same message twice.
    """

    def __init__(self, path: Path | str, *, lock_wait: float = 600.0, on_wait: Callable[[], None] | None = None) -> None:
        self.path = Path(path)
        self.lock_wait = lock_wait
        #: Called once when another run holds the lock and this one starts waiting, so a person
        #: is told why nothing happens rather than watching a silent terminal.
        self.on_wait = on_wait
        self._last: dict[str, dict[str, Any]] = {}
        self.damaged_lines: list[int] = []
        self._load()

    def _load(self) -> None:
        if not self.path.exists() and not self.path.is_symlink():
            return
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise DeliveryError(
                f"the send log {self.path} cannot be read ({exc.strerror or exc}), so senforms cannot tell what was already sent; nothing was sent",
                fix="move whatever is at that name away, or restore the send log, then run again",
            ) from None
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                key, state = record["key"], record["state"]
            except (ValueError, KeyError, TypeError):
                # Only a crash mid-write leaves a torn line; skipping it keeps the state before it
                # (at worst `sending`, which a rerun treats as `unknown`: never resent blindly).
                self.damaged_lines.append(number)
                continue
            if state in STATES and isinstance(key, str):
                self._last[key] = record
        if data and not data.endswith(b"\n"):
            # Finish a torn last line so the next record starts on a line of its own.
            self._append(b"\n")

    def would_send(self, key: str, *, resend_unknown: bool = False) -> bool:
        """Whether a send now would send `key`: never one already sent; one whose delivery is
        unknown (or that a stopped run was sending) only when resending those was asked for."""
        state = self.status(key)
        return state != "sent" and (resend_unknown or state not in ("unknown", "sending"))

    def status(self, key: str) -> State | None:
        """The latest state recorded for `key`, or None if the ledger has never seen it."""
        record = self._last.get(key)
        return record["state"] if record else None

    def record(self, key: str) -> dict[str, Any] | None:
        """The latest record for `key` (a copy), or None."""
        record = self._last.get(key)
        return dict(record) if record else None

    def keys(self) -> list[str]:
        """Every key the ledger has seen, in the order first recorded."""
        return list(self._last)

    def mark(self, key: str, state: State, **fields: Any) -> dict[str, Any]:
        """Append one state change for `key` and fsync it before returning.

        Fields not given are carried over from the key's previous record (so `sent` still names the
        Message-ID recorded at `queued`).
        """
        if state not in STATES:
            raise ValueError(f"unknown ledger state {state!r}")
        unknown = set(fields) - FIELDS
        if unknown:
            raise ValueError(f"the ledger does not record {sorted(unknown)}")
        previous = self._last.get(key, {})
        # A reply or detail belongs to one step only; the rest describe the message and carry over.
        carried = sorted(FIELDS - {"reply", "detail"})
        record: dict[str, Any] = {name: previous[name] for name in carried if name in previous}
        record.update({k: v for k, v in fields.items() if v is not None})
        record = {
            "key": key,
            "state": state,
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            **record,
        }
        line = json.dumps(record, ensure_ascii=True, sort_keys=False) + "\n"
        self._append(line.encode("ascii"))
        self._last[key] = record
        return dict(record)

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)

    @contextlib.contextmanager
    def locked(self, wait: float | None = None) -> Iterator[Ledger]:
        """Hold an exclusive lock for a whole send, so two runs (or two machines sharing the log) can
        never send the same message at once.

        A second sender waits up to `wait` seconds (default: the ledger's `lock_wait`) for the first
        to finish, then re-reads the log, so it sends only what the first did not.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise DeliveryError(
                f"the send log's lock {lock_path} cannot be made ({exc.strerror or exc}); nothing was sent",
                fix="check that the send log's folder exists and that you may write to it",
            ) from None
        try:
            deadline = time.monotonic() + (self.lock_wait if wait is None else wait)
            told = False
            while not _try_lock(fd):
                if not told and self.on_wait is not None:
                    self.on_wait()
                    told = True
                if time.monotonic() >= deadline:
                    raise DeliveryError(
                        "another senforms run is sending with this send log; nothing was sent",
                        fix="wait for it to finish, then run again (messages it sent will not be sent twice)",
                    )
                time.sleep(LOCK_POLL_SECONDS)
            try:
                # Re-read: the other run may have finished just before we got the lock.
                self._last.clear()
                self.damaged_lines.clear()
                self._load()
                yield self
            finally:
                _unlock(fd)
        finally:
            os.close(fd)  # closing the descriptor releases the lock too (also when a run is killed)

    def adopt(self, other: Path | str) -> int:
        """Take in the records of an older send log (one that lived in an output folder) for every key
        this log has never seen, so nothing sent from that folder is sent again. Returns how many."""
        other = Path(other)
        if not other.exists() and not other.is_symlink():
            return 0
        if os.path.abspath(other) == os.path.abspath(self.path):
            return 0
        old = Ledger(other)
        taken = 0
        with self.locked():
            for key in old.keys():
                if key in self._last:
                    continue
                record = old.record(key) or {}
                fields = {name: record[name] for name in FIELDS if name in record}
                self.mark(key, record["state"], **fields)
                taken += 1
        return taken


LOCK_POLL_SECONDS = 0.2


def _try_lock(fd: int) -> bool:
    """Take the lock on `fd` without blocking: False if another process holds it.

    Kernel locks (flock, or LockFileEx through msvcrt) die with their process, so a killed run never
    leaves a stale lock behind, unlike a lock file made with O_EXCL.
    """
    if sys.platform == "win32":
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------------
# Where the school's send log lives

SEND_LOG_NAME = "send-log.jsonl"
LEGACY_NAME = "sent-log.jsonl"  # the log each output folder had before the school's log
SEND_LOG_ENV = "SENFORMS_SEND_LOG"


def send_log_path(config_path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The school's one send log: SENFORMS_SEND_LOG, else `log` in the settings file's [sending] table
    (relative to the file; a shared folder lets every office computer use one log), else a file in
    this user's senforms data folder."""
    environ = os.environ if environ is None else environ
    override = (environ.get(SEND_LOG_ENV) or "").strip()
    if override:
        return Path(override).expanduser()
    from senforms.config.settings import settings_table

    configured = settings_table(config_path, "sending").get("log")
    if configured is not None:
        if not isinstance(configured, str) or not configured.strip():
            assert config_path is not None  # a table was read, so there is a file
            raise DeliveryError(
                f"{config_path.name}: [sending] log must be the path of the school's send log, such as \"//office/senforms/send-log.jsonl\"",
                fix="correct or remove it in the settings file",
            )
        path = Path(configured.strip()).expanduser()
        return path if path.is_absolute() or config_path is None else config_path.parent / path
    import click

    return Path(click.get_app_dir("senforms")) / SEND_LOG_NAME


def school_ledger(config_path: Path | None = None, *, folder: Path | None = None) -> Ledger:
    """The school's send log (see `send_log_path`), having taken in the old per-folder log of `folder`."""
    ledger = Ledger(send_log_path(config_path))
    if folder is not None:
        ledger.adopt(Path(folder) / LEGACY_NAME)
    return ledger


def pending(drafts: Iterable[Draft], ledger: Ledger, *, resend_unknown: bool = False) -> list[Draft]:
    """The drafts a send would really send now: never one sent before; `unknown` ones only when
    resending those was asked for. (`send_all` checks again under the lock; this is for the
    confirmation that comes first.)"""
    return [draft for draft in drafts if ledger.would_send(draft.key, resend_unknown=resend_unknown)]
