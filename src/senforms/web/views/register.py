"""The register: upload it, see every problem in it, download the blank workbook."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, send_file
from flask.typing import ResponseReturnValue

from senforms.errors import SenformsError
from senforms.model.checks import summarise
from senforms.resources import workbook_template
from senforms.web import audit
from senforms.web.app import allow, db, root, settings_file
from senforms.web.registers import NoRegister, accept_upload, load_current

blueprint = Blueprint("register", __name__)


def _current_summary():
    try:
        stored, loaded = load_current(db(), root(), settings_file())
    except NoRegister as missing:
        return None, None, missing.message
    except SenformsError as error:
        return None, None, error.message
    return stored, loaded, ""


@blueprint.get("/register")
@allow("office")
def show() -> ResponseReturnValue:
    stored, loaded, why = _current_summary()
    summary = summarise(loaded.register) if loaded else None
    warnings = loaded.warnings if loaded else []
    return render_template("register.html", stored=stored, loaded=loaded, summary=summary, warnings=warnings, why_none=why, outcome=None)


@blueprint.post("/register")
@allow("senco")
def upload() -> ResponseReturnValue:
    upload = request.files.get("register")
    if upload is None or not upload.filename:
        stored, loaded, why = _current_summary()
        page = render_template("register.html", stored=stored, loaded=loaded, summary=summarise(loaded.register) if loaded else None,
                               warnings=loaded.warnings if loaded else [], why_none=why, outcome=None, problem="Choose the register file to upload.")
        return page, 400
    outcome = accept_upload(db(), root(), g.user.id, upload.stream, upload.filename, request.form.get("password") or None, settings_file())
    stored, loaded, why = _current_summary()
    if outcome.loaded and stored:
        audit.record("register uploaded", f"register {stored.id}", f"in use, {len(outcome.warnings)} warning(s)")
    else:
        audit.record("register uploaded", "", f"refused, {len(outcome.errors)} error(s)" if outcome.errors else "refused: not readable")
    page = render_template(
        "register.html", stored=stored, loaded=loaded, summary=summarise(loaded.register) if loaded else None,
        warnings=outcome.warnings, why_none=why, outcome=outcome, uploaded_name=upload.filename,
    )
    return (page, 200) if outcome.loaded else (page, 422)


@blueprint.get("/register/blank-workbook")
@allow("office")
def blank() -> ResponseReturnValue:
    return send_file(workbook_template(), as_attachment=True, download_name="senforms-register.xlsx", max_age=0)
