"""Where each value of the record came from, so a validation error can name its cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from senforms.errors import Location, Problem

LocPath = tuple[Any, ...]


class Locator:
    """Maps a path in the record (as pydantic reports it) to a place in the input file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._places: dict[LocPath, Location] = {}
        self._when_missing: dict[LocPath, tuple[str, str]] = {}

    def add(self, path: LocPath, location: Location) -> None:
        self._places[tuple(path)] = location

    def explain_missing(self, path: LocPath, message: str, fix: str) -> None:
        """What to say when the value at `path` is missing altogether (a School sheet row nobody added)."""
        self._when_missing[tuple(path)] = (message, fix)

    def missing_reason(self, path: Sequence[Any]) -> tuple[str, str] | None:
        """The message and fix given with `explain_missing`, if any."""
        return self._when_missing.get(tuple(path))

    def find(self, path: Sequence[Any]) -> Location:
        """The most specific known place for a path: its cell, else its row, else the file."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            place = self._places.get(path[:end])
            if place is not None:
                return place
        return Location(self.file, column=_json_path(path) or None)


def _json_path(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[a-z_]+", part):
            text += f".{part}" if text else part
    return text


class JsonLocator(Locator):
    """For JSON input: every place is the path inside the file, e.g. pupils[2].date_of_birth."""

    def find(self, path: Sequence[Any]) -> Location:
        return Location(self.file, column=_json_path(path) or None)


_GENERIC_MESSAGES = {
    "missing": ("is empty but must be filled in", "fill it in"),
    "int_parsing": ("'{input}' is not a whole number", "type a whole number"),
    "int_from_float": ("'{input}' is not a whole number", "type a whole number"),
    "float_parsing": ("'{input}' is not a number", "type a number"),
    "bool_parsing": ("'{input}' is not Yes or No", "type Yes or No"),
    "date_from_datetime_inexact": ("'{input}' has a time as well as a date", "type just the date"),
    "extra_forbidden": ("is not something senforms knows about", "check the spelling against the JSON Schema in schema/"),
    "string_type": ("'{input}' should be text", "put the value in quotes"),
    "list_type": ("should be a list", "check the JSON Schema in schema/"),
    "model_type": ("should be an object", "check the JSON Schema in schema/"),
    "model_attributes_type": ("should be an object", "check the JSON Schema in schema/"),
}


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def problem_from_error(error: ErrorDetails, locator: Locator) -> Problem:
    """One pydantic error as a Problem a SENCo can act on."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    location = locator.find(error["loc"])
    raw = error.get("input")
    if kind == "missing" and (reason := locator.missing_reason(error["loc"])) is not None:
        return Problem(location, *reason)
    if kind == "enum":
        message = f"'{_short(raw)}' is not one of the codes allowed here"
        fix = f"use one of: {ctx.get('expected', '')}".replace("'", "")
    elif kind in _GENERIC_MESSAGES:
        template, fix = _GENERIC_MESSAGES[kind]
        message = template.format(input=_short(raw))
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        fix = ""
    elif kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        limit = next(iter(ctx.values()), "")
        word = "at least" if kind.startswith("greater") else "at most"
        message = f"'{_short(raw)}' is out of range"
        fix = f"it must be {word} {limit}"
    elif kind == "string_too_short":
        message, fix = "is empty but must be filled in", "fill it in"
    else:
        message = str(error["msg"])
        fix = str(ctx.get("fix", ""))
    if "fix" in ctx and kind not in _GENERIC_MESSAGES:
        fix = str(ctx["fix"])
    return Problem(location, message, fix)


def problems_from_validation(exc: ValidationError, locator: Locator) -> list[Problem]:
    """Every error of a failed validation, each at its place, in file order."""
    seen: set[str] = set()
    problems = []
    for error in exc.errors(include_url=False):
        problem = problem_from_error(error, locator)
        if str(problem) not in seen:  # unions can report one mistake twice
            seen.add(str(problem))
            problems.append(problem)
    return problems
