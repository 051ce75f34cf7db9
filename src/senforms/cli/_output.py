"""How the CLI prints problems, warnings and summaries."""

from __future__ import annotations

from collections.abc import Sequence

import click

from senforms.errors import Problem


def print_problems(errors: Sequence[Problem], warnings: Sequence[Problem]) -> None:
    """Errors first (they block), then warnings (a SENCo should know, but nothing is blocked)."""
    if errors:
        click.secho(f"Errors ({len(errors)}):", fg="red", bold=True, err=True)
        for problem in errors:
            click.echo(f"  ✗ {problem}", err=True)
    if warnings:
        if errors:
            click.echo("", err=True)
        click.secho(f"Warnings ({len(warnings)}):", fg="yellow", bold=True, err=True)
        for problem in warnings:
            click.echo(f"  ! {problem}", err=True)
