"""`senforms users …`: the web app's accounts (add, list, remove, reset-password)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from senforms.cli._boundary import TrackingGroup
from senforms.cli._common import data_dir_option


@click.group("users", cls=TrackingGroup)
def command() -> None:
    """Accounts for the web app (`senforms serve`): senco can do everything, office the register, documents, invitations and meetings."""


@contextmanager
def _database(data_dir: Path | None) -> Iterator[sqlite3.Connection]:
    """The app's database in `data_dir` (made if need be), closed afterwards whatever happens."""
    from senforms.web import datadir, store

    root = datadir.prepare(data_dir)
    store.initialise(root / datadir.DATABASE)
    connection = store.connect(root / datadir.DATABASE)
    try:
        yield connection
    finally:
        connection.close()


def _read_password() -> str:
    """From the keyboard (asked twice, not shown) or, for scripts, the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Type it again")
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@command.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["senco", "office"]), help="senco: everything; office: register (read), documents, invitations, meetings plan.")
@data_dir_option
def add(email, role, data_dir):
    """Make an account for EMAIL; the password is read from standard input (asked twice on a terminal)."""
    from senforms.web.accounts import add_user

    with _database(data_dir) as database:
        add_user(database, email, role, _read_password())
    click.echo(f"Account made for {email} ({role}).")


@command.command("list")
@data_dir_option
def list_(data_dir):
    """Every account and its role."""
    from senforms.web.accounts import list_users

    with _database(data_dir) as database:
        users = list_users(database)
    if not users:
        click.echo("No accounts yet: make one with `senforms users add EMAIL --role senco`.")
    for user in users:
        click.echo(f"{user.email}\t{user.role}")


@command.command("remove")
@click.argument("email")
@data_dir_option
def remove(email, data_dir):
    """Delete EMAIL's account (it is signed out at once)."""
    from senforms.web.accounts import remove_user

    with _database(data_dir) as database:
        remove_user(database, email)
    click.echo(f"Account for {email} removed.")


@command.command("reset-password")
@click.argument("email")
@data_dir_option
def reset_password(email, data_dir):
    """Give EMAIL a new password (read like `users add`), lift any lock and sign out their sessions."""
    from senforms.web.accounts import reset_password as reset

    with _database(data_dir) as database:
        reset(database, email, _read_password())
    click.echo(f"Password changed for {email}; any open sessions are signed out.")
