"""Options and helpers several commands share."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from senforms.documents.catalogue import KINDS
from senforms.model.values import parse_uk_date

DOCUMENT_KINDS = list(KINDS)  # the catalogue is the one list of what senforms makes


# A document's date is within a working life of today: anything else is a slip of the keyboard
# (and dates near the calendar's ends break the statutory week and school-year arithmetic).
EARLIEST_YEAR, LATEST_YEAR = 1990, 2200


def uk_date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = parse_uk_date(value)
    except Exception:
        raise click.BadParameter(f"'{value}' is not a date (use dd/mm/yyyy)") from None
    if day is None:  # a blank value
        raise click.BadParameter(f"'{value}' is not a date (use dd/mm/yyyy)")
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise click.BadParameter(f"'{value}' is not a date senforms can use (give a year from {EARLIEST_YEAR} to {LATEST_YEAR})")
    return day


def workbook_password_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--password for a protected register workbook (the library calls it `workbook_password`)."""
    return click.option("--password", "workbook_password", metavar="PASSWORD", help="Password of a protected register workbook.")(function)


def data_dir_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--data: the web app's private folder (accounts, uploads, outputs); the same for `serve` and `users`."""
    return click.option(
        "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
        help="The web app's data folder (default: a private folder in your user profile).",
    )(function)


def pupil_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--where", "where", multiple=True, metavar="FIELD=VALUE", help='Only pupils matching, e.g. --where "year=5" (year, class, need, status, upn, surname).')(function)
    function = click.option("--pupil", "pupils", multiple=True, metavar="UPN", help="Only this pupil (repeatable).")(function)
    return function


class ProgressBar:
    """A progress bar on a terminal for long runs, nothing otherwise; the library calls `start(total)`
    once it knows how much there is, then `advance()` per item."""

    MINIMUM = 5

    def __init__(self, label: str) -> None:
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def start(self, total: int) -> None:
        if total < self.MINIMUM or not sys.stderr.isatty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=total)

    def advance(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
