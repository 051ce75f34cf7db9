"""The page a user lands on."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from senforms.web.app import allow, db, root
from senforms.web.registers import current

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
@allow("office")
def index() -> ResponseReturnValue:
    return render_template("home.html", stored=current(db(), root()))
