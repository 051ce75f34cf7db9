"""`senforms doctor`: what senforms found on this computer (LibreOffice, fonts, templates) and what is missing."""

from __future__ import annotations

import importlib
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click

import senforms
from senforms import __version__
from senforms.errors import ConversionError
from senforms.pdf.soffice import INSTALL_TIP, UNO_TIP, find_soffice, find_uno_python, soffice_version

# Font family → the Debian/Ubuntu package that provides it. The templates are designed in Calibri
# and Arial/Times; Carlito and Liberation are metric-compatible, so layouts match Word's.
FONTS = {
    "Carlito": "fonts-crosextra-carlito",
    "Liberation Sans": "fonts-liberation2",
    "Liberation Serif": "fonts-liberation2",
    "Noto Sans": "fonts-noto-core",
    "Noto Sans Arabic": "fonts-noto-core",
}


@dataclass(frozen=True)
class Finding:
    """One line of the report. ok=None means "could not check" (not counted as missing)."""

    label: str
    ok: bool | None
    detail: str
    tip: str = ""


def check_libreoffice() -> list[Finding]:
    try:
        soffice = find_soffice()
    except ConversionError as exc:
        return [
            Finding("LibreOffice", False, exc.message, exc.fix or INSTALL_TIP),
            Finding("UNO Python", None, "not checked (needs LibreOffice first)"),
        ]
    findings = [Finding("LibreOffice", True, f"{soffice_version(soffice)} ({soffice})")]
    python = find_uno_python(soffice)
    if python is not None:
        findings.append(Finding("UNO Python", True, f"{python}: pool mode (LibreOffice stays open between documents)"))
    else:
        findings.append(
            Finding(
                "UNO Python",
                False,
                "none found: fallback mode (a new LibreOffice for every document, much slower)",
                UNO_TIP,
            )
        )
    return findings


def installed_font_families() -> set[str] | None:
    """Every font family fontconfig knows, or None when fc-list is not available."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def check_fonts() -> list[Finding]:
    families = installed_font_families()
    if families is None:
        return [
            Finding(
                "Fonts", None,
                "not checked: fc-list is not available (LibreOffice for Windows and macOS brings Carlito and Liberation with it)",
            )
        ]
    return [
        Finding(f"Font {family}", True, "installed")
        if family in families
        else Finding(f"Font {family}", False, "missing", f"Debian/Ubuntu: sudo apt-get install {package}")
        for family, package in FONTS.items()
    ]


def templates_folder() -> Path:
    """Where the shipped Word templates are: senforms.resources if present, else the repo or wheel copy."""
    try:
        resources = importlib.import_module("senforms.resources")
    except ImportError:
        resources = None
    if resources is not None:
        if hasattr(resources, "docx_templates_dir"):
            return Path(resources.docx_templates_dir())
        if hasattr(resources, "templates_dir"):
            folder = Path(resources.templates_dir())
            return folder / "docx" if (folder / "docx").is_dir() else folder
    package = Path(senforms.__file__).resolve().parent
    for candidate in (package.parents[1] / "templates" / "docx", package / "_templates" / "docx"):
        if candidate.is_dir():
            return candidate
    return package.parents[1] / "templates" / "docx"


def check_templates() -> list[Finding]:
    folder = templates_folder()
    found = sorted(folder.rglob("*.docx")) if folder.is_dir() else []
    found = [p for p in found if not p.name.startswith(("~$", ".part-"))]  # Word lock files, our temp files
    if not found:
        return [Finding("Templates", False, f"no Word templates (*.docx) found in {folder}", "reinstall senforms (or, in a checkout, restore templates/docx)")]
    return [Finding("Templates", True, f"{len(found)} in {folder}")] + [
        Finding("  template", True, str(p.relative_to(folder))) for p in found
    ]


def _print(finding: Finding) -> None:
    mark, colour = {True: ("✓", "green"), False: ("✗", "red"), None: ("?", "yellow")}[finding.ok]
    click.echo(click.style(f"  {mark} ", fg=colour) + f"{finding.label:<22} {finding.detail}")
    if finding.tip and finding.ok is False:
        click.echo(f"      Tip: {finding.tip}")


@click.command("doctor")
def command() -> None:
    """Check what senforms needs: LibreOffice, a Python that can drive it, fonts and templates."""
    findings = [
        Finding("Python", True, f"{platform.python_version()} ({sys.executable})"),
        Finding("senforms", True, __version__),
        *check_libreoffice(),
        *check_fonts(),
        *check_templates(),
    ]
    for finding in findings:
        _print(finding)
    missing = sum(f.ok is False for f in findings)
    click.echo("")
    if missing:
        click.secho(f"{missing} thing{'s' if missing != 1 else ''} missing (see the tips above).", fg="red", bold=True)
    else:
        click.secho("All good.", fg="green", bold=True)
