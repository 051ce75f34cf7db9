"""`senforms serve`: the app under waitress (a production WSGI server that runs on Windows too),
with huey's consumer in the same process, so there is nothing else to start or install; and
`senforms worker`: the consumer alone, for machines that only run jobs (docs/deployment.md)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import Flask

from senforms.web import datadir, store
from senforms.web.app import create_app
from senforms.web.app import queue as _queue
from senforms.web.datadir import DATABASE
from senforms.web.deployment import check_queue, deployment
from senforms.web.jobs import JobQueue
from senforms.web.store import connect

JOB_WORKERS = 2  # batches are mostly LibreOffice, which has its own pool: two jobs at once is plenty


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def waitress_options(app: Flask) -> dict[str, object]:
    """Waitress's own settings for the app. Waitress deletes X-Forwarded-* headers from a proxy it was
    not told to trust; behind the HTTPS proxy the app's ProxyFix decides which to believe, so they stay."""
    options: dict[str, object] = {"threads": 8, "ident": "senforms"}
    if app.config.get("SENFORMS_BEHIND_HTTPS_PROXY"):
        options["clear_untrusted_proxy_headers"] = False
    return options


def serve(
    host: str, port: int, data_dir: Path | None, settings_path: Path | None, *, with_worker: bool = True, announce: Callable[[str], None] = print
) -> None:
    import waitress

    app = create_app(data_dir, settings_path=settings_path, secure_cookies=not is_loopback(host))
    with app.app_context():
        job_queue = _queue()
    check_queue(job_queue.huey, job_queue.place)
    interrupted = 0
    if with_worker and not job_queue.place.shared_queue:
        # One machine, one process: every job left 'running' was this program's, before it stopped.
        database = connect(job_queue.root / DATABASE)
        try:
            interrupted = job_queue.recover(database)
        finally:
            database.close()
    with _consuming(job_queue, JOB_WORKERS) if with_worker else contextlib.nullcontext():
        if interrupted:
            announce(f"{interrupted} job(s) were stopped part-way when senforms last closed; they can be run again from their pages.")
        if not with_worker:
            announce(f"This runs no jobs: `senforms worker` processes run them (queue: {job_queue.place.queue_label}). Start at least one.")
        announce(f"senforms is running: open http://{'127.0.0.1' if host in ('127.0.0.1', 'localhost') else host}:{port}/ in your browser. Press Ctrl+C to stop it.")
        announce(f"Its data (accounts, uploads, documents) is in {job_queue.root}")
        if app.config["SENFORMS_BEHIND_HTTPS_PROXY"]:
            announce("It expects to be reached through the HTTPS reverse proxy ([web] behind_https_proxy): its session cookies are marked Secure, so sign in at the proxy's https:// address.")
        waitress.serve(app, host=host, port=port, _quiet=True, **waitress_options(app))


def work(data_dir: Path | None, settings_path: Path | None, *, workers: int = JOB_WORKERS, announce: Callable[[str], None] = print) -> None:
    """Run jobs from the queue until Ctrl+C (or SIGTERM), without the web pages."""
    from senforms.web.work import BODIES, REPEATABLE

    place = deployment(data_dir, settings_path)
    root = datadir.prepare(place.data_dir, network_share=place.network_share)
    store.initialise(root / DATABASE)
    job_queue = JobQueue(root, BODIES, settings_path=settings_path, place=place, repeatable=REPEATABLE)
    check_queue(job_queue.huey, place)
    announce(f"senforms worker: running up to {workers} job(s) at once from {place.queue_label}, with the data in {root}. Press Ctrl+C to stop it.")
    with _consuming(job_queue, workers, own_signals=True) as consumer:
        consumer.run()  # huey's loop: Ctrl+C lets running jobs finish, SIGTERM stops at once
    announce("senforms worker stopped.")


@contextlib.contextmanager
def _consuming(job_queue: JobQueue, workers: int, *, own_signals: bool = False) -> Iterator:
    """Huey's consumer over the queue, with the keeper that takes back jobs whose worker died."""
    from huey.consumer import Consumer

    logging.getLogger("huey").setLevel(logging.WARNING)  # its info lines name tasks, never data, but are noise
    # An idle worker polls the SQLite queue at least every 2 s (huey's default backs off to 10 s): a job
    # starts soon after it is asked for, and Ctrl+C, which waits for each worker's poll, stops promptly.
    consumer = Consumer(job_queue.huey, workers=workers, worker_type="thread", periodic=False, max_delay=2.0)
    from senforms.pdf.warm import WarmConverters

    job_queue.converters = WarmConverters()  # each job's PDFs without waiting for LibreOffice to start
    with job_queue.keeper(), contextlib.closing(job_queue.converters):
        if own_signals:
            yield consumer
            return
        # huey's consumer takes over SIGINT/SIGTERM for its own run loop, which serve does not use:
        # give them back, so Ctrl-C stops waitress and then the consumer.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        consumer.start()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        try:
            yield consumer
        finally:
            consumer.stop(graceful=False)
