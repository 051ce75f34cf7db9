"""`senforms send-pack PACKDIR`: email an EHC request pack to the local authority (drafts by default)."""

from __future__ import annotations

from pathlib import Path

import click

import senforms
from senforms.cli._common import relative
from senforms.cli._sending import confirm_send, report_sending, send_options, sending_ledger
from senforms.deliver import check_saved_drafts, pending
from senforms.deliver.pack_email import saved_pack_drafts


@click.command("send-pack")
@click.argument("pack_dir", metavar="PACKDIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--register", "register", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The register the pack was made from: the LA's address and allowed domains come from it (and from --config), never from the pack folder.")
@click.option("--workbook-password", help="Password of a protected workbook.")
@click.option("--to", "to", default="la", show_default=True, metavar="la|ADDRESS", help="The LA's SEND team address from the register, or another address at one of the LA's allowed domains.")
@click.option("--overwrite", is_flag=True, help="Replace email drafts that already exist.")
@send_options
def command(pack_dir, register, workbook_password, to, overwrite, send, yes, expect_count, resend_unknown, config_path):
    """Email the EHC needs assessment request pack in PACKDIR (made by `senforms bundle`) to the
    local authority: the bundle (one email per part if it was split) and the covering letter.

    Writes .eml drafts to PACKDIR/emails; nothing is sent without --send.
    """
    settings = senforms.load_smtp_settings(config_path) if send else None
    loaded = senforms.load_register(register, password=workbook_password)
    emails = senforms.prepare_pack_emails(pack_dir, loaded.register, to, settings=config_path, overwrite=overwrite)
    pack, drafts, skipped = emails.pack, emails.drafts, emails.skipped
    recipient = drafts[0].to_address
    click.echo(f"{len(drafts)} email{'s' if len(drafts) != 1 else ''} to {emails.addressing.team} <{recipient}>, ref {pack.description.upn}:")
    for draft in drafts:
        names = ", ".join(a.filename for a in draft.attachments)
        click.echo(f"  {draft.subject}: {names}")
    click.echo(f"  Drafts: {relative(pack_dir / 'emails')}" + (f" ({len(skipped)} already there were kept)" if skipped else ""))
    if pack.description.encrypted:
        click.echo("  The pack is encrypted: send the passphrase separately (by phone or another route), never by this email.")
    if not send:
        return
    check_saved_drafts(saved_pack_drafts(drafts, emails.folder))  # what the office reviewed is what goes
    ledger = sending_ledger(config_path, pack_dir)
    todo = pending(drafts, ledger, resend_unknown=resend_unknown)
    if not confirm_send(todo, drafts, ledger, yes=yes, expect_count=expect_count, label=lambda d: f"{d.to_address}: {d.subject}"):
        return
    assert settings is not None  # loaded above whenever sending
    subjects = {d.key: d.subject for d in drafts}
    report = senforms.send_pack(drafts, settings, ledger, resend_unknown=resend_unknown, drafts_folder=emails.folder)
    report_sending(report, lambda r: f"{r.recipient}: {subjects[r.key]}")
    if not report.complete:
        raise SystemExit(1)
