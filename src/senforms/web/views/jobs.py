"""A job's page: its progress bar (polled by htmx), then what it made."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from senforms.bundle.protect import generate_passphrase
from senforms.web.app import allow, db, queue, root
from senforms.web.jobs import Job, find_job, kept
from senforms.web.passphrases import SEALED, seal, take_once

blueprint = Blueprint("jobs", __name__)

TITLES = {"documents": "Making documents", "prepare-invitations": "Making invitations", "send-invitations": "Sending invitations",
          "ehc-pack": "Making the EHC request pack", "send-pack": "Sending the pack to the LA"}
SENDS = ("send-invitations", "send-pack")  # never repeated blindly


def visible_job(job_id: str) -> Job:
    """A job the signed-in user may see: their own, or any for a senco."""
    job = find_job(db(), job_id)
    if job is None or (job.user_id != g.user.id and not g.user.is_senco):
        abort(404)
    return job


def finished_job(job_id: str, kind: str) -> Job:
    """A visible job of `kind` that finished well (what a confirmation page sends from); else 404.
    One whose files retention has deleted goes to its own page, which says so."""
    job = visible_job(job_id)
    if job.kind != kind or job.status != "done":
        abort(404)
    if job.files_removed is not None:
        abort(redirect(url_for("jobs.show", job_id=job.id), code=303))
    return job


def _details(job: Job) -> dict:
    if not job.finished or job.files_removed is not None:
        return {}
    if job.kind == "documents":
        return {"report": kept(root(), job.id, "report.json") or {}}
    if job.kind in SENDS:
        return {"results": kept(root(), job.id, "results.json") or []}
    if job.kind == "ehc-pack":
        # The passphrase leaves the job's row the first time the finished pack is shown to whoever asked for it.
        shown = take_once(db(), root(), job.id) if job.status == "done" and job.user_id == g.user.id else None
        return {"pack": kept(root(), job.id, "pack.json") or {}, "passphrase": shown}
    return {}


@blueprint.get("/jobs/<job_id>")
@allow("office")
def show(job_id: str) -> ResponseReturnValue:
    job = visible_job(job_id)
    if job.kind == "prepare-invitations" and job.status == "done" and job.files_removed is None:
        return redirect(url_for("invitations.review", job_id=job.id))
    return render_template("job.html", job=job, title=TITLES.get(job.kind, "Working"), **_details(job))


@blueprint.get("/jobs/<job_id>/progress")
@allow("office")
def progress(job_id: str) -> ResponseReturnValue:
    job = visible_job(job_id)
    if job.finished:
        # The whole page again, so the results appear: htmx follows HX-Redirect.
        response = Response("", status=200)
        response.headers["HX-Redirect"] = url_for("jobs.show", job_id=job.id)
        return response
    return render_template("_progress.html", job=job, polled=True)


@blueprint.post("/jobs/<job_id>/again")
@allow("office")
def again(job_id: str) -> ResponseReturnValue:
    job = visible_job(job_id)
    if job.kind in SENDS:
        abort(405)  # a send is never repeated blindly: make and confirm the invitations again
    options = job.options
    if job.kind == "ehc-pack" and options.get("protect"):
        # The first run's passphrase was erased when it failed (or shown, if it was made): a new one, shown once.
        options = {**options, SEALED: seal(root(), generate_passphrase())}
    new_id = queue().again(db(), job, g.user.id, options=options)
    return redirect(url_for("jobs.show", job_id=new_id), code=303)
