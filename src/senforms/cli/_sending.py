"""What `invite --send` and `send-pack --send` share: SMTP settings, the confirmation, the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from senforms.deliver import Draft, SendReport, SendResult
from senforms.deliver.ledger import Ledger
from senforms.errors import DeliveryError


def send_options(function: Callable) -> Callable:
    """--send, --yes, --expect-count, --resend-unknown and --config, in that order in --help."""
    for option in reversed(
        [
            click.option("--send", is_flag=True, help="Send the emails (after a confirmation). Without it only drafts are written."),
            click.option("--yes", is_flag=True, help="With --send: do not ask for confirmation (for scripts)."),
            click.option("--expect-count", type=click.IntRange(min=0), metavar="N", help="With --send: send only if exactly N messages are ready."),
            click.option("--resend-unknown", is_flag=True, help="Also resend messages whose delivery is unknown (check with the recipient first)."),
            click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="School settings file (JSON or TOML) with an [smtp] table: host, port, security, user, password, from. SENFORMS_SMTP_* and SENFORMS_FROM override it."),
        ]
    ):
        function = option(function)
    return function


def sending_ledger(config_path: Path | None, folder: Path) -> Ledger:
    """The school's one send log, saying so when another send holds it (a silent wait looks hung)."""
    from senforms.deliver import school_ledger

    ledger = school_ledger(config_path, folder=folder)
    ledger.on_wait = lambda: click.secho(
        f"Another send is in progress with this send log ({ledger.path}); waiting for it to finish "
        f"(up to {round(ledger.lock_wait / 60)} minutes). Messages it sends will not be sent again.",
        fg="yellow", err=True,
    )
    return ledger


def confirm_send(todo: list[Draft], drafts: list[Draft], ledger: Ledger, *, yes: bool, expect_count: int | None, label: Callable[[Draft], str]) -> bool:
    """Show "N messages to M recipients" (first 3 listed), and why the rest of `drafts` are not in it, and ask. False: send nothing."""
    recipients = {d.to_address.casefold() for d in todo}
    waiting = {d.key for d in todo}
    sent = sum(1 for d in drafts if d.key not in waiting and ledger.status(d.key) == "sent")
    unknown = sum(1 for d in drafts if d.key not in waiting) - sent
    held_back = [f"{sent} sent in an earlier run"] if sent else []
    if unknown:
        held_back.append(
            f"{unknown} whose delivery is unknown, held back: ask the recipient whether it arrived, then run again with --resend-unknown to send "
            + ("it" if unknown == 1 else "them")
        )
    if not todo:
        click.echo("Nothing to send: " + "; ".join(held_back) + " (see the send log).")
        return False
    if expect_count is not None and expect_count != len(todo):
        raise DeliveryError(
            f"--expect-count is {expect_count} but {len(todo)} message{'s are' if len(todo) != 1 else ' is'} ready to send; nothing was sent",
            fix="check the list of drafts, then run again with the right count",
        )
    click.echo(f"\n{len(todo)} message{'s' if len(todo) != 1 else ''} to {len(recipients)} recipient{'s' if len(recipients) != 1 else ''}"
               + (f" (not counted: {'; '.join(held_back)})" if held_back else "") + ":")
    for draft in todo[:3]:
        click.echo(f"  {label(draft)}")
    if len(todo) > 3:
        click.echo(f"  … and {len(todo) - 3} more")
    if yes:
        return True
    if click.confirm("Send them now?", default=False):
        return True
    click.echo("Nothing was sent.")
    return False


SYMBOLS = {"sent": ("✓", "green"), "skipped": ("=", None), "failed": ("✗", "red"), "unknown": ("?", "yellow"), "queued": ("…", "yellow")}
WORDS = {"sent": "sent", "skipped": "already sent", "failed": "FAILED", "unknown": "delivery unknown", "queued": "not sent"}


def report_sending(report: SendReport, label: Callable[[SendResult], str]) -> None:
    """One line per message, then the counts; failures go to stderr."""
    for result in report.results:
        symbol, colour = SYMBOLS.get(result.status, ("-", None))
        line = f"  {symbol} {WORDS.get(result.status, result.status)}: {label(result)}"
        if result.status in ("failed", "unknown", "queued") and result.detail:
            line += f" ({result.detail})"
        click.secho(line, fg=colour, err=result.status in ("failed", "unknown", "queued"))
    click.echo(f"Sending: {report.summary()}.")
    if report.unknown:
        click.echo("Tip: ask the recipients marked 'delivery unknown' whether it arrived; run again with --resend-unknown to send those again.", err=True)
    if report.queued or report.failed:
        click.echo("Tip: run the same command again to retry; messages already sent are never sent twice.", err=True)
