"""The error boundary: every exception a command raises becomes one calm message and an exit status.

Exit statuses: 0 done; 1 a problem in the user's files, folders or settings (the message says
where and how to fix it); 2 a usage mistake (click); 3 senforms failed in a way it did not
expect (one sentence, and the traceback only with --debug); 130 stopped with Ctrl-C.
"""

from __future__ import annotations

import traceback
from typing import Any

import click

from senforms.cli._output import print_problems
from senforms.errors import InputError, SenformsError

EXIT_UNEXPECTED = 3
UNEXPECTED = (
    "senforms hit a problem it did not expect, so it stopped. Files already finished are kept and "
    "nothing was overwritten. Run the same command again with --debug (senforms --debug …) and send "
    "the output to whoever looks after senforms for your school, or to the senforms issue tracker, "
    "taking out any pupil names first."
)
_CURRENT = "senforms.command"


def option_flag(command: click.Command | None, option: str | None) -> str:
    """How `command` spells the setting called `option` in the library ('' when it has none)."""
    if command is None or option is None:
        return ""
    for param in command.params:
        if param.name == option and isinstance(param, click.Option):
            return max(param.opts, key=len)
    return ""


def fix_text(exc: SenformsError, command: click.Command | None) -> str:
    flag = option_flag(command, exc.option)
    return exc.fix_for(flag) if flag else exc.fix


class TrackingGroup(click.Group):
    """A group that remembers which command is running, so an error's option can be spelt as its flag."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            ctx.meta[_CURRENT] = command  # meta is shared by every context of one run
        return name, command, rest


class SenformsGroup(TrackingGroup):
    """The one place where an exception becomes a plain-English message and an exit status.

    It lives in the group rather than in `main` so that tests invoking `cli` see what a user sees.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except InputError as exc:
            print_problems(exc.problems, exc.warnings)
            click.secho(f"\n{exc.message}. Nothing was produced.", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except SenformsError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            fix = fix_text(exc, ctx.meta.get(_CURRENT))
            if fix:
                click.echo(f"Tip: {fix}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Stopped. Files already finished are kept; run the same command again to carry on.", err=True)
            ctx.exit(130)
        except OSError as exc:
            # A file or folder the library did not expect to be unusable: still the user's
            # environment, so name it and exit 1 rather than call it a senforms failure.
            if exc.filename is None:
                self._unexpected(ctx)
            where = exc.filename if exc.filename2 is None else f"{exc.filename} → {exc.filename2}"
            click.secho(f"Error: senforms could not use {where} ({exc.strerror or exc}).", fg="red", err=True)
            click.echo("Tip: check that the file or folder exists, is not in use, and that you may write there.", err=True)
            if ctx.meta.get("senforms.debug"):
                traceback.print_exc()
            ctx.exit(1)
        except Exception:  # noqa: BLE001 - the boundary: nothing else may reach a user as a traceback
            self._unexpected(ctx)

    @staticmethod
    def _unexpected(ctx: click.Context) -> None:
        if ctx.meta.get("senforms.debug"):
            traceback.print_exc()
        click.secho(UNEXPECTED, fg="red", err=True)
        ctx.exit(EXIT_UNEXPECTED)
