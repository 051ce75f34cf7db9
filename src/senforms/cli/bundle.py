"""`senforms bundle INPUT --pupil UPN -o OUTDIR`: the EHC needs assessment request pack."""

from __future__ import annotations

from pathlib import Path

import click

import senforms
from senforms.cli._common import relative, uk_date_option


@click.command("bundle")
@click.argument("register", type=click.Path(exists=True, path_type=Path))
@click.option("--pupil", "upn", required=True, metavar="UPN", help="The pupil the request is for.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the pack.")
@click.option("--evidence", "evidence_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), help="A folder of further evidence (PDF, Word, JPEG, PNG) to include.")
@click.option("--date", "on", callback=lambda c, p, v: uk_date_option(v), metavar="DD/MM/YYYY", help="The date the school sends the request (default: the Request date on the Reviews sheet).")
@click.option("--name", "name_pattern", default="{upn}", show_default=True, metavar="PATTERN", help="Start of the file names, e.g. '{surname}-{forename}'.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path), help="The school's own templates.")
@click.option("--strict", is_flag=True, help="Make nothing if the checklist finds anything missing.")
@click.option("--sections", is_flag=True, help="Also write each section as its own PDF, for LA portals.")
@click.option("--password", help="Encrypt the bundle (AES-256) with this passphrase, or 'generate' for a new one.")
@click.option("--max-mb", type=click.FloatRange(min=0.5), help="Also split the bundle into parts under this size, for email.")
@click.option("--overwrite", is_flag=True, help="Replace a pack that already exists.")
@click.option("--workbook-password", help="Password of a protected workbook.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="School settings file (TOML or JSON) whose [local_authority] table sets the LA's section order and labels, expected APDR cycles, report age and email size limit; [hourly_rates] and [terms] set staff hourly rates and the school's term dates.")
def command(register, upn, out_dir, evidence_dir, on, name_pattern, templates_dir, strict, sections, password, max_mb, overwrite, workbook_password, config_path):
    """Make the EHC needs assessment request pack for one pupil: request, covering letter,
    indexed evidence bundle, checklist and manifest."""
    loaded = senforms.load_register(register, password=workbook_password, settings=config_path, evidence_dir=evidence_dir)
    local_authority = senforms.local_authority_profile(loaded.register.local_authority, config_path)
    passphrase = senforms.generate_passphrase() if password == "generate" else password
    options = senforms.PackOptions(
        out_dir=out_dir, on=on, evidence_dir=evidence_dir, templates_dir=templates_dir, name_pattern=name_pattern,
        strict=strict, sections=sections, password=passphrase, max_mb=max_mb, overwrite=overwrite,
        local_authority=local_authority, base_dir=loaded.base_dir, logo=loaded.logo,
    )
    result = senforms.build_pack(loaded.register, upn, options)
    click.echo((result.files["checklist"]).read_text(encoding="utf-8"))
    click.echo("Made:")
    for key in ("request_docx", "request_pdf", "cover_docx", "cover_pdf", "bundle", "checklist", "manifest"):
        click.echo(f"  {relative(result.files[key])}")
    click.echo(f"  The bundle has {result.bundle.pages} pages in {len(result.bundle.sections)} sections.")
    for path in result.section_files + result.parts:
        click.echo(f"  {relative(path)}")
    for warning in result.warnings:
        click.secho(f"  ! {warning}", fg="yellow", err=True)
    if password == "generate":
        click.secho(f"\nPassphrase for the bundle (shown once; send it separately, never in the same email): {passphrase}", bold=True)
    if result.missing:
        click.secho(f"\n{len(result.missing)} thing(s) the LA may expect are missing: see the checklist above.", fg="yellow")
