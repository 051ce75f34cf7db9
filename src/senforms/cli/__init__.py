"""The `senforms` command: a thin layer over the library, with one place that turns errors into messages."""

from __future__ import annotations

import importlib
import os

import click

from senforms import __version__
from senforms.cli._output import print_problems
from senforms.errors import InputError, SenformsError

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


class SenformsGroup(click.Group):
    """The one place where a SenformsError becomes a plain-English message and an exit status.

    It lives in the group rather than in `main` so that tests invoking `cli` see what a user sees.
    """

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InputError as exc:
            print_problems(exc.problems, exc.warnings)
            click.secho(f"\n{exc.message}. Nothing was produced.", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except SenformsError as exc:
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            if exc.tip:
                click.echo(f"Tip: {exc.tip}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Stopped. Files already finished are kept; run the same command again to carry on.", err=True)
            ctx.exit(130)


@click.group(cls=SenformsGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    """Run the CLI."""
    # Outputs hold special category personal data: readable by the owner only.
    os.umask(0o077)
    cli.main(args=argv, prog_name="senforms")
