"""Write the register workbook: the blank template schools fill in, or a register as a workbook."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from senforms.inputs.tables import INSTRUCTIONS_SHEET, SCHOOL_SETTINGS, SCHOOL_SHEET, TABLES, Column, Table
from senforms.model import Register
from senforms.model.codes import _Coded
from senforms.outputs.atomic import write_atomic
from senforms.outputs.cells import keep_as_text

DATA_ROWS = 1_000  # formatting and drop-downs reach this far down each sheet
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
REQUIRED_FONT = Font(bold=True, color="FFE699")
LISTS_SHEET = "Lists"

INSTRUCTIONS = [
    ("senforms SEN register", "title"),
    ("This workbook holds your school's SEN register for senforms. Fill in one sheet at a time; each sheet's first row names its columns.", ""),
    ("", ""),
    ("How to fill it in", "heading"),
    ("1. School: your school's details, SENCo, head teacher and local authority.", ""),
    ("2. Pupils: one row per pupil on the SEN register. UPN, names, date of birth, year group, SEN status and primary need are required.", ""),
    ("3. Contacts: parents and carers, linked to the pupil by UPN. Say Yes under Parental responsibility for those who have it.", ""),
    ("4. Cycles, Outcomes, Provision, Reviews: each Assess–Plan–Do–Review cycle, linked by UPN and cycle number (1, 2, 3…).", ""),
    ("5. Meetings, Evidence, Consent, Professionals: as they happen.", ""),
    ("", ""),
    ("Rules that save trouble", "heading"),
    ("• Dates: type them as dd/mm/yyyy (e.g. 03/03/2026). US order (month first) is refused.", ""),
    ("• UPNs and phone numbers are text: the columns are formatted so the leading zero stays.", ""),
    ("• Use the drop-down lists for coded columns (SEN status, need, decision…).", ""),
    ("• Column headings in yellow are required. Do not merge cells.", ""),
    ("• Lists in one cell (attendees, outcome IDs) are separated with ;", ""),
    ("", ""),
    ("Check your work with:  senforms validate register.xlsx", "code"),
    ("Every problem is listed with its sheet, row and column, and how to fix it.", ""),
]


def _display(column: Column, value: Any) -> Any:
    """A model value as a spreadsheet cell shows it."""
    if value is None:
        return None
    if isinstance(value, _Coded):
        return value.value if column.choices() and value.value in column.choices() else value.label
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if column.field == "year_group" and isinstance(value, int) and value <= 0:
        return {0: "R", -1: "N2", -2: "N1"}.get(value, value)  # as the drop-down offers them
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, list):
        if column.kind == "lines":
            return "\n".join(str(v) for v in value) or None
        return "; ".join(_display(column, v) if isinstance(v, _Coded) else str(v) for v in value) or None
    return value


def csv_text(column: Column, value: Any) -> str:
    """A model value as a CSV export writes it: UK dates, Yes/No, codes as the drop-down offers them."""
    shown = _display(column, value)
    if shown is None:
        return ""
    if isinstance(shown, dt.date):
        return shown.strftime("%d/%m/%Y")
    if isinstance(shown, float):
        return f"{shown:.2f}" if column.kind == "money" else f"{shown:g}"
    return str(shown)


def register_rows(register: Register) -> dict[str, list[dict[str, Any]]]:
    """The register as flat rows, one list per table, keyed by model field names."""
    rows: dict[str, list[dict[str, Any]]] = {table.key: [] for table in TABLES}
    for pupil in register.pupils:
        rows["pupils"].append(pupil.model_dump(exclude={"contacts", "professionals", "cycles", "meetings", "evidence", "consents"}))
        for key in ("contacts", "professionals", "meetings", "evidence", "consents"):
            for item in getattr(pupil, key):
                rows[key].append({"upn": pupil.upn, **item.model_dump()})
        for cycle in pupil.cycles:
            base = {"upn": pupil.upn, "cycle": cycle.number}
            rows["cycles"].append({**base, **cycle.model_dump(exclude={"outcomes", "provision", "review", "number"})})
            rows["outcomes"].extend({**base, **o.model_dump()} for o in cycle.outcomes)
            rows["provision"].extend({**base, **p.model_dump()} for p in cycle.provision)
            if cycle.review:
                rows["reviews"].append({**base, **cycle.review.model_dump()})
    return rows


def _set(cell, value: Any) -> None:
    cell.value = value
    keep_as_text(cell)  # never let data become a live formula


def _write_instructions(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet.title = INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 120
    for number, (text, style) in enumerate(INSTRUCTIONS, start=1):
        cell = sheet.cell(number, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if style == "title":
            cell.font = Font(bold=True, size=16, color="1F4E79")
        elif style == "heading":
            cell.font = Font(bold=True, size=12)
        elif style == "code":
            cell.font = Font(name="Consolas")


def _write_school(workbook: Workbook, register: Register | None) -> None:
    sheet = workbook.create_sheet(SCHOOL_SHEET)
    sheet.append(["Setting", "Value"])
    for cell in sheet[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 60
    data = register.model_dump() if register else {}
    for number, setting in enumerate(SCHOOL_SETTINGS, start=2):
        label = sheet.cell(number, 1, setting.label)
        if setting.required:
            label.font = Font(bold=True)
        value: Any = data
        for part in setting.path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, list):
            value = ("\n" if setting.kind == "lines" else "; ").join(str(v) for v in value) or None
        elif isinstance(value, Decimal):
            value = float(value)
        cell = sheet.cell(number, 2)
        _set(cell, value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if setting.kind == "id":
            cell.number_format = "@"


def _write_lists(workbook: Workbook) -> dict[str, str]:
    """A hidden sheet of drop-down choices; returns the range formula for each code list."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    ranges: dict[str, str] = {}
    column_number = 0
    done: dict[type, str] = {}
    for table in TABLES:
        for column in table.columns:
            if column.codes is None:
                continue
            if column.codes in done:
                ranges[column.header + table.name] = done[column.codes]
                continue
            column_number += 1
            letter = get_column_letter(column_number)
            sheet.cell(1, column_number, column.codes.__name__)
            for row, choice in enumerate(column.choices(), start=2):
                sheet.cell(row, column_number, choice)
            formula = f"{LISTS_SHEET}!${letter}$2:${letter}${len(column.choices()) + 1}"
            done[column.codes] = formula
            ranges[column.header + table.name] = formula
    if workbook.worksheets:
        sheet.sheet_state = "hidden"
    return ranges


def _validation(column: Column, list_range: str | None) -> DataValidation | None:
    """What Excel refuses in this column, with a message saying what to type instead (not just a hint)."""
    if column.codes is not None and list_range:
        validation = DataValidation(type="list", formula1=f"={list_range}", allow_blank=True)
        error = f"Choose one of the options in the list for {column.header}."
    elif column.allowed:
        validation = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True)
        error = f"{column.header}: choose from the list ({column.help or ', '.join(column.allowed)})."
    elif column.kind == "yesno":
        validation = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
        error = f"{column.header}: choose Yes or No."
    elif column.kind == "date":
        validation = DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)", formula2="DATE(2100,12,31)", allow_blank=True)
        error = "Type a date as dd/mm/yyyy."
    else:
        return None
    validation.error, validation.errorTitle = error, column.header
    validation.errorStyle = "stop"  # refuse the entry: a warning Excel lets through is a silent hint
    validation.showErrorMessage = True
    validation.prompt = column.help or ("Choose from the list" if validation.type == "list" else "")
    validation.showInputMessage = bool(validation.prompt)
    return validation


def _write_table(workbook: Workbook, table: Table, rows: list[dict[str, Any]], lists: dict[str, str]) -> None:
    sheet = workbook.create_sheet(table.name)
    for number, column in enumerate(table.columns, start=1):
        cell = sheet.cell(1, number, column.header)
        cell.fill = HEADER_FILL
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = column.width
        span = f"{letter}2:{letter}{DATA_ROWS}"
        validation = _validation(column, lists.get(column.header + table.name))
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(span)
        fmt = {"date": "dd/mm/yyyy", "id": "@", "money": "£#,##0.00", "time": "hh:mm"}.get(column.kind)
        if fmt:
            for sheet_row in range(2, max(len(rows) + 2, 60)):
                sheet.cell(sheet_row, number).number_format = fmt
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 32
    for row_number, row in enumerate(rows, start=2):
        for number, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row_number, number)
            _set(cell, _display(column, row.get(column.field)))
            if column.kind in {"lines", "text"} and isinstance(cell.value, str) and ("\n" in cell.value or len(cell.value) > 40):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def build_workbook(register: Register | None = None) -> Workbook:
    """The register workbook: blank (the template) or holding `register`."""
    workbook = Workbook()
    _write_instructions(workbook)
    _write_school(workbook, register)
    rows = register_rows(register) if register else {table.key: [] for table in TABLES}
    ranges = _write_lists(workbook)
    for table in TABLES:
        _write_table(workbook, table, rows[table.key], ranges)
    # Keep the hidden Lists sheet last, after the data sheets.
    lists = workbook[LISTS_SHEET]
    workbook.move_sheet(lists, offset=len(workbook.sheetnames) - workbook.sheetnames.index(LISTS_SHEET) - 1)
    workbook.active = 0
    return workbook


def save_workbook(workbook: Workbook, path: Path | str, *, overwrite: bool = False) -> Path:
    """Save atomically, with fixed document properties so the same register gives the same workbook."""
    workbook.properties.creator = "senforms"
    workbook.properties.lastModifiedBy = "senforms"
    fixed = dt.datetime(2026, 1, 1)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    from senforms.documents.templating import normalise_docx  # the same zip normalisation serves workbooks

    return write_atomic(path, normalise_docx(buffer.getvalue()), overwrite=overwrite)
