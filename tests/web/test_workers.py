"""More than one machine: `senforms worker` processes sharing a Redis queue and one data folder.

The Redis tests start a real `redis-server` on a free port and real worker processes
(`python -m senforms worker`); the web process is Flask's test client over the same data folder.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from senforms.cli import cli
from senforms.errors import SenformsError
from senforms.web import create_app, datadir, store
from senforms.web.accounts import add_user
from senforms.web.deployment import Deployment, deployment
from senforms.web.jobs import MAX_ATTEMPTS, JobQueue, find_job

from .conftest import PASSWORD, ROOT, SENCO, Browser
from .test_jobs import wait_for
from .test_serve_and_users import free_port, start_serve, wait_for_health

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SLOW_JOBS = Path(__file__).parent / "slow_jobs"  # its sitecustomize slows each job step down (to kill mid-job)


@pytest.fixture
def redis_url(tmp_path: Path):
    if not Path(REDIS_SERVER).is_file():
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
    import redis

    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def answering() -> bool:
        try:
            return bool(client.ping())
        except redis.exceptions.ConnectionError:
            return False

    try:
        wait_for(answering, 20, "redis-server to start")
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def settings_file(tmp_path: Path, queue: str, *, lease: int = 2) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(f'[web]\ndata = "shared"\nqueue = "{queue}"\njob_lease_seconds = {lease}\n', encoding="utf-8")
    return path


def start_worker(settings: Path, *, step_seconds: float = 0.0) -> subprocess.Popen:
    paths = [str(ROOT / "src")] + ([str(SLOW_JOBS)] if step_seconds else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), SENFORMS_TEST_STEP_SECONDS=str(step_seconds))
    env.pop("SENFORMS_QUEUE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "senforms", "worker", "--config", str(settings), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def stop(process: subprocess.Popen) -> tuple[str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def web_browser(settings: Path) -> tuple[Browser, Path]:
    """The web process: the app over the settings' shared data folder, jobs to the queue (not run here)."""
    app = create_app(settings_path=settings)
    app.config["TESTING"] = True
    root = app.config["SENFORMS_ROOT"]
    database = store.connect(root / datadir.DATABASE)
    add_user(database, SENCO, "senco", PASSWORD)
    database.close()
    browser = Browser(app.test_client())
    assert browser.sign_in().status_code == 302
    assert browser.upload().status_code == 200
    return browser, root


@pytest.mark.redis
def test_a_worker_killed_mid_job_is_replaced_by_another_that_finishes_it_with_nothing_half_written(tmp_path: Path, redis_url: str) -> None:
    settings = settings_file(tmp_path, redis_url)
    browser, root = web_browser(settings)
    assert root == tmp_path / "shared"  # [web] data, relative to the settings file
    upns = re.findall(r'name="upn" value="([^"]+)"', browser.get("/documents").text)
    assert len(upns) >= 4
    made = browser.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    job_id = made.headers["Location"].rsplit("/", 1)[1]
    database = store.connect(root / datadir.DATABASE)
    assert find_job(database, job_id).status == "queued"  # queued in Redis; the web process runs nothing

    first = start_worker(settings, step_seconds=0.4)
    try:
        # The first worker takes the job and has written some documents, not all, into its staging folder.
        def part_made():
            staged = [p for p in (root / "outputs").glob(f".staging-{job_id}-*/documents/*.docx")]
            job = find_job(database, job_id)
            # The renderer keeps up to four documents in flight to its writer thread, so five or
            # so can be written before the first (slowed) progress step: "some, not all".
            return job.status == "running" and 2 <= len(staged) <= len(upns) - 4 and staged

        staged = wait_for(part_made, 60, "the first worker to be part-way through the job")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    assert not (root / "outputs" / job_id).exists()  # nothing at the job's own folder while it is unfinished
    assert find_job(database, job_id).status == "running"  # its lease has not run out yet
    assert database.execute("SELECT COUNT(*) FROM files WHERE job_id = ?", (job_id,)).fetchone()[0] == 0

    second = start_worker(settings)
    try:
        job = wait_for(lambda: (j := find_job(database, job_id)) and j.finished and j, 60, "the second worker to finish the job")
    finally:
        out, err = stop(second)
    assert job.status == "done", job.message
    assert database.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()[0] == 2
    assert "Traceback" not in err and "senforms worker: running up to 1 job(s) at once from redis://127.0.0.1:" in out
    assert not list((root / "outputs").glob(".staging-*")) and not staged[0].exists()  # the dead worker's half-made folder is gone
    assert job.result["made"] > len(staged) and job.result["failed"] == 0  # every plan, not only those the first worker made
    names = sorted(p.name for p in (root / "outputs" / job_id / "documents").glob("*.docx"))
    assert len(names) == job.result["made"]
    # the download the page offers is the whole batch
    page = browser.get(f"/jobs/{job_id}").text
    file_id = re.search(r'href="/files/([^"]+)"', page).group(1)
    download = browser.get(f"/files/{file_id}")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert sorted(archive.namelist()) == names
        assert all(archive.read(name)[:2] == b"PK" for name in names)
    database.close()


@pytest.mark.redis
def test_jobs_queued_by_the_web_go_once_each_to_whichever_of_two_workers_is_free(tmp_path: Path, redis_url: str) -> None:
    settings = settings_file(tmp_path, redis_url, lease=30)
    browser, root = web_browser(settings)
    upns = re.findall(r'name="upn" value="([^"]+)"', browser.get("/documents").text)
    job_ids = []
    for upn in upns[:4]:
        made = browser.post("/documents", {"kind": "support-plan", "upn": [upn], "on": "2026-12-01", "output": "zip"})
        job_ids.append(made.headers["Location"].rsplit("/", 1)[1])
    workers = [start_worker(settings), start_worker(settings)]
    database = store.connect(root / datadir.DATABASE)
    try:
        wait_for(lambda: all(find_job(database, j).finished for j in job_ids), 90, "both workers to finish the jobs")
    finally:
        for worker in workers:
            stop(worker)
    rows = database.execute(f"SELECT status, attempts FROM jobs WHERE id IN ({','.join('?' * len(job_ids))})", job_ids).fetchall()
    assert [(r["status"], r["attempts"]) for r in rows] == [("done", 1)] * len(job_ids)
    assert all(len(list((root / "outputs" / j / "documents").glob("*.docx"))) == 1 for j in job_ids)
    database.close()


def test_a_queue_that_cannot_be_reached_is_a_plain_message_for_the_worker_and_the_web_page(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, f"redis://:secret-password@127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(cli, ["worker", "--config", str(settings)])
    assert result.exit_code == 1
    assert "the job queue at redis://127.0.0.1:" in result.output and "cannot be reached" in result.output
    assert "check that Redis is running there" in result.output
    assert "Traceback" not in result.output and "secret-password" not in result.output
    served = CliRunner().invoke(cli, ["serve", "--no-worker", "--port", str(free_port()), "--config", str(settings)])
    assert served.exit_code == 1 and "cannot be reached" in served.output and "Traceback" not in served.output
    browser, root = web_browser(settings)
    upns = re.findall(r'name="upn" value="([^"]+)"', browser.get("/documents").text)[:1]
    page = browser.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    assert page.status_code == 400 and "cannot be reached" in page.text and "secret-password" not in page.text
    database = store.connect(root / datadir.DATABASE)
    assert database.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0  # no job waits for a message never queued
    database.close()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('queue = "http://queue.example/"', "settings.toml: [web] queue is not the address of a Redis server"),
        ("queue = 6379", "[web] queue must be the address of a Redis server"),
        ('data = ""', "[web] data must be the path of the folder"),
        ("job_lease_seconds = 0", "job_lease_seconds must be a whole number of seconds from 1 to 3600"),
    ],
)
def test_mistakes_in_the_web_settings_are_named(tmp_path: Path, table: str, message: str) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f"[web]\n{table}\n", encoding="utf-8")
    with pytest.raises(SenformsError, match=re.escape(message)):
        deployment(None, settings, environ={})
    result = CliRunner().invoke(cli, ["worker", "--config", str(settings)], env={"SENFORMS_QUEUE": ""})
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_senforms_queue_overrides_the_settings_and_data_overrides_web_data(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, "redis://settings.example:6379/0")
    place = deployment(None, settings, environ={"SENFORMS_QUEUE": "redis://:pw@env.example:6380/2"})
    assert place.queue_url == "redis://:pw@env.example:6380/2" and place.queue_label == "redis://env.example:6380/2"
    assert place.queue_source == "SENFORMS_QUEUE" and place.data_dir == tmp_path / "shared" and place.lease_seconds == 2
    assert deployment(tmp_path / "mine", settings, environ={}).data_dir == tmp_path / "mine"
    alone = deployment(None, None, environ={})
    assert alone.data_dir is None and not alone.shared_queue and alone.queue_label == "the data folder's own queue"


def test_a_data_folder_on_a_network_share_keeps_sqlites_rollback_journal_not_wal(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[web]\ndata = "shared"\nnetwork_share = true\n', encoding="utf-8")
    app = create_app(settings_path=settings)
    root = app.config["SENFORMS_ROOT"]
    assert (root / datadir.NETWORK_SHARE).is_file()
    database = store.connect(root / datadir.DATABASE)
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # WAL needs every process on one machine
    database.close()
    assert app.extensions["senforms_queue"].huey.pending_count() == 0  # makes the queue's own SQLite file
    queue_file = sqlite3.connect(root / datadir.QUEUE)
    assert queue_file.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    queue_file.close()
    local = create_app(tmp_path / "local").config["SENFORMS_ROOT"]
    database = store.connect(local / datadir.DATABASE)
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    database.close()


# --- the claim and the lease, on the data folder's own queue (no Redis needed) ------------------------------------


def _queue(tmp_path: Path, bodies, *, lease: int = 60, repeatable=frozenset()) -> tuple[JobQueue, object]:
    root = datadir.prepare(tmp_path / "data")
    store.initialise(root / datadir.DATABASE)
    return JobQueue(root, bodies, place=Deployment(root, lease_seconds=lease), repeatable=frozenset(repeatable)), store.connect(root / datadir.DATABASE)


def test_two_workers_handed_the_same_job_run_it_once(tmp_path: Path) -> None:
    runs: list[str] = []
    release = threading.Event()

    def body(context):
        runs.append(context.claim)
        release.wait(5)
        return {}

    queue, database = _queue(tmp_path, {"slow": body})
    job_id = queue.submit(database, "slow", {}, user_id=1)
    workers = [threading.Thread(target=queue.run, args=(job_id,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    wait_for(lambda: runs, 10, "one worker to start the job")
    time.sleep(0.2)
    release.set()
    for worker in workers:
        worker.join(10)
    assert len(runs) == 1 and find_job(database, job_id).status == "done"


def test_an_abandoned_job_is_queued_again_if_it_can_be_repeated_and_interrupted_if_not(tmp_path: Path) -> None:
    made: list[str] = []

    def documents(context):
        (context.folder / "a.docx").write_bytes(b"PK made again")
        made.append(context.job_id)
        return {"made": 1}

    queue, database = _queue(tmp_path, {"documents": documents, "send": documents}, repeatable={"documents"})
    outputs = queue.root / "outputs"
    for name, kind, lease, attempts in [("dead", "documents", 0.0, 1), ("send", "send", 0.0, 1), ("tired", "documents", 0.0, MAX_ATTEMPTS), ("alive", "documents", time.time() + 60, 1)]:
        database.execute(
            "INSERT INTO jobs (id, kind, user_id, status, options, created, claim, lease_until, attempts) VALUES (?, ?, 1, 'running', '{}', 0, 'c', ?, ?)",
            (name, kind, lease, attempts),
        )
        (outputs / f".staging-{name}-c").mkdir()
        (outputs / f".staging-{name}-c" / "half.docx").write_bytes(b"PK half")
    assert queue.take_back_abandoned(database) == 3
    statuses = {row["id"]: (row["status"], row["message"]) for row in database.execute("SELECT * FROM jobs")}
    assert statuses["dead"][0] == "queued" and "stopped answering" in statuses["dead"][1]
    assert statuses["send"][0] == "interrupted" and "Nothing from it was kept" in statuses["send"][1]
    assert statuses["tired"][0] == "interrupted"
    assert statuses["alive"][0] == "running" and (outputs / ".staging-alive-c").is_dir()  # a worker still renews it
    assert sorted(p.name for p in outputs.glob(".staging-*")) == [".staging-alive-c"]
    assert queue.take_back_abandoned(database) == 0  # taken back once, not again
    queue.run("dead")  # as the worker the queue hands it to
    assert made == ["dead"] and find_job(database, "dead").status == "done"
    assert (outputs / "dead" / "a.docx").read_bytes() == b"PK made again"
    database.close()


def test_recover_at_start_up_leaves_a_live_workers_job_alone_and_interrupts_a_dead_processs(tmp_path: Path) -> None:
    from senforms.outputs.atomic import this_machine

    queue, database = _queue(tmp_path, {"documents": lambda context: {}})
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    soon = time.time() + 60
    for job_id, claim, lease in [
        ("live-worker", f"{this_machine()}-{os.getppid()}-x", soon),  # a worker started beside serve, still running
        ("other-machine", f"0000ffff-{os.getppid()}-x", soon),
        ("serve-before", f"{this_machine()}-{finished.stdout.strip()}-x", soon),  # the process that stopped
        ("no-lease", "", None),
    ]:
        database.execute(
            "INSERT INTO jobs (id, kind, user_id, status, options, created, claim, lease_until) VALUES (?, 'documents', 1, 'running', '{}', 0, ?, ?)",
            (job_id, claim, lease),
        )
    assert queue.recover(database) == 2
    statuses = dict(database.execute("SELECT id, status FROM jobs").fetchall())
    assert statuses == {"live-worker": "running", "other-machine": "running", "serve-before": "interrupted", "no-lease": "interrupted"}
    database.close()


def test_a_job_whose_message_the_queue_lost_is_queued_again_and_runs_once(tmp_path: Path) -> None:
    runs: list[str] = []
    queue, database = _queue(tmp_path, {"documents": lambda context: runs.append(context.job_id) or {}}, lease=1)
    for job_id, waiting_until in [("lost", time.time() - 1), ("fresh", time.time() + 60)]:
        # as after Redis restarted without its data: the rows wait, their messages are gone
        database.execute("INSERT INTO jobs (id, kind, user_id, status, options, created, lease_until) VALUES (?, 'documents', 1, 'queued', '{}', 0, ?)", (job_id, waiting_until))
    assert queue.take_back_abandoned(database) == 1
    assert queue.take_back_abandoned(database) == 0  # not again until it has waited as long once more
    assert queue.huey.pending_count() == 1
    queue.run("lost")
    queue.run("lost")  # a second message for the same job (the first was not lost after all) does nothing
    assert runs == ["lost"] and find_job(database, "lost").status == "done" and find_job(database, "fresh").status == "queued"
    database.close()


def test_a_worker_whose_job_was_taken_over_publishes_nothing(tmp_path: Path) -> None:
    def body(context):
        context.keep("report.json", {"failures": []})
        context.offer(context.folder / "report.json", "report.json", "application/json")
        # meanwhile its lease ran out and another worker claimed the job
        context.db.execute("UPDATE jobs SET claim = 'someone-else' WHERE id = ?", (context.job_id,))
        return {"made": 1}

    queue, database = _queue(tmp_path, {"documents": body})
    job_id = queue.submit(database, "documents", {}, user_id=1)
    queue.run(job_id)
    assert find_job(database, job_id).status == "running"  # still the other worker's to finish
    assert not (queue.root / "outputs" / job_id).exists() and not list((queue.root / "outputs").glob(".staging-*"))
    assert database.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    database.close()


def test_a_finished_job_leases_and_publishes_its_folder_and_downloads_in_one_go(tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def body(context):
        seen["folder"] = context.folder
        (context.folder / "plan.docx").write_bytes(b"PK plan")
        seen["during"] = database.execute("SELECT lease_until FROM jobs WHERE id = ?", (context.job_id,)).fetchone()[0]
        time.sleep(1.5)  # longer than a third of the lease: it is renewed meanwhile
        seen["renewed"] = database.execute("SELECT lease_until FROM jobs WHERE id = ?", (context.job_id,)).fetchone()[0]
        return {"file": context.offer(context.folder / "plan.docx", "plan.docx", "application/octet-stream")}

    queue, database = _queue(tmp_path, {"documents": body}, lease=3)
    job_id = queue.submit(database, "documents", {}, user_id=1)
    queue.run(job_id)
    job = find_job(database, job_id)
    assert job.status == "done" and seen["folder"] != queue.root / "outputs" / job_id and not Path(str(seen["folder"])).exists()
    assert seen["renewed"] > seen["during"]
    row = database.execute("SELECT * FROM files WHERE id = ?", (job.result["file"],)).fetchone()
    assert row["path"] == f"outputs/{job_id}/plan.docx" and (queue.root / row["path"]).read_bytes() == b"PK plan"
    database.close()


def test_serve_without_a_worker_says_who_runs_the_jobs(tmp_path: Path) -> None:
    process, port = start_serve(tmp_path / "data", "--no-worker")
    try:
        assert wait_for_health(port, process) == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert "This runs no jobs: `senforms worker` processes run them (queue: the data folder's own queue)" in out
    assert "Traceback" not in err
