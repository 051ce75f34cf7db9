"""Documents: choose a kind and pupils, preview the first, make them all as a job."""

from __future__ import annotations

import datetime as dt
import shutil

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import senforms
from senforms.documents.preview import preview_blocks
from senforms.errors import SenformsError
from senforms.model.codes import NeedCode, SenStatus
from senforms.outputs.atomic import private_temp_dir
from senforms.web.app import allow, db, queue, root, settings_file
from senforms.web.datadir import OUTPUTS
from senforms.web.registers import load_current
from senforms.web.school_settings import school_templates

blueprint = Blueprint("documents", __name__)


def _filters() -> dict[str, str]:
    source = request.values
    return {name: source.get(name, "").strip() for name in ("year", "need", "status")}


def _chosen_pupils(register, filters: dict[str, str]):
    where = [f"{name}={value}" for name, value in filters.items() if value]
    return senforms.select_pupils(register, (), where)


def _form(kind: str, problem: str = "", status: int = 200, preview=None, preview_name: str = "") -> tuple[str, int]:
    stored, loaded = load_current(db(), root(), settings_file())
    register = loaded.register
    filters = _filters()
    pupils = _chosen_pupils(register, filters)
    # A link from the dashboard names the pupils to tick (?upn=…); otherwise every pupil shown is ticked.
    picked = set(request.form.getlist("upn")) if request.method == "POST" else set(request.args.getlist("upn")) or {p.upn for p in pupils}
    years = sorted({p.year_group for p in register.pupils if p.year_group is not None})
    page = render_template(
        "documents.html", kinds=senforms.KINDS, kind=kind, pupils=pupils, picked=picked, filters=filters, years=years,
        needs=[n for n in NeedCode if any(p.primary_need == n for p in register.pupils)],
        statuses=[s for s in SenStatus if any(p.sen_status == s for p in register.pupils)],
        on=request.values.get("on") or dt.date.today().isoformat(), output=request.values.get("output", "pdf"),
        duplex=bool(request.values.get("duplex")), include_notified=bool(request.values.get("all")), problem=problem, preview=preview, preview_name=preview_name, stored=stored,
    )
    return page, status


@blueprint.get("/documents")
@allow("office")
def choose() -> ResponseReturnValue:
    return _form(request.args.get("kind", "support-plan"))


def _checked_request():
    """The kind, pupils, date and output asked for, or the problem with them in plain words."""
    kind = request.form.get("kind", "")
    if kind not in senforms.KINDS:
        raise SenformsError("choose which document to make")
    _, loaded = load_current(db(), root(), settings_file())
    loaded.require_pupils()  # said as `senforms render` says it, rather than "no pupils are ticked"
    upns = request.form.getlist("upn")
    if not upns:
        raise SenformsError("no pupils are ticked", fix="tick at least one pupil")
    pupils = [loaded.register.pupil(u) for u in upns]
    if any(p is None for p in pupils):
        raise SenformsError("a pupil ticked is not in the register (it may have been uploaded again)", fix="reload the page and choose again")
    try:
        on = dt.date.fromisoformat(request.form.get("on", ""))
    except ValueError:
        raise SenformsError("the date the documents carry is not a date", fix="choose a date") from None
    output = request.form.get("output", "pdf")
    if output not in ("pdf", "zip"):
        raise SenformsError("choose Word documents or one PDF")
    return kind, loaded, pupils, on, output


def _refused(kind: str, error: SenformsError) -> tuple[str, int]:
    """The form again, with what was wrong with it and how to put it right."""
    return _form(kind, problem=error.message + (f" ({error.fix})" if error.fix else ""), status=400)


@blueprint.post("/documents/preview")
@allow("office")
def preview() -> ResponseReturnValue:
    kind = request.form.get("kind", "")
    try:
        kind, loaded, pupils, on, _ = _checked_request()
    except SenformsError as error:
        return _refused(kind, error)
    scratch = private_temp_dir(".preview", root() / OUTPUTS)
    try:
        templates = school_templates(current_app.config["SENFORMS_SETTINGS"], root())
        options = senforms.RenderOptions(out_dir=scratch, on=on, include_notified=bool(request.form.get("all")), templates_dir=templates)
        result = senforms.render(loaded.register, kind, options, pupils[:1])
        made = result.report.paths
        failed = [d for d in result.report.documents if d.status == "failed"]
        if failed:
            return _form(kind, problem=f"The first document could not be made: {failed[0].error}", status=422)
        if not made:
            return _form(kind, problem=f"There is no {senforms.KINDS[kind].title.lower()} to make for {pupils[0].known_as} {pupils[0].legal_surname}.", status=200)
        return _form(kind, preview=preview_blocks(made[0]), preview_name=made[0].name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@blueprint.post("/documents")
@allow("office")
def make() -> ResponseReturnValue:
    kind = request.form.get("kind", "")
    try:
        kind, _, pupils, on, output = _checked_request()
    except SenformsError as error:
        return _refused(kind, error)
    options = {"kind": kind, "upns": [p.upn for p in pupils], "on": on.isoformat(), "output": output, "duplex": bool(request.form.get("duplex")), "all": bool(request.form.get("all"))}
    job_id = queue().submit(db(), "documents", options, g.user.id)
    return redirect(url_for("jobs.show", job_id=job_id), code=303)
