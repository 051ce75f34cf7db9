"""`senforms meetings plan INPUT`: meetings held, booked and due this school year, with dates to propose."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

import senforms
from senforms.cli._boundary import TrackingGroup
from senforms.cli._common import relative, uk_date_option, workbook_password_option
from senforms.documents.meeting_slots import load_availability
from senforms.documents.meetings_plan import EXPECTED_PER_YEAR, MeetingPlan
from senforms.ukformat import long_date


@click.group("meetings", cls=TrackingGroup)
def command() -> None:
    """Meetings with parents (Code of Practice 6.65: at least three a year)."""


@command.command("plan")
@click.argument("register", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the register workbook with the proposed meetings added (an .xlsx to adjust and feed to `senforms invite`).")
@click.option("--date", "on", callback=lambda c, p, v: uk_date_option(v), metavar="DD/MM/YYYY", help="Plan as of this date (default: today).")
@click.option("--overwrite", is_flag=True, help="Replace the workbook if it already exists.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="School settings file (JSON or TOML): its [meetings] table gives the days, times, length and who attends; [terms] the school's term dates.")
@workbook_password_option
def plan(register, out_path, on, overwrite, config_path, workbook_password):
    """For every pupil on SEN support or with an EHC plan: meetings held and booked this school
    year, whether one is overdue, and a date to propose for each term still without one."""
    on = on or dt.date.today()
    if out_path is not None and out_path.suffix.lower() != ".xlsx":
        raise click.BadParameter("the workbook must be an .xlsx file", param_hint="-o")
    availability = load_availability(config_path)  # before reading the register: a bad setting costs nothing
    loaded = senforms.load_register(register, password=workbook_password, as_of=on, settings=config_path)
    loaded.require_pupils()  # an empty register is the wrong file: nothing to make
    meeting_plan = senforms.plan_meetings(loaded.register, on, availability)
    show_plan(meeting_plan)
    if out_path is not None:
        path = senforms.save_plan(loaded.register, meeting_plan, out_path, overwrite=overwrite)
        click.echo(f"Register with {meeting_plan.proposed_count} proposed meeting(s) added: {relative(path)}")
        click.echo(f"  Change the dates on its Meetings sheet if you need to, then: senforms invite {relative(path)} -o FOLDER")


def show_plan(meeting_plan: MeetingPlan) -> None:
    from rich.console import Console
    from rich.table import Table

    terms = ", ".join(t.label for t in meeting_plan.terms)
    table = Table(title=f"Meetings with parents, school year {meeting_plan.school_year} ({terms}), as of {long_date(meeting_plan.on)}", title_justify="left")
    for column in ("UPN", "Pupil", "Held", "Booked", "Proposed", "Overdue"):
        table.add_column(column, overflow="fold")
    for row in meeting_plan.pupils:
        pupil = row.pupil
        table.add_row(
            row.upn,
            f"{pupil.known_as} {pupil.legal_surname}",
            str(len(row.held)),
            ", ".join(f"{m.id} {m.date:%d/%m/%Y}" for m in row.booked) or "-",
            ", ".join(f"{m.id} {m.date:%d/%m/%Y} {m.start_time:%H:%M}" for m in row.proposed) or "-",
            ("YES: " + "; ".join(row.notes)) if row.overdue else "no",
        )
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 120)
    console.print(table)
    overdue = sum(1 for p in meeting_plan.pupils if p.overdue)
    click.echo(
        f"{len(meeting_plan.pupils)} pupil(s); expected {EXPECTED_PER_YEAR} meetings a year each; "
        f"{meeting_plan.terms_over} term(s) over; {overdue} overdue; {meeting_plan.proposed_count} meeting(s) proposed."
    )
