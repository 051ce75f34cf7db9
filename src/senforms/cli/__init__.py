"""The `senforms` command: a thin layer over the library, with one place that turns errors into messages."""

from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__
from ..errors import InputError, SenformsError
from ._output import print_problems

# One module per command; each defines `command`. A module not yet present is skipped, so a
# command can be added without editing this file's logic.
COMMAND_MODULES = (
    "validate",
    "schema",
    "render",
    "templates",
    "convert",
    "doctor",
    "bundle",
    "invite",
    "send_pack",
    "meetings",
    "demo",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="senforms")
def cli() -> None:
    """senforms: SEN support plans, reviews, letters and EHC request packs from a school's SEN register."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _missing:
        if _missing.name != f"{__name__}.{_name}":
            raise
        continue
    cli.add_command(_module.command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every SenformsError becomes a plain-English message and an exit status."""
    # Outputs hold special category personal data: readable by the owner only.
    os.umask(0o077)
    try:
        cli.main(args=argv, prog_name="senforms", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Stopped.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except InputError as exc:
        print_problems(exc.problems, exc.warnings)
        click.secho(f"\n{exc.message}. Nothing was produced.", fg="red", err=True)
        sys.exit(exc.exit_code)
    except SenformsError as exc:
        click.secho(f"Error: {exc.message}", fg="red", err=True)
        if exc.tip:
            click.echo(f"Tip: {exc.tip}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Stopped. Files already finished are kept; run the same command again to carry on.", err=True)
        sys.exit(130)
