"""Templates and the LA's form (senco): download the shipped templates, upload the school's own after
the template check finds no errors, and upload the LA's form with its map (or make a starting map)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

import senforms
from senforms.documents.template_files import check_template
from senforms.errors import Problem, SenformsError
from senforms.forms.fields import FormInventory
from senforms.forms.inventory import inspect_form
from senforms.forms.mapping import check_map, map_text, read_map
from senforms.outputs.atomic import private_temp_dir, write_atomic
from senforms.resources import docx_templates_dir
from senforms.web import audit
from senforms.web.app import allow, db, root
from senforms.web.datadir import UPLOADS
from senforms.web.files import offer
from senforms.web.school_settings import la_values, set_la_form, templates_folder
from senforms.web.views.settings_pages import adopt_settings_file, writable_settings_file

blueprint = Blueprint("templates_pages", __name__)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LA_FORMS = "la-forms"  # in the data folder: the LA's form and its map, named by the settings file
_UNSAFE = re.compile(r"[^\w.-]+")


def _folder() -> Path:
    return templates_folder(current_app.config["SENFORMS_SETTINGS"], root())


def _rows() -> list[dict]:
    folder = _folder()
    rows = []
    for name, kind in senforms.KINDS.items():
        own = folder / kind.template
        changed = dt.datetime.fromtimestamp(own.stat().st_mtime) if own.is_file() else None
        rows.append({"kind": name, "title": kind.title, "file": kind.template, "own": changed})
    return rows


def _page(status: int = 200, **extra) -> tuple[str, int]:
    settings = current_app.config["SENFORMS_SETTINGS"]
    la = la_values(settings if settings and settings.exists() else None)
    defaults = {"findings": None, "uploaded": "", "kind": "", "used": False, "problem": "", "starting_map": ""}
    page = render_template("templates.html", rows=_rows(), folder=_folder(), la=la, **{**defaults, **extra})
    return page, status


def _kind() -> str:
    kind = request.values.get("kind", "")
    if kind not in senforms.KINDS:
        abort(404)
    return kind


def _staged(upload: FileStorage, folder: Path, name: str) -> Path:
    path = folder / name
    with open(path, "xb") as handle:
        shutil.copyfileobj(upload.stream, handle)
    return path


@blueprint.get("/templates")
@allow("senco")
def index() -> ResponseReturnValue:
    return _page()


@blueprint.get("/templates/shipped")
@allow("senco")
def shipped() -> ResponseReturnValue:
    kind = senforms.KINDS[_kind()]
    return send_file(docx_templates_dir() / kind.template, mimetype=DOCX_MIME, as_attachment=True, download_name=kind.template, max_age=0)


@blueprint.get("/templates/school")
@allow("senco")
def school() -> ResponseReturnValue:
    kind = senforms.KINDS[_kind()]
    own = _folder() / kind.template
    if not own.is_file():
        abort(404)
    return send_file(own, mimetype=DOCX_MIME, as_attachment=True, download_name=kind.template, max_age=0)


def _named(findings: list[Problem], name: str) -> list[Problem]:
    """Findings by the name the school uploaded, not the name senforms checked it under."""
    return [dataclasses.replace(f, location=dataclasses.replace(f.location, file=name)) for f in findings]


@blueprint.post("/templates")
@allow("senco")
def upload() -> ResponseReturnValue:
    """Check an uploaded template; only one with no errors becomes the school's template for its kind."""
    kind = request.form.get("kind", "")
    upload = request.files.get("template")
    if kind not in senforms.KINDS or upload is None or not upload.filename:
        return _page(400, problem="Choose which document the template is for, and the Word file.")
    info = senforms.KINDS[kind]
    scratch = private_temp_dir(".template", root() / UPLOADS)
    try:
        staged = _staged(upload, scratch, info.template)
        try:
            findings = _named(check_template(staged, kind), upload.filename)
        except SenformsError as error:
            audit.record("template uploaded", kind, "refused: not a Word document")
            return _page(422, problem=f"{upload.filename} was not used: " + error.message.replace(info.template, upload.filename) + (f" ({error.fix})" if error.fix else ""), kind=kind)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            audit.record("template uploaded", kind, f"refused: {len(errors)} error(s)")
            return _page(422, findings=findings, uploaded=upload.filename, kind=kind, used=False)
        folder = _folder()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(folder / info.template, staged.read_bytes(), overwrite=True)
        audit.record("template uploaded", kind, f"in use, {len(findings)} warning(s)")
        return _page(200, findings=findings, uploaded=upload.filename, kind=kind, used=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@blueprint.post("/templates/remove")
@allow("senco")
def remove() -> ResponseReturnValue:
    kind = _kind()
    own = _folder() / senforms.KINDS[kind].template
    if own.is_file():
        own.unlink()
        audit.record("template removed", kind)
    flash(f"The {senforms.KINDS[kind].title.lower()} uses senforms' own template again.", "success")
    return redirect(url_for("templates_pages.index"), code=303)


# --- the LA's own form ---------------------------------------------------------------------------


def _form_name(upload: FileStorage, inventory_type: str) -> str:
    stem = _UNSAFE.sub("-", Path(upload.filename or "la-form").stem).strip("-.")[:60] or "la-form"
    return f"{stem}.{inventory_type}"


def _inspected(upload: FileStorage, scratch: Path) -> tuple[Path, FormInventory]:
    """The uploaded form, staged under a safe name, and its fields; SenformsError when it is not a form."""
    raw = _staged(upload, scratch, "upload.form")
    from senforms.forms.inventory import read_form

    _, kind = read_form(raw)
    named = raw.rename(scratch / _form_name(upload, kind))
    return named, inspect_form(named)


@blueprint.post("/templates/la-form")
@allow("senco")
def la_form() -> ResponseReturnValue:
    """The LA's form and its map: both checked (the map against this very form) before the settings name them."""
    form_upload, map_upload = request.files.get("form"), request.files.get("map")
    if form_upload is None or not form_upload.filename:
        return _page(400, problem="Choose the LA's form (a fillable PDF or Word document).")
    making_map = request.form.get("action") == "starting-map"
    if not making_map and (map_upload is None or not map_upload.filename):
        return _page(400, problem="Choose the form's map too, or make a starting map from the form first.")
    scratch = private_temp_dir(".la-form", root() / UPLOADS)
    try:
        try:
            form_path, inventory = _inspected(form_upload, scratch)
            if not inventory.fields:
                raise SenformsError(f"{form_upload.filename} has no fields a map could fill", fix="check it is the LA's fillable form, not a printed or scanned copy")
            target = root() / LA_FORMS
            target.mkdir(exist_ok=True, mode=0o700)
            if making_map:
                starting = write_atomic(target / f"{form_path.stem}.starting-map.toml", map_text(inventory).encode("utf-8"), overwrite=True)
                file_id = offer(db(), root(), starting, starting.name, "application/toml", senco_only=True)
                audit.record("LA form map made", f"file {file_id}")
                return _page(200, starting_map=file_id)
            assert map_upload is not None
            map_path = _staged(map_upload, scratch, f"{form_path.stem}.toml")
            check_map(read_map(map_path), inventory)
        except SenformsError as error:
            audit.record("LA form uploaded", "", "refused")
            message = error.message.replace("upload.form", form_upload.filename)
            return _page(422, problem="The form was not used: " + message + (f" ({error.fix})" if error.fix else ""))
        final_form = write_atomic(target / form_path.name, form_path.read_bytes(), overwrite=True)
        final_map = write_atomic(target / map_path.name, map_path.read_bytes(), overwrite=True)
        path = writable_settings_file()
        set_la_form(path, final_form, final_map)
        adopt_settings_file(path)
        audit.record("LA form uploaded", final_form.name, f"in use, {len(inventory.fields)} field(s)")
        flash(f"{final_form.name} and its map are now the LA's form: the EHC request pack fills it.", "success")
        return redirect(url_for("templates_pages.index") + "#la-form", code=303)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
