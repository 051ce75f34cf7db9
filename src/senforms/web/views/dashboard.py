"""The SENCo's dashboard: what is due, each item with a link to what clears it."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

import senforms
from senforms.errors import SenformsError
from senforms.model.agenda import agenda
from senforms.web import evidence
from senforms.web.app import allow, db, root, settings_file
from senforms.web.chart import cost_chart
from senforms.web.registers import NoRegister, load_current

blueprint = Blueprint("dashboard", __name__)


def pack_states(register, la, pupils, on: dt.date) -> dict[str, dict[str, int]]:
    """For each pupil, how their pack's checklist stands now, from the evidence uploaded so far."""
    states = {}
    for pupil in pupils:
        taken = evidence.uploads(root(), pupil.upn)
        with_files = evidence.with_uploads(register, pupil.upn, taken)
        found = with_files.pupil(pupil.upn)
        assert found is not None  # with_uploads keeps every pupil
        items = evidence.checklist(with_files, found, la, pupil.ehc_request_date or on)
        states[pupil.upn] = {
            "ok": sum(1 for i in items if i.ok), "missing": sum(1 for i in items if i.missing),
            "warnings": sum(1 for i in items if i.advisory and not i.ok), "total": len(items), "uploaded": len(taken),
        }
    return states


@blueprint.get("/dashboard")
@allow("senco")
def show() -> ResponseReturnValue:
    try:
        stored, loaded = load_current(db(), root(), settings_file())
    except NoRegister as missing:
        return render_template("dashboard.html", stored=None, why_none=missing.message, due=None)
    today = dt.date.today()
    due = agenda(loaded.register, today)
    la = senforms.local_authority_profile(loaded.register.local_authority, current_app.config["SENFORMS_SETTINGS"])
    try:
        states = pack_states(loaded.register, la, due.ehc_requests, today) if la is not None else {}
    except SenformsError:
        states = {}
    return render_template(
        "dashboard.html", stored=stored, why_none="", due=due, states=states, la=la,
        chart=cost_chart(due.costs, la.notional_threshold if la else due.threshold),
    )
