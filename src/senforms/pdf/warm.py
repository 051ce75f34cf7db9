"""LibreOffice pools kept open between batches, for a process that makes batches now and then.

The web app's job runner makes one batch per job; a fresh PdfConverter for each costs every job
LibreOffice's start-up (2-3 s before its first PDF, on a school's two cores). `WarmConverters`
lends each job a pool that an earlier job left open, or a new one, and closes pools that have stood
idle for `idle_seconds`, so the LibreOffices do not hold memory all day. A pool is lent to one job
at a time; one whose job failed is closed rather than lent again, in case LibreOffice was the
reason.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from senforms.pdf.pool import PdfConverter

IDLE_SECONDS = 600.0  # ten minutes: a SENCo's next batch is usually sooner; an idle evening is not kept


class WarmConverters:
    def __init__(self, idle_seconds: float = IDLE_SECONDS, make: Callable[[], PdfConverter] = PdfConverter) -> None:
        self.idle_seconds = idle_seconds
        self._make = make
        self._lock = threading.Lock()
        self._idle: list[tuple[PdfConverter, float]] = []  # (pool, when it was given back)
        self._closed = False
        self._reaper: threading.Thread | None = None

    @contextlib.contextmanager
    def lend(self) -> Iterator[PdfConverter]:
        """A pool for one batch: warm when one is idle, else new. Given back afterwards, unless the batch raised."""
        self.close_idle()
        with self._lock:
            if self._closed:
                raise RuntimeError("these converters have been closed")
            converter = self._idle.pop()[0] if self._idle else None
        if converter is None or converter.closed:
            converter = self._make()
        try:
            yield converter
        except BaseException:
            converter.close()
            raise
        with self._lock:
            if not self._closed and not converter.closed:
                self._idle.append((converter, time.monotonic()))
                self._start_reaper()
                return
        converter.close()

    def idle(self) -> int:
        """How many pools stand ready (for tests and diagnostics)."""
        with self._lock:
            return len(self._idle)

    def close_idle(self, *, older_than: float | None = None) -> int:
        """Close the pools idle for longer than `older_than` seconds (default idle_seconds); how many closed."""
        limit = self.idle_seconds if older_than is None else older_than
        now = time.monotonic()
        with self._lock:
            stale = [c for c, since in self._idle if now - since >= limit]
            self._idle = [(c, since) for c, since in self._idle if now - since < limit]
        for converter in stale:
            converter.close()
        return len(stale)

    def close(self) -> None:
        """Close every idle pool and lend no more; pools lent out now are closed when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for converter, _ in idle:
            converter.close()

    def _start_reaper(self) -> None:
        # Called with the lock held. One daemon thread per set, while any pool is idle.
        if self._reaper is not None and self._reaper.is_alive():
            return

        def reap() -> None:
            while True:
                time.sleep(max(1.0, self.idle_seconds / 4))
                self.close_idle()
                with self._lock:
                    if self._closed or not self._idle:
                        self._reaper = None
                        return

        self._reaper = threading.Thread(target=reap, name="senforms-warm-pdf", daemon=True)
        self._reaper.start()
