"""Atomic, no-surprise file writes: temp file → fsync → link (or replace when asked) → fsync folder.

A crash, a full disk or Ctrl-C never leaves a half-written file at a final name, and an existing
file is never replaced unless the caller says so.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from senforms.errors import OutputExistsError, OutputFolderError, SenformsError

TEMP_PREFIX = ".part-"
# Temporary files are named .part-<host>-<pid>-…, so a later run can tell which ones a process
# that was killed (SIGKILL, a power cut) left behind: they hold pupil data and must not linger.
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_swept: set[str] = set()


class DiskFullError(SenformsError, OSError):
    """A file could not be written because the disk, the user's quota or the file-size limit is full.

    A SenformsError, so the CLI stops with a plain message instead of a traceback; still an
    OSError (with the original errno), so code that handles OSError file by file still does.
    """

    def __init__(self, path: Path, cause: OSError) -> None:
        reason = "the file is larger than this disk or account allows" if cause.errno == errno.EFBIG else "the disk is full"
        super().__init__(
            f"{path.name} could not be saved: {reason}",
            fix="free some space or choose another folder, then run the same command again: files already finished are kept",
        )
        self.errno, self.strerror = cause.errno, cause.strerror


_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, for instance: leave its files alone
        return True
    return True


def this_machine() -> str:
    """A short tag of this computer's name (a hash: the name itself may say whose computer it is)."""
    return _HOST


def known_dead(host: str, pid: int) -> bool:
    """Whether process `pid` of computer `host` (a `this_machine()` tag) has certainly ended: only
    ever True for this computer, on POSIX, where os.kill(pid, 0) can tell."""
    return os.name == "posix" and host == _HOST and pid != os.getpid() and not _alive(pid)


def _left_by_dead_processes(folder: Path, stem: str) -> list[os.DirEntry]:
    """Entries in `folder` named `<stem>-<host>-<pid>-…` by this machine whose process has ended.

    Entries of live processes, of other machines sharing the folder, and anything not named by
    senforms are never returned. Empty on Windows, where os.kill(pid, 0) is not a harmless probe.
    """
    if os.name != "posix":
        return []
    mine = f"{stem}-{_HOST}-"
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(mine)]
    except OSError:
        return []
    stale = []
    for entry in entries:
        pid_text = entry.name[len(mine):].split("-", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            stale.append(entry)
    return stale


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the temporary files that dead senforms processes on this machine left in `folder`.

    Runs once per folder per process (before the first write there).
    """
    key = os.path.abspath(folder)
    if key in _swept:
        return []
    _swept.add(key)
    removed: list[Path] = []
    for entry in _left_by_dead_processes(Path(folder), TEMP_PREFIX.rstrip("-")):
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _blocker(folder: Path) -> Path | None:
    """The nearest part of `folder`'s path that exists but is not a folder (a file in the way)."""
    for part in [folder, *folder.parents]:
        if part.exists() or part.is_symlink():
            return None if part.is_dir() else part
    return None


def folder_error(folder: Path, cause: OSError) -> OutputFolderError:
    """A plain-English OutputFolderError for an OSError met while making or writing in `folder`."""
    blocker = _blocker(folder)
    if blocker is not None:
        return OutputFolderError(
            f"the folder {folder} cannot be made: {blocker} is a file, not a folder",
            fix="choose another output folder, or move that file away",
        )
    if cause.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputFolderError(
            f"senforms may not write in {folder} (it is read-only, or belongs to someone else)",
            fix="choose a folder of your own for the output, or ask for write access to this one",
        )
    if cause.errno in _FULL:
        return OutputFolderError(f"nothing more can be written in {folder}: the disk is full", fix="free some space or choose another folder")
    return OutputFolderError(f"senforms cannot write in {folder} ({cause.strerror or cause})", fix="choose another output folder")


def ensure_folder(folder: Path | str) -> Path:
    """Make `folder` (and its parents) if needed; OutputFolderError, naming it, if that cannot be done."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folder_error(folder, exc) from exc
    if not folder.is_dir():
        raise folder_error(folder, FileExistsError(errno.EEXIST, "not a folder"))
    return folder


def private_temp_dir(stem: str, parent: Path | str | None = None) -> Path:
    """A new folder only this user can read (mkdtemp: 0700) named `<stem>-<host>-<pid>-…`.

    Before making it, folders with the same stem that dead senforms processes on this machine
    left behind (a batch killed with SIGKILL, a power cut) are deleted: they hold copies of pupil
    documents. The caller still removes its own folder when it finishes.
    """
    parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    for entry in _left_by_dead_processes(parent, stem):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
    try:
        return Path(tempfile.mkdtemp(prefix=f"{stem}-{_HOST}-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise folder_error(parent, exc) from exc


def fsync_dir(folder: Path) -> None:
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
    fsync_dir(final.parent)


@contextlib.contextmanager
def atomic_path(final: Path | str, *, overwrite: bool = False, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success publish it there atomically.

    For libraries that insist on writing to a path themselves (docxtpl, pypdf, LibreOffice).
    If the block raises, the temporary file is removed and `final` is untouched.
    """
    final = Path(final)
    ensure_folder(final.parent)
    if final.is_dir():
        raise OutputFolderError(f"{final} cannot be written: a folder of that name is in the way", fix="move the folder away, or choose another output folder")
    if final.exists() and not overwrite:
        raise OutputExistsError(final)
    remove_stale_temps(final.parent)
    prefix = f"{TEMP_PREFIX}{_HOST}-{os.getpid()}-"
    try:
        fd, name = tempfile.mkstemp(dir=final.parent, prefix=prefix, suffix=suffix or final.suffix)
    except OSError as exc:
        raise folder_error(final.parent, exc) from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        publish(temp, final, overwrite)
    except OSError as exc:
        if isinstance(exc, SenformsError):
            raise
        if exc.errno in _FULL:
            raise DiskFullError(final, exc) from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            if final.exists() and overwrite:
                raise OutputFolderError(
                    f"{final} cannot be replaced: it is read-only or locked (it may be open in another program)",
                    fix="close it, or make it writable, then run the same command again: files already finished are kept",
                ) from exc
            raise folder_error(final.parent, exc) from exc
        raise
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
