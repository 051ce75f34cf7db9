"""Reliability: the injected faults of shared/reliability.md §7.2 that earlier test files do not cover.

F2 (converter killed mid-batch), F5 (disk full), F6 (the process killed at any point) and F9 (a
file appearing at the final name just before it is published). docs/reliability.md lists all ten
faults, what senforms promises for each, and the test that proves it (here or elsewhere).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.errors import OutputExistsError
from senforms.outputs import atomic as fileio

from .conftest import SAMPLES
from .corpus import make

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="uses signals, RLIMIT_FSIZE and shell-script stand-ins for LibreOffice")
pytestmark = pytest.mark.timeout(60)
REGISTER = SAMPLES / "register.json"
RENDER = ["render", "support-plan", str(REGISTER), "--date", "23/11/2026"]


def digests(folder: Path, pattern: str = "*.docx") -> dict[str, str]:
    """Published files (not senforms' hidden temporary ones) and their SHA-256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(pattern)) if not p.name.startswith(".")}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(fileio.TEMP_PREFIX))


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(fileio.__file__).parents[1]), os.environ.get("PYTHONPATH")])), **extra}


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> dict[str, str]:
    """The support plans of an undisturbed run: names and SHA-256 (documents are byte-identical run to run)."""
    out = tmp_path_factory.mktemp("clean")
    result = CliRunner().invoke(cli, [*RENDER, "-o", str(out)])
    assert result.exit_code == 0, result.output
    made = digests(out)
    assert len(made) == 12  # every pupil on SEN support; the one with an EHC plan gets none
    return made


def assert_complete_and_recorded(out: Path, expected: dict[str, str]) -> None:
    """Every document once, byte for byte as an undisturbed run makes it; the manifest agrees; no temp files."""
    assert digests(out) == expected
    for name in expected:
        docx.Document(str(out / name))  # and Word's format is intact
    with open(out / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = {row["file"]: row["sha256"] for row in csv.DictReader(handle)}
    assert rows == expected
    assert leftovers(out) == []


# --- F2: LibreOffice killed mid-batch ------------------------------------------------------------

STUB_SOFFICE = """#!/bin/sh
outdir=""; src=""
while [ $# -gt 0 ]; do
  case "$1" in --outdir) outdir="$2"; shift ;; *) src="$1" ;; esac
  shift
done
name=$(basename "$src"); stem="${{name%.*}}"
echo "$stem" >> "{calls}"
if [ "$stem" = "letter-3" ] && [ -e "{armed}" ]; then
  rm -f "{armed}"
  kill -9 $PPID   # the batch dies while this document is being converted
  exit 0
fi
cp "{prebuilt}/$stem.pdf" "$outdir/$stem.pdf"
"""

CONVERT_CHILD = """
import sys
from pathlib import Path
from senforms.pdf import convert_many
results = convert_many([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]), workers=1, timeout=20)
print(" ".join(r.status for r in results))
"""


@POSIX_ONLY
def test_f2_batch_killed_during_a_conversion_reruns_only_the_unfinished_documents(tmp_path):
    sources, prebuilt = tmp_path / "letters", tmp_path / "prebuilt"
    sources.mkdir()
    prebuilt.mkdir()
    letters = []
    for n in range(6):
        document = docx.Document()
        document.add_paragraph(f"Dear parent or carer of Amira Haddad, reference LETTER-{n}.")
        document.save(sources / f"letter-{n}.docx")
        letters.append(sources / f"letter-{n}.docx")
        make.evidence_pdf(prebuilt / f"letter-{n}.pdf", f"LETTER-{n}", 1)
    calls, armed = tmp_path / "calls.log", tmp_path / "armed"
    stub = tmp_path / "soffice"
    stub.write_text(STUB_SOFFICE.format(calls=calls, armed=armed, prebuilt=prebuilt))
    stub.chmod(0o755)
    child_tmp = tmp_path / "child-tmp"
    child_tmp.mkdir()
    env = child_env(SENFORMS_SOFFICE=str(stub), SENFORMS_UNO_PYTHON="off", TMPDIR=str(child_tmp))

    def batch(out: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", CONVERT_CHILD, str(out), *map(str, letters)], env=env, capture_output=True, text=True, timeout=50, check=False)

    clean = batch(tmp_path / "clean")
    assert clean.stdout.split() == ["converted"] * 6, clean.stderr
    calls.unlink()

    out = tmp_path / "out"
    armed.touch()
    killed = batch(out)
    assert killed.returncode == -signal.SIGKILL
    expected = digests(tmp_path / "clean", "*.pdf")
    published = digests(out, "*.pdf")
    # Killed while LibreOffice had letter-3; letter-2 may still have been on its way to its final name.
    assert {"letter-0.pdf", "letter-1.pdf"} <= set(published) <= {"letter-0.pdf", "letter-1.pdf", "letter-2.pdf"}
    assert published == {name: expected[name] for name in published}  # what is there is whole
    left_behind = sorted(p.name for p in child_tmp.iterdir() if p.name.startswith("senforms-"))
    assert any(name.startswith("senforms-convert-") for name in left_behind)  # copies of pupil documents

    calls.unlink()
    rerun = batch(out)
    assert rerun.returncode == 0, rerun.stderr
    unfinished = [f"letter-{n}" for n in range(6) if f"letter-{n}.pdf" not in published]
    assert rerun.stdout.split() == ["skipped"] * len(published) + ["converted"] * len(unfinished)
    assert calls.read_text().split() == unfinished  # LibreOffice runs again only for what was not finished
    assert digests(out, "*.pdf") == expected
    assert leftovers(out) == []  # a temporary file the killed batch left is cleared by the rerun
    assert [p.name for p in child_tmp.iterdir() if p.name.startswith("senforms-")] == []  # and its temporary folders


# --- F5: disk full --------------------------------------------------------------------------------

class _DiskFillsUp:
    """A file whose write stores half the data and then fails as a full disk does."""

    def __init__(self, handle) -> None:
        self._handle = handle

    def write(self, data: bytes) -> int:
        self._handle.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()


def test_f5_disk_full_on_the_third_document_stops_with_a_message_and_keeps_the_first_two(tmp_path, monkeypatch, clean_run):
    real_open = open
    documents = []

    def open_filling_up(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and str(file).endswith(".docx"):
            documents.append(file)
            if len(documents) == 3:
                return _DiskFillsUp(handle)
        return handle

    monkeypatch.setattr(fileio, "open", open_filling_up, raising=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [*RENDER, "-o", str(out)])
    assert result.exit_code == 1
    message = next(line for line in result.output.splitlines() if line.startswith("Error: "))
    assert message.endswith(" could not be saved: the disk is full")
    assert "Tip: free some space or choose another folder, then run the same command again: files already finished are kept" in result.output
    assert "Traceback" not in result.output
    failed = message.removeprefix("Error: ").split(" could not be saved")[0]
    made = digests(out)
    assert len(made) == 2 and failed not in made  # nothing at the final name of the one that failed
    assert made == {name: clean_run[name] for name in made}  # the two finished ones are whole
    assert leftovers(out) == []  # the half-written temporary file is gone
    recorded = {row["file"]: row["sha256"] for row in csv.DictReader(open(out / "manifest.csv", encoding="utf-8"))}
    assert recorded == made  # what was finished before the disk filled is in the manifest already

    monkeypatch.undo()
    again = CliRunner().invoke(cli, [*RENDER, "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert "10 made, 2 skipped" in again.output
    assert_complete_and_recorded(out, clean_run)


FSIZE_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))  # every support plan (17-20 kB) is larger than this
from senforms.cli import main
main(sys.argv[1:])
"""


@POSIX_ONLY
def test_f5_file_size_limit_in_a_real_process_leaves_earlier_outputs_and_no_partial_file(tmp_path):
    out = tmp_path / "out"
    first = CliRunner().invoke(cli, ["render", "review", str(REGISTER), "-o", str(out), "--date", "23/11/2026"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    child = subprocess.run([sys.executable, "-c", FSIZE_CHILD, *RENDER, "-o", str(out)], capture_output=True, text=True, env=child_env(), timeout=50, check=False)
    assert child.returncode == 1
    assert "could not be saved: the file is larger than this disk or account allows" in child.stderr
    assert "Traceback" not in child.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # reviews and manifest untouched, no plan, no temp


# --- F6: the process killed at any point ------------------------------------------------------------

KILL_AT_PUBLISH = """
import os, signal, sys
from senforms.outputs import atomic as fileio

publish, count = fileio.publish, 0

def publish_then_die(temp, final, overwrite):
    global count
    count += 1
    if count == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)  # the temporary file is complete; the final name is not yet taken
    return publish(temp, final, overwrite)

fileio.publish = publish_then_die
from senforms.cli import main
main(sys.argv[2:])
"""


@POSIX_ONLY
@pytest.mark.parametrize("kill_at", [1, 7])
def test_f6_killed_between_writing_and_publishing_a_rerun_completes_the_set(tmp_path, clean_run, kill_at):
    out = tmp_path / "out"
    child = subprocess.run([sys.executable, "-c", KILL_AT_PUBLISH, str(kill_at), *RENDER, "-o", str(out)], env=child_env(), timeout=50, check=False)
    assert child.returncode == -signal.SIGKILL
    assert len(digests(out)) == kill_at - 1
    assert len(leftovers(out)) == 1  # what SIGKILL leaves: a finished temporary file holding pupil data
    rerun = CliRunner().invoke(cli, [*RENDER, "-o", str(out)])
    assert rerun.exit_code == 0, rerun.output
    assert_complete_and_recorded(out, clean_run)


@POSIX_ONLY
@pytest.mark.timeout(90)
@pytest.mark.parametrize("seed", range(3))
def test_f6_killed_at_a_random_moment_a_rerun_completes_the_set(tmp_path, clean_run, seed):
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "senforms", *RENDER, "-o", str(out)], env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(seed).uniform(1.1, 2.0))  # importing takes about a second, rendering about one more
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    if out.exists():
        for name, digest in digests(out).items():  # whatever was published before the kill is whole
            assert clean_run[name] == digest
    rerun = CliRunner().invoke(cli, [*RENDER, "-o", str(out)])
    assert rerun.exit_code == 0, rerun.output
    assert_complete_and_recorded(out, clean_run)


# --- F9: a file appears at the final name just before publishing -------------------------------------

INTRUDER = b"the SENCo's own copy, saved a moment ago"


def _racing_publish(monkeypatch, victims: set[str]) -> list[Path]:
    """Make another 'program' save a file at the final name just before senforms publishes there."""
    publish, raced = fileio.publish, []

    def publish_after_a_rival(temp, final, overwrite):
        if final.name in victims and not final.exists():
            final.write_bytes(INTRUDER)
            raced.append(final)
        return publish(temp, final, overwrite)

    monkeypatch.setattr(fileio, "publish", publish_after_a_rival)
    return raced


def test_f9_write_atomic_never_overwrites_a_file_that_appears_during_the_write(tmp_path, monkeypatch):
    target = tmp_path / "letter.docx"
    raced = _racing_publish(monkeypatch, {"letter.docx"})
    with pytest.raises(OutputExistsError) as caught:
        fileio.write_atomic(target, b"senforms' letter")
    assert raced == [target]
    assert target.read_bytes() == INTRUDER
    assert "letter.docx already exists: senforms never overwrites a file unless asked" in str(caught.value)
    assert caught.value.fix_for("--overwrite").startswith("run again with --overwrite")
    assert leftovers(tmp_path) == []


def test_f9_render_leaves_a_file_that_appears_mid_batch_and_says_so(tmp_path, monkeypatch, clean_run):
    victim = sorted(clean_run)[4]
    raced = _racing_publish(monkeypatch, {victim})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [*RENDER, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in raced] == [victim]
    assert "SEN support plan: 11 made, 1 skipped (already there; use --overwrite to replace)" in result.output
    assert (out / victim).read_bytes() == INTRUDER
    made = digests(out)
    assert {name: made[name] for name in made if name != victim} == {name: clean_run[name] for name in clean_run if name != victim}
    assert leftovers(out) == []
