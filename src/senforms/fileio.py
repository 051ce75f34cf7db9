"""Atomic, no-surprise file writes: temp file → fsync → link (or replace when asked) → fsync folder.

A crash, a full disk or Ctrl-C never leaves a half-written file at a final name, and an existing
file is never replaced unless the caller says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputExistsError

TEMP_PREFIX = ".part-"


def _fsync_dir(folder: Path) -> None:
    # Without this a crash can lose the new directory entry even though the data was synced.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(temp: Path, final: Path, overwrite: bool) -> None:
    """Move a finished temporary file to its final name: atomic, and no overwrite unless asked."""
    if overwrite:
        os.replace(temp, final)
    else:
        try:
            os.link(temp, final)  # fails if `final` exists, closing the check-then-write race
        except FileExistsError:
            temp.unlink(missing_ok=True)
            raise OutputExistsError(final) from None
        except OSError:
            # Filesystems without hard links: fall back to an exclusive create + replace.
            if final.exists():
                temp.unlink(missing_ok=True)
                raise OutputExistsError(final) from None
            os.replace(temp, final)
        else:
            temp.unlink()
    _fsync_dir(final.parent)


@contextlib.contextmanager
def atomic_path(final: Path | str, *, overwrite: bool = False, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success publish it there atomically.

    For libraries that insist on writing to a path themselves (docxtpl, pypdf, LibreOffice).
    If the block raises, the temporary file is removed and `final` is untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and not overwrite:
        raise OutputExistsError(final)
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=TEMP_PREFIX, suffix=suffix or final.suffix)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        publish(temp, final, overwrite)
    finally:
        temp.unlink(missing_ok=True)


def write_atomic(final: Path | str, data: bytes, *, overwrite: bool = False) -> Path:
    """Write `data` to `final` atomically; raise OutputExistsError rather than overwrite."""
    final = Path(final)
    with atomic_path(final, overwrite=overwrite) as temp:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return final


def sha256_file(path: Path | str) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
