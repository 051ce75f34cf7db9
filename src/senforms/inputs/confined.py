"""The one rule for a file that a register or a folder names: it is inside that folder (the
register's, or the evidence folder the SENCo named), and no link (shortcut) on the way leads out.

Without it `../../etc/passwd`, an absolute path or a symbolic link could pull any file on the
computer into a pack for the LA. The Evidence sheet's paths (inputs.evidence_paths) and the
files of a `bundle --evidence` folder (bundle.pack) are both checked here.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from pathlib import Path


class Escape(enum.Enum):
    """Why a path is not a file inside its folder."""

    OUTSIDE = "outside"  # written outside it: `..` too many times, or an absolute path elsewhere
    LINK = "link"  # written inside it, but a link on the way (the file or a folder) leads out


def escape(path: Path, folders: Sequence[Path]) -> Escape | None:
    """None when `path` (absolute, or already joined to its folder) is inside one of `folders` once
    every link is followed; otherwise why not. A path that does not exist yet is judged as written
    (finding it is the caller's business); a link loop stays where it is, so inside is inside."""
    # realpath, not Path.resolve: it never raises, for a missing file or a link loop alike.
    real = Path(os.path.realpath(path))
    if any(real.is_relative_to(os.path.realpath(folder)) for folder in folders):
        return None
    written = Path(os.path.normpath(os.path.abspath(path)))
    if any(written.is_relative_to(os.path.normpath(os.path.abspath(folder))) for folder in folders):
        return Escape.LINK
    return Escape.OUTSIDE


__all__ = ["Escape", "escape"]
