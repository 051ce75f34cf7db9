"""Retention: uploads and outputs older than the school's period ([web] retention_days) are deleted.

Checked when the app starts, at most hourly after that (started from a request, in a thread of its
own so no page waits), and on demand from the Retention page. What goes: each job's folder (and its
downloads) once the job finished longer ago than the period; any other folder or file in outputs/
and uploads/ last changed before then. What stays: jobs still queued or running, and the register
in use (it is replaced, never aged out: the office works from it). What was deleted is recorded in
the audit trail by count and id, never by content. A job whose files went keeps its row, marked with
when and after how many days, so its page can say so instead of offering links that answer 404; a
pack's sealed passphrase goes with its files. The same run trims the audit trail itself to its own,
longer period ([web] audit_retention_days), and records the trim as a count.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from senforms.errors import SenformsError
from senforms.web import audit, store
from senforms.web.datadir import DATABASE, OUTPUTS, UPLOADS
from senforms.web.evidence import EVIDENCE
from senforms.web.passphrases import erase_sealed, erase_unshowable
from senforms.web.school_settings import DEFAULT_AUDIT_RETENTION_DAYS

log = logging.getLogger("senforms.web.retention")
CHECK_EVERY = 3600  # seconds between automatic checks


@dataclass(frozen=True)
class Purge:
    """What a purge deleted (or, with `dry_run`, would delete): job ids and counts, no content."""

    days: int
    jobs: tuple[str, ...] = ()
    other_outputs: int = 0
    uploads: int = 0
    downloads: int = 0
    errors: tuple[str, ...] = field(default=())
    audit_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    audit_rows: int = 0  # rows of the audit trail older than audit_days

    @property
    def no_files(self) -> bool:
        return not (self.jobs or self.other_outputs or self.uploads)

    @property
    def nothing(self) -> bool:
        return self.no_files and not self.audit_rows

    def summary(self) -> str:
        text = f"older than {self.days} days: {len(self.jobs)} job folder(s), {self.other_outputs} other output(s), {self.uploads} upload(s), {self.downloads} download link(s)"
        if self.jobs:
            text += "; jobs " + ", ".join(self.jobs)
        return text


def _age_reference(path: Path) -> float:
    """When a folder or file was last changed: the newest time anywhere inside it."""
    try:
        newest = path.stat().st_mtime
        if path.is_dir():
            for inner in path.rglob("*"):
                newest = max(newest, inner.stat().st_mtime)
    except OSError:
        return time.time()  # vanished or unreadable: treat as new, never delete what we cannot see
    return newest


def _upload_units(uploads: Path) -> list[Path]:
    """What goes as one: each upload, except the EHC packs' evidence, which goes a pupil at a time
    (one pupil's recent upload must not keep every other pupil's evidence for ever)."""
    units: list[Path] = []
    for path in sorted(uploads.iterdir()) if uploads.is_dir() else []:
        if path.name == EVIDENCE and path.is_dir() and not path.is_symlink():
            units.extend(sorted(path.iterdir()))
        else:
            units.append(path)
    return units


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def purge(
    db: sqlite3.Connection, root: Path, days: int, *, audit_days: int = DEFAULT_AUDIT_RETENTION_DAYS,
    now: float | None = None, dry_run: bool = False, user: str = audit.SYSTEM,
) -> Purge:
    """Delete files older than `days` and audit rows older than `audit_days`; record both in the audit
    trail (unless nothing went, or `dry_run`)."""
    current = time.time() if now is None else now
    cutoff = current - days * 86400
    audit_cutoff = current - audit_days * 86400
    outputs, uploads = root / OUTPUTS, root / UPLOADS
    busy = {r["id"] for r in db.execute("SELECT id FROM jobs WHERE status IN ('queued', 'running')")}
    finished = {r["id"]: r["finished"] or r["created"] for r in db.execute("SELECT id, created, finished FROM jobs")}
    in_use = {r["stored_name"] for r in db.execute("SELECT stored_name FROM registers ORDER BY id DESC LIMIT 1")}
    jobs: list[Path] = []
    others: list[Path] = []
    errors: list[str] = []
    for path in sorted(outputs.iterdir()) if outputs.is_dir() else []:
        if path.name in busy:
            continue
        when = finished.get(path.name) or _age_reference(path)
        if when < cutoff:
            (jobs if path.name in finished else others).append(path)
    old_uploads = [p for p in _upload_units(uploads) if p.name not in in_use and _age_reference(p) < cutoff]
    gone_jobs = [p.name for p in jobs]
    links = 0
    for job_id in gone_jobs:
        links += db.execute("SELECT COUNT(*) FROM files WHERE job_id = ?", (job_id,)).fetchone()[0]
    # Links to files outside job folders (e.g. the meetings workbook) go with their folder.
    other_links = [
        r["id"] for r in db.execute("SELECT id, path FROM files WHERE job_id IS NULL")
        if any(r["path"].startswith(f"{OUTPUTS}/{p.name}/") or r["path"] == p.relative_to(root).as_posix() for p in (*others, *old_uploads))
    ]
    links += len(other_links)
    old_audit = db.execute("SELECT COUNT(*) FROM audit WHERE time < ?", (audit_cutoff,)).fetchone()[0]
    result = Purge(days, tuple(gone_jobs), len(others), len(old_uploads), links, audit_days=audit_days, audit_rows=old_audit)
    if dry_run:
        return result
    erase_unshowable(db)  # failed or stopped packs' passphrases left by older versions: no page shows them
    if result.nothing:
        return result
    for path in (*jobs, *others, *old_uploads):
        try:
            _delete(path)
        except OSError as error:
            errors.append(f"{path.relative_to(root).as_posix()}: {error.strerror or type(error).__name__}")
    with store.transaction(db):
        for job_id in gone_jobs:
            db.execute("DELETE FROM files WHERE job_id = ?", (job_id,))
            # The first deletion's date stays, should a folder that could not be deleted be tried again.
            db.execute(
                "UPDATE jobs SET files_removed = COALESCE(files_removed, ?), files_removed_days = COALESCE(files_removed_days, ?) WHERE id = ?",
                (current, days, job_id),
            )
            erase_sealed(db, job_id)  # a pack that can no longer be downloaded has no passphrase to show
        db.executemany("DELETE FROM files WHERE id = ?", [(i,) for i in other_links])
    trimmed = 0
    if old_audit:
        with store.transaction(db):  # the trim and its own row together: the count recorded is what went
            trimmed = db.execute("DELETE FROM audit WHERE time < ?", (audit_cutoff,)).rowcount
            audit.write(db, user, "audit trimmed", f"{trimmed} audit row(s) older than {audit_days} days", "ok")
    result = Purge(days, tuple(gone_jobs), len(others), len(old_uploads), links, tuple(errors), audit_days=audit_days, audit_rows=trimmed)
    if not result.no_files:
        audit.write(db, user, "retention", "deleted " + result.summary(), "ok" if not errors else f"{len(errors)} could not be deleted: " + "; ".join(errors[:5]))
    return result


class RetentionClock:
    """Runs `purge` at start-up and then at most once an hour, in a thread of its own."""

    def __init__(self, root: Path, settings_path: Path | None) -> None:
        self.root = root
        self.settings_path = settings_path
        self._last = 0.0
        self._lock = threading.Lock()

    def check(self) -> Purge | None:
        """Purge now (start-up, or a test); failures are logged, never raised: retention must not stop the app."""
        from senforms.web.school_settings import audit_retention_days, retention_days

        self._last = time.time()
        db = store.connect(self.root / DATABASE)
        try:
            return purge(db, self.root, retention_days(self.settings_path), audit_days=audit_retention_days(self.settings_path))
        except SenformsError as error:
            log.error("retention check skipped: %s", error.message)  # a settings problem, never pupil data
        except Exception as error:  # noqa: BLE001 - the app goes on; the next check tries again
            log.error("retention check failed: %s", type(error).__name__)
        finally:
            db.close()
        return None

    def maybe_check_soon(self) -> None:
        """From a request: start a check in the background if the last was over an hour ago."""
        if time.time() - self._last < CHECK_EVERY or not self._lock.acquire(blocking=False):
            return
        self._last = time.time()

        def run() -> None:
            try:
                self.check()
            finally:
                self._lock.release()

        threading.Thread(target=run, name="senforms-retention", daemon=True).start()
