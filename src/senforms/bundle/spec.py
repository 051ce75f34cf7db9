"""What a bundle is made of: an ordered, nested plan of sections and PDF documents.

These are plain frozen values with no knowledge of pupils or schools, so the engine can be
tested on its own and the planner (which turns a pupil record into a spec) stays separate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BundleDocument:
    """One PDF in the bundle, as the index describes it.

    `source` must already be a clean PDF (run evidence files through `intake` first).
    `kind` is a free label for the planner (for example "plan", "review", "report");
    `note` is shown under the title in the index (for example "Copy/print restrictions removed").
    """

    title: str
    author: str
    date: dt.date | None
    source: Path
    kind: str = ""
    note: str = ""


@dataclass(frozen=True)
class BundleSection:
    """A titled group of documents, optionally with sub-sections after its own documents.

    `key` is an ASCII identifier used for file names (for example "apdr"), never shown as a title.
    """

    key: str
    label: str
    documents: tuple[BundleDocument, ...] = ()
    children: tuple[BundleSection, ...] = ()

    def all_documents(self) -> Iterator[BundleDocument]:
        """This section's documents, then its sub-sections' documents, in bundle order."""
        yield from self.documents
        for child in self.children:
            yield from child.all_documents()

    @property
    def is_empty(self) -> bool:
        """True when neither this section nor any sub-section has a document."""
        return next(self.all_documents(), None) is None


@dataclass(frozen=True, kw_only=True)
class BundleSpec:
    """The whole bundle: cover text, stamping details and the sections in order.

    `subtitle_lines` are printed on the cover under the title (pupil name, school, LA, date).
    `initials` and `pack_date` go in every page footer; `marking` in every page header.
    `metadata_title`/`metadata_subject` become the PDF's document properties; keep personal
    data out of them if the file may travel unencrypted. Fields are keyword-only.
    """

    title: str
    subtitle_lines: tuple[str, ...]
    initials: str
    pack_date: dt.date
    marking: str = "OFFICIAL-SENSITIVE"
    sections: tuple[BundleSection, ...]
    metadata_title: str
    metadata_subject: str = ""

    def all_documents(self) -> Iterator[BundleDocument]:
        """Every document in bundle order."""
        for section in self.sections:
            yield from section.all_documents()
