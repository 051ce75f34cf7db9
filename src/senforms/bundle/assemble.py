"""Assemble one bundle PDF from a BundleSpec: sources, front matter, stamps, links, bookmarks, labels.

Design (see also the module's tests, which check every promise below on real output):

- Each source is read **once**: hashed, parsed and appended into one fresh `PdfWriter`. The cover
  and index ("front matter") are drawn afterwards, when every document's page count is known,
  and inserted in front. The index is laid out once; its page-number column never wraps, so
  the numbers, filled in as it is drawn, cannot change its length.
- Page numbers are physical: the cover is page 1. The stamp "Page n of N", the index, the
  bookmarks and the PDF page labels all agree. Page labels: the cover is labelled "Cover", every
  other page with its decimal number (2, 3, …), so a viewer's page box shows the printed number.
- Stamps (marking header, "Page n of N · initials · date" footer) are small form XObjects
  drawn after each page's own content, which is wrapped, never parsed or rewritten (`stamp`,
  `pagegeometry`): rotation is baked in, so stamps sit upright, and evidence is shrunk a little
  so they sit in clear bands. The PDF is written once.
- Split parts and section files (`ranges`) copy pages of the finished bundle, so their stamped
  numbers and page labels stay those of the whole bundle and the index stays true.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import Fit, IndirectObject

from senforms.bundle.evidence_worker import resolve_named_destinations, strip_page_active_content
from senforms.bundle.frontmatter import draw_front_matter
from senforms.bundle.labels import label_pages, set_metadata
from senforms.bundle.plan import IndexRow, plan_rows
from senforms.bundle.protect import encrypt
from senforms.bundle.spec import BundleDocument, BundleSection, BundleSpec
from senforms.bundle.stamp import stamp_pages
from senforms.errors import EvidenceError, OutputExistsError, SenformsError
from senforms.outputs.atomic import atomic_path, write_atomic
from senforms.outputs.cells import csv_cell
from senforms.ukformat import long_date

__all__ = ["BundleResult", "IndexEntry", "SectionRange", "build_bundle"]


@dataclass(frozen=True)
class IndexEntry:
    """One document as the index lists it. Pages are 1-based bundle page numbers."""

    section_label: str
    title: str
    author: str
    date: dt.date | None
    first_page: int
    last_page: int
    source_sha256: str


class SectionRange(NamedTuple):
    """A top-level section's place in the bundle (1-based, inclusive)."""

    label: str
    first_page: int
    last_page: int


@dataclass(frozen=True)
class BundleResult:
    """What `build_bundle` made. `sections` lists the top-level sections that have pages."""

    path: Path
    pages: int
    index: list[IndexEntry]
    sections: list[SectionRange]


# --------------------------------------------------------------------------------------------
# Building


# What pypdf raises on a file it cannot make sense of.
_PARSE_ERRORS = (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError)


def _read_source(document: BundleDocument) -> tuple[PdfReader, str]:
    """Read a source once: its bytes feed both the hash and the parser."""
    path = Path(document.source)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"{name}: the file cannot be opened ({exc.strerror or exc}).") from None
    if b"%PDF-" not in data[:1024]:
        raise EvidenceError(f"{name}: this is not a PDF: take it in with intake first, which converts it.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EvidenceError(
                f"{name}: this file is encrypted: take it in with intake first, which unlocks and cleans it."
            )
        if len(reader.pages) == 0:
            raise EvidenceError(f"{name}: the file is damaged: ask for a new copy (it has no pages).")
    except _PARSE_ERRORS:
        raise EvidenceError(f"{name}: the file is damaged: ask for a new copy.") from None
    return reader, hashlib.sha256(data).hexdigest()


def build_bundle(
    spec: BundleSpec,
    out_pdf: Path,
    *,
    overwrite: bool = False,
    password: str | None = None,
    manifest_csv: Path | None = None,
) -> BundleResult:
    """Write the bundle PDF for `spec` to `out_pdf` (atomically) and describe what is where.

    Sources must be clean PDFs (intake output or generated documents); they are trusted to
    parse, but active content is still stripped. `password` encrypts with AES-256 and a
    distinct random owner password. `manifest_csv` lists each source's SHA-256 and pages.
    Raises OutputExistsError if an output exists and `overwrite` is False.
    """
    out_pdf = Path(out_pdf)
    for target in (out_pdf, manifest_csv):
        if target is not None and Path(target).exists() and not overwrite:
            raise OutputExistsError(target)
    if next(spec.all_documents(), None) is None:
        raise SenformsError("The bundle has no documents: add at least one before building it.")

    rows = plan_rows(spec)
    writer = PdfWriter()
    _append_sources(writer, rows)
    front, index_pages, placed = draw_front_matter(spec, rows, body_pages=len(writer.pages))
    offset = 1 + index_pages  # cover + index pages come before the first document
    writer.merge(0, PdfReader(io.BytesIO(front)), import_outline=False)
    total = len(writer.pages)

    _make_safe(writer)
    stamp_pages(writer, spec, evidence_from=offset)
    for place in placed:
        assert place.row.first is not None
        writer.add_annotation(
            1 + place.page,
            Link(rect=place.rect, target_page_index=place.row.first + offset, fit=Fit.fit()),
        )
    _add_outline(writer, rows, offset)
    label_pages(writer, first_page_number=1)
    set_metadata(writer, spec.metadata_title, spec.metadata_subject, spec.pack_date)
    _drop_unreachable(writer)
    if password is not None:
        encrypt(writer, password)

    with atomic_path(out_pdf, overwrite=overwrite) as temp:
        with open(temp, "wb") as handle:
            writer.write(handle)

    index = [
        IndexEntry(
            section_label=row.section_label,
            title=row.document.title,
            author=row.document.author,
            date=row.document.date,
            first_page=row.first + offset + 1,
            last_page=row.last + offset + 1,
            source_sha256=row.sha256,
        )
        for row in rows
        if row.document is not None and row.first is not None and row.last is not None
    ]
    sections = [
        SectionRange(row.section.label, row.first + offset + 1, row.last + offset + 1)
        for row in rows
        if row.section is not None and row.depth == 0 and row.first is not None and row.last is not None
    ]
    result = BundleResult(path=out_pdf, pages=total, index=index, sections=sections)
    if manifest_csv is not None:
        _write_manifest(rows, offset, Path(manifest_csv), overwrite=overwrite)
    return result


def _append_sources(writer: PdfWriter, rows: list[IndexRow]) -> None:
    """Append every document, recording its pages (0-based, before front matter) and hash."""
    for row in rows:
        if row.document is None:
            continue
        reader, row.sha256 = _read_source(row.document)
        start = len(writer.pages)
        try:
            resolve_named_destinations(reader)  # generated documents skip intake
            writer.append(reader, import_outline=False)
        except _PARSE_ERRORS:
            name = Path(row.document.source).name
            raise EvidenceError(f"{name}: the file is damaged: ask for a new copy.") from None
        row.cover(start, len(writer.pages) - 1)
        del reader  # free this source's bytes before reading the next


def _make_safe(writer: PdfWriter) -> None:
    """Strip active content (again: generated documents skip intake)."""
    for page in writer.pages:
        strip_page_active_content(page)
    for key in ("/AcroForm", "/Names", "/OpenAction", "/AA", "/Metadata"):
        writer.root_object.pop(key, None)


def _drop_unreachable(writer: PdfWriter) -> None:
    """Leave out every object nothing reachable from the catalogue or /Info refers to: what was
    stripped (XMP, name trees, forms) and what `append` copied but nothing uses.

    pypdf's `compress_identical_objects` does this too, but hashes every object (image data
    included) first: a third of the bundle's time. Identical objects from different sources are
    rare (each producer embeds its own font subsets), so they are not merged.
    """
    objects = writer._objects
    reached = [False] * len(objects)
    stack: list[Any] = [writer._root_object, writer._info]
    for start in stack:
        if start is not None and start.indirect_reference is not None:
            reached[start.indirect_reference.idnum - 1] = True
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            values: Any = item.values()
        elif isinstance(item, list):
            values = item
        else:
            continue
        for value in values:
            if isinstance(value, IndirectObject):
                if value.pdf is writer and 0 < value.idnum <= len(objects) and not reached[value.idnum - 1]:
                    reached[value.idnum - 1] = True
                    stack.append(objects[value.idnum - 1])
            elif isinstance(value, (dict, list)):
                stack.append(value)
    for number, kept in enumerate(reached):
        if not kept:
            objects[number] = None


def _add_outline(writer: PdfWriter, rows: list[IndexRow], offset: int) -> None:
    writer.add_outline_item(title="Cover", page_number=0, fit=Fit.fit())
    writer.add_outline_item(title="Index", page_number=1, fit=Fit.fit())
    for row in rows:
        if row.first is None:
            continue  # empty section: nothing to point at
        parent = row.parent.outline if row.parent is not None else None
        item = row.section or row.document
        assert item is not None
        title = item.label if isinstance(item, BundleSection) else item.title
        row.outline = writer.add_outline_item(
            title=" ".join(title.split()),
            page_number=row.first + offset,
            parent=parent,
            fit=Fit.fit(),
            is_open=row.section is not None and row.depth == 0,
        )


def _write_manifest(rows: list[IndexRow], offset: int, path: Path, *, overwrite: bool) -> None:
    """One CSV row per document: where it is in the bundle and the SHA-256 of its source."""
    out = io.StringIO()
    table = csv.writer(out, lineterminator="\r\n")
    table.writerow(
        ["Section", "Document", "Author", "Date", "First page", "Last page", "Pages", "Source file", "SHA-256"]
    )
    for row in rows:
        doc = row.document
        if doc is None or row.first is None or row.last is None:
            continue
        table.writerow(
            [
                csv_cell(row.section_label),
                csv_cell(doc.title),
                csv_cell(doc.author),
                long_date(doc.date),
                row.first + offset + 1,
                row.last + offset + 1,
                row.page_text(offset),
                csv_cell(Path(doc.source).name),
                row.sha256,
            ]
        )
    # UTF-8 with a byte-order mark, so Excel shows accented names correctly.
    write_atomic(path, out.getvalue().encode("utf-8-sig"), overwrite=overwrite)


