"""`senforms convert`: Word documents to PDF, one line per file and a summary."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from senforms.errors import ConversionError
from senforms.pdf import ConversionResult, convert_many
from senforms.pdf.convert import failure_tip

PROGRESS_ABOVE = 3  # a progress bar only pays for itself with more than a few files

_STYLE = {"converted": ("converted", "green"), "skipped": ("skipped", "yellow"), "failed": ("FAILED", "bold red")}


def _line(result: ConversionResult) -> Text:
    label, style = _STYLE[result.status]
    text = Text(f"  {label:<11}", style=style)
    if result.status == "converted":
        text.append(f"{result.source} → {result.pdf}")
        if result.attempts > 1:
            text.append(" (on the second attempt)", style="dim")
    elif result.status == "skipped":
        text.append(f"{result.source}: {result.error} (use --overwrite to replace it)")
    else:
        text.append(result.error)
    return text


@contextlib.contextmanager
def _progress(console: Console, total: int) -> Iterator[Progress | None]:
    if total <= PROGRESS_ABOVE or not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("Converting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield progress


@click.command("convert")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o", "--out-dir", type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the PDFs (default: beside each Word document).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="How many LibreOffice processes to run at once (default: one per processor core).",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
    help="Seconds one document may take before LibreOffice is stopped and tried once more (default: 60).",
)
@click.option("--overwrite", is_flag=True, help="Replace PDFs that already exist (otherwise they are skipped).")
def command(files: tuple[Path, ...], out_dir: Path | None, workers: int | None, timeout: float | None, overwrite: bool) -> None:
    """Turn Word documents (.docx) into PDFs with LibreOffice."""
    console = Console(highlight=False)
    started = time.monotonic()
    with _progress(console, len(files)) as progress:
        task = progress.add_task("convert", total=len(files)) if progress else None

        def report(result: ConversionResult) -> None:
            console.print(_line(result), soft_wrap=True)  # one line per file, even when piped
            if progress is not None and task is not None:
                progress.advance(task)

        results = convert_many(
            list(files), out_dir, workers=workers, timeout=timeout, overwrite=overwrite, on_progress=report
        )
    counts = {status: sum(r.status == status for r in results) for status in ("converted", "skipped", "failed")}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n or status == "converted")
    console.print(f"{summary} in {time.monotonic() - started:.1f} s.")
    if counts["failed"]:
        n = counts["failed"]
        raise ConversionError(f"{n} file{'s' if n != 1 else ''} could not be converted", fix=failure_tip(results))
