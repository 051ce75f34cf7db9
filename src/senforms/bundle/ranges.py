"""Copying page ranges of a finished bundle: a PDF per section, and parts under an email size limit."""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, Fit, IndirectObject

from senforms.bundle.assemble import BundleResult
from senforms.bundle.labels import label_pages, set_metadata
from senforms.bundle.protect import encrypt
from senforms.bundle.spec import BundleSpec
from senforms.errors import OutputExistsError, SenformsError
from senforms.outputs.atomic import TEMP_PREFIX, atomic_path, ensure_folder

# --------------------------------------------------------------------------------------------
# Copying page ranges of a finished bundle: section files and size-capped parts.

_NO_METADATA: dict[str, object] = {}  # stands in for a PDF without a document information dictionary


@dataclass
class _Mark:
    """A bookmark of the finished bundle: title, first and last 0-based page, sub-bookmarks."""

    title: str
    page: int
    end: int = -1
    children: list[_Mark] = field(default_factory=list)


def _read_marks(reader: PdfReader) -> list[_Mark]:
    """The bundle's bookmarks, each with the last page it covers.

    A document runs until the next bookmark that starts on a later page; a section runs to
    the end of its last document.
    """

    def convert(items: list[Any]) -> list[_Mark]:
        marks: list[_Mark] = []
        for item in items:
            if isinstance(item, list):
                if marks:
                    marks[-1].children.extend(convert(item))
                continue
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:
                marks.append(_Mark(str(item.title), page))
        return marks

    def walk(marks: list[_Mark]) -> list[_Mark]:
        return [m for mark in marks for m in (mark, *walk(mark.children))]

    def close_sections(mark: _Mark) -> int:
        for child in mark.children:
            mark.end = max(mark.end, close_sections(child))
        return mark.end

    roots = convert(reader.outline)
    flat = walk(roots)
    last_page = len(reader.pages) - 1
    for number, mark in enumerate(flat):
        later = (m.page for m in flat[number + 1 :] if m.page > mark.page)
        mark.end = next(later, last_page + 1) - 1 if not mark.children else mark.page
    for root in roots:
        close_sections(root)
    return roots


def _marks_in(marks: list[_Mark], first: int, last: int) -> list[_Mark]:
    """The bookmarks covering any of pages first..last, keeping the nesting.

    A section or document that starts before `first` is kept as "<title> (continued)",
    pointing at the first page of the range.
    """
    kept: list[_Mark] = []
    for mark in marks:
        if mark.page > last or mark.end < first:
            continue
        children = _marks_in(mark.children, first, last)
        if mark.page >= first:
            kept.append(_Mark(mark.title, mark.page, mark.end, children))
        else:
            kept.append(_Mark(f"{mark.title} (continued)", first, mark.end, children))
    return kept


@dataclass(frozen=True)
class SplitResult:
    """The parts, in order, and what the SENCo should know about them (a page over the limit)."""

    parts: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


def _open_bundle(bundle_pdf: Path, password: str | None) -> PdfReader:
    reader = PdfReader(bundle_pdf)
    if reader.is_encrypted:
        if password is None or not reader.decrypt(password):
            raise SenformsError(
                f"{bundle_pdf.name}: this bundle is encrypted: give its password to split it.",
                fix="pass the same password used to build the bundle",
            )
    return reader


def _write_range(
    reader: PdfReader,
    marks: list[_Mark],
    first: int,
    last: int,
    dest: Any,
    *,
    title: str,
    password: str | None,
) -> None:
    """Write bundle pages first..last (0-based, inclusive) as a PDF of their own to `dest`.

    Links whose target is outside the range are dropped by pypdf's append; bookmarks are
    rebuilt for the range; page labels keep the bundle's numbers.
    """
    writer = PdfWriter()
    writer.append(reader, pages=list(range(first, last + 1)), import_outline=False)

    def add(items: list[_Mark], parent: Any) -> None:
        for mark in items:
            ref = writer.add_outline_item(
                title=mark.title, page_number=mark.page - first, parent=parent, fit=Fit.fit()
            )
            add(mark.children, ref)

    add(_marks_in(marks, first, last), None)
    label_pages(writer, first_page_number=first + 1)
    subject = str((reader.metadata or _NO_METADATA).get("/Subject", "") or "")
    set_metadata(writer, title, subject, None)
    if password is not None:
        encrypt(writer, password)
    writer.write(dest)


def _slug(key: str) -> str:
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_key.lower()).strip("-")[:40] or "section"


def write_sections(
    spec: BundleSpec,
    result: BundleResult,
    out_dir: Path,
    *,
    password: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write each top-level section of a built bundle as its own PDF, for portal uploads.

    Files are named `<NN>-<section key>.pdf` (NN = the section's place in the spec), never from
    pupil names. Pages keep the whole bundle's stamped numbers. `password` opens an encrypted
    bundle and encrypts each file with it.
    """
    out_dir = Path(out_dir)
    reader = _open_bundle(result.path, password)
    marks = _read_marks(reader)
    bundle_title = str((reader.metadata or _NO_METADATA).get("/Title", "") or spec.metadata_title)
    # result.sections lists the non-empty top-level sections in spec order.
    filled = [(n, s) for n, s in enumerate(spec.sections, start=1) if not s.is_empty]
    if [s.label for _, s in filled] != [r.label for r in result.sections]:
        raise SenformsError("These sections do not match the bundle: build the bundle again first.")
    planned = [(n, s, r) for (n, s), r in zip(filled, result.sections)]
    written: list[Path] = []
    targets = [out_dir / f"{number:02d}-{_slug(section.key)}.pdf" for number, section, _ in planned]
    _refuse_existing(targets, overwrite)
    for target, (_, section, pages) in zip(targets, planned):
        with atomic_path(target, overwrite=overwrite) as temp:
            with open(temp, "wb") as handle:
                _write_range(
                    reader,
                    marks,
                    pages.first_page - 1,
                    pages.last_page - 1,
                    handle,
                    title=f"{bundle_title}: {' '.join(section.label.split())}",
                    password=password,
                )
        written.append(target)
    return written


def _refuse_existing(targets: Sequence[Path], overwrite: bool) -> None:
    if overwrite:
        return
    for target in targets:
        if target.exists():
            raise OutputExistsError(target)


def split_by_size(
    bundle_pdf: Path,
    max_mb: float,
    out_dir: Path,
    *,
    password: str | None = None,
    overwrite: bool = False,
) -> SplitResult:
    """Cut a built bundle into numbered parts (`<name>-part-1-of-3.pdf`), each under `max_mb`.

    Cuts fall only between pages; stamped numbers and page labels stay the whole bundle's, so
    the index stays true. A page that is over the cap by itself becomes a part of its own and the
    result's `warnings` say so. `max_mb` is in megabytes of 1,000,000 bytes (file size, before any
    email encoding adds about a third). `password` opens an encrypted bundle and encrypts parts.
    """
    bundle_pdf = Path(bundle_pdf)
    out_dir = Path(out_dir)
    if max_mb <= 0:
        raise SenformsError("The part size must be more than 0 MB.")
    cap = int(max_mb * 1_000_000)
    reader = _open_bundle(bundle_pdf, password)
    marks = _read_marks(reader)
    title = str((reader.metadata or _NO_METADATA).get("/Title", "") or bundle_pdf.stem)
    costs = _PageCosts(reader)
    count = len(reader.pages)
    ensure_folder(out_dir)

    parts: list[tuple[int, int, Path]] = []  # first, last, temporary file
    notes: list[str] = []
    temp: Path | None = None
    try:
        first = 0
        while first < count:
            last = costs.pages_within(first, cap)
            while True:
                temp = _temp_in(out_dir)
                with open(temp, "wb") as handle:
                    _write_range(reader, marks, first, last, handle, title=title, password=password)
                size = temp.stat().st_size
                if size <= cap or last == first:
                    break
                temp.unlink()
                # Too big: the estimate was optimistic. Shrink in proportion and try again.
                span = last - first + 1
                last = first + max(0, min(span - 2, math.floor(span * cap / size * 0.97) - 1))
            if size > cap:
                notes.append(
                    f"Page {first + 1} is {size / 1e6:.1f} MB on its own, over the "
                    f"{max_mb:g} MB limit: it is in a part by itself, which is over the limit too "
                    "(scan that page again at a lower resolution, or send that part another way)."
                )
            parts.append((first, last, temp))
            first = last + 1

        total = len(parts)
        targets = [out_dir / f"{bundle_pdf.stem}-part-{n}-of-{total}.pdf" for n in range(1, total + 1)]
        _refuse_existing(targets, overwrite)
        for (_, _, temp), target in zip(parts, targets):
            with atomic_path(target, overwrite=overwrite) as final_temp:
                os.replace(temp, final_temp)
        return SplitResult(tuple(targets), tuple(notes))
    finally:
        for leftover in [temp, *(part[2] for part in parts)]:
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _temp_in(folder: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=".pdf")
    os.close(fd)
    return Path(name)


class _PageCosts:
    """Estimates how many bytes a run of pages needs, counting shared objects (fonts) once.

    Object sizes come from the gaps between xref offsets of the bundle file itself, so they
    are close to what a part file will need; the estimate is then checked by writing.
    """

    # Keys that point at other pages or up the page tree, not at what this page draws.
    _SKIP = frozenset({"/Parent", "/P", "/Dest", "/D", "/Prev", "/Next", "/First", "/Last", "/Popup"})
    _OVERHEAD = 4_000  # header, catalogue, page tree, outline, xref

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.sizes = self._object_sizes(reader)
        self._objects: dict[int, frozenset[int]] = {}

    @staticmethod
    def _object_sizes(reader: PdfReader) -> dict[int, int]:
        offsets = sorted((offset, idnum) for idnum, offset in reader.xref.get(0, {}).items())
        position = reader.stream.tell()
        end = reader.stream.seek(0, os.SEEK_END)
        reader.stream.seek(position)
        sizes: dict[int, int] = {}
        for (offset, idnum), (following, _) in zip(offsets, offsets[1:] + [(end, 0)]):
            sizes[idnum] = max(0, following - offset)
        return sizes

    def objects(self, index: int) -> frozenset[int]:
        """The object numbers page `index` needs, found by walking its references."""
        if index not in self._objects:
            page = self.reader.pages[index]
            seen: set[int] = set()
            if page.indirect_reference is not None:
                seen.add(page.indirect_reference.idnum)
            stack: list[Any] = [page]
            while stack:
                node = stack.pop()
                if isinstance(node, DictionaryObject):
                    values = [v for k, v in node.items() if k not in self._SKIP]
                elif isinstance(node, ArrayObject):
                    values = list(node)
                else:
                    continue
                for value in values:
                    if isinstance(value, IndirectObject):
                        if value.idnum not in seen:
                            seen.add(value.idnum)
                            stack.append(value.get_object())
                    elif isinstance(value, (DictionaryObject, ArrayObject)):
                        stack.append(value)
            self._objects[index] = frozenset(seen)
        return self._objects[index]

    def pages_within(self, first: int, cap: int) -> int:
        """The last page index such that first..last is estimated to fit in `cap` bytes."""
        used: set[int] = set()
        size = self._OVERHEAD
        last = first
        for index in range(first, len(self.reader.pages)):
            new = self.objects(index) - used
            extra = sum(self.sizes.get(n, 200) for n in new) + 120  # + outline and label entries
            if index > first and size + extra > cap * 0.97:
                break
            used |= new
            size += extra
            last = index
        return last


