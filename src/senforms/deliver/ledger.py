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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from senforms.errors import DeliveryError
from senforms.outputs.atomic import fsync_dir

State = Literal["queued", "sending", "sent", "failed", "unknown"]
STATES: frozenset[str] = frozenset({"queued", "sending", "sent", "failed", "unknown"})

# Only these fields may be recorded, so pupil text cannot reach the ledger by accident.
FIELDS: frozenset[str] = frozenset(
    {"message_id", "recipient", "case_id", "attachments_sha256", "reply", "detail", "attempt"}
)


class Ledger:
    """Append-only send journal at `path` (created on first write, mode 0600)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
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
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
    def locked(self) -> Iterator[Ledger]:
        """Hold an exclusive lock for a whole send, so two runs cannot send the same batch at once."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                import fcntl
            except ImportError:  # Windows: no advisory locks here; one sender at a time by convention
                fcntl = None  # type: ignore[assignment]
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    raise DeliveryError(
                        "another senforms run is sending with this send ledger; nothing was sent",
                        fix="wait for it to finish, then run again",
                    ) from None
            # Re-read: the other run may have finished just before we got the lock.
            self._last.clear()
            self.damaged_lines.clear()
            self._load()
            yield self
        finally:
            os.close(fd)  # closing the descriptor releases the lock
