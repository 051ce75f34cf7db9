"""`senforms validate FILE`: every problem in a register at once, then a summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

import senforms
from senforms.cli._common import uk_date_option, workbook_password_option
from senforms.cli._output import print_problems


@click.command("validate")
@click.argument("register", type=click.Path(exists=True, path_type=Path))
@click.option("--date", "on", callback=lambda c, p, v: uk_date_option(v), metavar="DD/MM/YYYY", help="Judge the register as of this date: year groups, ages, warnings (default: today).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="School settings file (TOML or JSON): its [hourly_rates] and [terms] tables set staff hourly rates and the school's term dates.")
@click.option("--evidence", "evidence_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), help="The folder of further evidence you give `senforms bundle`: Evidence sheet paths may lead into it as well as into the register's folder.")
@workbook_password_option
def command(register: Path, on: dt.date | None, config_path: Path | None, evidence_dir: Path | None, workbook_password: str | None) -> None:
    """Check a register (Excel workbook, CSV export, a folder or zip of CSV exports, or JSON) and list every problem with its place.

    Exit status 0 when the register is valid (warnings do not count), 1 when it is not.
    """
    validation = senforms.validate(register, password=workbook_password, as_of=on, settings=config_path, evidence_dir=evidence_dir)
    loaded, summary = validation.loaded, validation.summary
    print_problems([], loaded.warnings)
    click.secho(f"\n✓ {register.name} is valid.", fg="green", bold=True)
    for note in loaded.notes:
        click.echo(f"  ({note})")
    click.echo(f"  Pupils: {summary.pupils}")
    click.echo("  By SEN status: " + (", ".join(f"{label} {count}" for label, count in summary.by_status.items()) or "none"))
    click.echo("  By primary need: " + (", ".join(f"{code} {count}" for code, count in summary.by_need.items()) or "none"))
    click.echo(f"  APDR cycles: {summary.cycles} ({summary.completed_cycles} reviewed)")
    click.echo(f"  Meetings: {summary.meetings}")
    if summary.requesting_ehc:
        click.echo(f"  Decided to request an EHC needs assessment: {summary.requesting_ehc}")
    if loaded.warnings:
        click.echo(f"  Warnings: {len(loaded.warnings)} (listed above)")
