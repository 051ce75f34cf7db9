"""Text too long for its field: cut at a word with a pointer, and the whole text on an addendum.

Nothing is ever silently cut: a value longer than a field's maximum length, or than its box can
show at the smallest legible size, is cut at a word boundary with "(continued in the addendum,
box N)", and the full text goes on an addendum page at the end of the form.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MARKER = "(continued in the addendum, box {box})"
SHORT_MARKER = "(see addendum {box})"


@dataclass(frozen=True)
class Overflow:
    """One field whose full text is on the addendum."""

    box: int
    field: str
    label: str
    text: str


def marker(box: int) -> str:
    return MARKER.format(box=box)


def cut_to_length(text: str, limit: int, box: int) -> str:
    """At most `limit` characters: whole words of `text` then the marker (the short one in a small field)."""
    pointer = marker(box)
    if len(pointer) + 8 > limit:
        pointer = SHORT_MARKER.format(box=box)
    room = limit - len(pointer) - 1
    if room <= 0:
        return pointer[:limit]
    kept = text[:room]
    if len(text) > room and not text[room].isspace() and " " in kept:
        kept = kept.rsplit(" ", 1)[0]  # end on a whole word
    return (kept.rstrip() + " " + pointer).strip()


def addendum_pdf(form_name: str, who: str, overflows: list[Overflow]) -> bytes:
    """A4 pages holding each overflowing field's whole text under its box number and label."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from senforms.forms.pdf_text import fonts

    font = fonts()[0].name
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=14)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=body, fontSize=14, leading=18, spaceAfter=6)
    story = [Paragraph(_escape(f"Addendum to {form_name}"), title), Paragraph(_escape(f"For {who}. The text of each box below did not fit in the form."), body), Spacer(1, 4 * mm)]
    for item in overflows:
        story.append(Paragraph(_escape(f"Box {item.box}: {item.label or item.field}"), heading))
        for paragraph in item.text.split("\n"):
            story.append(Paragraph(_escape(paragraph) or "&nbsp;", body))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm, title=f"Addendum to {form_name}", author="senforms", invariant=1)
    document.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    # reportlab paragraphs are a small markup language: the text must be data, never markup
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
