"""The `senforms` command: a thin layer over the library, with the one place that turns errors into messages."""

from __future__ import annotations

import os

import click

from senforms import __version__
from senforms.cli import bundle, convert, demo, doctor, fill, forms, invite, meetings, render, schema, send_pack, serve, templates, users, validate, worker
from senforms.cli._boundary import SenformsGroup

# Registered explicitly: a command module that is missing is an ImportError at once, never a
# command that silently disappears.
COMMANDS = (
    validate.command,
    schema.command,
    render.command,
    templates.command,
    convert.command,
    doctor.command,
    bundle.command,
    forms.command,
    fill.command,
    invite.command,
    send_pack.command,
    meetings.command,
    demo.command,
    serve.command,
    users.command,
    worker.command,
)


@click.group(cls=SenformsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="senforms")
@click.option("--debug", is_flag=True, help="Show the full technical detail (a traceback) when senforms hits a problem it did not expect.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """senforms: SEN support plans, reviews, letters and EHC request packs from a school's SEN register."""
    ctx.meta["senforms.debug"] = debug


for _command in COMMANDS:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI."""
    # Outputs hold special category personal data: readable by the owner only.
    os.umask(0o077)
    cli.main(args=argv, prog_name="senforms")
