"""`senforms serve`: the web app, for people who don't use a terminal."""

from __future__ import annotations

from pathlib import Path

import click

from senforms.cli._common import data_dir_option

DEFAULT_PORT = 8250


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on. Anything but 127.0.0.1 must sit behind HTTPS.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535), help="The port to listen on.")
@data_dir_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="School settings file (JSON or TOML): [smtp] for sending invitations, as for `senforms invite`; [web] for the shared data folder and queue.")
@click.option("--no-worker", "no_worker", is_flag=True, help="Run no jobs here: `senforms worker` processes sharing the queue run them.")
def command(host, port, data_dir, config_path, no_worker):
    """Run the senforms web app on this computer (http://127.0.0.1:8250/ by default).

    Make an account first: senforms users add EMAIL --role senco
    """
    from senforms.web.server import is_loopback, serve

    if not is_loopback(host):
        click.secho(
            f"Warning: senforms is listening on {host}, not only on this computer. Put it behind HTTPS (a reverse proxy "
            "such as IIS, nginx or Caddy): without it, passwords and pupil data cross the network unencrypted. "
            "Its session cookies are marked Secure, so signing in works only over HTTPS.",
            fg="yellow", err=True,
        )
    serve(host, port, data_dir, config_path, with_worker=not no_worker, announce=click.echo)
