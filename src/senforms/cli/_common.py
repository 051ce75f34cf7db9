"""Options and helpers several commands share."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from senforms.model.values import parse_uk_date

DOCUMENT_KINDS = ["support-plan", "review", "parent-notification", "invitation", "ehc-request", "la-cover-letter"]


def uk_date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_uk_date(value)
    except Exception:
        raise click.BadParameter(f"'{value}' is not a date (use dd/mm/yyyy)") from None


def pupil_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--where", "where", multiple=True, metavar="FIELD=VALUE", help='Only pupils matching, e.g. --where "year=5" (year, class, need, status, upn, surname).')(function)
    function = click.option("--pupil", "pupils", multiple=True, metavar="UPN", help="Only this pupil (repeatable).")(function)
    return function


@contextmanager
def progress_bar(total: int, label: str):
    """A progress bar on a terminal for long runs; nothing otherwise. Yields an advance() function."""
    if total < 5 or not sys.stderr.isatty():
        yield lambda *_: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda *_: progress.advance(task)


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
