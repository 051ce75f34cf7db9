"""Read the shipped Excel workbook (or any workbook with the same sheets) into raw tables."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Set
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from senforms.errors import Location, ProblemList, UnreadableFileError
from senforms.inputs.assemble import RawCell, RawInput, RawRow, RawTable
from senforms.inputs.sniff import REAL_TYPE_NAMES, check_zip_safe, scan_sheets, sniff
from senforms.inputs.tables import INSTRUCTIONS_SHEET, PLAN_SHEET, SCHOOL_SHEET, Column, Table, normalise_header, setting_for, table_for
from senforms.ukformat import long_date

MAX_ROWS = 20_000  # pupils, cycles, meetings… on one sheet
# Checked before openpyxl reads the file: every cell and row element of every sheet, blank but
# formatted ones included. The shipped template has about 2,500 cells.
MAX_CELLS = 500_000
MAX_ROW_ELEMENTS = 200_000
# A date written with digits only, day and month in either order: columns are checked for month-first dates.
US_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}\s*$")


def open_workbook(path: Path, password: str | None = None) -> openpyxl.Workbook:
    """Open a workbook safely, explaining any file that is not one."""
    return _open(path, password)[0]


def _open(path: Path, password: str | None) -> tuple[openpyxl.Workbook, set[tuple[str, int, int]]]:
    """The workbook (cached values, not formulas) and the cells holding formulas never calculated."""
    source = _workbook_source(path, password)
    try:
        check_zip_safe(source, path.name)
        has_formulas = scan_sheets(source, path.name, max_rows=MAX_ROW_ELEMENTS, max_cells=MAX_CELLS)
        workbook = openpyxl.load_workbook(source, data_only=True)
        uncalculated = _uncalculated_formulas(source, workbook) if has_formulas else set()
    except UnreadableFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise UnreadableFileError(f"{path.name} is damaged: part of it cannot be unpacked", fix="open it in Excel and save it again, or use a backup copy") from exc
    except Exception as exc:  # openpyxl's own messages are technical; keep the cause for --debug
        raise UnreadableFileError(f"{path.name} could not be read as a workbook ({type(exc).__name__})", fix="open it in Excel and save it again") from exc
    return workbook, uncalculated


def _workbook_source(path: Path, password: str | None) -> Path | io.BytesIO:
    """The workbook's zip: the file itself, or its decrypted bytes."""
    kind = sniff(path)
    if kind == "ole":
        import msoffcrypto

        with open(path, "rb") as handle:
            try:
                office = msoffcrypto.OfficeFile(handle)
                encrypted = office.is_encrypted()
            except Exception:
                raise UnreadableFileError(
                    f"{path.name} is an old-style Office file (.xls) or is damaged", fix="open it in Excel and save it as an Excel Workbook (.xlsx)"
                ) from None
            if not encrypted:
                raise UnreadableFileError(
                    f"{path.name} is an old-style .xls workbook", fix="open it in Excel and save it as an Excel Workbook (.xlsx)"
                )
            if not password:
                raise UnreadableFileError(f"{path.name} is password-protected", fix="run again with {option}, or save an unprotected copy", option="workbook_password")
            decrypted = io.BytesIO()
            try:
                office.load_key(password=password)
                office.decrypt(decrypted)
            except Exception:
                raise UnreadableFileError(f"the password for {path.name} is wrong", fix="check the password and try again") from None
        try:
            with zipfile.ZipFile(decrypted) as archive:
                decrypted_kind = "xlsx" if "xl/workbook.xml" in archive.namelist() else "other"
        except zipfile.BadZipFile:
            decrypted_kind = "other"
        if decrypted_kind != "xlsx":
            raise UnreadableFileError(f"{path.name} is a password-protected file but not an Excel workbook", fix="save it from Excel as an Excel Workbook (.xlsx)")
        return decrypted
    if kind != "xlsx":
        raise UnreadableFileError(
            f"{path.name} is {REAL_TYPE_NAMES.get(kind, 'not an Excel workbook')}, not an Excel workbook (.xlsx)",
            fix="use the workbook from templates/xlsx/, or save your sheet as an Excel Workbook",
        )
    return path


def _uncalculated_formulas(source: Path | io.BytesIO, workbook: openpyxl.Workbook) -> set[tuple[str, int, int]]:
    """(sheet, row, column) of every formula cell, when the file holds no result for any of them.

    A workbook written by a program rather than saved by Excel or LibreOffice has formulas but no
    saved results, and openpyxl reads each of them as an empty cell. (openpyxl also reads a
    formula whose result is empty text as an empty cell, so a file with some results saved is
    trusted: its empty formula cells really are empty.)
    """
    formulas = openpyxl.load_workbook(source, read_only=True, data_only=False)
    try:
        found: set[tuple[str, int, int]] = set()
        for sheet in formulas.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        found.add((sheet.title, cell.row, cell.column))
    finally:
        formulas.close()
    for title, row, column in found:
        if workbook[title].cell(row, column).value is not None:
            return set()  # results were saved: the file has been calculated
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    return value


def _convert(column: Column, value: Any, location: Location, epoch: dt.datetime, problems: ProblemList) -> Any:
    """Undo what Excel does to values: serial dates, numbers in text columns."""
    if value is None:
        return None
    if column.kind == "date" and isinstance(value, (int, float)) and not isinstance(value, bool):
        converted = from_excel(value, epoch)
        converted = converted.date() if isinstance(converted, dt.datetime) else converted
        problems.warning(location, f"date stored as a plain number; read as {long_date(converted)}", "format the column as Date")
        return converted
    if column.kind == "time" and isinstance(value, float) and 0 <= value < 1:
        return from_excel(value, epoch)
    if column.field in {"upn", "phone"}:
        return value  # numbers here lose leading zeros: the model reports it
    if column.kind in {"text", "lines", "list", "id"} and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _match_headers(sheet, table: Table, file: str, problems: ProblemList) -> dict[int, Column]:
    wanted: dict[str, Column] = {}
    for known in table.columns:
        for name in (known.header, known.field, *known.aliases):
            wanted.setdefault(normalise_header(name), known)
    found: dict[int, Column] = {}
    where_found: dict[str, str] = {}
    for cell in sheet[1]:
        if cell.value is None or not str(cell.value).strip():
            continue
        letter = get_column_letter(cell.column)
        column = wanted.get(normalise_header(cell.value))
        if column is None:
            problems.warning(Location(file, sheet.title, 1, f"column {letter}"), f"heading '{cell.value}' is not one senforms reads, so it is ignored")
            continue
        if column.field in where_found:
            problems.error(
                Location(file, sheet.title, 1, f"column {letter}"),
                f"'{column.header}' appears twice (columns {where_found[column.field]} and {letter})",
                "delete or rename one of them",
            )
            continue
        where_found[column.field] = letter
        found[cell.column] = column
    for column in table.columns:
        if column.required and column.field not in where_found:
            problems.error(Location(file, sheet.title, 1), f"there is no '{column.header}' column", f"add a column headed '{column.header}'")
    return found


def _filled(cell, uncalculated: Set[tuple[str, int, int]], title: str) -> bool:
    value = cell.value
    if value is None:
        return (title, cell.row, cell.column) in uncalculated
    return not (isinstance(value, str) and not value.strip())


def _last_row(sheet, columns: dict[int, Column], uncalculated: Set[tuple[str, int, int]]) -> int:
    """The last row with a value in a column senforms reads.

    Formatting alone (a bold empty cell at row 5000, borders to the bottom of the sheet) does not
    make a row, and no row with a value is ever skipped, however long the gap before it.
    """
    # openpyxl keeps the cells it read in `_cells`: reading them there avoids creating a cell for
    # every empty coordinate up to `max_row`, which can be a million rows of formatting.
    return max(
        (row for (row, column), cell in sheet._cells.items() if row > 1 and column in columns and _filled(cell, uncalculated, sheet.title)),
        default=1,
    )


def _read_table(sheet, table: Table, file: str, epoch: dt.datetime, problems: ProblemList, uncalculated: Set[tuple[str, int, int]] = frozenset()) -> RawTable:
    columns = _match_headers(sheet, table, file, problems)
    raw = RawTable(table)
    merged_rows = {}
    for merged in sheet.merged_cells.ranges:
        if merged.max_row >= 2:
            for row in range(max(merged.min_row, 2), merged.max_row + 1):
                merged_rows[row] = str(merged)
    hidden = []
    us_dates: dict[int, str] = {}
    last = _last_row(sheet, columns, uncalculated)
    if last > MAX_ROWS:
        problems.error(Location(file, sheet.title, last), f"the sheet has more than {MAX_ROWS:,} rows", "remove rows that are not pupils")
        return raw
    for row_cells in sheet.iter_rows(min_row=2, max_row=last):
        if not row_cells:
            continue
        row_number = row_cells[0].row
        values = {cell.column: cell for cell in row_cells if cell.column in columns}
        if not any(_filled(c, uncalculated, sheet.title) for c in values.values()):
            continue
        if row_number in merged_rows:
            problems.error(Location(file, sheet.title, row_number), f"cells {merged_rows[row_number]} are merged", "unmerge them so each value has its own cell")
        if sheet.row_dimensions[row_number].hidden:
            hidden.append(row_number)
        cells: dict[str, RawCell] = {}
        for index, column in columns.items():
            cell = values.get(index)
            location = Location(file, sheet.title, row_number, column.header)
            value = cell.value if cell is not None else None
            if cell is not None and cell.data_type == "e":
                problems.error(location, f"the cell shows the spreadsheet error {value}", "fix the formula or type the value")
                value = None
            elif value is None and cell is not None and (sheet.title, cell.row, cell.column) in uncalculated:
                problems.error(
                    location,
                    f"cell {cell.coordinate} holds a formula with no saved result",
                    "open the file in Excel or LibreOffice and save it, so the results are stored, or type the value",
                )
            if isinstance(value, str):
                value = _unescape(value)
            value = _convert(column, _plain(value), location, epoch, problems)
            if column.kind == "date" and isinstance(value, str) and (match := US_DATE.match(value)):
                if int(match.group(2)) > 12 and int(match.group(1)) <= 12:
                    us_dates.setdefault(index, value)
            cells[column.field] = RawCell(value, location)
        raw.rows.append(RawRow(Location(file, sheet.title, row_number), cells))
    for index, example in us_dates.items():
        problems.error(
            Location(file, sheet.title, 1, columns[index].header),
            f"this column looks US-ordered (month first, e.g. {example}), so none of its dates can be trusted",
            "retype the dates as dd/mm/yyyy",
        )
    if hidden:
        shown = ", ".join(str(r) for r in hidden[:10]) + ("…" if len(hidden) > 10 else "")
        if len(hidden) == 1:
            message, fix = f"row {shown} is hidden but was read", "unhide it to check, or delete it if it should not be included"
        else:
            message, fix = f"rows {shown} are hidden but were read", "unhide them to check, or delete rows that should not be included"
        problems.warning(Location(file, sheet.title), message, fix)
    return raw


# Excel stores control characters in cell text as _xHHHH_ (a carriage return as _x000D_, a Word
# soft return as _x000B_); openpyxl leaves them so. Undo it, then the model cleans the text.
_EXCEL_ESCAPE = re.compile("_x(00[01][0-9A-Fa-f])_")


def _unescape(text: str) -> str:
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _read_school(sheet, file: str, raw: RawInput, problems: ProblemList) -> None:
    for row in sheet.iter_rows(min_row=1):
        if len(row) < 2 or row[0].value is None:
            continue
        setting = setting_for(row[0].value)
        if setting is None:
            continue
        location = Location(file, sheet.title, row[0].row, setting.label)
        value = _plain(row[1].value)
        if isinstance(value, str):
            value = _unescape(value)
        if setting.kind in {"text", "lines", "list"} and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        raw.settings[setting.path] = RawCell(value, location)


def read_xlsx(path: Path, problems: ProblemList, *, password: str | None = None) -> RawInput:
    """Every sheet senforms knows, as raw rows with their places."""
    workbook, uncalculated = _open(path, password)
    file = path.name
    raw = RawInput(file, order=[sheet.title for sheet in workbook.worksheets])
    epoch = workbook.epoch
    for sheet in workbook.worksheets:
        if normalise_header(sheet.title) in {normalise_header(INSTRUCTIONS_SHEET), normalise_header(PLAN_SHEET), "lists", "readme"}:
            continue
        if sheet.sheet_state != "visible":
            problems.warning(Location(file, sheet.title), "this sheet is hidden and was not read", "unhide it if it holds pupils")
            continue
        if normalise_header(sheet.title) == normalise_header(SCHOOL_SHEET):
            _read_school(sheet, file, raw, problems)
            continue
        table = table_for(sheet.title)
        if table is None:
            problems.warning(Location(file, sheet.title), "senforms does not read a sheet with this name", "rename it to one of the template's sheet names")
            continue
        raw.tables[table.key] = _read_table(sheet, table, file, epoch, problems, uncalculated)
    if "pupils" not in raw.tables:
        problems.error(Location(file), "there is no Pupils sheet", "use the workbook from templates/xlsx/")
    return raw
