"""Put on PYTHONPATH of a `python -m senforms worker` in tests/web/test_workers.py: each progress
step of a job then takes SENFORMS_TEST_STEP_SECONDS longer, so the test can kill the worker in the
middle of a real job (some documents written, others not). Nothing else changes."""

import os
import time

_STEP = float(os.environ.get("SENFORMS_TEST_STEP_SECONDS") or 0)

if _STEP:
    from senforms.web.jobs import JobContext

    _progress = JobContext.progress

    def _slow_progress(self, done, total, message):
        _progress(self, done, total, message)
        time.sleep(_STEP)

    JobContext.progress = _slow_progress
