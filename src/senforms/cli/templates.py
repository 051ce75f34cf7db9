"""`senforms templates export DIR` and `senforms templates check FILE`."""

from __future__ import annotations

from pathlib import Path

import click

import senforms
from senforms.cli._boundary import TrackingGroup
from senforms.cli._common import DOCUMENT_KINDS, relative


@click.group("templates", cls=TrackingGroup)
def command() -> None:
    """Export the shipped Word templates to edit, and check a school's own."""


@command.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace templates already in the folder.")
def export(folder: Path, overwrite: bool) -> None:
    """Copy the shipped templates into FOLDER for the school to edit in Word."""
    for path in senforms.export_templates(folder, overwrite=overwrite):
        click.echo(f"  {relative(path)}")
    click.echo(f"Edit them in Word, then use them with: senforms render … --templates {relative(folder)}")


@command.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--doc", "kind", type=click.Choice(DOCUMENT_KINDS), help="The document the template is for (default: from its file name).")
def check(files: tuple[Path, ...], kind: str | None) -> None:
    """Find problems in a school's template, each with its place in the document."""
    errors = 0
    for path in files:
        findings = senforms.check_template(path, kind)
        problems = [f for f in findings if f.severity == "error"]
        errors += len(problems)
        if not findings:
            click.secho(f"✓ {path.name}: no problems found", fg="green")
            continue
        click.secho(f"{path.name}:", bold=True)
        for finding in findings:
            colour = "red" if finding.severity == "error" else "yellow"
            click.secho(f"  {'✗' if finding.severity == 'error' else '!'} {finding.within_file}", fg=colour)
    if errors:
        raise SystemExit(1)
