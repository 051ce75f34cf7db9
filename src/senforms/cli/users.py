"""`senforms users …`: the web app's accounts (add, list, remove, reset-password)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from senforms.cli._boundary import TrackingGroup
from senforms.cli._common import data_dir_option


@click.group("users", cls=TrackingGroup)
def command() -> None:
    """Accounts for the web app (`senforms serve`): senco can do everything, office the register, documents, invitations and meetings."""


def _settings_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """--config, as `serve` and `worker` take it: its [web] data names the folder the accounts are in."""
    return click.option(
        "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="School settings file (JSON or TOML): [web] data names the web app's data folder (--data wins over it).",
    )(function)


@contextmanager
def _database(data_dir: Path | None, config_path: Path | None) -> Iterator[sqlite3.Connection]:
    """The app's database (made if need be) in the data folder `serve` would use with the same
    --data and --config, closed afterwards whatever happens."""
    from senforms.web import datadir, store
    from senforms.web.deployment import deployment

    place = deployment(data_dir, config_path)
    root = datadir.prepare(place.data_dir, network_share=place.network_share)
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
@_settings_option
def add(email, role, data_dir, config_path):
    """Make an account for EMAIL; the password is read from standard input (asked twice on a terminal)."""
    from senforms.web.accounts import add_user

    with _database(data_dir, config_path) as database:
        add_user(database, email, role, _read_password())
    click.echo(f"Account made for {email} ({role}).")


@command.command("list")
@data_dir_option
@_settings_option
def list_(data_dir, config_path):
    """Every account and its role."""
    from senforms.web.accounts import list_users

    with _database(data_dir, config_path) as database:
        users = list_users(database)
    if not users:
        click.echo("No accounts yet: make one with `senforms users add EMAIL --role senco`.")
    for user in users:
        click.echo(f"{user.email}\t{user.role}")


@command.command("remove")
@click.argument("email")
@data_dir_option
@_settings_option
def remove(email, data_dir, config_path):
    """Delete EMAIL's account (it is signed out at once)."""
    from senforms.web.accounts import remove_user

    with _database(data_dir, config_path) as database:
        remove_user(database, email)
    click.echo(f"Account for {email} removed.")


@command.command("reset-password")
@click.argument("email")
@data_dir_option
@_settings_option
def reset_password(email, data_dir, config_path):
    """Give EMAIL a new password (read like `users add`), lift any lock and sign out their sessions."""
    from senforms.web.accounts import reset_password as reset

    with _database(data_dir, config_path) as database:
        reset(database, email, _read_password())
    click.echo(f"Password changed for {email}; any open sessions are signed out.")
