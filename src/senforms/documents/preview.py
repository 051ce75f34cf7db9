"""A made document as plain blocks of text in reading order, for a preview on screen (the web app)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph


@dataclass(frozen=True)
class Block:
    kind: Literal["heading", "paragraph", "table"]
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    level: int = 2


def preview_blocks(path: Path) -> list[Block]:
    """Headings, paragraphs and tables of the body, in order; empty paragraphs left out."""
    document = Document(str(path))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if style.startswith("Heading") or style == "Title":
                level = int(style.split()[-1]) + 1 if style.split()[-1].isdigit() else 2
                blocks.append(Block("heading", text, level=min(max(level, 2), 6)))
            else:
                blocks.append(Block("paragraph", text))
        elif isinstance(item, Table):
            rows = tuple(tuple(_unique_cells(row.cells)) for row in item.rows)
            if any(any(cell for cell in row) for row in rows):
                blocks.append(Block("table", rows=rows))
    return blocks


def _unique_cells(cells) -> list[str]:
    """Merged cells appear once per grid column in python-docx: show each once."""
    seen: list[int] = []
    texts = []
    for cell in cells:
        if id(cell._tc) in seen:
            continue
        seen.append(id(cell._tc))
        texts.append(cell.text.strip())
    return texts
