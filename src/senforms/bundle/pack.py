"""The EHC needs assessment request pack for one pupil: request, covering letter, evidence bundle,
checklist and manifest.

Everything is made in a private staging folder inside OUTDIR and published only when all of it
has succeeded, so a refused evidence file or a failed conversion leaves nothing half-made behind.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from senforms.bundle.assemble import BundleResult, build_bundle
from senforms.bundle.checklist import ChecklistItem, build_checklist, checklist_text
from senforms.bundle.evidence import intake, shown_name
from senforms.bundle.pack_file import PackDescription, write_description
from senforms.bundle.pages import provision_map_document, summary_document
from senforms.bundle.protect import encrypt_docx_file, encrypt_pdf_file
from senforms.bundle.ranges import split_by_size, write_sections
from senforms.bundle.spec import BundleDocument, BundleSection, BundleSpec
from senforms.documents.catalogue import ANNUAL_REVIEW_ROUTE, Job, plan_jobs, require_request_facts
from senforms.documents.context import request_context
from senforms.documents.render import template_for
from senforms.documents.templating import render_docx
from senforms.errors import ConversionError, EvidenceError, OutputExistsError, SenformsError
from senforms.inputs.confined import escape
from senforms.inputs.evidence_paths import evidence_path, evidence_path_refusal
from senforms.model import EvidenceFile, EvidenceKind, LocalAuthority, Pupil, Register, School
from senforms.model.calendar import term_label
from senforms.outputs.atomic import ensure_folder, private_temp_dir, publish, sha256_file, write_atomic
from senforms.outputs.cells import csv_cell
from senforms.outputs.naming import make_filename
from senforms.ukformat import long_date

if TYPE_CHECKING:
    from senforms.pdf import PdfConverter

EVIDENCE_SECTIONS = {
    EvidenceKind.PUPIL_VIEWS: "child_views",
    EvidenceKind.PARENT_VIEWS: "parent_views",
    EvidenceKind.ATTAINMENT: "attainment",
    EvidenceKind.ATTENDANCE: "attainment",
    EvidenceKind.PROFESSIONAL_REPORT: "professional_reports",
    EvidenceKind.MEDICAL: "health",
}


@dataclass(frozen=True)
class PackOptions:
    """How to make one pupil's pack. `base_dir` is what the register's evidence paths are relative
    to; `logo` the school's logo file; `local_authority` the LA's profile when it differs from the register's."""

    out_dir: Path
    on: dt.date | None = None  # the request date; None: the pupil's stored one (refused when there is none)
    evidence_dir: Path | None = None
    templates_dir: Path | None = None
    name_pattern: str = "{upn}"
    strict: bool = False
    sections: bool = False
    password: str | None = None
    max_mb: float | None = None
    overwrite: bool = False
    local_authority: LocalAuthority | None = None
    base_dir: Path = Path(".")
    logo: Path | None = None

    @property
    def date(self) -> dt.date:
        """The request date, once `build_pack` has settled it (`request_date`)."""
        assert self.on is not None, "build_pack settles the request date before anything uses it"
        return self.on


@dataclass
class PackResult:
    """Where everything went, what the checklist found, and the bundle's index."""

    files: dict[str, Path]
    checklist: list[ChecklistItem]
    bundle: BundleResult
    section_files: list[Path] = field(default_factory=list)
    parts: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # worth knowing; nothing was stopped

    @property
    def missing(self) -> list[ChecklistItem]:
        return [item for item in self.checklist if item.missing]  # a WARNING (cost under the threshold) is not missing


@dataclass
class _Item:
    """One document on its way into the bundle."""

    section: str
    title: str
    author: str
    date: dt.date | None
    source: Path  # the file the school has, or the DOCX senforms made
    pdf: Path | None = None
    cycle: int | None = None
    generated: bool = False
    note: str = ""
    intake_warnings: tuple[str, ...] = ()  # what intake changed or removed, for the checklist


def _local_authority(register: Register, options: PackOptions) -> LocalAuthority:
    la = options.local_authority or register.local_authority
    require_request_facts(register, la)
    assert la is not None  # require_request_facts refuses a register without one
    return la


def request_date(pupil: Pupil, given: dt.date | None) -> dt.date:
    """The date every statutory date in the pack runs from: the one given, else the pupil's stored
    request date (Reviews › Request date); refused when there is neither, never today by default."""
    if given is not None:
        return given
    if pupil.ehc_request_date is None:
        raise SenformsError(
            f"pupil {pupil.upn} has no request date, and every date in the pack (the request's, the 6, 16 and 20 weeks) runs from it",
            fix="fill in 'Request date' on the Reviews sheet, in the row of the review that decided to request (the date the school "
            "sends the request), or give the date with {option}",
            option="on",
        )
    return pupil.ehc_request_date


def _evidence_files(pupil: Pupil, base: Path, evidence_dir: Path | None) -> tuple[list[tuple[EvidenceFile, Path]], list[EvidenceError]]:
    """Every evidence file found, and a refusal for each one that is not there or leads out of its
    folder (none raised yet). `load_register` refuses such Evidence sheet paths at their cells; this
    is the same rule again where the files are read, for a register made in code or changed since."""
    found: list[tuple[EvidenceFile, Path]] = []
    problems: list[EvidenceError] = []
    for entry in pupil.evidence:
        path = evidence_path(entry.path, base)
        refused = evidence_path_refusal(entry.path, base, evidence_dir)
        if refused is not None:
            message, fix = refused
            problems.append(EvidenceError(f"the Evidence sheet's file for '{entry.title}': {message}", fix=fix + ", or correct the File column on the Evidence sheet"))
            continue
        if not path.is_file():
            problems.append(EvidenceError(
                f"the evidence file '{entry.path}' ({entry.title}) was not found",
                fix=f"put it at {path}, or correct the File column on the Evidence sheet",
            ))
            continue
        found.append((entry, path))
    if evidence_dir is not None:
        if not evidence_dir.is_dir():
            problems.append(EvidenceError(f"the evidence folder {evidence_dir} does not exist", fix="check the --evidence folder"))
            return found, problems
        known = {p.resolve() for _, p in found}
        for path in sorted(evidence_dir.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue  # hidden files (.DS_Store and the like) are never evidence; nor are folders
            if escape(path, [evidence_dir]) is not None:
                # The one rule the Evidence sheet's paths follow too (senforms.inputs.confined).
                problems.append(EvidenceError(
                    f"{shown_name(path.name)} in the evidence folder {evidence_dir} is a link (shortcut) to a file outside that folder",
                    fix="copy the file itself into the evidence folder, or remove the link",
                ))
                continue
            if path.resolve() not in known:
                words = " ".join(path.stem.replace("-", " ").replace("_", " ").split())  # a newline in the name too
                title = words.capitalize()
                found.append((EvidenceFile(title=title, path=str(path), kind=EvidenceKind.OTHER), path))
    return found, problems


def _refuse(problems: list[EvidenceError]) -> None:
    """Raise one error naming every bad evidence file and what to do about it (one alone as it is)."""
    if not problems:
        return
    if len(problems) == 1:
        raise problems[0]
    lines = [f"  - {p}" + (f" ({p.fix})" if p.fix else "") for p in problems]
    raise EvidenceError(
        f"{len(problems)} evidence files cannot go into the bundle, so no pack was made:\n" + "\n".join(lines),
        fix="deal with each file listed, then run again",
    )


def _new_folders(folder: Path) -> list[Path]:
    """`folder` and those of its parents that do not exist yet, deepest first."""
    missing = []
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first; stop at the first that holds something
        try:
            folder.rmdir()
        except OSError:
            return


def _outputs(stem: str, options: PackOptions) -> dict[str, Path]:
    out = options.out_dir
    return {
        "request_docx": out / f"{stem}-ehc-request.docx",
        "request_pdf": out / f"{stem}-ehc-request.pdf",
        "cover_docx": out / f"{stem}-cover-letter.docx",
        "cover_pdf": out / f"{stem}-cover-letter.pdf",
        "bundle": out / f"{stem}-bundle.pdf",
        "checklist": out / f"{stem}-checklist.txt",
        "manifest": out / f"{stem}-manifest.csv",
        "pack": out / f"{stem}-pack.json",
    }


def _render(kind: str, context: dict, options: PackOptions, path: Path, logo: Path | None, title: str) -> Path:
    data = render_docx(template_for(kind, options.templates_dir), context, title=title, logo=logo)
    return write_atomic(path, data, overwrite=True)


def build_pack(register: Register, upn: str, options: PackOptions, *, converter: PdfConverter | None = None) -> PackResult:
    """Make the whole request pack for one pupil; see the module docstring for the guarantees.

    `converter` (a senforms.pdf.PdfConverter) reuses LibreOffices already started, for several
    packs or batches in a row; without it the pack starts and stops its own.
    """
    from senforms.pdf import PdfConverter, convert_many, convert_one

    logo = options.logo
    pupil = register.pupil(upn)
    if pupil is None:
        raise SenformsError(f"no pupil with UPN {upn} in the register", fix="check the UPN with `senforms validate`")
    if pupil.has_ehc_plan:
        raise SenformsError(
            f"pupil {pupil.upn} already has an EHC plan, so senforms makes no EHC needs assessment request for them",
            fix=ANNUAL_REVIEW_ROUTE[0].upper() + ANNUAL_REVIEW_ROUTE[1:],
        )
    la = _local_authority(register, options)
    options = replace(options, on=request_date(pupil, options.on))  # every date below is this one
    checklist = build_checklist(pupil, la, options.date, register.provision_costs(pupil, options.date), term_dates=register.term_dates)
    if options.strict and any(item.missing for item in checklist):
        missing = "; ".join(f"{i.label} ({i.detail})" for i in checklist if i.missing)
        raise SenformsError(f"the pack is incomplete (--strict): {missing}", fix="fill the gaps, or run without --strict to make the pack anyway")

    stem = make_filename(options.name_pattern, Job("bundle", pupil, {}, on=options.date).name_fields, pupil.upn)
    outputs = _outputs(stem, options)
    if la.form:
        outputs["la_form"] = options.out_dir / f"{stem}-la-form{'.docx' if la.form.lower().endswith('.docx') else '.pdf'}"
    sections_dir = options.out_dir / f"{stem}-sections"
    if not options.overwrite:
        for path in outputs.values():
            if path.exists():
                raise OutputExistsError(path)
    evidence, problems = _evidence_files(pupil, options.base_dir, options.evidence_dir)
    made_folders = _new_folders(options.out_dir)
    ensure_folder(options.out_dir)
    staging = private_temp_dir(".senforms-pack", options.out_dir)
    published = False
    try:
        with contextlib.ExitStack() as stack:
            pool = converter if converter is not None else stack.enter_context(PdfConverter())
            items, left_out = _intake_evidence(evidence, staging, lambda src, dest: convert_one(src, dest, converter=pool, overwrite=True), problems)
            request = _make_documents(register, pupil, la, options, staging, logo, items, stem)
            la_form, form_warnings = _add_la_form(register, pupil, la, options, staging, items)
            docx_items = [item for item in items if item.pdf is None]
            results = convert_many([item.source for item in docx_items], staging / "pdf", converter=pool, overwrite=True)
        for item, result in zip(docx_items, results):
            if result.status == "failed" or result.pdf is None:
                raise ConversionError(f"{item.title} could not be turned into a PDF: {result.error}", fix="run `senforms doctor`")
            item.pdf = result.pdf
        spec = _spec(pupil, la, items, options, register)
        staged_bundle = staging / "bundle.pdf"
        bundle = build_bundle(spec, staged_bundle, password=options.password, overwrite=True)
        _write_manifest(items, spec, bundle, staging / "manifest.csv", options.base_dir)
        text = checklist_text(checklist, f"EHC needs assessment request pack: checklist for UPN {pupil.upn} ({long_date(options.date)})")
        if left_out:
            text += "\nLeft out of the bundle:\n" + "\n".join(f"  {line}" for line in left_out) + "\n"
        changed = [warning for item in items for warning in item.intake_warnings]
        if changed:
            # Told to the person making the pack, not only noted in the index the LA reads.
            text += "\nChanged when taken in (check the bundle):\n" + "\n".join(f"  {line}" for line in changed) + "\n"
        write_atomic(staging / "checklist.txt", text.encode("utf-8"), overwrite=True)
        section_files = write_sections(spec, bundle, staging / "sections", password=options.password) if options.sections else []
        portal_notes: list[str] = []
        if section_files and la.portal_file_limit_mb:
            section_files, portal_notes = _under_portal_limit(section_files, la.portal_file_limit_mb, staging / "section-parts", options.password)
        split = split_by_size(staged_bundle, options.max_mb, staging / "parts", password=options.password) if options.max_mb else None
        parts = list(split.parts) if split else []
        # Everything succeeded: publish. Nothing above touched OUTDIR outside the staging folder.
        staged = {
            "request_docx": request["ehc-request"],
            "request_pdf": _pdf_of(items, request["ehc-request"]),
            "cover_docx": request["la-cover-letter"],
            "cover_pdf": staging / "pdf" / f"{request['la-cover-letter'].stem}.pdf",
            "bundle": staged_bundle,
            "checklist": staging / "checklist.txt",
            "manifest": staging / "manifest.csv",
        }
        if la_form is not None:
            staged["la_form"] = la_form
        if options.password is not None:
            # Encrypted means encrypted: every file holding the child's details, not only the bundle.
            for key in ("request_pdf", "cover_pdf"):
                encrypt_pdf_file(staged[key], options.password)
            for key in ("request_docx", "cover_docx"):
                encrypt_docx_file(staged[key], options.password)
            if la_form is not None:
                (encrypt_pdf_file if la_form.suffix == ".pdf" else encrypt_docx_file)(la_form, options.password)
        staged["pack"] = write_description(staging / "pack.json", _pack_description(pupil, la, register.school, outputs, parts, options))
        published = True  # from here on, files are in OUTDIR: the folder stays
        for key, temp in staged.items():
            publish(temp, outputs[key], options.overwrite)
        published_sections = [_publish_into(path, sections_dir, options.overwrite, stem) for path in section_files]
        published_parts = [_publish_into(path, options.out_dir, options.overwrite, stem) for path in parts]
        final_bundle = BundleResult(outputs["bundle"], bundle.pages, bundle.index, bundle.sections)
        return PackResult(outputs, checklist, final_bundle, published_sections, published_parts, form_warnings + (list(split.warnings) if split else []) + portal_notes)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not published:
            _remove_if_empty(made_folders)  # a refused pack leaves no folder it made behind


def _under_portal_limit(files: list[Path], limit_mb: float, folder: Path, password: str | None) -> tuple[list[Path], list[str]]:
    """Each section file, cut into parts where it is over the LA portal's per-file limit."""
    kept: list[Path] = []
    notes: list[str] = []
    for path in files:
        if path.stat().st_size <= limit_mb * 1_000_000:
            kept.append(path)
            continue
        split = split_by_size(path, limit_mb, folder, password=password)
        kept.extend(split.parts)
        notes.extend(split.warnings)
    return kept, notes


def _add_la_form(register: Register, pupil: Pupil, la: LocalAuthority, options: PackOptions, staging: Path, items: list[_Item]) -> tuple[Path | None, list[str]]:
    """The LA's own form filled for the pupil, first in the request section in place of senforms' request
    (which is still made, and stays in the bundle too with keep_own_request), with the filling's warnings
    (a field no font can show, say); (None, []) when the LA has no form."""
    if not la.form:
        return None, []
    if not la.form_map:
        raise SenformsError(
            f"the settings for {la.name} name its form ({Path(la.form).name}) but not the map that fills it",
            fix="make one with `senforms forms map FORM -o MAP.toml` and add form_map = \"MAP.toml\" to [local_authority]",
        )
    from senforms.forms.fill import fill_for_pupil

    path, warnings = fill_for_pupil(register, pupil, Path(la.form), Path(la.form_map), staging / "la-form", on=options.date)
    own = next(item for item in items if item.section == "request")
    if not la.keep_own_request:
        own.section = "own_request"  # made and published beside the pack, but not in the bundle
    bundled = None
    if path.suffix == ".pdf":
        from senforms.forms.pdf_fill import flatten

        # Fields do not survive merging (values repeat or vanish), so the bundle gets a flattened copy.
        bundled = write_atomic(path.with_name("flattened.pdf"), flatten(path.read_bytes()), overwrite=True)
    title = f"Request for an EHC needs assessment ({la.name}'s form)"
    items.insert(0, _Item("request", title, own.author, options.on, path, pdf=bundled, generated=True))
    return path, [f"{la.name}'s form: {warning}" for warning in warnings]


def _pack_description(pupil: Pupil, la: LocalAuthority, school: School | None, outputs: dict[str, Path], parts: list[Path], options: PackOptions) -> PackDescription:
    """What `send-pack` needs to address the pack: IDs, the LA's profile and file names, no pupil details."""
    stem = outputs["bundle"].name.removesuffix("-bundle.pdf")
    return PackDescription(
        upn=pupil.upn,
        made_on=options.date,
        encrypted=options.password is not None,
        files={key: path.name for key, path in outputs.items()},
        parts=tuple(f"{stem}-{p.name}" if not p.name.startswith(stem) else p.name for p in parts),
        la_name=la.name,
        la_team=la.send_team_name or la.name,
        la_email=la.send_team_email or "",
        allowed_domains=tuple(la.allowed_domains),
        size_limit_mb=la.email_size_limit_mb,
        school_name=school.name if school else "",
        senco_name=school.senco.name if school else "",
        senco_email=(school.senco.email or "") if school else "",
    )


def _publish_into(path: Path, folder: Path, overwrite: bool, stem: str) -> Path:
    ensure_folder(folder)
    target = folder / f"{stem}-{path.name}" if not path.name.startswith(stem) else folder / path.name
    publish(path, target, overwrite)
    return target


def _pdf_of(items: list[_Item], docx: Path) -> Path:
    pdf = next(item.pdf for item in items if item.source == docx)
    assert pdf is not None  # called once every item has been converted
    return pdf


def _intake_evidence(evidence: list[tuple[EvidenceFile, Path]], staging: Path, docx_converter, problems: list[EvidenceError]) -> tuple[list[_Item], list[str]]:
    """Take in every evidence file; refuse them all at once (with `problems` found before) if any
    is bad. A byte-identical copy of a file already taken in is left out, with a line saying so."""
    items = []
    left_out: list[str] = []
    first_by_digest: dict[str, EvidenceFile] = {}
    work = staging / "evidence"
    work.mkdir()
    for entry, path in evidence:
        digest = sha256_file(path)
        original = first_by_digest.get(digest)
        if original is not None:
            left_out.append(
                f"'{entry.title}' ({shown_name(Path(entry.path).name)}) was left out: "
                f"it is a copy of '{original.title}' ({shown_name(Path(original.path).name)})"
            )
            continue
        first_by_digest[digest] = entry
        try:
            result = intake(path, work, docx_converter=docx_converter)
        except EvidenceError as exc:
            problems.append(exc)
            continue
        section = EVIDENCE_SECTIONS.get(entry.kind, "other")
        note = "; ".join(result.warnings)
        items.append(_Item(section, entry.title, entry.author or "", entry.date, path, pdf=result.pdf, note=note, intake_warnings=result.warnings))
    _refuse(problems)
    return items, left_out


def _make_documents(register, pupil: Pupil, la: LocalAuthority, options: PackOptions, staging: Path, logo, items: list[_Item], stem: str) -> dict[str, Path]:
    """Render the request, cover letter, every cycle's plan and review, and the summary pages."""
    docs = staging / "docx"
    docs.mkdir()
    senco = register.school.senco.name if register.school else ""
    school = register.school.name if register.school else ""
    context = request_context(register, pupil, options.date, la)
    enclosures = [la.label(key) for key in la.section_order if key != "request"]
    context["enclosures"] = [f"Evidence bundle: {', '.join(e.lower() if i else e for i, e in enumerate(enclosures))}"]
    made = {}
    for kind, title in (("ehc-request", "Request for an EHC needs assessment"), ("la-cover-letter", "Covering letter")):
        path = _render(kind, context, options, docs / f"{stem}-{'ehc-request' if kind == 'ehc-request' else 'cover-letter'}.docx", logo, title)
        made[kind] = path
    items.insert(0, _Item("request", "Request for an EHC needs assessment", f"{senco}, SENCo, {school}".strip(", "), options.date, made["ehc-request"], generated=True))
    items.append(_Item("cover", "Covering letter", senco, options.date, made["la-cover-letter"], generated=True))
    for kind in ("support-plan", "review"):
        for job in plan_jobs(register, kind, on=options.date, pupils=[pupil], all_cycles=True):
            cycle = job.cycle
            assert cycle is not None  # support-plan and review jobs are one per cycle
            # The document's title (its PDF's title too) is what it is, as the index lists it.
            title = f"SEN support plan, cycle {cycle.number}" if kind == "support-plan" else f"Review of cycle {cycle.number}"
            path = _render(kind, job.context, options, docs / f"{kind}-cycle-{cycle.number}.docx", logo, title)
            if kind == "support-plan":
                when = cycle.start_date
            else:
                assert cycle.review is not None  # review jobs are made only for reviewed cycles
                when = cycle.review.date
            items.append(_Item("apdr", title, senco, when, path, cycle=cycle.number, generated=True))
    items.append(_Item("provision_map", "Costed provision map, all cycles", senco, options.date, provision_map_document(pupil, la, register.provision_costs(pupil, options.date), docs / "provision-map.docx", term_dates=register.term_dates), generated=True))
    # With no child's views uploaded, the one-page profile made from the record stands in their place
    # (and carries the child's own words, so the summary below keeps only the latest review's).
    profile_job = next(iter(plan_jobs(register, "one-page-profile", on=options.date, pupils=[pupil])), None)
    profile = profile_job is not None and not any(i.section == "child_views" and not i.generated for i in items)
    if profile and profile_job is not None:
        title = "One-page profile: all about me"
        path = _render("one-page-profile", profile_job.context, options, docs / "one-page-profile.docx", logo, title)
        items.append(_Item("child_views", title, senco, options.date, path, generated=True))
    latest = pupil.latest_review
    own_words = "" if profile else pupil.pupil_views or ""
    summaries = [
        ("child_views", "The child's views (from the record)", [("In their own words", own_words), ("At the latest review", latest.pupil_views if latest and latest.pupil_views else "")]),
        ("parent_views", "Parents' and carers' views (from the record)", [("Their views", pupil.parent_views or ""), ("At the latest review", latest.parent_views if latest and latest.parent_views else "")]),
        ("attainment", "Attainment, progress and attendance", [("Attainment and progress" + (f" ({long_date(pupil.attainment_date)})" if pupil.attainment_date else ""), pupil.attainment or ""), ("Attendance", f"{pupil.attendance_percent:g}% {pupil.attendance_period or ''}".strip() if pupil.attendance_percent is not None else "")]),
        ("professional_reports", "External professionals involved", [(f"{p.role.label}: {p.name or ''} ({p.service})".replace(":  (", ": ("), _professional_text(p)) for p in pupil.professionals]),
        ("health", "Health and social care", [("What the record says", pupil.health_and_care or "")]),
    ]
    for section, title, parts in summaries:
        if any(text for _, text in parts):
            path = summary_document(title, pupil, parts, docs / f"summary-{section}.docx")
            items.append(_Item(section, title, senco, options.date, path, generated=True))
    return made


def _professional_text(professional) -> str:
    lines = []
    if professional.first_involved or professional.last_involved:
        lines.append(f"Involved from {long_date(professional.first_involved) or 'unknown'} to {long_date(professional.last_involved) or 'now'}.")
    if professional.report_date:
        lines.append(f"Latest report: {long_date(professional.report_date)}.")
    if professional.summary:
        lines.append(professional.summary)
    return "\n".join(lines) or "Involved."


def _by_date(items: list[_Item], *, newest_first: bool = False) -> list[_Item]:
    """Summaries from the record first, then the school's documents oldest first, or newest first
    (professional reports, §7.2: a panel reads the latest advice first); undated ones last."""
    dated = sorted((i for i in items if not i.generated and i.date), key=lambda i: i.date or dt.date.min, reverse=newest_first)
    undated = [i for i in items if not i.generated and not i.date]
    return [i for i in items if i.generated] + dated + undated


def _spec(pupil: Pupil, la: LocalAuthority, items: list[_Item], options: PackOptions, register) -> BundleSpec:
    sections = []
    for key in la.section_order:
        members = [i for i in items if i.section == key]
        if key == "apdr":
            children = []
            for cycle in pupil.cycles:
                documents = tuple(_document(i) for i in members if i.cycle == cycle.number)
                end = cycle.review.date if cycle.review else cycle.review_date
                label = f"Cycle {cycle.number}: {term_label(cycle.start_date, register.term_dates)} ({long_date(cycle.start_date)} to {long_date(end) if end else 'now'})"
                children.append(BundleSection(f"cycle-{cycle.number}", label, documents))
            section = BundleSection(key, la.label(key), (), tuple(c for c in children if c.documents))
        elif key == "request":
            section = BundleSection(key, la.label(key), tuple(_document(i) for i in members))
        else:
            ordered = _by_date(members, newest_first=key == "professional_reports")
            section = BundleSection(key, la.label(key), tuple(_document(i) for i in ordered))
        if not section.is_empty:
            sections.append(section)
    school = register.school.name if register.school else ""
    return BundleSpec(
        title="Request for an EHC needs assessment: evidence",
        subtitle_lines=(
            f"{pupil.full_name}, born {long_date(pupil.date_of_birth)}",
            f"UPN {pupil.upn}",
            school,
            f"To: {la.name}, {la.send_team_name}",
        ),
        initials=pupil.initials,
        pack_date=options.date,
        sections=tuple(sections),
        metadata_title="EHC needs assessment request: evidence bundle",
        metadata_subject="OFFICIAL-SENSITIVE",
    )


def _document(item: _Item) -> BundleDocument:
    assert item.pdf is not None  # the bundle is specified once every item has been converted
    return BundleDocument(item.title, item.author, item.date, item.pdf, kind=item.section, note=item.note)


def _write_manifest(items: list[_Item], spec: BundleSpec, bundle: BundleResult, path: Path, base: Path) -> None:
    by_pdf = {item.pdf: item for item in items if item.pdf is not None}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "document", "author", "date", "source", "source_sha256", "first_page", "last_page"])
    # The index lists documents in bundle order, which is the spec's order.
    for document, entry in zip(spec.all_documents(), bundle.index):
        item = by_pdf.get(document.source)
        if item is None or item.generated:
            source, digest = "made by senforms from the record", sha256_file(document.source) if item else entry.source_sha256
        else:
            source, digest = _relative(item.source, base), sha256_file(item.source)
        cells = [entry.section_label, entry.title, entry.author, entry.date.isoformat() if entry.date else "", source, digest, entry.first_page, entry.last_page]
        writer.writerow([csv_cell(cell) for cell in cells])
    write_atomic(path, buffer.getvalue().encode("utf-8"), overwrite=True)


def _relative(path: Path, base: Path) -> str:
    try:
        return shown_name(str(path.resolve().relative_to(base.resolve())))
    except ValueError:
        return shown_name(path.name)
