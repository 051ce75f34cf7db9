"""DOCX → PDF conversion: real LibreOffice batches, a worker killed mid-batch, broken inputs, fake
LibreOffices that hang or lie, no-overwrite, clean-up on every exit path, and the CLI commands.

Every PDF is opened with pypdf and its text checked; "a file exists" is never enough.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.enum.text import WD_BREAK
from pypdf import PdfReader, PdfWriter

from senforms.cli import cli
from senforms.errors import ConversionError
from senforms.pdf import (
    ConversionResult,
    PdfConverter,
    convert_many,
    convert_one,
    find_soffice,
    find_uno_python,
    preflight,
    soffice_version,
)

POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="fake LibreOffices are shell scripts")


# --- helpers (kept here: tests/conftest.py belongs to another part of senforms) -------------------


def _real_libreoffice() -> bool:
    if os.environ.get("SENFORMS_SOFFICE"):
        return False
    try:
        soffice = find_soffice()
    except ConversionError:
        return False
    return find_uno_python(soffice) is not None


needs_libreoffice = pytest.mark.skipif(not _real_libreoffice(), reason="needs LibreOffice and python3-uno")


def make_letter(path: Path, pupil: str, ref: str, *, pages: int = 1) -> Path:
    """A short letter home naming `pupil`, with a unique reference so PDFs cannot be mixed up."""
    document = docx.Document()
    document.add_heading("SEN support plan review", level=1)
    document.add_paragraph(f"Dear parent or carer of {pupil},")
    document.add_paragraph(f"Reference {ref}. We would like to invite you to review the plan.")
    for page in range(2, pages + 1):
        document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph(f"Page {page} for {pupil}, reference {ref}.")
    document.add_paragraph("Yours sincerely, the SENCo")
    document.save(str(path))
    return path


def pdf_text(path: Path) -> tuple[str, int]:
    reader = PdfReader(str(path))
    return " ".join(page.extract_text() or "" for page in reader.pages), len(reader.pages)


def _live(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is not running)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        if sys.platform.startswith("linux"):
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def processes_matching(text: str) -> list[int]:
    """Live processes whose command line mentions `text` (e.g. our private temp folder)."""
    found = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found if _live(int(pid))]


def processes_in_group(pgid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found if _live(int(pid))]


def our_pipes() -> list[Path]:
    """LibreOffice accept-pipes left by this test process (their names carry our pid)."""
    if os.name == "nt":
        return []
    return list(Path("/tmp").glob(f"OSL_PIPE_{os.getuid()}_senforms_{os.getpid()}_*"))


def fake_soffice(folder: Path, body: str) -> Path:
    """A shell script that stands in for soffice. $outdir and $src hold its --outdir and input."""
    script = folder / "fake-soffice"
    script.write_text(
        "#!/bin/sh\n"
        'outdir=""; src=""\n'
        'while [ $# -gt 0 ]; do\n'
        '  case "$1" in --outdir) outdir="$2"; shift ;; *) src="$1" ;; esac\n'
        "  shift\n"
        "done\n"
        'name=$(basename "$src"); stem="${name%.*}"\n' + textwrap.dedent(body)
    )
    script.chmod(0o755)
    return script


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Send every temporary file senforms makes into one folder, so tests can see what is left."""
    folder = tmp_path / "private-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def fallback_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Install a fake soffice (fallback mode: one process per file, no UNO)."""

    def install(body: str) -> Path:
        script = fake_soffice(tmp_path, body)
        monkeypatch.setenv("SENFORMS_SOFFICE", str(script))
        monkeypatch.setenv("SENFORMS_UNO_PYTHON", "off")
        return script

    return install


def assert_no_temp_files(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".part-")]


# --- unit tests: no LibreOffice needed ------------------------------------------------------------


def test_preflight_names_files_that_are_not_word_documents(tmp_path: Path) -> None:
    good = make_letter(tmp_path / "good.docx", "Amira Haddad", "R1")
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good.read_bytes()[:300])
    text = tmp_path / "notes.docx"
    text.write_text("Zyxwvut Canaryson: notes, not a Word document")
    old = tmp_path / "old.docx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)

    assert preflight(good) is None
    assert preflight(truncated) == "truncated.docx is not a Word document (.docx), or it is damaged"
    assert preflight(text) == "notes.docx is not a Word document (.docx), or it is damaged"
    assert "password-protected" in (preflight(old) or "")
    assert preflight(tmp_path / "missing.docx") == "missing.docx was not found"


def test_missing_libreoffice_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SENFORMS_SOFFICE", str(tmp_path / "no-such-soffice"))
    with pytest.raises(ConversionError) as caught:
        find_soffice()
    assert "apt-get install libreoffice-writer-nogui" in caught.value.fix
    assert "brew install --cask libreoffice" in caught.value.fix


def test_result_is_frozen(tmp_path: Path) -> None:
    result = ConversionResult(tmp_path / "a.docx", None, "failed", "a.docx is not a Word document (.docx)")
    with pytest.raises(AttributeError):
        result.status = "converted"  # type: ignore[misc]


# --- fake LibreOffices (fallback mode) ------------------------------------------------------------


@POSIX_ONLY
@pytest.mark.timeout(60)
def test_hanging_libreoffice_is_killed_retried_once_and_reported(tmp_path: Path, fallback_with, private_tmp: Path) -> None:
    pids = tmp_path / "pids"
    fallback_with(
        f"""
        echo $$ >> {pids}
        sleep 1000 &
        echo $! >> {pids}
        wait
        """
    )
    source = make_letter(tmp_path / "letter.docx", "Zyxwvut Canaryson", "H1")
    with PdfConverter(workers=1, timeout=1, startup_allowance=0) as converter:
        assert converter.mode == "oneshot"
        started = time.monotonic()
        (result,) = convert_many([source], converter=converter)
        elapsed = time.monotonic() - started
        base = converter.base_dir

    assert result.status == "failed" and result.pdf is None
    assert result.attempts == 2
    assert result.error == "letter.docx could not be converted: LibreOffice took longer than 1 second and was stopped (tried twice)"
    assert 2 <= elapsed < 15
    recorded = [int(p) for p in pids.read_text().split()]
    assert len(recorded) == 4  # two attempts, each a shell and its sleep
    assert not [pid for pid in recorded if _live(pid)]  # the whole process group was killed
    assert not processes_matching(str(base))
    assert not (tmp_path / "letter.pdf").exists()
    assert not list(private_tmp.iterdir())


@POSIX_ONLY
@pytest.mark.timeout(60)
def test_exit_zero_without_a_pdf_is_a_failure_quoting_libreoffice(tmp_path: Path, fallback_with, private_tmp: Path) -> None:
    fallback_with(
        """
        echo "convert $src -> $outdir/$stem.pdf using filter : writer_pdf_Export"
        echo "Error: source file could not be loaded" >&2
        exit 0
        """
    )
    source = make_letter(tmp_path / "letter.docx", "Amira Haddad", "E1")
    (result,) = convert_many([source], workers=1, timeout=10)
    assert result.status == "failed"
    assert result.attempts == 1  # the document, not LibreOffice, is the problem: no retry
    assert "“Error: source file could not be loaded”" in result.error
    assert result.error.startswith("letter.docx could not be converted: LibreOffice did not produce a PDF")
    assert str(private_tmp) not in result.error
    assert not (tmp_path / "letter.pdf").exists()
    assert not list(private_tmp.iterdir())


@POSIX_ONLY
@pytest.mark.timeout(60)
def test_garbage_pdf_fails_validation_and_is_not_published(tmp_path: Path, fallback_with, private_tmp: Path) -> None:
    fallback_with(
        """
        printf 'garbage!!\\n' > "$outdir/$stem.pdf"
        exit 0
        """
    )
    source = make_letter(tmp_path / "x.docx", "Amira Haddad", "G1")
    out = tmp_path / "out"
    (result,) = convert_many([source], out, workers=1, timeout=10)
    assert result.status == "failed"
    assert result.error == "x.docx could not be converted: LibreOffice produced a file that is not a PDF"
    assert not (out / "x.pdf").exists()
    assert not out.exists() or not list(out.iterdir())
    assert not list(private_tmp.iterdir())


@POSIX_ONLY
@pytest.mark.timeout(60)
def test_existing_pdf_is_skipped_and_unchanged(tmp_path: Path, fallback_with, private_tmp: Path) -> None:
    called = tmp_path / "called"
    fallback_with(
        f"""
        touch {called}
        printf 'garbage!!\\n' > "$outdir/$stem.pdf"
        """
    )
    source = make_letter(tmp_path / "letter.docx", "Zyxwvut Canaryson", "S1")
    existing = tmp_path / "letter.pdf"
    existing.write_bytes(b"%PDF-1.4 the SENCo's signed copy")
    before = existing.stat()

    (result,) = convert_many([source])
    assert result.status == "skipped"
    assert result.pdf == existing
    assert "letter.pdf already exists" in result.error
    assert not called.exists()  # LibreOffice was never started for it
    assert existing.read_bytes() == b"%PDF-1.4 the SENCo's signed copy"
    assert existing.stat().st_mtime_ns == before.st_mtime_ns

    # Even with overwrite, a conversion that fails validation leaves the old PDF alone.
    (result,) = convert_many([source], overwrite=True, workers=1, timeout=10)
    assert called.exists()
    assert result.status == "failed"
    assert existing.read_bytes() == b"%PDF-1.4 the SENCo's signed copy"
    assert_no_temp_files(tmp_path)


@POSIX_ONLY
@pytest.mark.timeout(60)
def test_convert_one_raises_conversion_error(tmp_path: Path, fallback_with, private_tmp: Path) -> None:
    fallback_with('echo "Error: source file could not be loaded" >&2\n')
    source = make_letter(tmp_path / "letter.docx", "Amira Haddad", "O1")
    with pytest.raises(ConversionError, match="letter.docx could not be converted"):
        convert_one(source, tmp_path / "letter.pdf", timeout=10)
    not_word = tmp_path / "notes.docx"
    not_word.write_text("plain text")
    with pytest.raises(ConversionError, match=r"notes.docx is not a Word document \(.docx\)"):
        convert_one(not_word)


@POSIX_ONLY
@pytest.mark.timeout(60)
def test_pool_that_will_not_start_falls_back_to_one_process_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tmp: Path
) -> None:
    # A "uno-capable" Python that passes the `import uno` check but dies when run as a worker.
    python = tmp_path / "fake-python"
    python.write_text('#!/bin/sh\n[ "$1" = "-c" ] && exit 0\necho "worker cannot start" >&2\nexit 1\n')
    python.chmod(0o755)
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    blank = tmp_path / "blank.pdf"
    writer.write(str(blank))
    soffice = fake_soffice(tmp_path, f'cp {blank} "$outdir/$stem.pdf"\n')
    monkeypatch.setenv("SENFORMS_SOFFICE", str(soffice))
    monkeypatch.setenv("SENFORMS_UNO_PYTHON", str(python))
    sources = [make_letter(tmp_path / f"l{n}.docx", "Amira Haddad", f"D{n}") for n in range(3)]

    with PdfConverter(workers=1, temp_root=tmp_path) as converter:
        assert converter.mode == "pool"
        results = convert_many(sources, tmp_path / "out", converter=converter)
        assert converter.degraded

    assert [r.status for r in results] == ["converted"] * 3, [r.error for r in results]
    assert [r.attempts for r in results] == [1, 1, 1]  # failed starts are not attempts at a document
    assert all(len(PdfReader(str(r.pdf)).pages) == 1 for r in results if r.pdf)


# --- real LibreOffice -------------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_batch_of_eight_with_two_workers(tmp_path: Path) -> None:
    pupils = ["Zyxwvut Canaryson", "Amira Haddad"]
    sources = [
        make_letter(tmp_path / f"letter-{n}.docx", pupils[n % 2], f"REF{n:03d}Q", pages=2 if n == 3 else 1)
        for n in range(8)
    ]
    out = tmp_path / "pdfs"
    seen: list[str] = []
    with PdfConverter(workers=2, temp_root=tmp_path) as converter:
        assert converter.mode == "pool"
        results = convert_many(sources, out, converter=converter, on_progress=lambda r: seen.append(r.source.name))
        assert len(converter.process_groups()) == 2  # both workers stay up for the next batch
        base = converter.base_dir

    assert [r.source for r in results] == sources  # input order
    assert sorted(seen) == sorted(s.name for s in sources)
    for n, result in enumerate(results):
        assert result.status == "converted", result.error
        assert result.pdf == out / f"letter-{n}.pdf"
        text, pages = pdf_text(result.pdf)
        assert pupils[n % 2] in text
        assert f"REF{n:03d}Q" in text
        assert [f"REF{m:03d}Q" in text for m in range(8)].count(True) == 1
        assert pages == (2 if n == 3 else 1)
        assert result.pdf.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"letter-{n}.pdf" for n in range(8))
    assert not processes_matching(str(base))
    assert not base.exists()
    assert not our_pipes()


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_worker_killed_mid_batch_batch_still_finishes(tmp_path: Path) -> None:
    sources = [make_letter(tmp_path / f"pupil-{n}.docx", "Amira Haddad", f"KIL{n:03d}X") for n in range(8)]
    out = tmp_path / "pdfs"
    killed: list[int] = []

    with PdfConverter(workers=2, temp_root=tmp_path) as converter:

        def kill_workers(result: ConversionResult) -> None:
            if not killed:  # after the first result, SIGKILL every LibreOffice worker's process group
                for pgid in converter.process_groups():
                    os.killpg(pgid, signal.SIGKILL)
                    killed.append(pgid)

        results = convert_many(sources, out, converter=converter, on_progress=kill_workers)
        restarts = converter.restarts
        base = converter.base_dir

    assert killed
    assert restarts >= 1
    assert all(not processes_in_group(pgid) for pgid in killed)  # soffice.bin went with its group
    assert [r.status for r in results] == ["converted"] * 8, [r.error for r in results]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"pupil-{n}.pdf" for n in range(8))  # no .part-, no extras
    for n, result in enumerate(results):
        assert result.pdf is not None
        text, pages = pdf_text(result.pdf)
        assert f"KIL{n:03d}X" in text and "Amira Haddad" in text and pages == 1
        assert [f"KIL{m:03d}X" in text for m in range(8)].count(True) == 1  # no mix-ups, no duplicates
    assert not processes_matching(str(base))
    assert not our_pipes()


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_hung_worker_is_killed_at_the_timeout_and_its_document_retried(tmp_path: Path) -> None:
    sources = [make_letter(tmp_path / f"h{n}.docx", "Zyxwvut Canaryson", f"HUNG{n}") for n in range(4)]
    frozen: list[int] = []
    with PdfConverter(workers=1, timeout=3, temp_root=tmp_path) as converter:

        def freeze(result: ConversionResult) -> None:
            if not frozen:  # SIGSTOP: LibreOffice is still there but will never answer
                for pgid in converter.process_groups():
                    os.killpg(pgid, signal.SIGSTOP)
                    frozen.append(pgid)

        started = time.monotonic()
        results = convert_many(sources, tmp_path / "out", converter=converter, on_progress=freeze)
        elapsed = time.monotonic() - started
        assert converter.restarts == 1

    assert frozen and all(not processes_in_group(pgid) for pgid in frozen)
    assert [r.status for r in results] == ["converted"] * 4, [r.error for r in results]
    assert sorted(r.attempts for r in results) == [1, 1, 1, 2]  # only the document it hung on was retried
    assert elapsed >= 3
    for n, result in enumerate(results):
        assert result.pdf is not None and f"HUNG{n}" in pdf_text(result.pdf)[0]


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_corrupt_and_renamed_files_fail_by_name_others_convert(tmp_path: Path, private_tmp: Path) -> None:
    first = make_letter(tmp_path / "first.docx", "Zyxwvut Canaryson", "OK1")
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(first.read_bytes()[: len(first.read_bytes()) // 2])
    renamed = tmp_path / "renamed.docx"
    renamed.write_text("Amira Haddad: this is a text file with a .docx name")
    last = make_letter(tmp_path / "last.docx", "Amira Haddad", "OK2")

    results = convert_many([first, truncated, renamed, last], workers=1)

    assert [r.status for r in results] == ["converted", "failed", "failed", "converted"]
    assert results[1].error.startswith("truncated.docx is not a Word document (.docx)")
    assert results[2].error.startswith("renamed.docx is not a Word document (.docx)")
    assert results[1].attempts == results[2].attempts == 0  # never sent to LibreOffice
    assert "Zyxwvut Canaryson" in pdf_text(tmp_path / "first.pdf")[0]
    assert "Amira Haddad" in pdf_text(tmp_path / "last.pdf")[0]
    assert not (tmp_path / "truncated.pdf").exists() and not (tmp_path / "renamed.pdf").exists()
    assert_no_temp_files(tmp_path)
    assert not processes_matching(str(private_tmp))
    assert not list(private_tmp.iterdir())


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_ctrl_c_mid_batch_leaves_no_libreoffice_or_temp_files(tmp_path: Path, private_tmp: Path) -> None:
    sources = [make_letter(tmp_path / f"l{n}.docx", "Zyxwvut Canaryson", f"INT{n}") for n in range(10)]
    out = tmp_path / "pdfs"

    def interrupt(result: ConversionResult) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        convert_many(sources, out, workers=2, on_progress=interrupt)

    assert not processes_matching(str(private_tmp))
    assert not list(private_tmp.iterdir())  # profiles, pipes' folders, staging: all gone
    assert not our_pipes()
    for pdf in out.iterdir():  # whatever was published is whole
        assert not pdf.name.startswith(".part-")
        assert "Zyxwvut Canaryson" in pdf_text(pdf)[0]


SIGTERM_CHILD = """
import sys, time
from pathlib import Path
from senforms.pdf import convert_many

def progress(result):
    print("progress", flush=True)
    time.sleep(0.3)  # keep the batch going long enough for the SIGTERM to land mid-batch

convert_many([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]), workers=2, on_progress=progress)
print("finished", flush=True)
"""


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_sigterm_mid_batch_leaves_no_libreoffice_or_temp_files(tmp_path: Path) -> None:
    sources = [make_letter(tmp_path / f"l{n}.docx", "Amira Haddad", f"TERM{n}") for n in range(12)]
    child_tmp = tmp_path / "child-tmp"
    child_tmp.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_CHILD, str(tmp_path / "pdfs"), *map(str, sources)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(child_tmp)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "progress"
    assert processes_matching(str(child_tmp))  # LibreOffice is running for it right now
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert "finished" not in child.stdout.read()

    assert not processes_matching(str(child_tmp))
    assert not list(child_tmp.iterdir())
    assert not list(Path("/tmp").glob(f"OSL_PIPE_{os.getuid()}_senforms_{child.pid}_*"))


# --- the CLI ----------------------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.timeout(120)
@needs_libreoffice
def test_cli_convert_prints_a_line_per_file_and_exits_1_on_failure(tmp_path: Path) -> None:
    good = make_letter(tmp_path / "good.docx", "Amira Haddad", "CLI1")
    bad = tmp_path / "bad.docx"
    bad.write_text("not a Word document")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "senforms", "convert", str(good), str(bad), "-o", str(out), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert run.returncode == 1, run.stderr
    assert f"converted  {good} → {out / 'good.pdf'}" in run.stdout
    assert "FAILED     bad.docx is not a Word document (.docx)" in run.stdout
    assert "1 converted, 1 failed" in run.stdout
    assert "Error: 1 file could not be converted" in run.stderr
    assert "Amira Haddad" in pdf_text(out / "good.pdf")[0]

    again = subprocess.run(
        [sys.executable, "-m", "senforms", "convert", str(good), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert again.returncode == 0, again.stderr
    assert "skipped" in again.stdout and "good.pdf already exists" in again.stdout
    assert "0 converted, 1 skipped" in again.stdout


@POSIX_ONLY
def test_cli_convert_with_clirunner_reports_failures(tmp_path: Path, fallback_with) -> None:
    fallback_with('echo "Error: source file could not be loaded" >&2\n')
    source = make_letter(tmp_path / "letter.docx", "Zyxwvut Canaryson", "CR1")
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    result = CliRunner().invoke(cli, ["convert", str(source), str(photo), "--timeout", "10"])
    assert result.exit_code == 1
    assert "FAILED     letter.docx could not be converted" in result.output
    assert "FAILED     photo.png is not a Word document (.docx), or it is damaged" in result.output
    # LibreOffice itself failed on one of them, so doctor is worth running (the photo alone would not say so).
    assert result.output.endswith(
        "Error: 2 files could not be converted\n"
        "Tip: run 'senforms doctor' to check LibreOffice and its fonts; if only some files fail, open them in Word or LibreOffice to check they are not damaged\n"
    )
    assert "Zyxwvut" not in result.output  # no pupil data beyond the file name
    assert CliRunner().invoke(cli, ["convert", "--workers", "0", str(source)]).exit_code == 2


@pytest.mark.libreoffice
@needs_libreoffice
def test_cli_doctor_reports_libreoffice_version() -> None:
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert f"LibreOffice            {soffice_version()}" in result.output
    assert "pool mode" in result.output
    assert "Font Carlito" in result.output
    assert result.output.strip().splitlines()[-1] in ("All good.",) or "missing" in result.output.splitlines()[-1]


def test_cli_doctor_without_libreoffice_says_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SENFORMS_SOFFICE", str(tmp_path / "no-such-soffice"))
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0
    assert "✗ LibreOffice" in result.output
    assert "sudo apt-get install libreoffice-writer-nogui" in result.output
    assert "missing" in result.output.strip().splitlines()[-1]
