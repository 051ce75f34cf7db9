"""`senforms demo`: everything senforms does, on the shipped fictional school."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import click

import senforms
from senforms.cli._common import relative, workbook_password_option
from senforms.cli._output import print_problems
from senforms.errors import ConversionError, OutputExistsError
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
@workbook_password_option
def command(out_dir: Path, register: Path | None, no_pdf: bool, workbook_password: str | None) -> None:
    """Validate the sample register, render every document, and build the EHC request packs."""
    source = register or samples_dir() / "register.xlsx"
    click.secho(f"1. Validating {relative(source)}", bold=True)
    validation = senforms.validate(source, password=workbook_password)
    loaded, summary = validation.loaded, validation.summary
    print_problems([], loaded.warnings)
    click.echo(f"   {summary.pupils} pupils, {summary.cycles} APDR cycles ({summary.completed_cycles} reviewed), {summary.meetings} meetings: valid.")

    pdf = not no_pdf and _libreoffice_available()
    if not no_pdf and not pdf:
        click.secho("   LibreOffice was not found, so the demo makes Word documents only (see `senforms doctor`).", fg="yellow")
    today = dt.date.today()
    from senforms.pdf import PdfConverter

    with contextlib.ExitStack() as stack:
        # One pool of LibreOffices for every step, started once (and only if a PDF is needed).
        converter = stack.enter_context(PdfConverter()) if pdf else None
        _render_everything(loaded, out_dir, today, pdf, converter)
        if pdf:
            _packs(loaded, out_dir, today, converter)
            _invitations(loaded, out_dir, today, converter)
        _meetings_plan(loaded, out_dir, today)
        _la_forms(loaded, out_dir, today, converter)
    if register is None:
        _mis_export(out_dir, today)
    click.secho(f"\nDone. Everything is in {relative(out_dir)}/", fg="green", bold=True)


def _render_everything(loaded, out_dir: Path, today: dt.date, pdf: bool, converter) -> None:
    """Step 2: every kind of document, with its PDF when LibreOffice is there."""
    click.secho("\n2. Rendering every document" + (" with PDFs" if pdf else ""), bold=True)
    for kind in senforms.KINDS:
        folder = out_dir / "documents" / kind
        merge_to = out_dir / "print" / f"all-{kind}s.docx" if kind in {"parent-notification", "invitation"} else None
        if merge_to is not None and merge_to.exists():
            merge_to = None  # made by an earlier run: kept, never overwritten
        options = senforms.RenderOptions(out_dir=folder, merge_to=merge_to, duplex=True, pdf=pdf, on=today, logo=loaded.logo)
        result = senforms.render(loaded.register, kind, options, converter=converter)
        report = result.report
        made = report.count("written")
        line = f"   {senforms.KINDS[kind].title}: {made} made"
        if report.count("skipped"):
            line += f", {report.count('skipped')} already there"
        if result.failed:
            line += f", {result.failed} FAILED"
        told = sum(1 for item in result.left_out if item.reason == "notified")
        if told:
            line += f" ({told} famil{'ies' if told != 1 else 'y'} already told)"
        click.echo(line + f" in {relative(folder)}")


def _packs(loaded, out_dir: Path, today: dt.date, converter) -> None:
    """Step 3: an EHC needs assessment request pack for each pupil the register asks one for."""
    click.secho("\n3. Building the EHC needs assessment request packs", bold=True)
    for pupil in loaded.register.pupils:
        if not pupil.requests_ehc_assessment:
            continue
        folder = out_dir / "packs" / pupil.upn
        try:
            pack_options = senforms.PackOptions(out_dir=folder, on=today, base_dir=loaded.base_dir, logo=loaded.logo)
            pack = senforms.build_pack(loaded.register, pupil.upn, pack_options, converter=converter)
        except OutputExistsError:
            click.echo(f"   {pupil.upn}: already made in {relative(folder)}")
            continue
        missing = len(pack.missing)
        click.echo(
            f"   {pupil.upn}: {pack.bundle.pages}-page bundle in {relative(folder)}"
            + (f" ({missing} checklist item{'s' if missing != 1 else ''} missing)" if missing else " (checklist complete)")
        )


def _invitations(loaded, out_dir: Path, today: dt.date, converter) -> None:
    """Step 4: invitations to the meetings booked from today, as drafts and a print pile."""
    click.secho("\n4. Inviting parents to the meetings booked from today (drafts only: nothing is sent)", bold=True)
    folder = out_dir / "invitations"
    batch = senforms.prepare_invitations(loaded.register, folder, on=today, logo=loaded.logo, converter=converter)
    emailed = sum(1 for i in batch.invitations if i.channel == "email")
    posted = len(batch.invitations) - emailed
    click.echo(f"   {emailed} email draft(s) with calendar invitations, {posted} letter(s) to post in {relative(folder)}")
    if batch.print_pdf is not None:
        click.echo(f"   Letters to post, in envelope order: {relative(batch.print_pdf)}")
    for failure in batch.failures:
        click.secho(f"   FAILED {failure}", fg="red")


def _meetings_plan(loaded, out_dir: Path, today: dt.date) -> None:
    """Step 5: three meetings a year with each pupil's parents, proposed in a workbook."""
    click.secho("\n5. Planning this school year's meetings with parents (three a year)", bold=True)
    meeting_plan = senforms.plan_meetings(loaded.register, today)
    overdue = sum(1 for p in meeting_plan.pupils if p.overdue)
    workbook = out_dir / "meetings-plan.xlsx"
    if workbook.exists():
        click.echo(f"   {overdue} pupil(s) overdue a meeting this school year; the plan made earlier is kept: {relative(workbook)}")
    else:
        senforms.save_plan(loaded.register, meeting_plan, workbook)
        click.echo(f"   {overdue} pupil(s) overdue a meeting this school year; {meeting_plan.proposed_count} meeting(s) proposed in {relative(workbook)}")


def _mis_export(out_dir: Path, today: dt.date) -> None:
    """Step 7: the same school as a folder of CSV exports (school.csv, pupils.csv, contacts.csv…) is a whole register too."""
    source = samples_dir() / "mis-export"
    click.secho(f"\n7. Reading the same school exported from its information system: {relative(source)}/", bold=True)
    loaded = senforms.validate(source).loaded
    folder = out_dir / "mis-export" / "support-plan"
    result = senforms.render(loaded.register, "support-plan", senforms.RenderOptions(out_dir=folder, on=today, logo=loaded.logo))
    made, kept = result.report.count("written"), result.report.count("skipped")
    click.echo(f"   {len(loaded.register.pupils)} pupils: valid; {made} support plan(s) made" + (f", {kept} already there" if kept else "") + f" in {relative(folder)}")


def _la_forms(loaded, out_dir: Path, today: dt.date, converter) -> None:
    """Step 6: both fictional LAs' own forms filled, and one put in a request pack in place of ours."""
    click.secho("\n6. Filling two local authorities' own request forms", bold=True)
    forms = samples_dir() / "la-forms"
    for form in (forms / "wyvernshire-ehcna-request.pdf", forms / "eastmere-ehcna-request.docx"):
        folder = out_dir / "la-forms" / form.stem
        result = senforms.fill_forms(loaded.register, form, form.with_suffix(".toml"), senforms.FillOptions(out_dir=folder, on=today))
        click.echo(f"   {form.name}: {result.summary()} in {relative(folder)}")
    la = loaded.register.local_authority
    first = next((p for p in loaded.register.pupils if p.requests_ehc_assessment and not p.has_ehc_plan), None)
    if converter is None or la is None or first is None:
        return
    form = forms / "wyvernshire-ehcna-request.pdf"
    profile = la.model_copy(update={"form": str(form), "form_map": str(form.with_suffix(".toml"))})
    folder = out_dir / "packs-with-la-form" / first.upn
    try:
        options = senforms.PackOptions(out_dir=folder, on=today, base_dir=loaded.base_dir, logo=loaded.logo, local_authority=profile)
        senforms.build_pack(loaded.register, first.upn, options, converter=converter)
    except OutputExistsError:
        click.echo(f"   {first.upn}: the pack with the LA's own form was made earlier, in {relative(folder)}")
        return
    click.echo(f"   {first.upn}: a pack with {form.name} in place of senforms' request, in {relative(folder)}")
