"""`senforms forms inspect FORM` and `senforms forms map FORM -o MAP.toml`: an LA's form, mapped once."""

from __future__ import annotations

import json
from pathlib import Path

import click

import senforms
from senforms.cli._boundary import TrackingGroup
from senforms.cli._common import relative


@click.group("forms", cls=TrackingGroup)
def command() -> None:
    """List the fields of a local authority's own form, and write the map that fills it."""


@command.command("inspect")
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON.")
def inspect(form: Path, as_json: bool) -> None:
    """Every field of FORM (a fillable PDF or a Word form), in page or document order."""
    inventory = senforms.inspect_form(form)
    if as_json:
        click.echo(json.dumps(inventory.as_json(), indent=2, ensure_ascii=False))
        return
    if not inventory.fields:
        click.echo(f"{form.name} has no fields anyone could fill in (it may be a printed or scanned copy: ask the LA for the fillable form).")
        return
    places = all(f.kind == "cell" for f in inventory.fields)
    if places:
        click.echo(f"{form.name} has no form fields; these empty table cells beside a label can be filled from a map:")
    else:
        click.echo(f"{form.name}: {len(inventory.fields)} field(s)")
    for number, field in enumerate(inventory.fields, start=1):
        where = f"page {field.page}, " if field.page else ""
        click.echo(f"  {number:>3}. {field.name!r} — {where}{field.kind} ({field.source})")
        if field.label and field.label != field.name:
            click.echo(f"       label: {field.label}")
        if field.limits:
            click.echo(f"       {field.limits}")
    click.echo(f"Next: senforms forms map {relative(form)} -o {form.stem}.toml")


@command.command("map")
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The map to write (TOML).")
@click.option("--overwrite", is_flag=True, help="Replace a map that already exists.")
def map_command(form: Path, out: Path, overwrite: bool) -> None:
    """Write a starting map of FORM: every field, with a suggested value where its label matches a variable."""
    path = senforms.make_form_map(form, out, overwrite=overwrite)
    click.echo(f"Wrote {relative(path)}: check every value (suggestions are only a start), then fill with")
    click.echo(f"  senforms fill {relative(form)} REGISTER --map {relative(path)} -o OUTDIR")
