"""`senforms schema`: print or write the register's JSON Schema."""

from __future__ import annotations

from pathlib import Path

import click

from senforms.model.schema import schema_text
from senforms.outputs.atomic import write_atomic


@click.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the schema to this file.")
@click.option("--overwrite", is_flag=True, help="Replace the file if it exists.")
def command(output: Path | None, overwrite: bool) -> None:
    """Print the JSON Schema that register JSON files follow."""
    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text.encode("utf-8"), overwrite=overwrite)
        click.echo(f"Wrote {output}")
