"""Long work off the request thread: job records in the app's database, run by huey.

The queue carries only a job's id; what to do is in the job's row, so no pupil data sits in the
queue. A job reports progress to its row, which the page polls. A process that dies mid-job leaves
its row 'running': the next start marks it 'interrupted' and deletes its half-made folder (every file
in it was written atomically, so there is never a half file, only too few), and it can be run again.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import SqliteHuey

from senforms.errors import SenformsError
from senforms.outputs.atomic import write_atomic
from senforms.web import audit, store
from senforms.web.datadir import DATABASE, OUTPUTS, QUEUE
from senforms.web.files import job_folder, offer, token
from senforms.web.logsafe import trace_without_values

log = logging.getLogger("senforms.web.jobs")


@dataclass
class JobContext:
    """What a job's body gets: its options, its folder, and ways to report progress and offer files."""

    root: Path
    job_id: str
    user_id: int
    options: dict[str, Any]
    db: sqlite3.Connection
    settings_path: Path | None = None  # the school settings file (SMTP, LA), as the CLI's --config

    @property
    def folder(self) -> Path:
        return job_folder(self.root, self.job_id)

    def progress(self, done: int, total: int, message: str) -> None:
        self.db.execute("UPDATE jobs SET done = ?, total = ?, message = ? WHERE id = ?", (done, total, message, self.job_id))

    def offer(self, path: Path, name: str, media_type: str, *, senco_only: bool = False) -> str:
        return offer(self.db, self.root, path, name, media_type, job_id=self.job_id, senco_only=senco_only)

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

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "interrupted")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def _job(row: sqlite3.Row) -> Job:
    return Job(row["id"], row["kind"], row["user_id"], row["status"], row["done"], row["total"], row["message"], json.loads(row["options"]), json.loads(row["result"]))


class JobQueue:
    """The queue of one data folder. `immediate` runs each job inside `submit` (for tests of pages)."""

    def __init__(self, root: Path, bodies: dict[str, JobBody], *, settings_path: Path | None = None, immediate: bool = False) -> None:
        self.root = root
        self.bodies = bodies
        self.settings_path = settings_path
        self.huey = SqliteHuey("senforms", filename=str(root / QUEUE), immediate=immediate, results=False)
        self._task = self.huey.task(name="senforms.job")(self.run)

    def submit(self, db: sqlite3.Connection, kind: str, options: dict[str, Any], user_id: int) -> str:
        if kind not in self.bodies:
            raise ValueError(f"no job called {kind}")
        job_id = token()
        db.execute(
            "INSERT INTO jobs (id, kind, user_id, status, options, created) VALUES (?, ?, ?, 'queued', ?, ?)",
            (job_id, kind, user_id, json.dumps(options), store.now()),
        )
        self._task(job_id)
        return job_id

    def again(self, db: sqlite3.Connection, job: Job, user_id: int) -> str:
        """The same work as `job`, as a new job with its own folder."""
        return self.submit(db, job.kind, job.options, user_id)

    def run(self, job_id: str) -> None:
        """The body of every queued job: look it up, run it, record how it ended. Never raises."""
        db = store.connect(self.root / DATABASE)
        try:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row["status"] != "queued":
                return  # deleted, or already run by a consumer that was restarted mid-dequeue
            db.execute("UPDATE jobs SET status = 'running' WHERE id = ?", (job_id,))
            context = JobContext(self.root, job_id, row["user_id"], json.loads(row["options"]), db, self.settings_path)
            try:
                result = self.bodies[row["kind"]](context)
            except SenformsError as error:
                self._finish(db, job_id, "failed", error.message + (f" ({error.fix_for('the option on the form')})" if error.fix else ""), {})
            except Exception:
                # The log gets the kind of failure and where, never its message (it may quote pupil data).
                log.error("job %s (%s) failed unexpectedly:\n%s", job_id, row["kind"], trace_without_values(*sys.exc_info()[::2]))
                self._finish(db, job_id, "failed", "Something went wrong inside senforms. Nothing was sent; try again, and if it fails again tell your IT support (the server log says where).", {})
            else:
                self._finish(db, job_id, "done", "", result)
        finally:
            db.close()

    @staticmethod
    def _finish(db: sqlite3.Connection, job_id: str, status: str, message: str, result: dict[str, Any]) -> None:
        db.execute(
            "UPDATE jobs SET status = ?, message = ?, result = ?, finished = ? WHERE id = ?",
            (status, message, json.dumps(result), store.now(), job_id),
        )
        audit.job_ended(db, job_id, status, result)

    def recover(self, db: sqlite3.Connection) -> int:
        """At start-up: jobs left 'running' by a process that died are interrupted; their folders go."""
        rows = db.execute("SELECT id FROM jobs WHERE status = 'running'").fetchall()
        for row in rows:
            db.execute("DELETE FROM files WHERE job_id = ?", (row["id"],))
            shutil.rmtree(self.root / OUTPUTS / row["id"], ignore_errors=True)
            db.execute(
                "UPDATE jobs SET status = 'interrupted', message = ?, finished = ? WHERE id = ?",
                ("It was stopped part-way (senforms was closed or the computer restarted). Nothing from it was kept: run it again.", store.now(), row["id"]),
            )
            audit.job_ended(db, row["id"], "interrupted", {})
        return len(rows)


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
