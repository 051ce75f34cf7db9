"""A pool of headless LibreOffice processes that turns documents into PDFs, surviving hangs and crashes.

Pool mode (the fast one): each slot runs `_uno_worker.py` under a uno-capable Python; the worker
keeps one soffice alive and converts document after document over UNO (~0.1 s each instead of
seconds for a fresh LibreOffice). One-shot mode (the fallback when no uno-capable Python exists):
each document gets its own `soffice --convert-to pdf`. Either way every LibreOffice has its own
profile folder (0700) and its own process group, a document that takes longer than the timeout
gets its whole process group SIGKILLed, and a document that fails because LibreOffice hung or
crashed is retried once on a fresh LibreOffice with a fresh profile.

This module only produces raw PDFs in private folders. Checking them and putting them where the
user wants them is senforms.pdf.convert's job.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import logging
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from senforms.errors import ConversionError
from senforms.outputs.atomic import private_temp_dir
from senforms.pdf.soffice import (
    SOFFICE_FLAGS,
    UNO_TIP,
    find_soffice,
    find_uno_python,
    kill_group,
    popen_group,
    profile_arg,
    remove_pipes,
    uno_python_env,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0  # seconds one document may take to convert
STARTUP_ALLOWANCE = 30.0  # extra seconds whenever a LibreOffice has to start for a document
MAX_JOBS_PER_WORKER = 200  # LibreOffice grows over thousands of documents: recycle it now and then
WORKER_SCRIPT = Path(__file__).with_name("_uno_worker.py")
# How every PDF is exported: tagged (a structure tree a screen reader can follow), PDF/UA where
# LibreOffice can (7.4 accepts PDFUACompliance: it turns tagging on and checks headings, alt text
# and the title), the document's title shown instead of its file name, bookmarks from headings.
PDF_EXPORT_OPTIONS: dict[str, bool] = {
    "UseTaggedPDF": True,
    "PDFUACompliance": True,
    "DisplayPDFDocumentTitle": True,
    "ExportBookmarks": True,
}


def export_filter_argument() -> str:
    """`--convert-to`'s filter with PDF_EXPORT_OPTIONS, in the JSON form LibreOffice 7.4+ reads."""
    options = {name: {"type": "boolean", "value": "true" if value else "false"} for name, value in PDF_EXPORT_OPTIONS.items()}
    return "pdf:writer_pdf_Export:" + json.dumps(options, separators=(",", ":"))

Mode = Literal["auto", "pool", "oneshot"]


@dataclass(frozen=True)
class JobOutcome:
    """What happened to one document: `error` is plain English and never quotes its contents."""

    ok: bool
    error: str = ""
    attempts: int = 1
    seconds: float = 0.0


class _Failure(Exception):
    """One attempt failed. `retry` is True when LibreOffice (not the document) is the likely cause;
    `startup` when LibreOffice never even started, so the document was not tried at all."""

    def __init__(self, message: str, *, retry: bool, startup: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.startup = startup


def _new_private_dir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(mode=0o700)
    return path


def _seconds(value: float) -> str:
    return f"{value:g} second{'' if value == 1 else 's'}"


def _private_temp_env(folder: Path) -> dict[str, str]:
    """The environment for a LibreOffice whose own temporary files (lu*.tmp) must stay in `folder`.

    A SIGKILLed soffice.bin cannot tidy up after itself; inside our private folder its leftovers
    are deleted with everything else.
    """
    folder.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    for name in ("TMPDIR", "TMP", "TEMP"):
        env[name] = str(folder)
    return env


def _quote_output(text: str, private: Path) -> str:
    """LibreOffice's own error lines, with our private paths taken out, short enough for one line."""
    lines = [line.strip() for line in text.splitlines() if "error" in line.lower()]
    quoted = " ".join(lines).replace(str(private), "…")
    return quoted[:300]


# --- the two kinds of runner ------------------------------------------------------------------


class _UnoRunner:
    """One slot in pool mode: a `_uno_worker.py` process (and its soffice) reused across documents."""

    def __init__(self, soffice: Path, python: Path, home: Path, startup_timeout: float) -> None:
        self.soffice = soffice
        self.python = python
        self.home = home
        self.startup_timeout = startup_timeout
        self.restarts = 0
        self.start_failures = 0  # in a row; the pool gives up on UNO for this slot after two
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._folder: Path | None = None  # this start's profile, temp files and log
        self._pipe = ""
        self._generation = 0
        self._jobs_done = 0
        self._job_ids = itertools.count(1)
        self._closed = False

    @property
    def process_group(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _start(self) -> None:
        if self._closed:
            raise _Failure("the conversion was stopped", retry=False)
        self._generation += 1
        self._jobs_done = 0
        folder = _new_private_dir(self.home, f"start-{self._generation}")
        profile = _new_private_dir(folder, "profile")
        self._folder = folder
        # Unique per process, pool and start, so two senforms runs never share a pipe.
        self._pipe = f"senforms_{os.getpid()}_{secrets.token_hex(4)}_{self._generation}"
        log_path = folder / "worker.log"
        lines: queue.Queue[bytes | None] = queue.Queue()
        try:
            with open(log_path, "wb") as log_file:
                proc = popen_group(
                    [
                        str(self.python),
                        str(WORKER_SCRIPT),
                        "--soffice", str(self.soffice),
                        "--profile", str(profile),
                        "--pipe", self._pipe,
                        "--startup-timeout", f"{self.startup_timeout:g}",
                        "--export-options", json.dumps(PDF_EXPORT_OPTIONS),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log_file,
                    env=uno_python_env(_private_temp_env(folder / "tmp")),
                )
        except OSError as exc:
            self._reset()
            self.start_failures += 1
            raise _Failure(f"{self.python} could not be run ({exc.strerror or exc})", retry=True, startup=True) from None
        with self._lock:
            self._proc, self._lines = proc, lines
        if self._closed:  # closed while we were starting: leave nothing running
            self._reset()
            raise _Failure("the conversion was stopped", retry=False)
        # A reader thread per process makes "wait for a line, but not forever" portable
        # (select() does not work on pipes on Windows).
        threading.Thread(target=self._read_lines, args=(proc, lines), daemon=True).start()
        message = self._receive(lines, self.startup_timeout)
        if message is None or message.get("event") != "ready":
            if message is None:
                reason = f"LibreOffice did not start within {_seconds(self.startup_timeout)}"
            else:
                detail = message.get("error") or self._log_tail(log_path) or "no reason given"
                reason = f"LibreOffice could not be started ({detail})"
            self._reset()
            self.start_failures += 1
            raise _Failure(reason, retry=True, startup=True)
        self.start_failures = 0

    @staticmethod
    def _read_lines(proc: subprocess.Popen[bytes], lines: queue.Queue[bytes | None]) -> None:
        assert proc.stdout is not None
        with contextlib.suppress(OSError, ValueError):
            for raw in proc.stdout:
                lines.put(raw)
        lines.put(None)  # end of output: the worker has gone

    @staticmethod
    def _receive(lines: queue.Queue[bytes | None], timeout: float) -> dict[str, Any] | None:
        """The next message, {"eof": True} if the worker has gone, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                raw = lines.get(timeout=remaining)
            except queue.Empty:
                return None
            if raw is None:
                return {"eof": True}
            try:
                message = json.loads(raw)
            except ValueError:
                continue  # not ours; the worker keeps its protocol stream clean, but be tolerant
            if isinstance(message, dict):
                return message

    @staticmethod
    def _log_tail(path: Path) -> str:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:200] if lines else ""

    def warm(self) -> None:
        """Start LibreOffice now rather than with the first document."""
        if self._proc is None:
            self._start()

    def convert(self, src: Path, dst: Path, timeout: float) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            self._reset(crashed=True)  # died while idle (crash, or killed from outside)
        elif self._proc is not None and self._jobs_done >= MAX_JOBS_PER_WORKER:
            self._reset()
        if self._proc is None:
            self._start()
        proc, lines = self._proc, self._lines
        assert proc is not None and proc.stdin is not None
        job_id = next(self._job_ids)
        try:
            job = {"id": job_id, "src": os.path.abspath(src), "dst": os.path.abspath(dst)}
            proc.stdin.write(json.dumps(job).encode() + b"\n")
            proc.stdin.flush()
        except (OSError, ValueError):
            self._reset(crashed=True)
            raise _Failure("LibreOffice stopped unexpectedly", retry=True) from None
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(lines, deadline - time.monotonic())
            if message is None:
                self._reset(crashed=True)
                raise _Failure(f"LibreOffice took longer than {_seconds(timeout)} and was stopped", retry=True)
            if message.get("eof"):
                self._reset(crashed=True)
                raise _Failure("LibreOffice stopped unexpectedly", retry=True)
            if message.get("id") == job_id:
                break
        if message.get("ok"):
            self._jobs_done += 1
            return
        if message.get("fatal"):
            self._reset(crashed=True)
            raise _Failure(str(message.get("error") or "LibreOffice stopped unexpectedly"), retry=True)
        raise _Failure(f"LibreOffice could not convert it ({message.get('error') or 'no reason given'})", retry=False)

    def _reset(self, *, crashed: bool = False) -> None:
        """Kill the worker's whole process group and delete its profile and pipes."""
        with self._lock:
            proc, self._proc = self._proc, None
            folder, self._folder = self._folder, None
        if proc is not None:
            kill_group(proc)
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError, ValueError):
                    if stream is not None:
                        stream.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            remove_pipes(folder / "profile", self._pipe)
        if crashed:
            self.restarts += 1

    def kill(self) -> None:
        """Stop now, from any thread; the next document starts a fresh LibreOffice."""
        self._reset()

    def begin_close(self) -> None:
        """Ask the worker to quit: at end of input it tells LibreOffice to shut down cleanly."""
        self._closed = True
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()

    def close(self, deadline: float | None = None) -> None:
        """Finish closing: wait (until `deadline`) for a clean exit, then kill whatever is left."""
        self.begin_close()
        proc = self._proc
        if proc is not None and deadline is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        self._reset()


class _OneShotRunner:
    """One slot in fallback mode: a fresh `soffice --convert-to pdf` (own profile, own group) per document."""

    def __init__(self, soffice: Path, home: Path, startup_allowance: float) -> None:
        self.soffice = soffice
        self.home = home
        self.startup_allowance = startup_allowance
        self.restarts = 0
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._counter = itertools.count(1)
        self._closed = False

    @property
    def process_group(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def convert(self, src: Path, dst: Path, timeout: float) -> None:
        if self._closed:
            raise _Failure("the conversion was stopped", retry=False)
        work = _new_private_dir(self.home, f"oneshot-{next(self._counter)}")
        profile, outdir = work / "profile", work / "out"
        outdir.mkdir(mode=0o700)
        budget = timeout + self.startup_allowance
        try:
            with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
                proc = self._popen(
                    [
                        str(self.soffice),
                        profile_arg(profile),
                        *SOFFICE_FLAGS,
                        "--convert-to", export_filter_argument(),
                        "--outdir", str(outdir),
                        os.path.abspath(src),  # absolute, so a name starting "-" is never an option
                    ],
                    stdout=out,
                    stderr=err,
                    env=_private_temp_env(work / "tmp"),
                )
            with self._lock:
                self._proc = proc
            if self._closed:  # closed while we were starting: leave nothing running
                kill_group(proc)
            try:
                status: int | None = proc.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                status = None
            # Even after a clean exit, sweep the group: soffice.bin may outlive its launcher.
            kill_group(proc)
            with self._lock:
                self._proc = None
            remove_pipes(profile)
            if status is None:
                self.restarts += 1
                raise _Failure(f"LibreOffice took longer than {_seconds(budget)} and was stopped", retry=True)
            produced = outdir / f"{Path(src).stem}.pdf"
            if produced.is_file():
                shutil.move(str(produced), str(dst))
                return
            said = _quote_output(
                (work / "stderr.txt").read_text("utf-8", "replace") + "\n" + (work / "stdout.txt").read_text("utf-8", "replace"),
                work,
            )
            quoted = f": “{said}”" if said else ""
            if status != 0:
                self.restarts += 1
                how = f"crashed (signal {-status})" if status < 0 else f"stopped with exit status {status}"
                raise _Failure(f"LibreOffice {how}{quoted}", retry=True)
            # Exit status 0 means nothing: LibreOffice says "source file could not be loaded" and exits 0.
            raise _Failure(f"LibreOffice did not produce a PDF{quoted}", retry=False)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        try:
            return popen_group(args, **kwargs)
        except OSError as exc:
            raise _Failure(f"{self.soffice} could not be run ({exc.strerror or exc})", retry=False) from None

    def kill(self) -> None:
        with self._lock:
            proc = self._proc
        if proc is not None:
            kill_group(proc)

    def begin_close(self) -> None:
        self._closed = True
        self.kill()

    def close(self, deadline: float | None = None) -> None:
        self.begin_close()


_Runner = _UnoRunner | _OneShotRunner


# --- the pool ---------------------------------------------------------------------------------


class PdfConverter:
    """Up to `workers` LibreOffices converting DOCX files to PDF in parallel.

    Use as a context manager (or call close()): closing kills every LibreOffice it started and
    deletes their profiles, pipes and temporary files. It is also closed at interpreter exit and
    on SIGTERM. mode="auto" uses pool mode when a uno-capable Python is found, else one-shot mode.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        timeout: float | None = None,
        startup_allowance: float | None = None,
        mode: Mode = "auto",
        soffice: Path | str | None = None,
        uno_python: Path | str | None = None,
        temp_root: Path | str | None = None,
    ) -> None:
        self.workers = max(1, int(workers if workers is not None else (os.cpu_count() or 1)))
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        self.startup_allowance = STARTUP_ALLOWANCE if startup_allowance is None else float(startup_allowance)
        if self.timeout <= 0 or self.startup_allowance < 0:
            raise ValueError("timeout must be positive and startup_allowance not negative")
        self.soffice = Path(soffice) if soffice else find_soffice()
        python = Path(uno_python) if uno_python else None
        if mode in ("auto", "pool") and python is None:
            python = find_uno_python(self.soffice)
        if mode == "pool" and python is None:
            raise ConversionError("no Python that can use LibreOffice (import uno) was found", fix=UNO_TIP)
        self.mode: Literal["pool", "oneshot"] = "pool" if mode != "oneshot" and python else "oneshot"
        self.uno_python = python if self.mode == "pool" else None
        self.base_dir = private_temp_dir("senforms-pdf", temp_root)  # mkdtemp: 0700
        self._runners: list[_Runner] = []
        self.degraded = False  # True once a slot has fallen back from pool to one-shot mode
        self._closed = False
        self._lock = threading.RLock()  # re-entrant: the SIGTERM handler may close us mid-call
        _register(self)

    # -- context manager and clean-up --
    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, *, grace: float = 10.0) -> None:
        """Stop every LibreOffice this pool started and delete its temporary files. Safe to repeat.

        Each LibreOffice gets `grace` seconds (shared) to quit cleanly before it is killed.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            runners, self._runners = self._runners, []
        # Let every LibreOffice shut down cleanly in parallel, for a few seconds at most.
        for runner in runners:
            with contextlib.suppress(Exception):
                runner.begin_close()
        deadline = time.monotonic() + grace
        for runner in runners:
            with contextlib.suppress(Exception):
                runner.close(deadline)
        shutil.rmtree(self.base_dir, ignore_errors=True)
        _unregister(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def process_groups(self) -> list[int]:
        """Process-group ids of the LibreOffices running now (for diagnostics and tests)."""
        return [pg for runner in list(self._runners) if (pg := runner.process_group) is not None]

    @property
    def restarts(self) -> int:
        """How many times a LibreOffice hung or crashed and was replaced."""
        return sum(runner.restarts for runner in list(self._runners))

    def _runner(self, index: int) -> _Runner:
        with self._lock:
            if self._closed:
                raise ConversionError("this PDF converter has been closed")
            while len(self._runners) <= index:
                home = _new_private_dir(self.base_dir, f"w{len(self._runners)}")
                if self.mode == "pool":
                    assert self.uno_python is not None
                    runner: _Runner = _UnoRunner(
                        self.soffice, self.uno_python, home, self.timeout + self.startup_allowance
                    )
                else:
                    runner = _OneShotRunner(self.soffice, home, self.startup_allowance)
                self._runners.append(runner)
            return self._runners[index]

    def _slot_runner(self, slot: int) -> _Runner:
        """The runner for `slot`, swapped for a one-shot runner if its UNO worker will not start."""
        with self._lock:
            if self._closed:
                raise _Failure("the conversion was stopped", retry=False)
            runner = self._runners[slot]
            if isinstance(runner, _UnoRunner) and runner.start_failures >= 2:
                log.warning("LibreOffice would not start in pool mode; using one LibreOffice per file instead")
                runner.close()
                runner = _OneShotRunner(self.soffice, runner.home, self.startup_allowance)
                self._runners[slot] = runner
                self.degraded = True
            return runner

    # -- the work --
    def convert(self, jobs: Sequence[tuple[Path, Path]]) -> Iterator[tuple[int, JobOutcome]]:
        """Convert each (source, pdf) pair; yield (index, outcome) in the order they finish.

        `pdf` should be in a private folder: it is written directly. Outcomes are yielded in the
        caller's thread. If the caller stops early (exception, Ctrl-C), the documents still
        being converted are abandoned and their LibreOffices killed.
        """
        if not jobs:
            return
        with self.open_queue(len(jobs)) as work:
            for source, pdf in jobs:
                work.submit(source, pdf)
            work.end_input()
            yield from work.outcomes(wait=True)

    def open_queue(self, expected: int | None = None) -> ConversionQueue:
        """A queue to hand documents to one at a time, converted while the caller makes the next
        ones; `expected` (when known) keeps a short batch from starting more LibreOffices than it needs."""
        return ConversionQueue(self, min(self.workers, expected) if expected else self.workers)

    def _warm(self, slot: int) -> None:
        """Start the slot's LibreOffice before its first document arrives, so starting overlaps
        whatever the caller does meanwhile (rendering). A failure here is retried by convert()."""
        with contextlib.suppress(Exception):
            runner = self._slot_runner(slot)
            if isinstance(runner, _UnoRunner) and runner.process_group is None:
                runner.warm()

    def _serve(
        self,
        slot: int,
        jobs: Sequence[tuple[Path, Path]],
        todo: queue.SimpleQueue[int | None],
        done: queue.Queue[tuple[int, JobOutcome]],
        cancel: threading.Event,
    ) -> None:
        self._warm(slot)
        while not cancel.is_set():
            index = todo.get()
            if index is None:  # no more input: pass the word on to the other slots
                todo.put(None)
                return
            if cancel.is_set():
                return
            src, dst = jobs[index]
            started = time.monotonic()
            attempts = 0
            runner: _Runner | None = None
            while True:
                attempts += 1
                dst.unlink(missing_ok=True)  # nothing from a failed attempt may pass for a result
                _remove_stale_locks(src, dst)
                try:
                    runner = self._slot_runner(slot)
                    runner.convert(src, dst, self.timeout)
                    outcome = JobOutcome(True, "", attempts, time.monotonic() - started)
                    break
                except _Failure as failure:
                    if failure.startup and not cancel.is_set():
                        # LibreOffice never saw the document, so this was no attempt at it. Bounded:
                        # after two failed starts in a row _slot_runner switches to one-shot mode.
                        log.warning("%s; trying again", failure.message)
                        attempts -= 1
                        continue
                    if failure.retry and attempts < 2 and not cancel.is_set():
                        log.warning("%s: %s; retrying on a fresh LibreOffice", src.name, failure.message)
                        continue
                    message = failure.message + (" (tried twice)" if attempts > 1 else "")
                    outcome = JobOutcome(False, message, attempts, time.monotonic() - started)
                    break
                except Exception as exc:  # a bug must cost one document, never hang the batch
                    log.exception("unexpected error converting %s", src.name)
                    with contextlib.suppress(Exception):
                        if runner is not None:
                            runner.kill()
                    outcome = JobOutcome(False, f"an internal error stopped its conversion ({type(exc).__name__})", attempts)
                    break
            done.put((index, outcome))


class ConversionQueue:
    """Documents handed to a PdfConverter one at a time and converted by its LibreOffices as they come.

    Use as a context manager: leaving it before every outcome has been taken (an exception,
    Ctrl-C) abandons the documents still being converted and kills their LibreOffices.
    """

    def __init__(self, converter: PdfConverter, workers: int) -> None:
        self._converter = converter
        self._jobs: list[tuple[Path, Path]] = []
        self._todo: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._done: queue.Queue[tuple[int, JobOutcome]] = queue.Queue()
        self._cancel = threading.Event()
        self._pending: set[int] = set()
        self._ended = False
        for slot in range(max(1, workers)):
            converter._runner(slot)
        self._threads = [
            threading.Thread(target=converter._serve, args=(n, self._jobs, self._todo, self._done, self._cancel), daemon=True, name=f"senforms-pdf-{n}")
            for n in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> ConversionQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, source: Path, pdf: Path) -> int:
        """Queue `source` to become `pdf` (in a private folder); its index for `outcomes`."""
        if self._ended:
            raise ValueError("this conversion queue takes no more documents")
        index = len(self._jobs)
        self._jobs.append((source, pdf))
        self._pending.add(index)
        self._todo.put(index)
        return index

    def end_input(self) -> None:
        """No more documents: the LibreOffices stop once the queued ones are done."""
        if not self._ended:
            self._ended = True
            self._todo.put(None)

    @property
    def pending(self) -> int:
        """Documents submitted whose outcome has not been taken yet."""
        return len(self._pending)

    def outcomes(self, *, wait: bool) -> Iterator[tuple[int, JobOutcome]]:
        """(index, outcome) for documents finished so far, in the order they finish; with
        wait=True (after end_input), every one still to come."""
        while self._pending:
            try:
                index, outcome = self._done.get(timeout=0.25) if wait else self._done.get_nowait()
            except queue.Empty:
                if not wait:
                    return
                if any(t.is_alive() for t in self._threads) or not self._done.empty():
                    continue
                break  # every thread has gone: do not wait forever for what cannot come
            self._pending.discard(index)
            yield index, outcome
        if wait:
            for index in sorted(self._pending):  # only after a bug in _serve
                yield index, JobOutcome(False, "an internal error stopped its conversion", 0)
            self._pending.clear()

    def close(self) -> None:
        """Stop the slots' threads; abandon (and kill the LibreOffices of) documents not yet taken."""
        if self._pending:
            self._cancel.set()
            for runner in list(self._converter._runners):  # a slot may have been swapped
                runner.kill()
        self.end_input()
        for thread in self._threads:
            thread.join(timeout=15)


# --- closing every pool on exit and on SIGTERM ----------------------------------------------

# A strong set: a converter that is dropped without close() still gets closed at exit.
_live: set[PdfConverter] = set()
_live_lock = threading.RLock()  # re-entrant: the SIGTERM handler runs on the main thread
_previous_sigterm: Any = None
_sigterm_installed = False


def _remove_stale_locks(*paths: Path) -> None:
    """Delete lock files a killed LibreOffice left beside `paths`.

    A worker killed while saving leaves `.~lock.out.pdf#`; its replacement then refuses to save
    over it ("impl_store … Error Area:Io Class:Abort") and the retry fails for no good reason.
    """
    for path in paths:
        path.with_name(f".~lock.{path.name}#").unlink(missing_ok=True)


def close_all() -> None:
    """Close every open PdfConverter (atexit and the SIGTERM handler call this)."""
    for converter in list(_live):
        with contextlib.suppress(Exception):
            converter.close()


def _on_sigterm(signum: int, frame: object) -> None:
    for converter in list(_live):
        with contextlib.suppress(Exception):
            converter.close(grace=0)  # being told to stop: no waiting for clean shutdowns
    _restore_sigterm()
    # Unwind like a normal exit so callers' finally blocks run; 143 = 128 + SIGTERM.
    raise SystemExit(128 + signal.SIGTERM)


def _restore_sigterm() -> None:
    global _sigterm_installed
    if _sigterm_installed and threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signal.SIGTERM, _previous_sigterm)
        _sigterm_installed = False


def _register(converter: PdfConverter) -> None:
    global _previous_sigterm, _sigterm_installed
    with _live_lock:
        _live.add(converter)
        # Only take over SIGTERM if nobody else has (an application's own handler wins).
        if (
            not _sigterm_installed
            and threading.current_thread() is threading.main_thread()
            and sys.platform != "win32"
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            _previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)
            _sigterm_installed = True


def _unregister(converter: PdfConverter) -> None:
    with _live_lock:
        _live.discard(converter)
        if not _live:
            _restore_sigterm()


atexit.register(close_all)
