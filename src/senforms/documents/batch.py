"""A whole batch from a register: select, render, merge, convert to PDF, record.

`senforms render` is a thin call of `render`; each step is its own module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from senforms.documents.catalogue import KINDS, LeftOut, notifications_left_out, plan_jobs, require_request_facts, require_school
from senforms.documents.merge import merge_documents
from senforms.documents.own_letter import OwnLetter
from senforms.documents.render import RenderedDocument, RenderReport, RenderRequest, job_row, render_documents
from senforms.model import Pupil, Register
from senforms.outputs.atomic import ensure_folder, private_temp_dir, sha256_file
from senforms.outputs.manifest import made_row, read_manifest, write_manifest
from senforms.pdf.combine import merge_pdfs

if TYPE_CHECKING:
    from senforms.pdf.pool import PdfConverter


@dataclass(frozen=True)
class RenderOptions:
    """How to make a batch of one kind of document. `logo` is the school's logo file, if any."""

    out_dir: Path
    templates_dir: Path | None = None
    name_pattern: str | None = None
    overwrite: bool = False
    dry_run: bool = False
    all_cycles: bool = False
    include_ehc_plans: bool = False  # SEN support plans and reviews for pupils with an EHC plan too
    include_notified: bool = False  # parent-notification: letters for families already told too (`render --all`)
    merge_to: Path | None = None
    duplex: bool = False
    pdf: bool = False
    pdf_only: bool = False
    # None (no --date): today; for the request and its covering letter, each pupil's stored request date.
    on: dt.date | None = None
    logo: Path | None = None
    own_letter: OwnLetter | None = None  # `render --template`: the school's letter, read by read_own_letter


@dataclass
class BatchResult:
    report: RenderReport
    merged: Path | None = None
    merged_pdf: Path | None = None
    pdfs: list = field(default_factory=list)  # ConversionResult from senforms.pdf
    left_out: list[LeftOut] = field(default_factory=list)  # chosen pupils given no letter, with why (parent-notification)

    @property
    def failed(self) -> int:
        return self.report.count("failed") + sum(1 for r in self.pdfs if r.status == "failed")


def render(
    register: Register,
    kind: str,
    options: RenderOptions,
    pupils: list[Pupil] | None = None,
    on_progress: Callable[[RenderedDocument], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_converted: Callable[[Any], None] | None = None,
    converter: PdfConverter | None = None,
) -> BatchResult:
    """Render `kind` for the chosen pupils, then merge and convert as asked.

    `on_start` gets the number of documents before any work, `on_progress` each document made and
    `on_converted` each PDF conversion's result, so a progress bar can count both stages.
    PDFs are converted while the rest are rendered; `converter` (a senforms.pdf.PdfConverter)
    reuses LibreOffices already started, for several batches in a row.
    """
    jobs = plan_jobs(
        register, kind, on=options.on, pupils=pupils, all_cycles=options.all_cycles,
        include_ehc_plans=options.include_ehc_plans, include_notified=options.include_notified,
    )
    if jobs and options.templates_dir is None:
        require_school(register, kind)  # the shipped templates all name the school: fail once, not per document
    if jobs and KINDS[kind].not_for_ehc_plans:
        require_request_facts(register)  # before any work: never a half-made request
    chosen = pupils if pupils is not None else register.pupils
    left_out = notifications_left_out(chosen, include_notified=options.include_notified) if kind == "parent-notification" else []
    if on_start:
        on_start(len(jobs))  # before any work, so a progress bar can be sized without planning twice
    docx_dir = options.out_dir
    scratch: Path | None = None
    if options.pdf_only and not options.dry_run:
        ensure_folder(options.out_dir)
        scratch = private_temp_dir(".senforms-docx", options.out_dir)
        docx_dir = scratch
    stream = None
    if (options.pdf or options.pdf_only) and not options.dry_run:
        from senforms.pdf.convert import ConversionStream

        # Each document goes to LibreOffice as soon as it is written, so converting the first
        # overlaps rendering the rest (and starting LibreOffice overlaps both).
        stream = ConversionStream(overwrite=options.overwrite, on_progress=on_converted, converter=converter, expected=len(jobs))
    seen: list[RenderedDocument] = []

    def made(document: RenderedDocument) -> None:
        seen.append(document)
        if stream is not None and document.status in {"written", "skipped"}:
            stream.add(document.path, options.out_dir / f"{document.path.stem}.pdf")
        if on_progress:
            on_progress(document)

    try:
        request = RenderRequest(
            kind,
            docx_dir,
            templates_dir=options.templates_dir,
            name_pattern=options.name_pattern,
            overwrite=options.overwrite or scratch is not None,
            dry_run=options.dry_run,
            logo=options.logo,
            own_letter=options.own_letter,
        )
        report = render_documents(jobs, request, on_progress=made)
        result = BatchResult(report, left_out=left_out)
        if options.dry_run:
            return result
        made_paths = report.paths
        if options.merge_to and made_paths and not options.pdf_only:
            result.merged = merge_documents(made_paths, options.merge_to, duplex=options.duplex, overwrite=options.overwrite)
            _record_merged(result.merged)
        if stream is not None:
            result.pdfs = stream.finish()
            pdfs = [r.pdf for r in result.pdfs if r.pdf is not None and r.status != "failed"]
            if options.merge_to and pdfs:
                result.merged_pdf = merge_pdfs(pdfs, options.merge_to.with_suffix(".pdf"), duplex=options.duplex, overwrite=options.overwrite)
            _record_pdfs(options.out_dir, report, result.pdfs, scratch)
            if result.merged_pdf is not None:
                _record_merged(result.merged_pdf)
        return result
    except BaseException:
        if stream is not None:
            # Stopped part-way (disk full, Ctrl-C): the PDFs not yet made are abandoned, and
            # those already published are recorded, unless recording fails too.
            stream.close()
            with contextlib.suppress(Exception):
                _record_pdfs(options.out_dir, RenderReport(kind, Path(), seen), stream.results_so_far, scratch)
        raise
    finally:
        if stream is not None:
            stream.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _record_pdfs(folder: Path, report: RenderReport, conversions: list, scratch: Path | None) -> None:
    by_stem = {d.path.stem: d for d in report.documents}
    rows = read_manifest(folder)
    if scratch is not None:  # the DOCX were only a step on the way: they are not outputs
        for made in report.documents:
            rows.pop(made.path.name, None)
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    for conversion in conversions:
        if conversion.pdf is None or conversion.status == "failed":
            continue
        job = by_stem[conversion.pdf.stem].job  # every PDF converted here is one of the batch's documents
        if conversion.status == "skipped" and conversion.pdf.name in rows:
            continue
        rows[conversion.pdf.name] = job_row(conversion.pdf, report.kind, job, sha256_file(conversion.pdf), now)
    write_manifest(folder, rows)


def _record_merged(path: Path) -> None:
    """Add a merged DOCX or PDF to the manifest of the folder it was written to (which may not be
    the output folder): no pupil's UPN, since it holds them all."""
    rows = read_manifest(path.parent)
    rows[path.name] = made_row(path.name, "merged", sha256_file(path))
    write_manifest(path.parent, rows)

