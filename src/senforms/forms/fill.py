"""`fill_forms`: the LA's form filled for every pupil whose review decided to request an EHC needs assessment.

File names, the manifest and atomic writes are the ones `render` uses; a form that cannot be
filled for one pupil is reported and the others are still made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from senforms.documents.catalogue import Job, plan_jobs
from senforms.documents.render import job_row
from senforms.errors import FormError, OutputExistsError
from senforms.forms.fields import FormInventory
from senforms.forms.inventory import inspect_form, read_form
from senforms.forms.mapping import FormMap, check_map, check_variables, evaluate, read_map
from senforms.forms.overflow import addendum_pdf
from senforms.model import Pupil, Register
from senforms.outputs.atomic import ensure_folder, sha256_file, write_atomic
from senforms.outputs.manifest import read_manifest, write_manifest
from senforms.outputs.naming import NameAllocator, check_pattern, make_filename, safe_part

DOCUMENT = "la-form"
DEFAULT_NAME = "{upn}-{form}"


@dataclass(frozen=True)
class FillOptions:
    """How to fill: where to, which file names, and what else to make."""

    out_dir: Path
    name_pattern: str | None = None
    overwrite: bool = False
    flatten: bool = False  # PDF forms: values drawn into the page, no fields left
    pdf: bool = False  # Word forms: a PDF of each filled form too (LibreOffice)
    on: dt.date | None = None


@dataclass(frozen=True)
class FilledForm:
    """One pupil's form: written, skipped (it was there already) or failed (with why)."""

    upn: str
    path: Path
    status: str
    sha256: str = ""
    error: str = ""
    addendum_boxes: int = 0
    warnings: tuple[str, ...] = ()


@dataclass
class FillResult:
    form: FormInventory
    forms: list[FilledForm] = field(default_factory=list)
    pdfs: list = field(default_factory=list)  # ConversionResult, with --pdf for a Word form

    def count(self, status: str) -> int:
        return sum(1 for f in self.forms if f.status == status)

    def summary(self, skipped_note: str = "already there") -> str:
        """"3 filled, 1 already there, 1 FAILED": the run in a few words."""
        parts = [f"{self.count('written')} filled"]
        if self.count("skipped"):
            parts.append(f"{self.count('skipped')} {skipped_note}")
        if self.count("failed"):
            parts.append(f"{self.count('failed')} FAILED")
        return ", ".join(parts)

    @property
    def failed(self) -> int:
        return self.count("failed") + sum(1 for r in self.pdfs if r.status == "failed")


def _name_fields(job: Job, form: Path) -> dict[str, str]:
    return {**job.name_fields, "document": DOCUMENT, "form": safe_part(form.stem)}


def fill_one(form: FormInventory, data: bytes, form_map: FormMap, job: Job, *, flatten: bool = False) -> tuple[bytes, int, list[str]]:
    """One pupil's filled form (bytes), how many boxes went to the addendum, and any warnings."""
    values = evaluate(form_map, job.context, who=f"pupil {job.pupil.upn}")
    who = f"{job.pupil.full_name} (UPN {job.pupil.upn})"
    if form.form_type == "pdf":
        from senforms.forms.pdf_fill import append_pages, fill_pdf
        from senforms.forms.pdf_fill import flatten as flatten_pdf

        filled = fill_pdf(data, form.path.name, form.fields, values)
        result = filled.data
        if filled.overflows:
            result = append_pages(result, addendum_pdf(form.path.name, who, filled.overflows))
        if flatten:
            result = flatten_pdf(result)
        return result, len(filled.overflows), filled.warnings
    from senforms.forms.docx_fill import fill_docx

    word = fill_docx(data, form.path.name, form.fields, values)
    return word.data, len(word.overflows), word.warnings


def load_form(form: Path, map_path: Path | str) -> tuple[FormInventory, bytes, FormMap]:
    """The form's fields, its bytes and its map, checked against each other (FormError if they do not match)."""
    inventory = inspect_form(form)
    data, _ = read_form(form)
    form_map = read_map(map_path)
    check_map(form_map, inventory)
    return inventory, data, form_map


def fill_for_pupil(register: Register, pupil: Pupil, form: Path, map_path: Path, folder: Path, *, on: dt.date) -> tuple[Path, list[str]]:
    """One pupil's filled form in `folder` (for the request pack), and any warnings; FormError as for `fill_forms`."""
    from senforms.documents.context import request_context

    inventory, data, form_map = load_form(form, map_path)
    job = Job("ehc-request", pupil, request_context(register, pupil, on), on=on)
    check_variables(form_map, job.context)
    content, _, warnings = fill_one(inventory, data, form_map, job)
    suffix = ".pdf" if inventory.form_type == "pdf" else ".docx"
    return write_atomic(ensure_folder(folder) / f"{pupil.upn}-la-form{suffix}", content, overwrite=True), warnings


def fill_forms(
    register: Register,
    form: Path | str,
    map_path: Path | str,
    options: FillOptions,
    pupils: list[Pupil] | None = None,
    *,
    on_progress: Callable[[FilledForm], None] | None = None,
) -> FillResult:
    """Fill the LA's `form` with the map at `map_path` for every pupil (of `pupils`) who is to be referred.

    Raises FormError before anything is written when the map was made from another version of
    the form, fills a field the form lacks, or uses a variable senforms does not provide.
    """
    form = Path(form)
    inventory, data, form_map = load_form(form, map_path)
    if options.flatten and inventory.form_type != "pdf":
        raise FormError(f"{form.name} is a Word form: only a PDF form can be flattened", fix="leave out {option}, or make a PDF of each filled form instead", option="flatten")
    if options.pdf and inventory.form_type == "pdf":
        raise FormError(f"{form.name} is already a PDF form", fix="leave out {option} (it makes PDFs of Word forms)", option="pdf")
    jobs = plan_jobs(register, "ehc-request", on=options.on or dt.date.today(), pupils=pupils)
    result = FillResult(inventory)
    if not jobs:
        return result
    check_variables(form_map, jobs[0].context)
    pattern = options.name_pattern or DEFAULT_NAME
    check_pattern(pattern, _name_fields(jobs[0], form))
    names = NameAllocator()
    suffix = ".pdf" if inventory.form_type == "pdf" else ".docx"
    planned = [(job, options.out_dir / names.allocate(make_filename(pattern, _name_fields(job, form), job.pupil.upn), suffix)) for job in jobs]
    ensure_folder(options.out_dir)
    read_manifest(options.out_dir)  # a manifest senforms cannot update stops the batch before it starts
    made: dict[str, Job] = {}
    try:
        for job, path in planned:
            made[path.name] = job
            if path.exists() and not options.overwrite:
                item = FilledForm(job.pupil.upn, path, "skipped", sha256_file(path))
            else:
                try:
                    content, boxes, warnings = fill_one(inventory, data, form_map, job, flatten=options.flatten)
                    write_atomic(path, content, overwrite=options.overwrite)
                    item = FilledForm(job.pupil.upn, path, "written", sha256_file(path), addendum_boxes=boxes, warnings=tuple(warnings))
                except FormError as exc:
                    item = FilledForm(job.pupil.upn, path, "failed", error=f"{exc.message} ({exc.fix})" if exc.fix else exc.message)
                except OutputExistsError:  # appeared meanwhile: never overwrite
                    item = FilledForm(job.pupil.upn, path, "skipped", sha256_file(path))
            result.forms.append(item)
            if on_progress:
                on_progress(item)
    finally:
        with contextlib.suppress(OSError):
            _record(options.out_dir, result.forms, made)
    if options.pdf:
        from senforms.pdf import convert_many

        sources = [f.path for f in result.forms if f.status in ("written", "skipped")]
        result.pdfs = convert_many(sources, options.out_dir, overwrite=options.overwrite)
        rows = read_manifest(options.out_dir)
        for conversion in result.pdfs:
            if conversion.pdf is not None and conversion.status == "converted":
                job = made[conversion.source.name]
                rows[conversion.pdf.name] = job_row(conversion.pdf, DOCUMENT, job, sha256_file(conversion.pdf))
        write_manifest(options.out_dir, rows)
    return result


def _record(folder: Path, forms: list[FilledForm], jobs: dict[str, Job]) -> None:
    if not any(f.status in ("written", "skipped") for f in forms):
        return
    rows = read_manifest(folder)
    for item in forms:
        if item.status == "written" or (item.status == "skipped" and item.path.name not in rows):
            rows[item.path.name] = job_row(item.path, DOCUMENT, jobs[item.path.name], item.sha256)
    write_manifest(folder, rows)
