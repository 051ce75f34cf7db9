"""Jobs off the request thread: the real huey consumer, progress, a job killed mid-way, running it again."""

from __future__ import annotations

import json
import re
import time

from senforms.web import datadir, store
from senforms.web.jobs import JobQueue, find_job

from .conftest import Browser


def wait_for(predicate, timeout: float = 60.0, what: str = "it"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_job_runs_on_the_real_consumer_and_reports_progress(data_dir) -> None:
    from huey.consumer import Consumer

    seen: list[tuple[int, int]] = []

    def counting(context):
        for step in range(1, 4):
            context.progress(step, 3, f"Step {step}")
            seen.append((step, 3))
            time.sleep(0.05)
        return {"steps": 3}

    root = datadir.prepare(data_dir)
    store.initialise(root / datadir.DATABASE)
    queue = JobQueue(root, {"count": counting})
    consumer = Consumer(queue.huey, workers=1, worker_type="thread", periodic=False)
    database = store.connect(root / datadir.DATABASE)
    job_id = queue.submit(database, "count", {"upns": ["Z881999919001"]}, user_id=1)
    assert find_job(database, job_id).status == "queued"  # nothing ran in the request
    # the queue carries the job's id only: what to do (and for whom) stays in the app's database
    queued = b"".join(p.read_bytes() for p in root.glob(datadir.QUEUE + "*"))
    assert job_id.encode() in queued and b"Z881999919001" not in queued
    consumer.start()
    try:
        job = wait_for(lambda: (j := find_job(database, job_id)) and j.finished and j)
    finally:
        consumer.stop(graceful=True)
    assert job.status == "done" and job.result == {"steps": 3} and job.done == 3 and job.percent == 100
    assert seen == [(1, 3), (2, 3), (3, 3)]
    database.close()


def test_a_job_killed_mid_way_is_marked_interrupted_its_files_removed_and_can_run_again(app, with_register: Browser, data_dir) -> None:
    upns = re.findall(r'name="upn" value="([^"]+)"', with_register.get("/documents").text)[:2]
    made = with_register.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    job_id = made.headers["Location"].rsplit("/", 1)[1]
    database = store.connect(data_dir / datadir.DATABASE)
    # As a SIGKILL mid-batch leaves it: the row still 'running', part of its folder written.
    database.execute("UPDATE jobs SET status = 'running', done = 1, total = 2 WHERE id = ?", (job_id,))
    folder = data_dir / "outputs" / job_id
    assert folder.is_dir()
    file_ids = [row[0] for row in database.execute("SELECT id FROM files WHERE job_id = ?", (job_id,))]
    assert file_ids
    assert app.extensions["senforms_queue"].recover(database) == 1
    job = find_job(database, job_id)
    assert job.status == "interrupted"
    assert not folder.exists()  # nothing half-made is kept
    assert with_register.get(f"/files/{file_ids[0]}").status_code == 404
    page = with_register.get(f"/jobs/{job_id}").text
    assert "Stopped part-way" in page and "Run it again" in page
    again = with_register.post(f"/jobs/{job_id}/again")
    new_id = again.headers["Location"].rsplit("/", 1)[1]
    assert new_id != job_id
    rerun = find_job(database, new_id)
    assert rerun.status == "done" and rerun.options == job.options and rerun.result["made"] == 2
    database.close()


def test_the_progress_fragment_polls_until_done_then_sends_the_page_back(app, with_register: Browser, data_dir) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    database.execute(
        "INSERT INTO jobs (id, kind, user_id, status, done, total, message, options, created) VALUES ('j1', 'documents', 1, 'running', 4, 10, 'Made 4 of 10', '{}', 0)"
    )
    fragment = with_register.get("/jobs/j1/progress", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in fragment.text and 'value="40"' in fragment.text
    # the words go into a live region that stays on the page (one swapped in with them is not read out)
    assert 'hx-swap-oob="innerHTML:#progress-status"' in fragment.text and "40% done: Made 4 of 10" in fragment.text
    page = with_register.get("/jobs/j1").text
    live = page.index('id="progress-status"')
    assert 'aria-live="polite"' in page[live - 100 : live + 100] and page.index('id="progress"') < live
    assert page.index("</div>", page.index('id="progress"')) < live  # outside the element htmx replaces
    database.execute("UPDATE jobs SET status = 'done', done = 10, result = ? WHERE id = 'j1'", (json.dumps({"made": 10, "failed": 0, "files": []}),))
    finished = with_register.get("/jobs/j1/progress", headers={"HX-Request": "true"})
    assert finished.headers["HX-Redirect"] == "/jobs/j1"
    database.close()


def test_office_users_see_only_their_own_jobs(app, with_register: Browser, office: Browser) -> None:
    upns = re.findall(r'name="upn" value="([^"]+)"', with_register.get("/documents").text)[:1]
    made = with_register.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    assert office.get(made.headers["Location"]).status_code == 404
    assert with_register.get(made.headers["Location"]).status_code == 200


def test_a_register_uploaded_again_does_not_break_a_job_for_pupils_now_gone(app, with_register: Browser, tmp_path) -> None:
    import json as json_module

    from .conftest import ROOT

    upns = re.findall(r'name="upn" value="([^"]+)"', with_register.get("/documents").text)[:1]
    data = json_module.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    data["pupils"] = [p for p in data["pupils"] if p["upn"] != upns[0]]
    smaller = tmp_path / "smaller.json"
    smaller.write_text(json_module.dumps(data), encoding="utf-8")
    token = with_register.token
    made = with_register.client.post("/documents", data={"csrf_token": token, "kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    assert made.status_code == 303
    assert with_register.upload(smaller).status_code == 200
    response = with_register.post("/documents", {"kind": "support-plan", "upn": upns, "on": "2026-12-01", "output": "zip"})
    assert response.status_code == 400 and "not in the register" in response.text
