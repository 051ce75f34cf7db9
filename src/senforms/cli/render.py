"""`senforms render DOC INPUT -o OUTDIR`: one document per pupil, cycle, parent or meeting."""

from __future__ import annotations

from pathlib import Path

import click

import senforms
from senforms.cli._common import DOCUMENT_KINDS, ProgressBar, pupil_options, relative, uk_date_option, workbook_password_option
from senforms.documents.catalogue import ANNUAL_REVIEW_ROUTE, held_back_for_ehc_plan
from senforms.documents.own_letter import OwnLetter, read_own_letter


@click.command("render")
@click.argument("doc", type=click.Choice(DOCUMENT_KINDS))
@click.argument("register", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the documents.")
@pupil_options
@click.option("--name", "name_pattern", metavar="PATTERN", help="File names, e.g. '{surname}-{forename}-{document}'. Fields: upn forename surname known_as initials year class document cycle contact meeting date.")
@click.option("--all-cycles", is_flag=True, help="Plans and reviews for every APDR cycle, not just the current one.")
@click.option("--include-ehc-plans", is_flag=True, help="support-plan and review: also for pupils with an EHC plan (left out by default).")
@click.option("--all", "include_notified", is_flag=True, help="parent-notification: also for families already told (a date in Parental notification sent).")
@click.option("--merge", "merge_to", type=click.Path(dir_okay=False, path_type=Path), help="Also write one document holding them all, for printing.")
@click.option("--duplex", is_flag=True, help="With --merge: start every letter on a front side.")
@click.option("--pdf", is_flag=True, help="Also write a PDF beside each document (needs LibreOffice).")
@click.option("--pdf-only", is_flag=True, help="Write PDFs only.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path), help="Use the school's own templates from this folder.")
@click.option("--template", "template_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="parent-notification, invitation: the school's own letter, a Word mail-merge letter (or a senforms template).")
@click.option("--strict", is_flag=True, help="With --template: refuse a mail-merge letter with a field senforms cannot fill.")
@click.option("--date", "on", callback=lambda c, p, v: uk_date_option(v), metavar="DD/MM/YYYY", help="The date the documents carry (default: today; a request and its covering letter: the Request date on the Reviews sheet).")
@click.option("--dry-run", is_flag=True, help="Check the templates against the data and list what would be made; write nothing.")
@click.option("--overwrite", is_flag=True, help="Replace documents that already exist.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="School settings file (TOML or JSON): its [hourly_rates] and [terms] tables set staff hourly rates and the school's term dates.")
@workbook_password_option
def command(doc, register, out_dir, pupils, where, name_pattern, all_cycles, include_ehc_plans, include_notified, merge_to, duplex, pdf, pdf_only, templates_dir, template_file, strict, on, dry_run, overwrite, config_path, workbook_password):
    """Make DOC for every pupil in REGISTER (or those chosen), as Word documents."""
    own_letter = read_letter(template_file, doc, strict) if template_file else None
    loaded = senforms.load_register(register, password=workbook_password, settings=config_path)
    loaded.require_pupils()  # an empty register is the wrong file: nothing to make
    chosen = senforms.select_pupils(loaded.register, pupils, where, require_match=True)
    options = senforms.RenderOptions(
        out_dir=out_dir, templates_dir=templates_dir, name_pattern=name_pattern, overwrite=overwrite, dry_run=dry_run,
        all_cycles=all_cycles, include_ehc_plans=include_ehc_plans, include_notified=include_notified, merge_to=merge_to, duplex=duplex, pdf=pdf, pdf_only=pdf_only,
        on=on, logo=loaded.logo, own_letter=own_letter,
    )
    with ProgressBar(f"Making {senforms.KINDS[doc].title.lower()}s") as bar:
        result = senforms.render(loaded.register, doc, options, chosen, on_progress=bar.advance, on_start=bar.start)
    report_batch(doc, result, dry_run)
    for note in result.report.notes:
        click.secho(f"  ! {note}", fg="yellow", err=True)
    report_left_out(result)
    held_back = held_back_for_ehc_plan(doc, chosen if chosen is not None else loaded.register.pupils, include_ehc_plans=include_ehc_plans)
    if held_back:
        upns = ", ".join(p.upn for p in held_back)
        if senforms.KINDS[doc].not_for_ehc_plans:
            click.echo(f"Left out {len(held_back)} pupil(s) with an EHC plan ({upns}): {ANNUAL_REVIEW_ROUTE}.")
        else:
            click.echo(f"Left out {len(held_back)} pupil(s) with an EHC plan ({upns}): SEN support documents are not for them (use --include-ehc-plans to make them anyway).")
    if result.failed:
        raise SystemExit(1)


def read_letter(template_file: Path, doc: str, strict: bool) -> OwnLetter:
    """The school's own letter, read before anything is made; the fields it cannot fill are listed first."""
    letter = read_own_letter(template_file, doc, strict=strict)
    if letter.cannot_fill:
        click.secho(f"{template_file.name} has mail-merge fields senforms cannot fill; the letters will show them as they are (--strict refuses):", fg="yellow", err=True)
        for line in letter.cannot_fill:
            click.secho(f"  ! {line}", fg="yellow", err=True)
    return letter


def report_batch(doc: str, result, dry_run: bool) -> None:
    """The end-of-run summary: what was made, skipped and failed, and where."""
    report = result.report
    for item in report.documents:
        if item.status == "failed":
            click.secho(f"  ✗ {item.path.name}: {item.error}", fg="red", err=True)
        elif dry_run:
            click.echo(f"  would write {relative(item.path)}" if item.status == "would write" else f"  would skip {relative(item.path)} (already there)")
    for conversion in result.pdfs:
        if conversion.status == "failed":
            click.secho(f"  ✗ PDF of {conversion.source.name}: {conversion.error}", fg="red", err=True)
    written, skipped, failed = report.count("written"), report.count("skipped"), report.count("failed")
    title = senforms.KINDS[doc].title
    if dry_run:
        click.echo(f"{title}: {report.count('would write')} would be made, {skipped} already there, {failed} would fail. Nothing was written.")
        return
    line = f"{title}: {written} made, {skipped} skipped (already there; use --overwrite to replace)" if skipped else f"{title}: {written} made"
    if failed:
        line += f", {failed} FAILED"
    click.echo(line)
    if result.pdfs:
        converted = sum(1 for r in result.pdfs if r.status == "converted")
        pdf_failed = sum(1 for r in result.pdfs if r.status == "failed")
        click.echo(f"  PDFs: {converted} made" + (f", {pdf_failed} FAILED" if pdf_failed else ""))
    merged = [relative(p) for p in (result.merged, result.merged_pdf) if p]
    if merged:
        click.echo(f"  Merged for printing: {' and '.join(merged)}")


LEFT_OUT_WHY = {
    "notified": ("already told about SEN support, with a date in Parental notification sent", "use --all to make their letters again"),
    "ehc_plan": ("with an EHC plan", "the s.68 letter is for pupils on SEN support"),
    "not_on_sen_support": ("not on SEN support", "there is no SEN support to tell their parents about"),
}


def report_left_out(result) -> None:
    """Why pupils got no parent-notification letter; when none was made at all, say so first."""
    if not result.left_out:
        return
    report = result.report
    made = report.count("written") + report.count("skipped") + report.count("would write") + report.count("failed")
    lines = []
    for reason, (who, why) in LEFT_OUT_WHY.items():
        upns = [item.pupil.upn for item in result.left_out if item.reason == reason]
        if upns:
            lines.append(f"{len(upns)} pupil{'s' if len(upns) != 1 else ''} {who} ({', '.join(upns)}): {why}")
    if made:
        for line in lines:
            click.echo(f"Left out {line}.")
        return
    click.echo("No letters were made, because every pupil chosen was left out:")
    for line in lines:
        click.echo(f"  {line}.")
