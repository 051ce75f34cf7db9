"""EHC needs assessment request packs (SENCo only): pick a pupil, upload evidence (each file checked
as it arrives), watch the checklist, make the pack as a job, and send it to the LA after a confirmation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

import senforms
from senforms.bundle.checklist import ChecklistItem
from senforms.bundle.protect import generate_passphrase
from senforms.errors import SenformsError
from senforms.inputs import LoadedRegister
from senforms.model import EvidenceFile, EvidenceKind, LocalAuthority, Pupil
from senforms.web import audit, evidence
from senforms.web.app import allow, db, queue, root, settings_file
from senforms.web.evidence import AUTO, Arrival, Upload
from senforms.web.passphrases import SEALED, seal
from senforms.web.registers import load_current
from senforms.web.views.jobs import finished_job
from senforms.web.work import pack_drafts_now, pending_emails, recipients_digest

blueprint = Blueprint("ehc", __name__)


@dataclass(frozen=True)
class PackPage:
    """Everything the pupil's pack page shows, worked out once per request."""

    loaded: LoadedRegister
    pupil: Pupil
    la: LocalAuthority | None
    on: dt.date
    uploads: list[Upload]
    awaited: list[EvidenceFile]
    checklist: list[ChecklistItem]
    problem: str  # why there can be no checklist (no LA), else ''


def _settings():
    return current_app.config["SENFORMS_SETTINGS"]


def _pupil(loaded: LoadedRegister, upn: str) -> Pupil:
    pupil = loaded.register.pupil(upn)
    if pupil is None or pupil.upn != upn:
        abort(404)
    if pupil.has_ehc_plan:
        raise SenformsError(f"{pupil.known_as} {pupil.legal_surname} already has an EHC plan, so there is no needs assessment request to make",
                            fix="use the annual review of the plan")
    return pupil


def _page_state(upn: str) -> PackPage:
    _, loaded = load_current(db(), root(), settings_file())
    pupil = _pupil(loaded, upn)
    la = senforms.local_authority_profile(loaded.register.local_authority, _settings())
    taken = evidence.uploads(root(), upn)
    with_files = evidence.with_uploads(loaded.register, upn, taken)
    on = pupil.ehc_request_date or dt.date.today()
    items: list[ChecklistItem] = []
    problem = ""
    if la is None:
        problem = "The register does not say which local authority the request goes to: fill in 'Local authority' on the School sheet."
    else:
        found = with_files.pupil(upn)
        assert found is not None
        items = evidence.checklist(with_files, found, la, on)
    return PackPage(loaded, pupil, la, on, taken, evidence.awaited(pupil, taken), items, problem)


def _kinds() -> list[tuple[str, str]]:
    return [(AUTO, "As the Evidence sheet lists it (matched by file name), otherwise other evidence")] + [(k.value, k.label) for k in EvidenceKind]


def _packs_made(upn: str) -> list[dict]:
    rows = db().execute(
        "SELECT id, status, created FROM jobs WHERE kind = 'ehc-pack' AND json_extract(options, '$.upn') = ? ORDER BY created DESC LIMIT 10", (upn,)
    ).fetchall()
    return [{"id": r["id"], "status": r["status"], "made": dt.datetime.fromtimestamp(r["created"])} for r in rows]


def _render_pupil(state: PackPage, arrivals: list[Arrival] | None = None, status: int = 200, problem: str = "") -> tuple[str, int]:
    page = render_template(
        "ehc_pupil.html", state=state, kinds=_kinds(), arrivals=arrivals or [], packs=_packs_made(state.pupil.upn),
        problem=problem, on=request.form.get("on") or state.on.isoformat(),
    )
    return page, status


@blueprint.get("/ehc")
@allow("senco")
def index() -> ResponseReturnValue:
    _, loaded = load_current(db(), root(), settings_file())
    pupils = [p for p in loaded.register.pupils if not p.has_ehc_plan]
    pupils.sort(key=lambda p: not p.requests_ehc_assessment)  # those a review decided to refer first
    return render_template("ehc_index.html", pupils=pupils)


@blueprint.get("/ehc/<upn>")
@allow("senco")
def pupil(upn: str) -> ResponseReturnValue:
    return _render_pupil(_page_state(upn))


@blueprint.post("/ehc/<upn>/evidence")
@allow("senco")
def upload(upn: str) -> ResponseReturnValue:
    """Each file through the evidence intake. htmx gets the evidence and checklist part of the page
    (always 200: htmx swaps nothing on an error status); a plain form post gets the whole page."""
    state = _page_state(upn)
    kind = request.form.get("kind", AUTO)
    if kind != AUTO and kind not in EvidenceKind.codes():
        kind = AUTO
    files = [f for f in request.files.getlist("evidence") if f and f.filename]
    if not files:
        arrivals = [Arrival("", False, "No file was chosen: choose or drop the evidence files to upload.")]
    else:
        from senforms.pdf.convert import convert_one

        def docx_to_pdf(source, dest) -> None:
            convert_one(source, dest, overwrite=True)

        arrivals = [evidence.take_in(root(), state.pupil, f.stream, f.filename or "", kind, docx_converter=docx_to_pdf) for f in files]
        taken = sum(a.accepted for a in arrivals)
        # Counts only: an uploaded file's name may name the child.
        audit.record("evidence uploaded", f"EHC pack evidence: {taken} taken in, {len(arrivals) - taken} refused", "ok" if taken == len(arrivals) else "some refused")
    state = _page_state(upn)
    if request.headers.get("HX-Request"):
        return render_template("_ehc_evidence.html", state=state, arrivals=arrivals, oob=True)
    return _render_pupil(state, arrivals, 200 if all(a.accepted for a in arrivals) else 422)


@blueprint.post("/ehc/<upn>/evidence/<upload_id>/remove")
@allow("senco")
def remove(upn: str, upload_id: str) -> ResponseReturnValue:
    state = _page_state(upn)
    named = next((u.name for u in state.uploads if u.id == upload_id), None)
    if named is None or not evidence.remove(root(), upn, upload_id):
        abort(404)
    audit.record("evidence removed", f"EHC pack evidence, upload {upload_id}")
    arrivals = [Arrival(named, True, f"{named}: removed from the pack.")]
    state = _page_state(upn)
    if request.headers.get("HX-Request"):
        return render_template("_ehc_evidence.html", state=state, arrivals=arrivals, oob=True)
    return _render_pupil(state, arrivals)


@blueprint.post("/ehc/<upn>/pack")
@allow("senco")
def make(upn: str) -> ResponseReturnValue:
    state = _page_state(upn)
    try:
        on = dt.date.fromisoformat(request.form.get("on", ""))
    except ValueError:
        return _render_pupil(state, status=400, problem="The request date is not a date: choose the date the school sends the request.")
    if state.la is None:
        return _render_pupil(state, status=400, problem=state.problem)
    options: dict = {"upn": upn, "on": on.isoformat(), "protect": bool(request.form.get("protect"))}
    if options["protect"]:
        options[SEALED] = seal(root(), generate_passphrase())  # made here, shown once on the finished pack's page
    job_id = queue().submit(db(), "ehc-pack", options, g.user.id)
    return redirect(url_for("jobs.show", job_id=job_id), code=303)


def _made_pack(job_id: str):
    return finished_job(job_id, "ehc-pack")


@blueprint.get("/ehc/packs/<job_id>/send")
@allow("senco")
def confirm(job_id: str) -> ResponseReturnValue:
    job = _made_pack(job_id)
    _, loaded = load_current(db(), root(), settings_file())
    pack, addressing, drafts = pack_drafts_now(root(), job.id, loaded.register, _settings())
    rows = [{"key": d.key, "address": d.to_address, "channel": "email", "failed": ""} for d in drafts]
    still = {r["key"] for r in pending_emails(_settings(), rows)}
    todo = [d for d in drafts if d.key in still]
    digest = recipients_digest([(d.key, d.to_address) for d in todo])
    return render_template("ehc_send_confirm.html", job=job, pack=pack, addressing=addressing, drafts=drafts, todo=todo, digest=digest)


@blueprint.post("/ehc/packs/<job_id>/send")
@allow("senco")
def send(job_id: str) -> ResponseReturnValue:
    job = _made_pack(job_id)
    send_id = queue().submit(db(), "send-pack", {"pack": job.id, "upn": job.options["upn"], "digest": request.form.get("digest", "")}, g.user.id)
    return redirect(url_for("jobs.show", job_id=send_id), code=303)
