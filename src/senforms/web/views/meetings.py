"""The meetings plan: who has had, has booked and is due a meeting with parents this school year."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

import senforms
from senforms.documents.meeting_slots import load_availability
from senforms.documents.meetings_plan import EXPECTED_PER_YEAR
from senforms.web.app import allow, db, root, settings_file
from senforms.web.files import job_folder, offer, token
from senforms.web.registers import load_current
from senforms.web.work import XLSX_MIME

blueprint = Blueprint("meetings", __name__)


@blueprint.get("/meetings")
@allow("office")
def plan() -> ResponseReturnValue:
    _, loaded = load_current(db(), root(), settings_file())
    meeting_plan = senforms.plan_meetings(loaded.register, dt.date.today(), load_availability(current_app.config["SENFORMS_SETTINGS"]))
    return render_template("meetings.html", plan=meeting_plan, expected=EXPECTED_PER_YEAR, overdue=sum(1 for p in meeting_plan.pupils if p.overdue))


@blueprint.post("/meetings/workbook")
@allow("office")
def workbook() -> ResponseReturnValue:
    """The register workbook with the proposed meetings added, to adjust and upload again."""
    _, loaded = load_current(db(), root(), settings_file())
    loaded.require_pupils()  # as `senforms meetings plan` says it: no workbook of nothing
    today = dt.date.today()
    meeting_plan = senforms.plan_meetings(loaded.register, today, load_availability(current_app.config["SENFORMS_SETTINGS"]))
    folder = job_folder(root(), f"meetings-{token()}")
    path = senforms.save_plan(loaded.register, meeting_plan, folder / "register-with-meetings.xlsx")
    file_id = offer(db(), root(), path, f"register-with-meetings-{today.isoformat()}.xlsx", XLSX_MIME)
    return redirect(url_for("files.download", file_id=file_id), code=303)
