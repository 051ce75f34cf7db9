"""`senforms serve`: the app under waitress (a production WSGI server that runs on Windows too),
with huey's consumer in the same process, so there is nothing else to start or install."""

from __future__ import annotations

import ipaddress
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from senforms.web.app import create_app
from senforms.web.app import queue as _queue
from senforms.web.datadir import DATABASE
from senforms.web.store import connect

JOB_WORKERS = 2  # batches are mostly LibreOffice, which has its own pool: two jobs at once is plenty


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str, port: int, data_dir: Path | None, settings_path: Path | None, *, announce: Callable[[str], None] = print) -> None:
    import waitress
    from huey.consumer import Consumer

    app = create_app(data_dir, settings_path=settings_path, secure_cookies=not is_loopback(host))
    with app.app_context():
        job_queue = _queue()
    database = connect(job_queue.root / DATABASE)
    try:
        interrupted = job_queue.recover(database)
    finally:
        database.close()
    logging.getLogger("huey").setLevel(logging.WARNING)  # its info lines name tasks, never data, but are noise

    consumer = Consumer(job_queue.huey, workers=JOB_WORKERS, worker_type="thread", periodic=False)
    # huey's consumer takes over SIGINT/SIGTERM for its own run loop, which we do not use: give them
    # back, so Ctrl-C stops waitress and then the consumer below.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    consumer.start()
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    if interrupted:
        announce(f"{interrupted} job(s) were stopped part-way when senforms last closed; they can be run again from their pages.")
    announce(f"senforms is running: open http://{'127.0.0.1' if host in ('127.0.0.1', 'localhost') else host}:{port}/ in your browser. Press Ctrl+C to stop it.")
    announce(f"Its data (accounts, uploads, documents) is in {job_queue.root}")
    try:
        waitress.serve(app, host=host, port=port, threads=8, ident="senforms", _quiet=True)
    finally:
        consumer.stop(graceful=False)
