"""`senforms demo`: everything senforms does, on the shipped fictional school."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from senforms.bundle.pack import PackOptions, build_pack
from senforms.cli._common import relative
from senforms.cli._output import print_problems
from senforms.deliver.invitations import prepare_invitations
from senforms.documents.batch import BatchOptions, logo_path, make_documents
from senforms.documents.catalogue import KINDS
from senforms.documents.meetings_plan import plan_meetings, save_plan
from senforms.errors import ConversionError, OutputExistsError
from senforms.inputs import load_register
from senforms.model.checks import summarise
from senforms.resources import samples_dir


def _libreoffice_available() -> bool:
    try:
        from senforms.pdf import find_soffice

        find_soffice()
        return True
    except ConversionError:
        return False


@click.command("demo")
@click.option("-o", "--out", "out_dir", default="senforms-demo", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for everything the demo makes.")
@click.option("--register", type=click.Path(exists=True, path_type=Path), help="Use this register instead of the shipped samples.")
@click.option("--no-pdf", is_flag=True, help="Make Word documents only.")
def command(out_dir: Path, register: Path | None, no_pdf: bool) -> None:
    """Validate the sample register, render every document, and build the EHC request packs."""
    source = register or samples_dir() / "register.xlsx"
    click.secho(f"1. Validating {relative(source)}", bold=True)
    loaded = load_register(source)
    print_problems([], loaded.warnings)
    summary = summarise(loaded.register)
    click.echo(f"   {summary.pupils} pupils, {summary.cycles} APDR cycles ({summary.completed_cycles} reviewed), {summary.meetings} meetings: valid.")

    pdf = not no_pdf and _libreoffice_available()
    if not no_pdf and not pdf:
        click.secho("   LibreOffice was not found, so the demo makes Word documents only (see `senforms doctor`).", fg="yellow")
    click.secho("\n2. Rendering every document" + (" with PDFs" if pdf else ""), bold=True)
    for kind in KINDS:
        folder = out_dir / "documents" / kind
        merge_to = out_dir / "print" / f"all-{kind}s.docx" if kind in {"parent-notification", "invitation"} else None
        if merge_to is not None and merge_to.exists():
            merge_to = None  # made by an earlier run: kept, never overwritten
        options = BatchOptions(out_dir=folder, merge_to=merge_to, duplex=True, pdf=pdf)
        result = make_documents(loaded, kind, options)
        report = result.report
        made = report.count("written")
        line = f"   {KINDS[kind].title}: {made} made"
        if report.count("skipped"):
            line += f", {report.count('skipped')} already there"
        if result.failed:
            line += f", {result.failed} FAILED"
        click.echo(line + f" in {relative(folder)}")

    if pdf:
        click.secho("\n3. Building the EHC needs assessment request packs", bold=True)
        for pupil in loaded.register.pupils:
            if not pupil.requests_ehc_assessment:
                continue
            folder = out_dir / "packs" / pupil.upn
            try:
                pack = build_pack(loaded, pupil.upn, PackOptions(out_dir=folder, on=dt.date.today()), logo=logo_path(loaded))
            except OutputExistsError:
                click.echo(f"   {pupil.upn}: already made in {relative(folder)}")
                continue
            missing = len(pack.missing)
            click.echo(
                f"   {pupil.upn}: {pack.bundle.pages}-page bundle in {relative(folder)}"
                + (f" ({missing} checklist item{'s' if missing != 1 else ''} missing)" if missing else " (checklist complete)")
            )
    today = dt.date.today()
    if pdf:
        click.secho("\n4. Inviting parents to the meetings booked from today (drafts only: nothing is sent)", bold=True)
        folder = out_dir / "invitations"
        batch = prepare_invitations(loaded, folder, on=today)
        emailed = sum(1 for i in batch.invitations if i.channel == "email")
        posted = len(batch.invitations) - emailed
        click.echo(f"   {emailed} email draft(s) with calendar invitations, {posted} letter(s) to post in {relative(folder)}")
        if batch.print_pdf is not None:
            click.echo(f"   Letters to post, in envelope order: {relative(batch.print_pdf)}")
        for failure in batch.failures:
            click.secho(f"   FAILED {failure}", fg="red")

    click.secho("\n5. Planning this school year's meetings with parents (three a year)", bold=True)
    meeting_plan = plan_meetings(loaded.register, today)
    overdue = sum(1 for p in meeting_plan.pupils if p.overdue)
    workbook = out_dir / "meetings-plan.xlsx"
    if workbook.exists():
        click.echo(f"   {overdue} pupil(s) overdue a meeting this school year; the plan made earlier is kept: {relative(workbook)}")
    else:
        save_plan(loaded.register, meeting_plan, workbook)
        click.echo(f"   {overdue} pupil(s) overdue a meeting this school year; {meeting_plan.proposed_count} meeting(s) proposed in {relative(workbook)}")
    click.secho(f"\nDone. Everything is in {relative(out_dir)}/", fg="green", bold=True)
