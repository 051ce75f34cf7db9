"""Settings (senco): the SMTP, LA-profile and retention settings (files and the audit trail), in the school settings file the CLI reads."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from senforms.errors import InputError, SenformsError
from senforms.web import audit
from senforms.web.app import allow, db, queue, root, settings_file
from senforms.web.registers import load_current
from senforms.web.school_settings import DEFAULT_FILE, audit_retention_days, la_values, retention_days, save_la, save_retention_days, save_smtp, smtp_view

blueprint = Blueprint("settings_pages", __name__)
EMAIL_BODIES = (("minimal", "Minimal: the reference, the school and who to contact"), ("cover-letter", "The covering letter's text (the child's details)"))


def writable_settings_file() -> Path:
    """The file the pages write: serve's --config, else settings.toml in the data folder."""
    return current_app.config["SENFORMS_SETTINGS"] or root() / DEFAULT_FILE


def adopt_settings_file(path: Path) -> None:
    """After the first write of the data folder's own file: jobs and retention read it from now on."""
    if current_app.config["SENFORMS_SETTINGS"] is None:
        current_app.config["SENFORMS_SETTINGS"] = path
        queue().settings_path = path
        current_app.extensions["senforms_retention"].settings_path = path


def _register_la():
    try:
        _, loaded = load_current(db(), root(), settings_file())
    except SenformsError:
        return None  # no register yet: the settings must name the LA themselves
    return loaded.register.local_authority


def _page(status: int = 200, *, problem: str = "", problems=(), section: str = "", typed: dict[str, str] | None = None) -> tuple[str, int]:
    path = writable_settings_file()
    existing = path if path.exists() else None
    smtp = smtp_view(existing)
    la = la_values(existing)
    try:
        days: int | str = retention_days(existing)
    except SenformsError as error:  # a hand-edited value the page can put right
        days = ""
        problem = problem or f"{error.message} ({error.fix})"
    try:
        audit_days: int | str = audit_retention_days(existing)
    except SenformsError as error:
        audit_days = ""
        problem = problem or f"{error.message} ({error.fix})"
    if typed is not None:  # the values the person typed, shown again with what was wrong (never the password)
        if section == "smtp":
            smtp = type(smtp)({**smtp.values, **{k: typed.get(k, "") for k in smtp.values}}, smtp.password_set, smtp.password_from_environment)
        elif section == "local_authority":
            la = {**la, **{k: typed.get(k, "") for k in la if k not in ("form", "form_map")}}
    page = render_template(
        "settings.html", path=path, exists=path.exists(), smtp=smtp, la=la, days=days, audit_days=audit_days, problem=problem, problems=problems,
        section=section, email_bodies=EMAIL_BODIES, security_choices=("starttls", "ssl", "none"),
    )
    return page, status


def _changed(section: str) -> ResponseReturnValue:
    adopt_settings_file(writable_settings_file())
    audit.record("settings changed", f"[{section}]")
    flash(f"Saved the [{section}] settings in {writable_settings_file().name}.", "success")
    return redirect(url_for("settings_pages.index"), code=303)


def _refused(section: str, error: SenformsError) -> ResponseReturnValue:
    audit.record("settings changed", f"[{section}]", "refused")
    typed = {k: v for k, v in request.form.items() if k not in ("password", "csrf_token")}
    if isinstance(error, InputError):
        return _page(400, problem="These settings were not saved: put right what is listed below.", problems=error.problems, section=section, typed=typed)
    return _page(400, problem="These settings were not saved: " + error.message + (f" ({error.fix})" if error.fix else ""), section=section, typed=typed)


@blueprint.get("/settings")
@allow("senco")
def index() -> ResponseReturnValue:
    return _page()


@blueprint.post("/settings/smtp")
@allow("senco")
def smtp() -> ResponseReturnValue:
    try:
        save_smtp(writable_settings_file(), request.form, forget_password=bool(request.form.get("forget_password")))
    except SenformsError as error:
        return _refused("smtp", error)
    return _changed("smtp")


@blueprint.post("/settings/local-authority")
@allow("senco")
def local_authority() -> ResponseReturnValue:
    try:
        save_la(writable_settings_file(), request.form, _register_la())
    except SenformsError as error:
        return _refused("local_authority", error)
    return _changed("local_authority")


@blueprint.post("/settings/retention")
@allow("senco")
def retention() -> ResponseReturnValue:
    try:
        save_retention_days(writable_settings_file(), request.form.get("retention_days", ""), request.form.get("audit_retention_days"))
    except SenformsError as error:
        return _refused("web", error)
    return _changed("web")
