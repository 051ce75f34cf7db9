"""Load an SEN register from the shipped workbook, CSV exports or JSON, reporting every problem at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from senforms.errors import InputError, Location, Problem, ProblemList, SenformsError, UnreadableFileError
from senforms.inputs.assemble import CONTROL_CHARACTERS, assemble, has_control_characters
from senforms.inputs.csvfile import read_csv
from senforms.inputs.csvzip import read_csv_zip
from senforms.inputs.evidence_paths import evidence_path_problems
from senforms.inputs.jsonfile import read_json
from senforms.inputs.locate import JsonLocator, Locator, problems_from_validation
from senforms.inputs.sniff import REAL_TYPE_NAMES, sniff
from senforms.inputs.xlsx import read_xlsx
from senforms.model import Register
from senforms.model.checks import Summary, cross_record_problems, register_warnings, summarise


@dataclass(frozen=True)
class LoadedRegister:
    """A valid register, the warnings found while reading it, and how it was read."""

    register: Register
    source: Path
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    format: str = "workbook"  # 'workbook', 'csv' (a file), 'csv-files' (a folder or zip of them) or 'json'

    def require_pupils(self) -> None:
        """Refuse, in plain words, to make documents from a register with no pupils (exit status 1)."""
        if not self.register.pupils:
            what, fix = no_pupils(self.format)
            raise SenformsError(what, fix=fix, location=Location(self.source.name))

    @property
    def base_dir(self) -> Path:
        """The folder that file paths in the register (evidence, the logo) are relative to."""
        return self.source.parent

    @property
    def logo(self) -> Path | None:
        """The school's logo (the School sheet's Logo), relative to the register file; None without one."""
        school = self.register.school
        if school is None or not school.logo:
            return None
        path = Path(school.logo)
        return path if path.is_absolute() else self.base_dir / path


# Where a SENCo types the pupils, in each kind of register.
_PUPILS_GO = {
    "workbook": "pupils go on its Pupils sheet, one row each below the headings",
    "csv": "pupils go one to a row below its header row",
    "csv-files": "pupils go in pupils.csv, one to a row below its header row",
    "json": "pupils go in its \"pupils\" list",
}


def no_pupils(format: str) -> tuple[str, str]:
    """What to say about a register with no pupils, and the fix (the one wording for validate, render,
    invite, meetings plan and the web app): a SENCo with one has almost always picked the wrong
    file, or the blank template."""
    return (
        "there are no pupils in this register, so there is nothing to make from it",
        f"check it is the school's filled-in register, not the blank template or another file: {_PUPILS_GO.get(format, _PUPILS_GO['workbook'])}",
    )


def _empty_register_warning(name: str, format: str) -> Problem:
    return Problem(Location(name), *no_pupils(format), "warning")


def _cycle_order(data: dict[str, Any]) -> dict[tuple[int, int], int]:
    order = {}
    for p_index, pupil in enumerate(data.get("pupils") or []):
        if isinstance(pupil, dict):
            for c_index, cycle in enumerate(pupil.get("cycles") or []):
                if isinstance(cycle, dict) and isinstance(cycle.get("number"), int):
                    order[(p_index, cycle["number"])] = c_index
    return order


def load_register(
    path: Path | str, *, password: str | None = None, as_of: dt.date | None = None, settings: Path | None = None,
    evidence_dir: Path | None = None,
) -> LoadedRegister:
    """Read and validate a register; with `settings`, the school settings file's hourly rates and
    term dates are laid over its School sheet before the checks, so warnings use them too.

    Every Evidence sheet path must lead to a file inside the register's folder, or inside
    `evidence_dir` (the folder of further evidence the SENCo named for a pack), not through a link out.

    Raises InputError carrying every error (and the warnings) when the register is not valid, or
    UnreadableFileError when the file cannot be read at all.
    """
    path = Path(path)
    as_of = as_of or dt.date.today()
    if not path.exists():
        raise UnreadableFileError(f"{path} does not exist", fix="check the file name and folder")
    if not path.is_dir() and not path.is_file():  # a pipe or a device: reading it would wait for ever
        raise UnreadableFileError(f"{path.name} is not a file senforms can read (it is a pipe or a device)", fix="give the register's workbook, CSV folder or JSON file")
    problems = ProblemList()
    notes: list[str] = []
    kind = "csv" if path.is_dir() else sniff(path)
    locator: Locator
    order: list[str] = []
    mistyped_for: frozenset[str] = frozenset()
    if kind in {"xlsx", "ole"} or path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        form = "workbook"
        raw_workbook = read_xlsx(path, problems, password=password)
        order = raw_workbook.order
        data, locator, mistyped_for = assemble(raw_workbook, problems)
    elif kind == "json" or path.suffix.lower() == ".json":
        form = "json"
        data = read_json(path)
        locator = JsonLocator(path.name)
        _check_json_upns(data, locator, problems)
        _check_json_text(data, locator, problems)
    elif kind in {"csv", "text", "utf16-text", "zip"} and (path.is_dir() or kind == "zip" or path.suffix.lower() in {".csv", ".txt"}):
        raw, encodings = read_csv_zip(path, problems) if kind == "zip" else read_csv(path, problems)
        form = "csv-files" if path.is_dir() or kind == "zip" else "csv"
        notes.append("read as " + "; ".join(encodings))
        order = raw.order
        data, locator, mistyped_for = assemble(raw, problems)
    else:
        raise UnreadableFileError(
            f"{path.name} is {REAL_TYPE_NAMES.get(kind, 'not a register')}",
            fix="senforms reads the Excel workbook from templates/xlsx/, CSV exports (or a zip of them), or JSON",
        )

    register: Register | None = None
    try:
        register = Register.model_validate(data)
    except ValidationError as exc:
        problems.items.extend(problems_from_validation(exc, locator))
    if register is not None and settings is not None:
        from senforms.config.school_settings import with_school_settings  # config reads inputs' locators

        register = with_school_settings(register, settings)
    if register is not None:
        problems.items.extend(cross_record_problems(register, locator.find, as_of=as_of, mistyped_for=mistyped_for))
        problems.items.extend(evidence_path_problems(register, path.parent, locator.find, evidence_dir))
    if problems.errors or register is None:
        raise InputError(_in_file_order(problems.errors, order), warnings=_in_file_order(problems.warnings, order))
    warnings = problems.warnings + register_warnings(register, locator.find, as_of=as_of, original_order=_cycle_order(data))
    if not register.pupils:
        warnings.insert(0, _empty_register_warning(path.name, form))
    return LoadedRegister(register, path, _in_file_order(warnings, order), notes, form)


def _check_json_upns(data: dict[str, Any], locator: Locator, problems: ProblemList) -> None:
    # Tabular readers catch duplicates while linking rows; JSON needs the same check before validation,
    # so that it is reported alongside every other error.
    seen: dict[str, int] = {}
    pupils = data.get("pupils") or []
    if not isinstance(pupils, list):
        return  # validation reports that 'pupils' must be a list, with its place
    for index, pupil in enumerate(pupils):
        upn = str(pupil.get("upn", "")).strip().upper() if isinstance(pupil, dict) else ""
        if not upn:
            continue
        if upn in seen:
            problems.error(locator.find(("pupils", index, "upn")), f"UPN {upn} appears twice (also pupils[{seen[upn]}])", "each pupil must appear once")
        else:
            seen[upn] = index


def _check_json_text(data: dict[str, Any], locator: Locator, problems: ProblemList) -> None:
    # The tabular readers warn about control characters cell by cell; do the same for JSON,
    # value by value. A stack, not recursion: the file may be nested as deep as json allows.
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if has_control_characters(value):
                problems.warning(locator.find(where), *CONTROL_CHARACTERS)
        elif isinstance(value, dict):
            stack.extend(((*where, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*where, index), item) for index, item in enumerate(value))


# A JSON register's top-level keys in the order the schema (and a person reading it) has them.
_JSON_ORDER = ["schema_version", "school", "local_authority", "pupils"]


def _in_file_order(problems: list[Problem], order: list[str]) -> list[Problem]:
    """As a person reads the register: the whole file first, then sheet by sheet (or CSV file by CSV
    file) in the register's own order, row by row; JSON by its paths, pupils[3] before pupils[11]."""
    rank = {name: index for index, name in enumerate(order)}

    def key(p: Problem) -> tuple:
        loc: Location = p.location
        where = loc.sheet if loc.sheet is not None else loc.file
        if loc.sheet is None and loc.row is None and loc.column is None:
            place = -1  # the register as a whole
        else:
            place = rank.get(where, len(rank))
        return (place, loc.file, loc.sheet or "", loc.row or 0, _path_key(loc.column or ""))

    return sorted(problems, key=key)


def _path_key(column: str) -> tuple:
    """'pupils[11].address' sorts after 'pupils[3].upn': numbers as numbers, top-level keys in schema order."""
    parts: list[tuple[int, int | str]] = []
    for index, part in enumerate(re.findall(r"\[(\d+)\]|([^.\[\]]+)", column)):
        number, name = part
        if number:
            parts.append((0, int(number)))
        elif index == 0 and name in _JSON_ORDER:
            parts.append((0, _JSON_ORDER.index(name)))
        else:
            parts.append((1, name))
    return tuple(parts)


__all__ = ["LoadedRegister", "load_register", "no_pupils"]


@dataclass(frozen=True)
class Validation:
    """A register that passed, with its warnings (in `loaded`) and the counts a SENCo checks."""

    loaded: LoadedRegister
    summary: Summary


def validate(
    path: Path | str, *, password: str | None = None, as_of: dt.date | None = None, settings: Path | None = None,
    evidence_dir: Path | None = None,
) -> Validation:
    """Check a register: InputError with every problem when it is not valid, else what it holds.

    A valid register may still lack what a document needs (the school's details, its LA): each such
    gap is a warning here, so it is found before `render` refuses.
    """
    from senforms.documents.catalogue import documents_lacking

    loaded = load_register(path, password=password, as_of=as_of, settings=settings, evidence_dir=evidence_dir)
    lacking = [Problem(Location(loaded.source.name), what, fix, "warning") for what, fix in documents_lacking(loaded.register)]
    if lacking:
        warnings = lacking + loaded.warnings
        if not loaded.register.pupils:  # the wrong file altogether: say so before what it lacks
            empty = _empty_register_warning(loaded.source.name, loaded.format)
            warnings = [empty] + [w for w in warnings if w != empty]
        loaded = dataclasses.replace(loaded, warnings=warnings)
    return Validation(loaded, summarise(loaded.register))
