"""Pages the pack needs that are not templates: the costed provision map and record summaries.

Built as Word documents so they go through the same LibreOffice pass as the plans and reviews,
with the same fonts and right-to-left script handling.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Mm, Pt

from senforms.documents.templating import normalise_docx
from senforms.model import LocalAuthority, Pupil
from senforms.model.calendar import term_label
from senforms.outputs.atomic import write_atomic
from senforms.ukformat import long_date, money

PROVISION_COLUMNS = ("Cycle", "Provision", "Area of need", "How often", "Group", "Staff", "Hours a week", "Annual cost")


def _new_document(landscape: bool = False):
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10.5)
    section = document.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    properties = document.core_properties
    properties.author = "senforms"
    properties.last_modified_by = "senforms"
    return document


def _save(document, path: Path) -> Path:
    buffer = io.BytesIO()
    document.save(buffer)
    return write_atomic(path, normalise_docx(buffer.getvalue()), overwrite=True)


def provision_map_document(pupil: Pupil, la: LocalAuthority, path: Path) -> Path:
    """Every provision row of every cycle, oldest first, with weekly hours, annual costs and totals."""
    document = _new_document(landscape=True)
    document.add_heading("Costed provision map", 1)
    document.add_paragraph(f"{pupil.full_name} (UPN {pupil.upn}), date of birth {long_date(pupil.date_of_birth)}")
    table = document.add_table(rows=1, cols=len(PROVISION_COLUMNS))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, PROVISION_COLUMNS):
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True
    for cycle in pupil.cycles:
        for row in cycle.provision:
            cells = table.add_row().cells
            values = (
                f"{cycle.number} ({term_label(cycle.start_date)})",
                row.description,
                row.area.label if row.area else "",
                row.frequency,
                row.group,
                row.staff_role,
                f"{row.weekly_hours:g}",
                money(row.annual_cost),
            )
            for cell, value in zip(cells, values):
                cell.text = value
        totals = table.add_row().cells
        totals[0].text = f"Cycle {cycle.number} total"
        totals[6].text = f"{cycle.weekly_hours:g}"
        totals[7].text = money(cycle.annual_cost)
        for cell in (totals[0], totals[6], totals[7]):
            cell.paragraphs[0].runs[0].bold = True
    current = pupil.annual_provision_cost
    threshold = la.notional_threshold
    document.add_paragraph()
    summary = document.add_paragraph()
    summary.add_run(f"Current provision: {money(current)} a year").bold = True
    gap = current - threshold
    if gap >= Decimal("0"):
        text = f", which is {money(gap)} above the notional {money(threshold, pence=False)} a school is expected to fund from its SEN budget (element 2)."
    else:
        text = f", which is {money(-gap)} below the notional {money(threshold, pence=False)} a school is expected to fund from its SEN budget (element 2)."
    summary.add_run(text)
    document.add_paragraph("Costs are for a full school year of the provision as planned in each cycle.")
    return _save(document, path)


def summary_document(title: str, pupil: Pupil, sections: list[tuple[str, str]], path: Path) -> Path:
    """A page of what the record says (views, attainment, health), headed and dated."""
    document = _new_document()
    document.add_heading(title, 1)
    document.add_paragraph(f"{pupil.full_name} (UPN {pupil.upn}), date of birth {long_date(pupil.date_of_birth)}")
    for heading, text in sections:
        if not text:
            continue
        document.add_heading(heading, 2)
        for paragraph in text.split("\n"):
            document.add_paragraph(paragraph)
    return _save(document, path)
