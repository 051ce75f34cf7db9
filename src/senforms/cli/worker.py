"""`senforms worker`: runs the web app's jobs on this machine, beside or instead of `senforms serve`'s own."""

from __future__ import annotations

from pathlib import Path

import click

from senforms.cli._common import data_dir_option


@click.command("worker")
@data_dir_option
@click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="School settings file (JSON or TOML): [web] names the shared data folder and the Redis queue; [smtp] for sending.",
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="How many jobs this machine runs at once.")
def command(data_dir, config_path, workers):
    """Run the web app's jobs (documents, invitations, packs) from its queue, without the web pages.

    Several machines can each run one, sharing the queue ([web] queue = "redis://…" or
    SENFORMS_QUEUE) and the data folder ([web] data). See docs/deployment.md.
    """
    from senforms.web.server import work

    work(data_dir, config_path, workers=workers, announce=click.echo)
