"""`senforms fill FORM REGISTER --map MAP.toml -o OUTDIR`: the LA's own form, filled for each pupil to be referred."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

import senforms
from senforms.cli._common import ProgressBar, relative, uk_date_option, workbook_password_option


@click.command("fill")
@click.argument("form", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("register", type=click.Path(exists=True, path_type=Path))
@click.option("--map", "map_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The form's map (made with `senforms forms map`).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the filled forms.")
@click.option("--pupil", "pupils", multiple=True, metavar="UPN", help="Only this pupil (repeatable).")
@click.option("--flatten", is_flag=True, help="PDF forms: draw the values into the pages, so the copy cannot be edited.")
@click.option("--pdf", is_flag=True, help="Word forms: also write a PDF of each filled form (needs LibreOffice).")
@click.option("--name", "name_pattern", metavar="PATTERN", help="File names, e.g. '{upn}-{form}' (the default). Fields as for render, and {form}.")
@click.option("--date", "on", callback=lambda c, p, v: uk_date_option(v), metavar="DD/MM/YYYY", help="The date the forms carry (default: today).")
@click.option("--overwrite", is_flag=True, help="Replace forms that already exist.")
@workbook_password_option
def command(form, register, map_path, out_dir, pupils, flatten, pdf, name_pattern, on, overwrite, workbook_password):
    """Fill FORM (the LA's PDF or Word form) from REGISTER for every pupil whose latest review decided to request an EHC needs assessment."""
    loaded = senforms.load_register(register, password=workbook_password)
    loaded.require_pupils()  # an empty register is the wrong file: nothing to make
    chosen = senforms.select_pupils(loaded.register, pupils, ())
    options = senforms.FillOptions(out_dir=out_dir, name_pattern=name_pattern, overwrite=overwrite, flatten=flatten, pdf=pdf, on=on or dt.date.today())
    with ProgressBar(f"Filling {form.name}") as bar:
        result = senforms.fill_forms(loaded.register, form, map_path, options, chosen, on_progress=bar.advance)
    if not result.forms:
        click.echo("No pupil chosen has a latest review that decided to request an EHC needs assessment: nothing to fill.")
        return
    for item in result.forms:
        if item.status == "failed":
            click.secho(f"  ✗ {item.path.name}: {item.error}", fg="red", err=True)
        elif item.status == "written" and item.addendum_boxes:
            click.echo(f"  {relative(item.path)}: {item.addendum_boxes} box(es) continued on the addendum at the end")
        for warning in item.warnings:
            click.secho(f"  ! {item.path.name}: {warning}", fg="yellow", err=True)
    for conversion in result.pdfs:
        if conversion.status == "failed":
            click.secho(f"  ✗ PDF of {conversion.source.name}: {conversion.error}", fg="red", err=True)
    click.echo(f"{form.name}: {result.summary('skipped (already there; use --overwrite to replace)')}, in {relative(out_dir)}")
    if result.pdfs:
        click.echo(f"  PDFs: {sum(1 for r in result.pdfs if r.status == 'converted')} made")
    if result.failed:
        raise SystemExit(1)
