"""The Evidence sheet's paths: where each one leads, and a refusal for each that leads out of the
register's folder (or the evidence folder the SENCo named), by the one rule in senforms.inputs.confined."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from senforms.errors import Location, Problem
from senforms.inputs.confined import Escape, escape
from senforms.model import Register


def evidence_path(written: str, base_dir: Path) -> Path:
    """The file an Evidence sheet path names: relative paths are from the register's folder."""
    path = Path(written)
    return path if path.is_absolute() else base_dir / path


def evidence_path_refusal(written: str, base_dir: Path, evidence_dir: Path | None = None) -> tuple[str, str] | None:
    """(message, fix) when the path may not be used, None when it may."""
    folders = [base_dir] if evidence_dir is None else [base_dir, evidence_dir]
    why = escape(evidence_path(written, base_dir), folders)
    if why is None:
        return None
    where = "the register's folder" if evidence_dir is None else f"the register's folder and the evidence folder {evidence_dir}"
    into = "the register's folder" if evidence_dir is None else "the register's folder (or the evidence folder)"
    if why is Escape.LINK:
        return (
            f"'{written}' is a link (shortcut) to a file outside {where}, so it cannot go into a pack for the LA",
            f"copy the file itself into {into} in place of the link",
        )
    return (
        f"'{written}' is outside {where}, so it cannot go into a pack for the LA",
        f"copy the file into {into} (into evidence/ beside the register, say) and give its path from there, "
        "e.g. evidence/ep-report.pdf",
    )


def evidence_path_problems(
    register: Register, base_dir: Path, find: Callable[[Sequence[Any]], Location], evidence_dir: Path | None = None
) -> list[Problem]:
    """An error at the cell of every Evidence sheet path that leads out of the register's folder."""
    problems = []
    for p_index, pupil in enumerate(register.pupils):
        for e_index, entry in enumerate(pupil.evidence):
            refused = evidence_path_refusal(entry.path, base_dir, evidence_dir)
            if refused is not None:
                problems.append(Problem(find(("pupils", p_index, "evidence", e_index, "path")), *refused))
    return problems


__all__ = ["evidence_path", "evidence_path_problems", "evidence_path_refusal"]
