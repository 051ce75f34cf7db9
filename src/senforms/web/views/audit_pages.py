"""The audit trail (senco): who did what and when, filtered and exported as CSV; and retention on demand."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, g, render_template, request
from flask.typing import ResponseReturnValue

from senforms.errors import SenformsError
from senforms.web import audit
from senforms.web.app import allow, db, root
from senforms.web.retention import purge
from senforms.web.school_settings import audit_retention_days, retention_days

blueprint = Blueprint("audit_pages", __name__)
SHOWN = 500  # rows on the page; the CSV has every row the filter matches


def _date(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SenformsError(f"'{value}' is not a date", fix="choose a date, or leave it empty") from None


def _filter() -> audit.AuditFilter:
    chosen = audit.AuditFilter(request.args.get("user", "").strip(), request.args.get("action", "").strip(), _date("from"), _date("to"))
    if chosen.date_from and chosen.date_to and chosen.date_to < chosen.date_from:
        raise SenformsError("the dates end before they start", fix="put the earlier date first")
    return chosen


@blueprint.get("/audit")
@allow("senco")
def index() -> ResponseReturnValue:
    try:
        chosen, problem = _filter(), ""
    except SenformsError as error:
        chosen, problem = audit.AuditFilter(), f"{error.message} ({error.fix})"
    users, actions = audit.choices(db())
    rows = audit.entries(db(), chosen, limit=SHOWN + 1)
    page = render_template("audit.html", rows=rows[:SHOWN], more=len(rows) > SHOWN, shown=SHOWN, users=users, actions=actions, chosen=chosen, problem=problem)
    return page, 400 if problem else 200


@blueprint.get("/audit.csv")
@allow("senco")
def export() -> ResponseReturnValue:
    chosen = _filter()
    audit.record("audit exported", "audit trail", "ok")
    response = Response(audit.as_csv(audit.entries(db(), chosen)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="senforms-audit-{dt.date.today().isoformat()}.csv"'
    return response


def _days() -> tuple[int, int]:
    """The retention periods: of files, and of the audit trail."""
    settings = current_app.config["SENFORMS_SETTINGS"]
    existing = settings if settings and settings.exists() else None
    return retention_days(existing), audit_retention_days(existing)


@blueprint.get("/retention")
@allow("senco")
def retention() -> ResponseReturnValue:
    """The confirmation page: what deleting now would delete."""
    days, audit_days = _days()
    preview = purge(db(), root(), days, audit_days=audit_days, dry_run=True)
    return render_template("retention.html", days=days, audit_days=audit_days, preview=preview, done=None)


@blueprint.post("/retention")
@allow("senco")
def retention_now() -> ResponseReturnValue:
    days, audit_days = _days()
    done = purge(db(), root(), days, audit_days=audit_days, user=g.user.email)
    if done.nothing:  # purge records only what it deleted; asking is worth a row too
        audit.record("retention", f"nothing older than {days} days")
    return render_template("retention.html", days=days, audit_days=audit_days, preview=None, done=done)
