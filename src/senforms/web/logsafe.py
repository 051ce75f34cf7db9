"""What the app's own log may say about a failure: where it happened, never what it was about.

An exception's message can quote pupil data (a name in a KeyError, a cell's value), so the log gets
the frames (file, line, function) and the exception's type only.
"""

from __future__ import annotations

import traceback
from types import TracebackType


def trace_without_values(kind: type[BaseException] | None, tb: TracebackType | None) -> str:
    lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(tb)]
    return "\n".join(lines + [kind.__name__ if kind else "Exception"])
