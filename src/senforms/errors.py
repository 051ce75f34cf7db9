"""Every error senforms shows a user, and the places in their files that errors point at."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Location:
    """Where a value came from: file › sheet › row › column (any part may be absent)."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    place: str | None = None  # inside a document: "paragraph 3 ('Dear …')", "table 1, row 2, cell 1"

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(self.column)
        if self.place:
            parts.append(self.place)
        return " › ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a SENCo's attention) in the input, with how to fix it."""

    location: Location
    message: str
    fix: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.fix:
            text += f" ({self.fix})"
        return text

    @property
    def within_file(self) -> str:
        """The problem as a list under its file's name shows it: "paragraph 2: …"."""
        text = f"{self.location.place or 'the document'}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text


class SenformsError(Exception):
    """An error senforms can explain to a user: what is wrong, where (optional) and how to fix it.

    `option` names, without any command's spelling, the setting that would fix it ("overwrite",
    "workbook_password"…), and `{option}` in the fix marks where it goes: the CLI puts its own
    flag there (`fix_for("--overwrite")`) and the web app its own field, so library messages never
    name a flag a command may not have. The CLI exits with `exit_code`.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, fix: str = "", location: Location | None = None, option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.option = option
        self._fix = fix

    @property
    def fix(self) -> str:
        """The fix, naming the option in words ("the overwrite option")."""
        return self.fix_for(f"the {self.option.replace('_', ' ')} option" if self.option else "")

    def fix_for(self, spelling: str) -> str:
        """The fix with the option spelt as a caller shows it (a CLI flag, a form field)."""
        return self._fix.replace("{option}", spelling)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class InputError(SenformsError):
    """The input has problems that block generation; every one of them is in `problems`."""

    def __init__(self, problems: list[Problem], *, warnings: list[Problem] | None = None) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = list(warnings or []) + [p for p in problems if p.severity == "warning"]
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found in the input")


class UnreadableFileError(SenformsError):
    """A file cannot be read at all (wrong type, encrypted, corrupt, too large)."""


class OutputExistsError(SenformsError):
    """A file senforms would write is already there and overwriting was not asked for."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(
            f"{path} already exists: senforms never overwrites a file unless asked",
            fix="run again with {option} to replace it, or choose another output folder",
            option="overwrite",
        )
        self.path = path


class OutputFolderError(SenformsError):
    """senforms cannot make or write in the folder its results go to (a file in the way, read-only)."""


class TemplateProblemError(SenformsError):
    """A Word template is broken or asks for something the record does not have."""


class ConversionError(SenformsError):
    """LibreOffice could not turn a document into PDF."""


class EvidenceError(SenformsError):
    """An evidence file for a bundle cannot be used (password, corrupt, not what its name says)."""


class DeliveryError(SenformsError):
    """An email cannot be built or sent safely."""


@dataclass
class ProblemList:
    """Collects problems while reading so that every one can be reported at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, location: Location, message: str, fix: str = "") -> None:
        self.items.append(Problem(location, message, fix, "error"))

    def warning(self, location: Location, message: str, fix: str = "") -> None:
        self.items.append(Problem(location, message, fix, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]


class FormError(SenformsError):
    """An LA's form, or the map that fills it, cannot be used as it is (a changed form, an unknown field, a bad value)."""
