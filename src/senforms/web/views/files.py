"""Downloads: by an opaque id the database maps to a file, never a path from the request."""

from __future__ import annotations

from flask import Blueprint, abort, g, send_file
from flask.typing import ResponseReturnValue

from senforms.web import audit
from senforms.web.app import allow, db, root
from senforms.web.files import find_download

blueprint = Blueprint("files", __name__)


@blueprint.get("/files/<file_id>")
@allow("office")
def download(file_id: str) -> ResponseReturnValue:
    found = find_download(db(), root(), file_id)
    if found is None:
        audit.record("download", f"file {file_id}", "not found")
        abort(404)
    if found.senco_only and not g.user.is_senco:
        audit.record("download", f"file {file_id}", "refused: senco only")
        abort(403)
    # By id and job, not by its name: a document's name may carry a pupil's name or UPN.
    audit.record("download", f"file {file_id}" + (f" of job {found.job_id}" if found.job_id else ""))
    response = send_file(found.path, mimetype=found.media_type, as_attachment=True, download_name=found.name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
