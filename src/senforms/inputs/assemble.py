"""Flat rows (from a workbook or CSV files) → the nested record, remembering each value's place."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from senforms.errors import Location, ProblemList
from senforms.inputs.locate import Locator, problem_from_error
from senforms.inputs.tables import CYCLES, PUPILS, SCHOOL_SETTINGS, Column, Table
from senforms.model import Consent, Cycle, EvidenceFile, Meeting, Outcome, ParentCarer, Professional, Provision, Review
from senforms.model.values import _ILLEGAL_XML


@dataclass
class RawCell:
    """A value as the reader found it, and where."""

    value: Any
    location: Location


@dataclass
class RawRow:
    location: Location
    cells: dict[str, RawCell]


@dataclass
class RawTable:
    table: Table
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class RawInput:
    """Everything a tabular reader found, before validation."""

    file: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    settings: dict[tuple[str, ...], RawCell] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # sheets (or CSV files) in the order the user sees them


def _blank(value: Any) -> bool:
    return value is None or isinstance(value, str) and not value.strip()


def has_control_characters(text: str) -> bool:
    """Characters Word cannot hold, which the model removes (soft returns and form feeds become
    line breaks, so they are not counted)."""
    return bool(_ILLEGAL_XML.search(text.replace("\x0b", "").replace("\x0c", ""))) or "\a" in text


CONTROL_CHARACTERS = ("contains control characters, which senforms removes", "retype the text to be sure")


def _prepare(column: Column, cell: RawCell, problems: ProblemList) -> Any:
    """Shape a cell for the model: split lists and lines, warn about characters Word cannot hold."""
    value = cell.value
    if isinstance(value, str):
        if has_control_characters(value):
            problems.warning(cell.location, *CONTROL_CHARACTERS)
        if column.kind == "lines":
            return [line.strip() for line in re.split(r"\r\n|\r|\n|\x0b", value) if line.strip()]
        if column.kind == "list":
            return [item.strip() for item in re.split(r"[;\n]", value) if item.strip()]
    return value


def _row_values(raw_row: RawRow, table: Table, path: tuple, locator: Locator, problems: ProblemList) -> dict[str, Any]:
    locator.add(path, raw_row.location)
    values: dict[str, Any] = {}
    for column in table.columns:
        cell = raw_row.cells.get(column.field)
        if cell is None:
            continue
        locator.add((*path, column.field), cell.location)
        if column.field in table.parent:
            continue
        if not _blank(cell.value):
            values[column.field] = _prepare(column, cell, problems)
    return values


def _key(cell: RawCell | None) -> str:
    if cell is None or _blank(cell.value):
        return ""
    value = cell.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().upper()


class Assembled(NamedTuple):
    """The record's nested data, where each value came from, and the pupils whose rows went elsewhere."""

    data: dict[str, Any]
    locator: Locator
    # Pupils a mistyped UPN on other rows is close to: what they then seem to lack (a parent) is that typo.
    mistyped_for: frozenset[str] = frozenset()


def assemble(raw: RawInput, problems: ProblemList) -> Assembled:
    """Build the record's nested data from flat tables; link problems go into `problems`."""
    locator = Locator(raw.file)
    data: dict[str, Any] = {}

    for path, cell in raw.settings.items():
        locator.add(path, cell.location)
        if _blank(cell.value):
            continue
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        value = cell.value
        if isinstance(value, str) and path[-1] in {"address"}:
            value = [line.strip() for line in re.split(r"\r\n|\r|\n", value) if line.strip()]
        elif isinstance(value, str) and path[-1] == "allowed_domains":
            value = [item.strip().lower() for item in re.split(r"[;,\s]+", value) if item.strip()]
        target[path[-1]] = value
    if raw.settings:
        _explain_missing_settings(raw, locator)
    # A staff member's role has an obvious default; say so rather than make the school type it.
    for person, role in (("head_teacher", "Head teacher"), ("senco", "SENCo")):
        staff = data.get("school", {}).get(person)
        if isinstance(staff, dict):
            staff.setdefault("role", role)

    pupils: list[dict[str, Any]] = []
    by_upn: dict[str, int] = {}
    first_row: dict[str, Location] = {}
    pupil_rows = raw.tables.get(PUPILS.key)
    for raw_row in pupil_rows.rows if pupil_rows else []:
        index = len(pupils)
        pupil = _row_values(raw_row, PUPILS, ("pupils", index), locator, problems)
        upn_cell = raw_row.cells.get("upn")
        upn = _key(upn_cell)
        if upn_cell is not None and upn_cell.value is not None and not isinstance(upn_cell.value, str):
            pupil["upn"] = upn_cell.value  # let the model say it was stored as a number
        elif upn:
            pupil["upn"] = upn
        if upn and upn in by_upn:
            assert upn_cell is not None  # a UPN was read from it
            problems.error(
                upn_cell.location,
                f"UPN {upn} appears twice (also {first_row[upn].sheet or 'file'} row {first_row[upn].row})",
                "each pupil must have one row; remove or correct the duplicate",
            )
        elif upn:
            by_upn[upn] = index
            first_row[upn] = raw_row.location
        pupils.append(pupil)
    data["pupils"] = pupils

    cycle_index: dict[tuple[str, int], dict[str, Any]] = {}
    orphans = _Orphans(locator, by_upn, first_row, _table_place(pupil_rows, PUPILS), raw.order)
    for table_key in ("contacts", "professionals", "cycles", "meetings", "evidence", "consents"):
        raw_table = raw.tables.get(table_key)
        if raw_table is None:
            continue
        for raw_row in raw_table.rows:
            upn_cell = raw_row.cells.get("upn")
            upn = _key(upn_cell)
            where = upn_cell.location if upn_cell else raw_row.location
            if not upn:
                problems.error(where, "UPN is empty, so this row belongs to no pupil", "type the pupil's UPN")
                orphans.check_alone(raw_table.table, raw_row, problems)
                continue
            if upn not in by_upn:
                values = orphans.add(upn, where, raw_table.table, raw_row, problems)
                number = _int_or_none(raw_row.cells["cycle"].value) if table_key == "cycles" and "cycle" in raw_row.cells else None
                if number is not None:
                    orphans.cycles.setdefault((upn, number), values)
                continue
            index = by_upn[upn]
            children = pupils[index].setdefault(raw_table.table.key, [])
            values = _row_values(raw_row, raw_table.table, ("pupils", index, raw_table.table.key, len(children)), locator, problems)
            if table_key == "cycles":
                values["number"] = values.pop("cycle", None) if "cycle" in values else None
                number_cell = raw_row.cells.get("cycle")
                locator.add(("pupils", index, "cycles", len(children), "number"), number_cell.location if number_cell else raw_row.location)
                number = _int_or_none(number_cell.value if number_cell else None)
                if number is not None:
                    if (upn, number) in cycle_index:
                        problems.error(where, f"pupil {upn} has cycle {number} twice", "number each cycle once")
                        continue
                    cycle_index[(upn, number)] = values
                    values["_path"] = ("pupils", index, "cycles", len(children))
            children.append(values)

    for table_key, field_name in (("outcomes", "outcomes"), ("provision", "provision"), ("reviews", "review")):
        raw_table = raw.tables.get(table_key)
        if raw_table is None:
            continue
        for raw_row in raw_table.rows:
            upn_cell, cycle_cell = raw_row.cells.get("upn"), raw_row.cells.get("cycle")
            upn, number = _key(upn_cell), _int_or_none(cycle_cell.value if cycle_cell else None)
            where = raw_row.location
            if not upn:
                problems.error(upn_cell.location if upn_cell else where, "UPN is empty, so this row belongs to no pupil", "type the pupil's UPN")
                orphans.check_alone(raw_table.table, raw_row, problems)
                continue
            if upn not in by_upn:
                orphans.add(upn, upn_cell.location if upn_cell else where, raw_table.table, raw_row, problems, cycle=number, field_name=field_name)
                continue
            cycle = cycle_index.get((upn, number)) if number is not None else None
            if cycle is None:
                problems.error(
                    cycle_cell.location if cycle_cell else where,
                    f"pupil {upn} has no cycle {cycle_cell.value if cycle_cell else ''} {_table_place(raw.tables.get('cycles'), CYCLES)}",
                    f"add the cycle {_table_place(raw.tables.get('cycles'), CYCLES)} or correct the cycle number",
                )
                orphans.check_alone(raw_table.table, raw_row, problems)
                continue
            cycle_path = cycle["_path"]
            if field_name == "review":
                if "review" in cycle:
                    problems.error(where, f"cycle {number} of pupil {upn} has two reviews", "keep one review row per cycle")
                    continue
                cycle["review"] = _row_values(raw_row, raw_table.table, (*cycle_path, "review"), locator, problems)
            else:
                rows = cycle.setdefault(field_name, [])
                rows.append(_row_values(raw_row, raw_table.table, (*cycle_path, field_name, len(rows)), locator, problems))

    suspects = orphans.report(problems)
    for values in cycle_index.values():
        values.pop("_path", None)
    return Assembled(data, locator, suspects)


# What needs each required school detail, so a missing row says why it matters.
_NEEDED_FOR = {
    ("school", "name"): "every document is headed with the school's name",
    ("school", "head_teacher", "name"): "letters to parents and the EHC request name the head teacher",
    ("school", "senco", "name"): "support plans, reviews, letters and the EHC request name the SENCo",
}


def _explain_missing_settings(raw: RawInput, locator: Locator) -> None:
    """Point a required school detail nobody typed at the School sheet (or school.csv) it belongs on."""
    source = next(iter(raw.settings.values())).location
    in_csv = source.sheet is None
    for setting in SCHOOL_SETTINGS:
        if not setting.required or setting.path in raw.settings or setting.path not in _NEEDED_FOR:
            continue
        place = Location(source.file, source.sheet, None, setting.label)
        where = source.file if in_csv else f"the {source.sheet} sheet"
        message = f"there is no {setting.label} row, and {_NEEDED_FOR[setting.path]}"
        fix = f"add a row to {where} with '{setting.label}' in the {'Setting column' if in_csv else 'first column'} and the name beside it"
        for path in {setting.path, setting.path[:2]}:  # a person with no row at all is missing as a whole
            locator.add(path, place)
            locator.explain_missing(path, message, fix)


def _row_name(location: Location) -> str:
    return f"{location.sheet} row {location.row}" if location.sheet else f"row {location.row} of {location.file}"


def _table_place(raw_table: RawTable | None, table: Table) -> str:
    """Where a table's rows are, in the user's terms: "on the Pupils sheet", or "in pupils.csv"."""
    if raw_table is not None and raw_table.rows and raw_table.rows[0].location.sheet is None:
        return f"in {raw_table.rows[0].location.file}"
    return f"on the {table.name} sheet"


# The record a row of each table becomes, so a row that belongs to no pupil is still checked.
_ROW_MODELS: dict[str, type[BaseModel]] = {
    "contacts": ParentCarer, "professionals": Professional, "cycles": Cycle, "meetings": Meeting, "evidence": EvidenceFile,
    "consents": Consent, "outcomes": Outcome, "provision": Provision, "reviews": Review,
}


class _Orphans:
    """Rows whose UPN is on no Pupils row: one error for each unknown UPN (not one a row), with how
    many rows share it, and each row still checked on its own, an orphaned cycle with its outcomes."""

    def __init__(self, locator: Locator, by_upn: dict[str, int], pupil_rows: dict[str, Location], pupils_place: str, order: list[str]) -> None:
        self.order = order
        self.locator = locator
        self.known = by_upn
        self.pupil_rows = pupil_rows
        self.pupils_place = pupils_place
        self.first: dict[str, Location] = {}
        self.rows: dict[str, list[str]] = {}  # UPN -> the sheet (or file) of every row that names it
        self.cycles: dict[tuple[str, int], dict[str, Any]] = {}
        self._items: list[tuple[Table, dict[str, Any], tuple[Any, ...]]] = []

    def add(self, upn: str, where: Location, table: Table, raw_row: RawRow, problems: ProblemList, *, cycle: int | None = None, field_name: str = "") -> dict[str, Any]:
        """Note a row for an unknown UPN; the values it holds, checked later."""
        self.first.setdefault(upn, where)
        self.rows.setdefault(upn, []).append(where.sheet or where.file)
        parent = self.cycles.get((upn, cycle)) if cycle is not None else None
        if parent is not None and field_name in {"outcomes", "provision"}:
            rows = parent.setdefault(field_name, [])
            path = (*parent["_orphan_path"], field_name, len(rows))
            rows.append(_row_values(raw_row, table, path, self.locator, problems))
            return rows[-1]
        if parent is not None and field_name == "review" and "review" not in parent:
            parent["review"] = _row_values(raw_row, table, (*parent["_orphan_path"], "review"), self.locator, problems)
            return parent["review"]
        return self.check_alone(table, raw_row, problems)

    def check_alone(self, table: Table, raw_row: RawRow, problems: ProblemList) -> dict[str, Any]:
        path = ("_orphan", len(self._items))
        values = _row_values(raw_row, table, path, self.locator, problems)
        if table.key == "cycles":
            values["number"] = values.pop("cycle", None)
            values["_orphan_path"] = path
        else:
            values.pop("cycle", None)
        self._items.append((table, values, path))
        return values

    def report(self, problems: ProblemList) -> frozenset[str]:
        """Report every unknown UPN once and each row's own errors; the known UPNs the unknown ones are close to."""
        suspects: set[str] = set()
        for upn, where in self.first.items():
            others = Counter(self.rows[upn])
            others[where.sheet or where.file] -= 1
            more = sum(others.values())
            message = f"no pupil with UPN {upn} {self.pupils_place}"
            if more:
                in_order = sorted(others.items(), key=lambda item: self.order.index(item[0]) if item[0] in self.order else len(self.order))
                counted = ", ".join(f"{name} {count}" for name, count in in_order if count)
                message += f", and {more} more row{'s' if more != 1 else ''} refer{'' if more != 1 else 's'} to it ({counted})"
            close = difflib.get_close_matches(upn, list(self.known), n=1, cutoff=0.8)
            suspects.update(close)
            fix = f"did you mean {close[0]}, {_row_name(self.pupil_rows[close[0]])}? Correct the UPN on {'every row' if more else 'this row'}, or add the pupil" if close else ""
            problems.error(where, message, fix if close else "add the pupil or correct the UPN" + (" on every row" if more else ""))
        for table, values, path in self._items:
            values.pop("_orphan_path", None)
            try:
                _ROW_MODELS[table.key].model_validate(values)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    error["loc"] = (*path, *error["loc"])
                    problems.items.append(problem_from_error(error, self.locator))
        return frozenset(suspects)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
