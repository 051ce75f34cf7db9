"""`senforms invite INPUT -o OUTDIR`: meeting invitations as email drafts (with calendar invitations)
and letters to post; `--send` sends the emails after a confirmation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

import senforms
from senforms.cli._common import relative, uk_date_option, workbook_password_option
from senforms.cli._sending import confirm_send, report_sending, send_options, sending_ledger
from senforms.cli.render import read_letter
from senforms.deliver import check_saved_drafts, pending
from senforms.deliver.invitations import InvitationBatch
from senforms.deliver.merge_values import MERGE_FIELDS
from senforms.model.values import parse_uk_date
from senforms.ukformat import long_date

MERGE_HELP = "; ".join(names[0] for names, _ in MERGE_FIELDS)


def meeting_range(value: str | None) -> tuple[dt.date | None, dt.date | None]:
    """'01/12/2026..18/12/2026', '01/12/2026..', '..18/12/2026' or one date (that day only)."""
    if not value:
        return None, None
    first, dots, last = value.partition("..")
    try:
        start = parse_uk_date(first.strip()) if first.strip() else None
        end = parse_uk_date(last.strip()) if last.strip() else None
    except Exception:
        raise click.BadParameter(f"'{value}' is not a date range (use dd/mm/yyyy..dd/mm/yyyy; either side may be empty)", param_hint="'--meeting-date'") from None
    if not dots:
        end = start
    if start and end and end < start:
        raise click.BadParameter(f"'{value}' ends before it starts", param_hint="'--meeting-date'")
    return start, end


@click.command("invite", epilog=f"Word mail-merge fields senforms fills (case and spaces ignored): {MERGE_HELP}. Address1 to Address5 are the address lines. Word's ADDRESSBLOCK, GREETINGLINE, IF fields and \\@ date, \\* case, \\b and \\f switches are filled too; NEXT, NEXTIF and SKIPIF are refused (one letter per parent).")
@click.argument("register", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for letters, email drafts, calendar files and the print PDF.")
@click.option("--meeting-date", "meeting_dates", metavar="FROM..TO", help="Only meetings on these dates (dd/mm/yyyy; either side may be empty). Default: every meeting from --date on.")
@click.option("--pupil", "pupils", multiple=True, metavar="UPN", help="Only this pupil (repeatable).")
@click.option("--template", "template_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The school's own letter: a Word mail-merge letter, or a senforms invitation template.")
@click.option("--strict", is_flag=True, help="With --template: refuse a mail-merge letter with a field senforms cannot fill.")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path), help="Use the school's own templates from this folder.")
@click.option("--date", "on", callback=lambda c, p, v: uk_date_option(v), metavar="DD/MM/YYYY", help="The date the letters carry (default: today).")
@click.option("--overwrite", is_flag=True, help="Replace files that already exist.")
@workbook_password_option
@send_options
def command(register, out_dir, meeting_dates, pupils, template_file, strict, templates_dir, on, overwrite, workbook_password, send, yes, expect_count, resend_unknown, config_path):
    """Invite parents (or young people) to every upcoming meeting in REGISTER.

    Email drafts (.eml, with the letter and a calendar invitation) for those with an email address;
    one PDF of letters to post, in envelope order, for the rest. Nothing is sent without --send.
    """
    date_from, date_to = meeting_range(meeting_dates)
    on = on or dt.date.today()
    # Before any work: a broken settings file should not cost a batch of letters.
    settings = senforms.load_smtp_settings(config_path) if send else None
    own_letter = read_letter(template_file, "invitation", strict) if template_file else None
    loaded = senforms.load_register(register, password=workbook_password, as_of=on)
    loaded.require_pupils()  # an empty register is the wrong file: nothing to make
    chosen = senforms.select_pupils(loaded.register, pupils) if pupils else None
    batch = senforms.prepare_invitations(
        loaded.register, out_dir, on=on, date_from=date_from, date_to=date_to, templates_dir=templates_dir,
        own_letter=own_letter, overwrite=overwrite, pupils=chosen, logo=loaded.logo,
    )
    show_batch(batch)
    failed = bool(batch.failures)
    if send and batch.drafts:
        # The school's one send log, not one per folder: a rerun into another -o sends nothing twice.
        # The drafts the office reviewed must be what goes: checked before asking to confirm.
        check_saved_drafts(batch.saved_drafts())
        ledger = sending_ledger(config_path, out_dir)
        todo = pending(batch.drafts, ledger, resend_unknown=resend_unknown)
        if confirm_send(todo, batch.drafts, ledger, yes=yes, expect_count=expect_count, label=lambda d: f"{d.to_name} <{d.to_address}>"):
            assert settings is not None  # loaded above whenever sending
            by_key = {inv.key: inv for inv in batch.invitations}
            report = senforms.send_invitations(batch, settings, ledger, resend_unknown=resend_unknown)

            def label(result):
                inv = by_key[result.key]
                return f"{inv.recipient_name} <{result.recipient}> ({inv.upn}, meeting {inv.meeting_id})"

            report_sending(report, label)
            failed = failed or not report.complete
    elif send:
        click.echo("No emails to send.")
    if failed:
        raise SystemExit(1)


def show_batch(batch: InvitationBatch) -> None:
    """Who gets what, then where the files are and anything to look at."""
    if not batch.invitations:
        click.echo(f"No meetings to invite anyone to from {long_date(batch.on)} (meetings already held are left out).")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Meeting invitations", title_justify="left")
    for column in ("UPN", "Contact", "Recipient", "Meeting", "By", "Files"):
        table.add_column(column, overflow="fold")
    for inv in batch.invitations:
        made = [name for name, path in (("letter", inv.letter_pdf), ("email", inv.eml), ("calendar", inv.ics)) if path]
        if inv.channel == "post" and inv.letter_pdf:
            made.append("print pile")
        status = f"FAILED: {inv.failed}" if inv.failed else ", ".join(made)
        table.add_row(inv.upn, inv.contact_id, inv.recipient_name, f"{inv.meeting_id} {inv.meeting_date.strftime('%d/%m/%Y')}", inv.channel, status)
    console = Console(highlight=False)
    if not console.is_terminal:  # a log or pipe: room for the whole table rather than 80 columns
        console.width = max(console.width, 120)
    console.print(table)

    emails = sum(1 for i in batch.invitations if i.channel == "email")
    posted = len(batch.invitations) - emails
    click.echo(f"{len(batch.invitations)} invitation{'s' if len(batch.invitations) != 1 else ''}: {emails} by email, {posted} by post.")
    click.echo(f"  Letters: {relative(batch.out_dir / 'letters')}")
    if emails:
        click.echo(f"  Email drafts: {relative(batch.out_dir / 'emails')}   Calendar files: {relative(batch.out_dir / 'calendar')}")
    if batch.print_pdf:
        click.echo(f"  To print and post (in envelope order: postcode, then surname): {relative(batch.print_pdf)}")
    if batch.skipped:
        click.echo(f"  {len(batch.skipped)} file(s) already there were kept (use --overwrite to replace them).")
    if batch.unfilled_fields:
        fields = ", ".join(name if name.isupper() else f"«{name}»" for name in batch.unfilled_fields)
        click.secho(f"  The letter has mail-merge fields senforms does not fill: {fields} (left showing the field name).", fg="yellow")
    for warning in batch.warnings:
        click.secho(f"  ! {warning}", fg="yellow", err=True)
    for failure in batch.failures:
        click.secho(f"  ✗ {failure}", fg="red", err=True)
