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
from senforms.model.calendar import NO_TERM_DATES, TermDates, term_label
from senforms.model.costing import ProvisionCosts
from senforms.outputs.atomic import write_atomic
from senforms.ukformat import long_date, money, short_date

PROVISION_COLUMNS = ("Cycle", "Provision", "How often", "Group", "Staff", "Dates", "How the cost is reached", "Cost in the 12 months")


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


def provision_map_document(pupil: Pupil, la: LocalAuthority, costs: ProvisionCosts, path: Path, *, term_dates: TermDates = NO_TERM_DATES) -> Path:
    """Every provision row of every cycle, oldest first, with the arithmetic of the pupil's cost over
    the 12 months before the request, cycle totals and the total compared with the notional threshold."""
    document = _new_document(landscape=True)
    document.add_heading("Costed provision map", 1)
    document.add_paragraph(f"{pupil.full_name} (UPN {pupil.upn}), date of birth {long_date(pupil.date_of_birth)}")
    document.add_paragraph(
        f"What {pupil.known_as}'s SEN support cost over {costs.period}. Each row's annual cost is the one the school "
        "typed, or sessions × minutes × weeks × the staff's hourly rate; for a group, the cost is shared by the "
        "pupils in it; and each row counts only the days it ran in those 12 months."
    )
    table = document.add_table(rows=1, cols=len(PROVISION_COLUMNS))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, PROVISION_COLUMNS):
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True
    for cycle in pupil.cycles:
        rows = [row for row in costs.rows if row.cycle is cycle]
        for row in rows:
            cells = table.add_row().cells
            p = row.provision
            values = (
                f"{cycle.number} ({term_label(cycle.start_date, term_dates)})",
                p.description,
                p.frequency,
                p.group,
                p.staff_role,
                f"{short_date(row.start)} to {short_date(row.end)}",
                row.arithmetic,
                money(row.cost),
            )
            for cell, value in zip(cells, values):
                cell.text = value
        totals = table.add_row().cells
        totals[0].text = f"Cycle {cycle.number} total"
        totals[7].text = money(costs.cycle_total(cycle))
        for cell in (totals[0], totals[7]):
            cell.paragraphs[0].runs[0].bold = True
    threshold = la.notional_threshold
    document.add_paragraph()
    summary = document.add_paragraph()
    summary.add_run(f"Cost over {costs.period}: {money(costs.total)}").bold = True
    gap = costs.total - threshold
    if gap >= Decimal("0"):
        summary.add_run(f", which is {money(gap)} above the notional {money(threshold, pence=False)} a school is expected to fund from its SEN budget (element 2).")
    else:
        summary.add_run(f", which is {money(-gap)} below the notional {money(threshold, pence=False)} a school is expected to fund from its SEN budget (element 2).")
        document.add_paragraph(la.below_threshold_note)
    for row in costs.rows:
        if row.far_from_computed:
            document.add_paragraph(
                f"Note: the typed cost of '{row.provision.description}' (cycle {row.cycle.number}) is far from {row.computation}."
            )
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
