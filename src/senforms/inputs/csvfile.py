"""Read CSV exports from school information systems (SIMS, Arbor, Bromcom…) into raw tables."""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from senforms.errors import Location, ProblemList, UnreadableFileError
from senforms.filetypes import utf16_byte_order
from senforms.inputs.assemble import RawCell, RawInput, RawRow, RawTable
from senforms.inputs.sniff import REAL_TYPE_NAMES, sniff_bytes
from senforms.inputs.tables import PUPILS, SCHOOL_SETTINGS, TABLES, Column, Table, is_school_file, normalise_header, setting_for, table_for
from senforms.inputs.xlsx import US_DATE

MAX_CSV_BYTES = 50 * 1024 * 1024


def decode(name: str, data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without BOM), UTF-16 or Windows-1252."""
    utf16 = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else utf16_byte_order(data[:8])
    if utf16:
        try:
            return data.decode(utf16), "UTF-16"
        except UnicodeDecodeError:
            raise UnreadableFileError(f"{name} is damaged UTF-16 text", fix="export it again as CSV UTF-8") from None
    # Never latin-1: it accepts anything and turns ’ into an invisible control character.
    for encoding, label in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError(f"{name} is not in an encoding senforms can read", fix="in Excel use Save As › CSV UTF-8")


def too_large(name: str) -> UnreadableFileError:
    """Checked before a CSV file (or a zip's member) is read into memory."""
    return UnreadableFileError(f"{name} is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB", fix="export only the pupils on the SEN register")


def read_bytes(path: Path) -> bytes:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise too_large(path.name)
    return path.read_bytes()


def _guess_table(stem: str, headers: list[str]) -> Table:
    by_name = table_for(stem)
    if by_name is not None:
        return by_name
    normalised = {normalise_header(h) for h in headers}
    best, best_score = PUPILS, 0
    for table in TABLES:
        names = {normalise_header(n) for c in table.columns for n in (c.header, c.field, *c.aliases)}
        score = len(normalised & names)
        if score > best_score:
            best, best_score = table, score
    return best


def read_csv_table(file: str, data: bytes, problems: ProblemList, raw: RawInput) -> str:
    """Add the rows of one CSV file (named `file`, holding `data`) to `raw`; return the encoding used."""
    kind = sniff_bytes(data)
    if kind not in {"text", "utf16-text"}:
        raise UnreadableFileError(f"{file} is {REAL_TYPE_NAMES.get(kind, 'not a CSV file')}, not a CSV file", fix="export the data as CSV")
    text, encoding = decode(file, data)
    stem = PurePosixPath(file).stem
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise UnreadableFileError(f"{file} is not a well-formed CSV file ({exc})", fix="export it again from the school information system") from None
    if not rows:
        raise UnreadableFileError(f"{file} is empty", fix="export the pupils again")
    headers = rows[0]
    if is_school_file(stem, headers):
        _read_school_rows(rows, file, raw, problems)
        return encoding
    table = _guess_table(stem, headers)
    lookup: dict[str, Column] = {}
    for known in table.columns:
        for name in (known.header, known.field, *known.aliases):
            lookup.setdefault(normalise_header(name), known)
    columns: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        column = lookup.get(normalise_header(header))
        if column is None:
            if header.strip():
                problems.warning(Location(file, None, 1, header.strip()), "this heading is not one senforms reads, so it is ignored")
            continue
        if column.field in seen:
            problems.error(
                Location(file, None, 1, header.strip()),
                f"two columns mean '{column.header}' (columns {seen[column.field] + 1} and {index + 1})",
                "delete or rename one of them",
            )
            continue
        seen[column.field] = index
        columns[index] = column
    for column in table.columns:
        if column.required and column.field not in seen:
            problems.error(Location(file, None, 1), f"there is no '{column.header}' column", f"add a column headed '{column.header}'")
    raw_table = raw.tables.setdefault(table.key, RawTable(table))
    us_dates: dict[int, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(headers):
            problems.error(
                Location(file, None, number),
                f"this row has {len(row)} values but the header has {len(headers)}",
                "check for a comma inside a value that is not in quotes (e.g. £6,000)",
            )
            continue
        cells = {
            column.field: RawCell(row[index], Location(file, None, number, headers[index].strip()))
            for index, column in columns.items()
        }
        for index, column in columns.items():
            match = US_DATE.match(row[index]) if column.kind == "date" else None
            if match and int(match.group(2)) > 12 and int(match.group(1)) <= 12:
                us_dates.setdefault(index, row[index].strip())
        raw_table.rows.append(RawRow(Location(file, None, number), cells))
    # One month-first date means the export wrote every date of that column month first, so
    # 03/04/2015 beside it is 4 March, not 3 April: none of them can be trusted.
    for index, example in us_dates.items():
        problems.error(
            Location(file, None, 1, headers[index].strip()),
            f"this column looks US-ordered (month first, e.g. {example}), so none of its dates can be trusted",
            "export the dates as dd/mm/yyyy",
        )
    return encoding


def _read_school_rows(rows: list[list[str]], file: str, raw: RawInput, problems: ProblemList) -> None:
    """school.csv: one Setting/Value row for each School sheet row (School name, SENCo, Local authority…)."""
    headers = [normalise_header(h) for h in rows[0]]
    if "setting" not in headers or "value" not in headers:
        problems.error(
            Location(file, None, 1),
            f"{file} holds the school's details, so it needs two columns headed Setting and Value",
            "put 'Setting' and 'Value' in the first row, then one row for each detail (e.g. School name, SENCo)",
        )
        return
    key_at, value_at = headers.index("setting"), headers.index("value")
    first_row: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        label = row[key_at].strip() if len(row) > key_at else ""
        value = row[value_at].strip() if len(row) > value_at else ""
        if not label:
            if value:
                problems.error(Location(file, None, number, "Setting"), f"the value '{value}' has no setting beside it", "type which detail it is in the Setting column, e.g. SENCo")
            continue
        setting = setting_for(label)
        if setting is None:
            labels = [s.label for s in SCHOOL_SETTINGS]
            close = difflib.get_close_matches(label, labels, n=1, cutoff=0.6)
            problems.warning(
                Location(file, None, number, "Setting"),
                f"'{label}' is not a school detail senforms reads, so this row is ignored",
                f"did you mean '{close[0]}'?" if close else "use one of: " + ", ".join(labels),
            )
            continue
        location = Location(file, None, number, setting.label)
        if setting.path in first_row:
            problems.error(location, f"{setting.label} is given twice (also row {first_row[setting.path]})", "keep one row for it")
            continue
        first_row[setting.path] = number
        # An address typed on one line of a CSV cell: its lines separated by ; (or new lines, in quotes).
        cell: object = [part.strip() for part in re.split(r"\r\n|\r|\n|;", value) if part.strip()] if setting.kind == "lines" else value
        raw.settings[setting.path] = RawCell(cell, location)


def reading_order(name: str) -> tuple[int, str]:
    """school.csv, then the tables in the workbook's sheet order (pupils, contacts, …), then the rest."""
    stem = PurePosixPath(name).stem
    if is_school_file(stem, []):
        return (-1, name)
    table = table_for(stem)
    return (TABLES.index(table) if table is not None else len(TABLES), name)


def read_csv(path: Path, problems: ProblemList) -> tuple[RawInput, list[str]]:
    """A single CSV file, or every CSV in a folder (each named after its table, e.g. contacts.csv)."""
    files = sorted(path.glob("*.csv"), key=lambda f: reading_order(f.name)) if path.is_dir() else [path]
    if not files:
        raise UnreadableFileError(f"{path} holds no CSV files", fix="export the register as CSV into this folder")
    return read_csv_files(path.name, [(f.name, functools.partial(read_bytes, f)) for f in files], problems)


def read_csv_files(name: str, files: list[tuple[str, Callable[[], bytes]]], problems: ProblemList) -> tuple[RawInput, list[str]]:
    """CSV files read as one register called `name`: each (file name, how to get its bytes), in reading order.
    A file's bytes are fetched only when it is its turn, so only one is in memory at a time."""
    raw = RawInput(name, order=[file for file, _ in files])
    encodings = [f"{file}: {read_csv_table(file, data(), problems, raw)}" for file, data in files]
    return raw, encodings
