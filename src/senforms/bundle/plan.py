"""The bundle spec flattened into index rows, whose page ranges fill in as pages are added."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from senforms.bundle.spec import BundleDocument, BundleSection, BundleSpec
from senforms.bundle.typeset import DASH

# --------------------------------------------------------------------------------------------
# The plan: the spec flattened into index rows, with page ranges filled in as pages are added.


@dataclass
class IndexRow:
    """One index row: a section heading or a document. Pages are 0-based bundle indexes."""

    depth: int
    section: BundleSection | None = None
    document: BundleDocument | None = None
    section_label: str = ""
    parent: IndexRow | None = None
    first: int | None = None
    last: int | None = None
    sha256: str = ""
    outline: Any = None  # the bookmark, once made
    continued: bool = False  # a repeat of a section heading at the top of an index page

    def cover(self, first: int, last: int) -> None:
        """Widen this row's range (and every ancestor's) to include pages first..last."""
        row: IndexRow | None = self
        while row is not None:
            row.first = first if row.first is None else min(row.first, first)
            row.last = last if row.last is None else max(row.last, last)
            row = row.parent

    def page_text(self, offset: int) -> str:
        if self.first is None or self.last is None:
            return ""
        first, last = self.first + offset + 1, self.last + offset + 1
        return str(first) if first == last else f"{first}{DASH}{last}"


def plan_rows(spec: BundleSpec) -> list[IndexRow]:
    rows: list[IndexRow] = []

    def walk(section: BundleSection, depth: int, parent: IndexRow | None) -> None:
        heading = IndexRow(depth=depth, section=section, section_label=section.label, parent=parent)
        rows.append(heading)
        for document in section.documents:
            rows.append(IndexRow(depth + 1, document=document, section_label=section.label, parent=heading))
        for child in section.children:
            walk(child, depth + 1, heading)

    for section in spec.sections:
        walk(section, 0, None)
    return rows


