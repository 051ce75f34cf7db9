"""Invitations: choose meetings by date, check every email and letter, confirm exactly who gets what, send."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from senforms.errors import SenformsError
from senforms.web.app import allow, db, queue, root, settings_file
from senforms.web.jobs import kept
from senforms.web.registers import load_current
from senforms.web.views.jobs import finished_job
from senforms.web.work import email_preview, pending_emails, recipients_digest

blueprint = Blueprint("invitations", __name__)


def _date(name: str, *, required: bool = False) -> str:
    value = request.form.get(name, "").strip()
    if not value:
        if required:
            raise SenformsError("the date the letters carry is missing", fix="choose a date")
        return ""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise SenformsError(f"'{value}' is not a date", fix="choose a date") from None


@blueprint.get("/invitations")
@allow("office")
def choose() -> ResponseReturnValue:
    load_current(db(), root(), settings_file())  # no register: the error page says to upload one
    return render_template("invitations.html", today=dt.date.today().isoformat(), problem="")


@blueprint.post("/invitations")
@allow("office")
def prepare() -> ResponseReturnValue:
    try:
        load_current(db(), root(), settings_file())[1].require_pupils()  # as `senforms invite` says it
        options = {"on": _date("on", required=True), "from": _date("from"), "to": _date("to")}
        if options["from"] and options["to"] and options["to"] < options["from"]:
            raise SenformsError("the meetings' dates end before they start", fix="put the earlier date first")
    except SenformsError as error:
        return render_template("invitations.html", today=dt.date.today().isoformat(), problem=f"{error.message} ({error.fix})"), 400
    job_id = queue().submit(db(), "prepare-invitations", options, g.user.id)
    return redirect(url_for("jobs.show", job_id=job_id), code=303)


def _prepared(job_id: str):
    job = finished_job(job_id, "prepare-invitations")
    details = kept(root(), job.id, "invitations.json") or {"rows": [], "warnings": [], "failures": []}
    return job, details


@blueprint.get("/invitations/<job_id>")
@allow("office")
def review(job_id: str) -> ResponseReturnValue:
    job, details = _prepared(job_id)
    pending = pending_emails(current_app.config["SENFORMS_SETTINGS"], details["rows"])
    return render_template("invitations_review.html", job=job, details=details, pending=pending)


@blueprint.get("/invitations/<job_id>/email/<int:number>")
@allow("office")
def email(job_id: str, number: int) -> ResponseReturnValue:
    job, details = _prepared(job_id)
    rows = details["rows"]
    if not 0 <= number < len(rows) or not rows[number]["email"]:
        abort(404)
    return render_template("invitation_email.html", job=job, row=rows[number], message=email_preview(root(), job.id, rows[number]["email"]))


@blueprint.get("/invitations/<job_id>/send")
@allow("office")
def confirm(job_id: str) -> ResponseReturnValue:
    job, details = _prepared(job_id)
    pending = pending_emails(current_app.config["SENFORMS_SETTINGS"], details["rows"])
    digest = recipients_digest([(r["key"], r["address"]) for r in pending])
    return render_template("invitations_confirm.html", job=job, details=details, pending=pending, digest=digest)


@blueprint.post("/invitations/<job_id>/send")
@allow("office")
def send(job_id: str) -> ResponseReturnValue:
    job, details = _prepared(job_id)
    options = dict(job.options, prepared=job.id, digest=request.form.get("digest", ""))
    send_id = queue().submit(db(), "send-invitations", options, g.user.id)
    return redirect(url_for("jobs.show", job_id=send_id), code=303)
