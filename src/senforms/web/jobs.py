"""Long work off the request thread: job records in the app's database, run by huey.

The queue carries only a job's id; what to do is in the job's row, so no pupil data sits in the
queue. A job reports progress to its row, which the page polls.

Several workers (threads, `senforms worker` processes, other machines) may share one queue and one
data folder, so a job's row, not the queue, says who runs it:

- A worker claims a job by turning its row from 'queued' to 'running' with a random claim in one
  conditional UPDATE: of two workers handed the same job, only one runs it.
- Huey has no acknowledgement: a message taken off the queue is gone whatever becomes of the worker
  (and its own retries would need the worker alive to schedule them). So the running worker renews
  a lease on the row (`lease_until`) every third of the lease, and any worker takes back a job whose
  lease has run out (`take_back_abandoned`): queued again if its kind is safe to repeat (making
  documents from the same input makes the same files), else 'interrupted' (a send is never repeated
  unasked), and 'interrupted' after MAX_ATTEMPTS whatever it is, so a job that kills its worker
  cannot go round for ever.
- A queued job's lease says when to queue it again if no worker has claimed it by then
  (QUEUED_AGAIN_AFTER leases): a Redis restarted without its data forgets the jobs waiting in it.
  A job queued twice is harmless: only the first message finds it still 'queued'.
- A job writes into a staging folder (outputs/.staging-<job>-<claim>). Only when it has finished is
  that renamed to outputs/<job> and its downloads recorded, in the one transaction that records its
  end, and only by the worker still holding the claim. A worker that dies leaves a staging folder,
  which goes when the job is claimed again: a job's own folder never holds anything half-made.

On one machine with the in-process consumer of `senforms serve`, the process that ran every job is
the one starting again, so `recover` marks the jobs it left 'running' 'interrupted' at once and
deletes what they made; each can be run again from its page. (A claim names its machine and
process, so a job of a live worker beside it is left alone.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from senforms.errors import SenformsError
from senforms.outputs.atomic import known_dead, this_machine, write_atomic
from senforms.web import audit, store
from senforms.web.datadir import DATABASE, OUTPUTS
from senforms.web.deployment import Deployment, make_huey, queue_errors, unreachable
from senforms.web.files import job_folder, offer, token
from senforms.web.logsafe import trace_without_values
from senforms.web.passphrases import erase_sealed

if TYPE_CHECKING:
    from senforms.pdf.pool import PdfConverter
    from senforms.pdf.warm import WarmConverters

log = logging.getLogger("senforms.web.jobs")


STAGING_PREFIX = ".staging-"
MAX_ATTEMPTS = 3
QUEUED_AGAIN_AFTER = 5  # leases: a job still waiting after this long is queued again, in case its message was lost
STOPPED = "It was stopped part-way (senforms was closed or the computer restarted). Nothing from it was kept: run it again."
ABANDONED = "It was stopped part-way (the computer running it stopped answering). Nothing from it was kept: run it again."
STARTED_AGAIN = "Starting again: the computer that was running it stopped answering"


@dataclass(frozen=True)
class _Offer:
    file_id: str
    path: Path  # where the file will be once the job's folder is in place
    name: str
    media_type: str
    senco_only: bool


@dataclass
class JobContext:
    """What a job's body gets: its options, its folder, and ways to report progress and offer files.

    A queued job runs with a `staging` folder and a `claim`: its files go in the staging folder and
    its offers are recorded when it finishes (JobQueue._finish). Without them (a job's finished
    folder opened again) files go straight to the job's folder and offers straight to the database.
    """

    root: Path
    job_id: str
    user_id: int
    options: dict[str, Any]
    db: sqlite3.Connection
    settings_path: Path | None = None  # the school settings file (SMTP, LA), as the CLI's --config
    staging: Path | None = None
    claim: str | None = None
    offers: list[_Offer] = field(default_factory=list)
    converters: WarmConverters | None = None  # LibreOffices kept open between jobs by the job runner

    def pdf_converter(self) -> contextlib.AbstractContextManager[PdfConverter]:
        """A LibreOffice pool for this job: a warm one when the job runner keeps them, else its own."""
        if self.converters is not None:
            return self.converters.lend()
        from senforms.pdf import PdfConverter

        return PdfConverter()

    @property
    def folder(self) -> Path:
        if self.staging is None:
            return job_folder(self.root, self.job_id)
        self.staging.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.staging

    def _update(self, assignments: str, values: tuple[Any, ...]) -> None:
        # A worker that lost its claim (its lease ran out and another worker took the job) writes nothing.
        fence, fenced = (" AND claim = ?", (self.claim,)) if self.claim else ("", ())
        self.db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?{fence}", (*values, self.job_id, *fenced))

    def progress(self, done: int, total: int, message: str) -> None:
        self._update("done = ?, total = ?, message = ?", (done, total, message))

    def advance(self) -> None:
        """One more step done (of the total already reported)."""
        self._update("done = MIN(done + 1, total)", ())

    def offer(self, path: Path, name: str, media_type: str, *, senco_only: bool = False) -> str:
        if self.staging is None:
            return offer(self.db, self.root, path, name, media_type, job_id=self.job_id, senco_only=senco_only)
        final = self.root / OUTPUTS / self.job_id / path.resolve().relative_to(self.staging.resolve())
        self.offers.append(_Offer(token(), final, name, media_type, senco_only))
        return self.offers[-1].file_id

    def keep(self, name: str, data: Any) -> None:
        """Details with pupil data (names, per-recipient results) go in the job's private folder as JSON,
        not in the database."""
        write_atomic(self.folder / name, json.dumps(data, indent=1, default=str).encode("utf-8"), overwrite=True)


JobBody = Callable[[JobContext], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    user_id: int
    status: str
    done: int
    total: int
    message: str
    options: dict[str, Any]
    result: dict[str, Any]
    files_removed: float | None = None  # when retention deleted what it made (web/retention.py)
    files_removed_days: int | None = None  # the retention period then, in days

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "interrupted")

    @property
    def removed_on(self) -> dt.date | None:
        """The day retention deleted what it made, or None."""
        return None if self.files_removed is None else dt.datetime.fromtimestamp(self.files_removed).date()

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def _job(row: sqlite3.Row) -> Job:
    return Job(
        row["id"], row["kind"], row["user_id"], row["status"], row["done"], row["total"], row["message"], json.loads(row["options"]), json.loads(row["result"]),
        row["files_removed"], row["files_removed_days"],
    )


class JobQueue:
    """The queue of one data folder. `immediate` runs each job inside `submit` (for tests of pages).

    `place` says where the queue is (the data folder's SQLite by default, or Redis) and how long a
    lease lasts; `repeatable` names the kinds of job that may be run again when a worker dies.
    """

    def __init__(
        self,
        root: Path,
        bodies: dict[str, JobBody],
        *,
        settings_path: Path | None = None,
        immediate: bool = False,
        place: Deployment | None = None,
        repeatable: frozenset[str] = frozenset(),
    ) -> None:
        self.root = root
        self.bodies = bodies
        self.settings_path = settings_path
        self.place = place or Deployment(root)
        self.repeatable = repeatable
        self.huey = make_huey(root, self.place, immediate=immediate)
        self.converters: WarmConverters | None = None  # set while a consumer runs this queue's jobs (server._consuming)
        self._task = self.huey.task(name="senforms.job")(self.run)

    @property
    def lease_seconds(self) -> float:
        return self.place.lease_seconds

    def _waiting_until(self) -> float:
        return store.now() + QUEUED_AGAIN_AFTER * self.lease_seconds

    def submit(self, db: sqlite3.Connection, kind: str, options: dict[str, Any], user_id: int) -> str:
        if kind not in self.bodies:
            raise ValueError(f"no job called {kind}")
        job_id = token()
        db.execute(
            "INSERT INTO jobs (id, kind, user_id, status, options, created, lease_until) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
            (job_id, kind, user_id, json.dumps(options), store.now(), self._waiting_until()),
        )
        self._enqueue(db, job_id, on_failure="DELETE FROM jobs WHERE id = ?")
        return job_id

    def _enqueue(self, db: sqlite3.Connection, job_id: str, *, on_failure: str) -> None:
        if not self.place.shared_queue:
            self._task(job_id)
            return
        try:
            self._task(job_id)
        except queue_errors():
            db.execute(on_failure, (job_id,))  # no job row waits for a message that was never queued
            raise unreachable(self.place) from None

    def again(self, db: sqlite3.Connection, job: Job, user_id: int, *, options: dict[str, Any] | None = None) -> str:
        """The same work as `job` (with `options` in place of its own, if given), as a new job with its own folder."""
        return self.submit(db, job.kind, job.options if options is None else options, user_id)

    def run(self, job_id: str) -> None:
        """The body of every queued job: claim it, run it, record how it ended. Never raises for a job's failure."""
        db = store.connect(self.root / DATABASE)
        try:
            claim = f"{this_machine()}-{os.getpid()}-{token()}"  # which process holds it, for recover
            claimed = db.execute(
                "UPDATE jobs SET status = 'running', claim = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
                (claim, store.now() + self.lease_seconds, job_id),
            )
            if claimed.rowcount != 1:
                return  # deleted, finished, or already claimed by another worker
            self._remove_staging(job_id, keep=claim)  # what an earlier attempt (on a worker that died) left
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            staging = self.root / OUTPUTS / f"{STAGING_PREFIX}{job_id}-{claim}"
            context = JobContext(
                self.root, job_id, row["user_id"], json.loads(row["options"]), db, self.settings_path, staging=staging, claim=claim, converters=self.converters
            )
            with self._lease_kept(job_id, claim):
                status, message, result = self._outcome(row["kind"], context)
            self._finish(context, status, message, result)
        finally:
            db.close()

    def _outcome(self, kind: str, context: JobContext) -> tuple[str, str, dict[str, Any]]:
        try:
            return "done", "", self.bodies[kind](context)
        except SenformsError as error:
            return "failed", error.message + (f" ({error.fix_for('the option on the form')})" if error.fix else ""), {}
        except Exception:
            # The log gets the kind of failure and where, never its message (it may quote pupil data).
            log.error("job %s (%s) failed unexpectedly:\n%s", context.job_id, kind, trace_without_values(*sys.exc_info()[::2]))
            return "failed", "Something went wrong inside senforms. Nothing was sent; try again, and if it fails again tell your IT support (the server log says where).", {}

    @contextlib.contextmanager
    def _lease_kept(self, job_id: str, claim: str) -> Iterator[None]:
        """Renew the job's lease while its body runs, from a thread of its own (a body may spend
        minutes inside LibreOffice without reporting progress)."""
        stop = threading.Event()

        def renew() -> None:
            connection = store.connect(self.root / DATABASE)
            try:
                while not stop.wait(self.lease_seconds / 3):
                    try:
                        connection.execute(
                            "UPDATE jobs SET lease_until = ? WHERE id = ? AND claim = ? AND status = 'running'",
                            (store.now() + self.lease_seconds, job_id, claim),
                        )
                    except sqlite3.Error as error:  # busy for longer than its time-out: try again next time
                        log.warning("job %s: its lease could not be renewed (%s)", job_id, type(error).__name__)
            finally:
                connection.close()

        thread = threading.Thread(target=renew, name=f"senforms-lease-{job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _finish(self, context: JobContext, status: str, message: str, result: dict[str, Any]) -> None:
        """Put the job's folder in place and record its end and its downloads, all or nothing, if it is still ours."""
        db, job_id, final = context.db, context.job_id, self.root / OUTPUTS / context.job_id
        assert context.staging is not None
        db.execute("BEGIN IMMEDIATE")  # the database's write lock: no other worker takes the job back meanwhile
        try:
            if db.execute("SELECT 1 FROM jobs WHERE id = ? AND claim = ? AND status = 'running'", (job_id, context.claim)).fetchone() is None:
                db.execute("ROLLBACK")
                shutil.rmtree(context.staging, ignore_errors=True)
                log.warning("job %s was taken over by another worker while this one ran it; this run's files were discarded", job_id)
                return
            shutil.rmtree(final, ignore_errors=True)  # an attempt that died between renaming and recording
            if context.staging.exists():
                os.replace(context.staging, final)
            for item in context.offers:
                offer(db, self.root, item.path, item.name, item.media_type, job_id=job_id, senco_only=item.senco_only, file_id=item.file_id)
            db.execute(
                "UPDATE jobs SET status = ?, message = ?, result = ?, finished = ?, lease_until = NULL WHERE id = ?",
                (status, message, json.dumps(result), store.now(), job_id),
            )
            if status != "done":
                erase_sealed(db, job_id)  # a pack that was not made has no passphrase to show
            audit.job_ended(db, job_id, status, result)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _remove_staging(self, job_id: str, keep: str | None = None) -> None:
        for folder in (self.root / OUTPUTS).glob(f"{STAGING_PREFIX}{job_id}-*"):
            if keep is None or folder.name != f"{STAGING_PREFIX}{job_id}-{keep}":
                shutil.rmtree(folder, ignore_errors=True)

    def _interrupt(self, db: sqlite3.Connection, job_id: str, message: str, *, unless_renewed: bool = False) -> bool:
        """Mark a job that cannot go on 'interrupted' and delete everything it made."""
        condition = " AND (lease_until IS NULL OR lease_until < ?)" if unless_renewed else ""
        changed = db.execute(
            f"UPDATE jobs SET status = 'interrupted', message = ?, finished = ?, lease_until = NULL WHERE id = ? AND status = 'running'{condition}",
            (message, store.now(), job_id, *((store.now(),) if unless_renewed else ())),
        )
        if changed.rowcount != 1:
            return False
        erase_sealed(db, job_id)
        audit.job_ended(db, job_id, "interrupted", {})
        db.execute("DELETE FROM files WHERE job_id = ?", (job_id,))
        shutil.rmtree(self.root / OUTPUTS / job_id, ignore_errors=True)
        self._remove_staging(job_id)
        return True

    def recover(self, db: sqlite3.Connection) -> int:
        """At start-up of the one process that runs every job: jobs it left 'running' when it died are
        interrupted, and what they made goes. (Where workers share the queue, use take_back_abandoned.)"""
        now = store.now()
        rows = db.execute("SELECT id, claim, lease_until FROM jobs WHERE status = 'running'").fetchall()
        # A job whose lease is live and whose process may be alive belongs to a `senforms worker` started
        # beside this one: its worker finishes it (or, if it dies, take_back_abandoned takes it back).
        dead = [row["id"] for row in rows if row["lease_until"] is None or row["lease_until"] < now or _claimed_by_dead_process(row["claim"])]
        return sum(self._interrupt(db, job_id, STOPPED) for job_id in dead)

    def take_back_abandoned(self, db: sqlite3.Connection) -> int:
        """Jobs whose worker stopped renewing their lease: queued again, or interrupted (see the module's
        docstring). Safe to run on every worker at once: each change is conditional on the lease still
        having run out, so one worker takes each job back."""
        now = store.now()
        rows = db.execute("SELECT id, kind, attempts FROM jobs WHERE status = 'running' AND (lease_until IS NULL OR lease_until < ?)", (now,)).fetchall()
        taken = 0
        for row in rows:
            if row["kind"] not in self.repeatable or row["attempts"] >= MAX_ATTEMPTS:
                taken += self._interrupt(db, row["id"], ABANDONED, unless_renewed=True)
                continue
            requeued = db.execute(
                "UPDATE jobs SET status = 'queued', claim = NULL, lease_until = ?, done = 0, total = 0, message = ? "
                "WHERE id = ? AND status = 'running' AND (lease_until IS NULL OR lease_until < ?)",
                (self._waiting_until(), STARTED_AGAIN, row["id"], now),
            )
            if requeued.rowcount != 1:
                continue  # another worker took it back first, or its worker renewed the lease after all
            db.execute("DELETE FROM files WHERE job_id = ?", (row["id"],))
            self._remove_staging(row["id"])
            log.warning("job %s (%s): its worker stopped answering; queued again", row["id"], row["kind"])
            # If the queue cannot take it now, leave it due, so that the next look queues it.
            self._enqueue(db, row["id"], on_failure=_DUE_NOW)
            taken += 1
        return taken + self._queue_waiting_again(db, now)

    def _queue_waiting_again(self, db: sqlite3.Connection, now: float) -> int:
        """Jobs waiting longer than QUEUED_AGAIN_AFTER leases: their message may have been lost."""
        rows = db.execute("SELECT id FROM jobs WHERE status = 'queued' AND lease_until < ?", (now,)).fetchall()
        queued = 0
        for row in rows:
            if db.execute("UPDATE jobs SET lease_until = ? WHERE id = ? AND status = 'queued' AND lease_until < ?", (self._waiting_until(), row["id"], now)).rowcount:
                self._enqueue(db, row["id"], on_failure=_DUE_NOW)
                queued += 1
        return queued

    @contextlib.contextmanager
    def keeper(self) -> Iterator[None]:
        """While inside: look for abandoned jobs at once and then twice a lease, from a thread of its own."""
        stop = threading.Event()

        def look() -> None:
            while True:
                connection = store.connect(self.root / DATABASE)
                try:
                    self.take_back_abandoned(connection)
                except (sqlite3.Error, SenformsError) as error:  # a busy database, a queue down: look again later
                    log.warning("looking for abandoned jobs failed (%s); trying again shortly", type(error).__name__)
                finally:
                    connection.close()
                if stop.wait(self.lease_seconds / 2):
                    return

        thread = threading.Thread(target=look, name="senforms-keeper", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)


def _claimed_by_dead_process(claim: str | None) -> bool:
    host, _, rest = (claim or "").partition("-")
    pid = rest.partition("-")[0]
    return pid.isdigit() and known_dead(host, int(pid))


_DUE_NOW = "UPDATE jobs SET lease_until = 0 WHERE id = ? AND status = 'queued'"


def find_job(db: sqlite3.Connection, job_id: str) -> Job | None:
    row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row else None


def kept(root: Path, job_id: str, name: str) -> Any:
    """What a job kept with `JobContext.keep`, or None."""
    path = root / OUTPUTS / job_id / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
