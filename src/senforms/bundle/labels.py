"""Page labels and document metadata, shared by the bundle and the files cut from it."""

from __future__ import annotations

import datetime as dt

from pypdf import PdfWriter
from pypdf.constants import PageLabelStyle
from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject


def label_pages(writer: PdfWriter, first_page_number: int) -> None:
    """Label pages with their printed bundle numbers; bundle page 1 (the cover) is "Cover"."""
    count = len(writer.pages)
    start = 0
    if first_page_number == 1:
        writer.set_page_label(0, 0, prefix="Cover")
        start = 1
    if start < count:
        writer.set_page_label(start, count - 1, style=PageLabelStyle.DECIMAL, start=first_page_number + start)


def set_metadata(writer: PdfWriter, title: str, subject: str, when: dt.date | None) -> None:
    writer.metadata = None  # drop pypdf's default /Producer; nothing from evidence was copied
    info = {"/Title": " ".join(title.split()), "/Producer": "senforms", "/Creator": "senforms"}
    if subject:
        info["/Subject"] = " ".join(subject.split())
    if when is not None:
        # The pack date, not the clock: reruns of the same pack give the same bytes.
        info["/CreationDate"] = when.strftime("D:%Y%m%d000000Z")
    writer.add_metadata(info)
    writer.page_mode = "/UseOutlines"  # open with the bookmarks showing
    # Navigable, not tagged (README, Accessibility): no /MarkInfo, but a screen reader reading
    # the text still needs its language, and the title rather than the file name.
    writer.root_object[NameObject("/Lang")] = TextStringObject("en-GB")
    writer.root_object[NameObject("/ViewerPreferences")] = DictionaryObject({NameObject("/DisplayDocTitle"): BooleanObject(True)})

