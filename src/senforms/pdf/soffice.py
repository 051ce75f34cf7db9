"""LibreOffice as a program: where it is, which version, and how to start and stop its processes.

Finds `soffice` and a Python that can talk to it over UNO, builds its command lines, and kills a
LibreOffice process tree (oosplash → soffice.bin) without leaving processes or pipes behind.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from senforms.errors import ConversionError

SOFFICE_ENV = "SENFORMS_SOFFICE"
UNO_PYTHON_ENV = "SENFORMS_UNO_PYTHON"
# Setting SENFORMS_UNO_PYTHON to one of these forces one-LibreOffice-per-file mode.
UNO_PYTHON_OFF = frozenset({"off", "none", "0", "no", "false"})

INSTALL_TIP = (
    "install LibreOffice. Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui python3-uno "
    "fonts-crosextra-carlito fonts-liberation2; macOS: brew install --cask libreoffice; "
    "Windows: download it from https://www.libreoffice.org/download/. "
    f"If it is installed somewhere unusual, set {SOFFICE_ENV} to the full path of soffice"
)
UNO_TIP = (
    "Debian/Ubuntu: sudo apt-get install python3-uno; macOS and Windows: LibreOffice's own Python "
    f"is used automatically. Or set {UNO_PYTHON_ENV} to a Python that can 'import uno'"
)


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _candidates() -> list[Path]:
    """The usual places LibreOffice lives, most likely first, for this operating system."""
    names = ["soffice", "libreoffice"]
    found = [Path(p) for name in names if (p := shutil.which(name))]
    if sys.platform == "darwin":
        found += [
            Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
            Path.home() / "Applications/LibreOffice.app/Contents/MacOS/soffice",
        ]
    elif sys.platform == "win32":
        for base in (os.environ.get("PROGRAMFILES"), os.environ.get("PROGRAMFILES(X86)"), r"C:\Program Files"):
            if base:
                found.append(Path(base) / "LibreOffice" / "program" / "soffice.exe")
    else:
        found += [Path("/usr/bin/soffice"), Path("/usr/lib/libreoffice/program/soffice"), Path("/usr/local/bin/soffice")]
        # The Document Foundation's own packages install under /opt/libreofficeX.Y; newest first.
        found += [Path(p) for p in sorted(glob.glob("/opt/libreoffice*/program/soffice"), reverse=True)]
        found += [Path("/snap/bin/libreoffice")]
    return found


def find_soffice() -> Path:
    """The LibreOffice `soffice` to use: $SENFORMS_SOFFICE, else the usual install places.

    Raises ConversionError, with an install tip, when there is none.
    """
    override = os.environ.get(SOFFICE_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        if _is_executable(path):
            return path
        raise ConversionError(f"{SOFFICE_ENV} is set to {override}, but no runnable soffice is there", fix=INSTALL_TIP)
    for path in _candidates():
        if _is_executable(path):
            return path
    raise ConversionError("LibreOffice is not installed (or senforms cannot find it)", fix=INSTALL_TIP)


def program_dir(soffice: Path) -> Path:
    """LibreOffice's `program` folder (where soffice.bin, versionrc and any bundled Python are)."""
    real = soffice.resolve()
    if sys.platform == "darwin" and real.parent.name == "MacOS":
        return real.parent  # LibreOffice.app/Contents/MacOS
    return real.parent


def _bundled_pythons(soffice: Path) -> list[Path]:
    prog = program_dir(soffice)
    if sys.platform == "win32":
        return [prog / "python.exe"]
    if sys.platform == "darwin":
        return [prog.parent / "Resources" / "python", prog / "python"]
    return [prog / "python"]  # some /opt builds ship one


def uno_python_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a uno-capable Python: without our interpreter's PYTHONHOME/PYTHONPATH.

    Those belong to senforms' own Python (a venv, pyenv) and would make a different Python
    (Debian's, or LibreOffice's bundled one) load the wrong standard library or packages.
    """
    env = dict(os.environ if base is None else base)
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__"):
        env.pop(name, None)
    return env


@functools.lru_cache(maxsize=16)
def _can_import_uno(python: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import uno"],
            env=uno_python_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def find_uno_python(soffice: Path | None = None) -> Path | None:
    """A Python that can `import uno`, or None (senforms then runs one LibreOffice per file).

    Order: $SENFORMS_UNO_PYTHON ("off" forces None), LibreOffice's bundled Python, then the
    system Python 3 (Debian/Ubuntu's python3-uno package installs uno for /usr/bin/python3).
    """
    override = os.environ.get(UNO_PYTHON_ENV, "").strip()
    if override.lower() in UNO_PYTHON_OFF:
        return None
    if override:
        path = Path(override).expanduser()
        return path if _is_executable(path) and _can_import_uno(str(path)) else None
    candidates: list[Path] = []
    if soffice is None:
        try:
            soffice = find_soffice()
        except ConversionError:
            soffice = None
    if soffice is not None:
        candidates += _bundled_pythons(soffice)
    if sys.platform not in ("win32", "darwin"):
        candidates += [Path("/usr/bin/python3")]
        candidates += [Path(p) for p in sorted(glob.glob("/usr/bin/python3.[0-9]*"), reverse=True) if "-" not in p]
    for path in candidates:
        if _is_executable(path) and _can_import_uno(str(path)):
            return path
    return None


_VERSION_RE = re.compile(r"LibreOffice(?:Dev)?\s+(\d+(?:\.\d+)+)")


def _version_from_versionrc(soffice: Path) -> str | None:
    for name in ("versionrc", "version.ini"):
        rc = program_dir(soffice) / name
        if sys.platform == "darwin":
            rc = program_dir(soffice).parent / "Resources" / name
        try:
            text = rc.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = re.search(r"^ProductVersion=(.+)$", text, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return None


def soffice_version(soffice: Path | str | None = None) -> str:
    """LibreOffice's version, e.g. "7.4.7.2", or "unknown". Raises ConversionError if it is missing."""
    return _version_of(Path(soffice) if soffice else find_soffice())


@functools.lru_cache(maxsize=8)
def _version_of(path: Path) -> str:
    exe = path
    if sys.platform == "win32" and path.with_suffix(".com").exists():
        exe = path.with_suffix(".com")  # soffice.exe is a GUI program and prints nothing
    try:
        proc = popen_group([str(exe), "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return _version_from_versionrc(path) or "unknown"
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out = b""
    match = _VERSION_RE.search(out.decode("utf-8", "replace"))
    if match:
        return match.group(1)
    return _version_from_versionrc(path) or "unknown"


# --- starting and stopping LibreOffice processes -------------------------------------------------

# Flags every LibreOffice we start gets: no window, no splash, no crash-recovery dialogue, no
# "Start Centre" document, and no check for another user's lock on the profile.
SOFFICE_FLAGS = ("--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck")


def profile_arg(profile: Path) -> str:
    """The -env:UserInstallation=… argument that gives LibreOffice a private profile folder."""
    return f"-env:UserInstallation={profile_url(profile)}"


def profile_url(profile: Path) -> str:
    return profile.resolve().as_uri()


def popen_group(
    args: Sequence[str],
    *,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a process as the leader of its own process group, so the whole tree can be killed.

    Its own session also keeps a terminal's Ctrl-C away from it: senforms decides when it stops.
    """
    if sys.platform == "win32":  # os.name == "nt", in the form type checkers understand
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "CREATE_NO_WINDOW", 0)
        return subprocess.Popen(list(args), stdin=stdin, stdout=stdout, stderr=stderr, env=env, creationflags=flags)
    return subprocess.Popen(list(args), stdin=stdin, stdout=stdout, stderr=stderr, env=env, start_new_session=True)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL a process started by popen_group together with everything in its group, then reap it.

    Killing only the leader is not enough: `soffice` is a launcher (oosplash) and the real work
    is done by its child soffice.bin, which would otherwise live on holding the profile.
    """
    if os.name == "nt":
        if proc.poll() is None:
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
    else:
        # Kill before reaping: while the leader is unreaped its id cannot be reused, so this
        # signal can only reach our own processes. Stragglers keep the group id reserved too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, OSError):
        proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process stuck in the kernel
        pass


def _pipe_folder() -> Path:
    # LibreOffice (osl/unx/pipe.cxx) always puts its named pipes in /tmp, whatever $TMPDIR says.
    return Path("/tmp")


def pipe_paths(profile: Path, pipe_name: str | None = None) -> list[Path]:
    """The socket files a LibreOffice using `profile` (and accepting on `pipe_name`) creates.

    One is its single-instance pipe, named after an MD5 of the profile URL in UTF-16 (as
    desktop/source/app/officeipcthread.cxx makes it); the other is our --accept pipe. A killed
    soffice.bin cannot remove them itself.
    """
    if os.name == "nt":
        return []
    uid = os.getuid()
    digest = hashlib.md5(profile_url(profile).encode("utf-16-le"), usedforsecurity=False).digest()
    paths = [_pipe_folder() / f"OSL_PIPE_{uid}_SingleOfficeIPC_{''.join(format(b, 'x') for b in digest)}"]
    if pipe_name:
        paths.append(_pipe_folder() / f"OSL_PIPE_{uid}_{pipe_name}")
    return paths


def remove_pipes(profile: Path, pipe_name: str | None = None) -> None:
    """Delete the leftover socket files of a LibreOffice that has been stopped (only sockets we own)."""
    for path in pipe_paths(profile, pipe_name):
        try:
            info = path.lstat()
        except OSError:
            continue
        if stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid():
            with contextlib.suppress(OSError):
                path.unlink()
