"""Render a batch of documents: safe names, no silent overwrites, a manifest of what was made."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from senforms.documents.catalogue import KINDS, Job
from senforms.documents.compiled import CompiledTemplate
from senforms.documents.own_letter import OwnLetter
from senforms.errors import OutputExistsError, SenformsError, TemplateProblemError
from senforms.outputs.atomic import ensure_folder, sha256_file, write_atomic
from senforms.outputs.manifest import ManifestRow, made_row, read_manifest, write_manifest
from senforms.outputs.naming import NameAllocator, check_pattern, make_filename
from senforms.resources import docx_templates_dir

WRITES_IN_FLIGHT = 4  # documents made but not yet on disk, at most


@dataclass(frozen=True)
class RenderRequest:
    """How to render one kind of document."""

    kind: str
    out_dir: Path
    templates_dir: Path | None = None
    name_pattern: str | None = None
    overwrite: bool = False
    dry_run: bool = False
    logo: Path | None = None
    own_letter: OwnLetter | None = None  # the school's own letter (mail-merge or template), for a letter to one parent


@dataclass
class RenderedDocument:
    """What happened to one document: written, skipped (it existed), would be written, or failed."""

    job: Job
    path: Path
    status: str
    sha256: str = ""
    error: str = ""


@dataclass
class RenderReport:
    kind: str
    template: Path
    documents: list[RenderedDocument] = field(default_factory=list)
    unfilled: list[str] = field(default_factory=list)  # a mail-merge letter's fields left showing their names
    notes: list[str] = field(default_factory=list)  # a mail-merge letter's switches senforms does not use

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents if d.status == status)

    @property
    def paths(self) -> list[Path]:
        return [d.path for d in self.documents if d.status in {"written", "skipped"}]


def template_for(kind: str, templates_dir: Path | None = None) -> Path:
    """The school's own template when it has one, else the shipped one."""
    name = KINDS[kind].template
    if templates_dir is not None:
        own = Path(templates_dir) / name
        if own.is_file():
            return own
        if not Path(templates_dir).is_dir():
            raise SenformsError(f"the templates folder {templates_dir} does not exist", fix="export the shipped ones with `senforms templates export DIR`")
    shipped = docx_templates_dir() / name
    if not shipped.is_file():
        raise SenformsError(f"the shipped template {name} is missing", fix="reinstall senforms")
    return shipped


def plan_paths(jobs: list[Job], request: RenderRequest) -> list[tuple[Job, Path]]:
    """Where each document will go (pure: nothing is written)."""
    pattern = request.name_pattern or KINDS[request.kind].default_name
    if jobs:
        check_pattern(pattern, jobs[0].name_fields)
    names = NameAllocator()
    return [(job, request.out_dir / names.allocate(make_filename(pattern, job.name_fields, job.pupil.upn), ".docx")) for job in jobs]


def render_documents(
    jobs: list[Job],
    request: RenderRequest,
    *,
    on_progress: Callable[[RenderedDocument], None] | None = None,
) -> RenderReport:
    """Render every job; a document that fails is reported and the rest go on.

    The template is checked first: one that uses a variable senforms does not provide is refused
    before anything is written.
    """
    from senforms.documents.template_files import check_template

    own = request.own_letter
    merging = own is not None and own.mail_merge
    template = own.path if own is not None else template_for(request.kind, request.templates_dir)
    findings = [] if merging else check_template(template, request.kind)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise TemplateProblemError(
            f"template {template.name} cannot be used: " + "; ".join(f.within_file for f in errors),
            fix="fix the template (see `senforms templates check`) or use the shipped one",
        )
    report = RenderReport(request.kind, template)
    planned = plan_paths(jobs, request)
    if not request.dry_run and planned:
        ensure_folder(request.out_dir)
        read_manifest(request.out_dir)  # a manifest senforms cannot update stops the batch before it starts
    compiled = _Compiler(template, KINDS[request.kind].title, request.logo, jobs)
    # Rendering is CPU and writing mostly waiting for fsync: a writer thread overlaps the two. A
    # few documents at most wait for the disk, so memory stays flat however long the batch.
    # Once a write fails (a full disk) or the batch is stopped, the writes still queued are not tried.
    in_flight: collections.deque[Future[RenderedDocument | None] | RenderedDocument] = collections.deque()
    stopped = threading.Event()

    def write(job: Job, path: Path, data: bytes) -> RenderedDocument | None:
        if stopped.is_set():
            return None
        try:
            return _write(job, path, data, request.overwrite)
        except BaseException:
            stopped.set()
            raise

    def finish(done: Future[RenderedDocument | None] | RenderedDocument) -> None:
        result = done.result() if isinstance(done, Future) else done
        if result is None:
            return
        report.documents.append(result)
        if on_progress:
            on_progress(result)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="senforms-write") as writer:
        try:
            for job, path in planned:
                if path.is_dir() or path.is_symlink() and not path.exists():
                    result: Future[RenderedDocument | None] | RenderedDocument = RenderedDocument(
                        job, path, "failed", error=f"a folder or broken link called {path.name} is in the way: move it, or choose another output folder")
                elif path.exists() and not request.overwrite:
                    result = RenderedDocument(job, path, "skipped", sha256_file(path))
                elif merging:
                    result = _merge_one(own, job, path, report, request.overwrite) if not request.dry_run else RenderedDocument(job, path, "would write")
                else:
                    try:
                        data = compiled.render(job.context)
                        result = RenderedDocument(job, path, "would write") if request.dry_run else writer.submit(write, job, path, data)
                    except TemplateProblemError as exc:
                        result = RenderedDocument(job, path, "failed", error=exc.message)
                in_flight.append(result)
                while len(in_flight) > WRITES_IN_FLIGHT or in_flight and not isinstance(in_flight[0], Future):
                    finish(in_flight.popleft())
            while in_flight:
                finish(in_flight.popleft())
        except BaseException:
            # The batch stopped part-way (disk full, Ctrl-C): still record what was made, unless
            # recording fails too; the original error is the one to show.
            stopped.set()
            for done in in_flight:
                with contextlib.suppress(Exception):
                    finished = done.result() if isinstance(done, Future) else done
                    if finished is not None:
                        report.documents.append(finished)
            if not request.dry_run and report.documents:
                with contextlib.suppress(OSError):
                    _update_manifest(request.out_dir, report)
            raise
    if not request.dry_run and planned:
        _update_manifest(request.out_dir, report)
    return report


def _merge_one(own: OwnLetter | None, job: Job, path: Path, report: RenderReport, overwrite: bool) -> RenderedDocument:
    """One letter from the school's own Word mail-merge letter (it writes the file itself, atomically)."""
    assert own is not None
    try:
        merged = own.fill(job, path, overwrite=overwrite)
    except TemplateProblemError as exc:
        return RenderedDocument(job, path, "failed", error=exc.message)
    except OutputExistsError:  # appeared between the check and the write: never overwrite
        return RenderedDocument(job, path, "skipped", sha256_file(path))
    report.unfilled.extend(n for n in merged.unfilled if n not in report.unfilled)
    report.notes.extend(n for n in merged.notes if n not in report.notes)
    return RenderedDocument(job, path, "written", sha256_file(path))


def _write(job: Job, path: Path, data: bytes, overwrite: bool) -> RenderedDocument:
    """Write one document atomically (in the writer thread); never over a file that appeared meanwhile."""
    try:
        write_atomic(path, data, overwrite=overwrite)
    except OutputExistsError:  # appeared between the check and the write: never overwrite
        return RenderedDocument(job, path, "skipped", sha256_file(path))
    return RenderedDocument(job, path, "written", hashlib.sha256(data).hexdigest())


class _Compiler:
    """The batch's template, compiled when the first document needs it (never, if all are skipped).

    A template that cannot be compiled fails each document with the same message, as it would
    have failed each one alone.
    """

    def __init__(self, template: Path, title: str, logo: Path | None, jobs: list[Job]) -> None:
        self.template, self.title, self.logo = template, title, logo
        self.school_name = str((jobs[0].context.get("school") or {}).get("name") or "") if jobs else ""
        self._compiled: CompiledTemplate | None = None
        self._problem: TemplateProblemError | None = None

    def render(self, context: dict) -> bytes:
        if self._compiled is None and self._problem is None:
            try:
                self._compiled = CompiledTemplate.load(self.template, title=self.title, logo=self.logo, school_name=self.school_name)
            except TemplateProblemError as exc:
                self._problem = exc
        if self._problem is not None:
            raise self._problem
        assert self._compiled is not None
        return self._compiled.render(context)


def job_row(path: Path, kind: str, job: Job, sha256: str, made_at: str = "") -> ManifestRow:
    """The manifest row for a file made for `job`: its pupil, cycle, contact and meeting by ID."""
    return made_row(
        path.name, kind, sha256, upn=job.pupil.upn, cycle=str(job.cycle.number) if job.cycle else "",
        contact=job.contact.id if job.contact else "", meeting=job.meeting.id if job.meeting else "", made_at=made_at,
    )


def _update_manifest(folder: Path, report: RenderReport) -> None:
    rows = read_manifest(folder)
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    for done in report.documents:
        if done.status != "written" and done.path.name in rows:
            continue
        if done.status not in {"written", "skipped"}:
            continue
        job = done.job
        rows[done.path.name] = job_row(done.path, report.kind, job, done.sha256, now)
    write_manifest(folder, rows)
