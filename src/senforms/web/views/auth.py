"""Signing in and out."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from senforms.web import audit
from senforms.web.accounts import SignInRefused
from senforms.web.accounts import sign_in as check_sign_in
from senforms.web.app import allow, db

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None, landing: str = "home.index") -> str:
    """Only a path on this site: never an open redirect to another."""
    if not target:
        return url_for(landing)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for(landing)
    return target


def _wait_words(seconds: int) -> str:
    if seconds >= 120:
        return f"{(seconds + 59) // 60} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _record_refusal(email: str, refused: SignInRefused) -> None:
    """A refused sign-in, by the account it tried; an address with no account is not kept (it may be a
    mistyped password)."""
    row = db().execute("SELECT email FROM users WHERE email = ? COLLATE NOCASE", (email,)).fetchone()
    outcome = "locked" if refused.locked else ("refused, waiting" if refused.wait else "refused")
    audit.record("sign-in", outcome=outcome, user=row["email"] if row else "(no such account)")


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    next_path = request.args.get("next")
    if request.method == "GET":
        return render_template("sign_in.html", next=next_path, email="", problem="")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    try:
        user = check_sign_in(db(), email, password)
    except SignInRefused as refused:
        _record_refusal(email, refused)
        if refused.locked:
            problem = f"This account is locked after too many wrong passwords. Try again in {_wait_words(refused.wait)}, or ask your SENCo to reset the password."
        elif refused.wait:
            problem = f"The email address or password is not right. Wait {_wait_words(refused.wait)} before trying again."
        else:
            problem = "The email address or password is not right."
        page = render_template("sign_in.html", next=next_path, email=email, problem=problem)
        return Response(page, status=401)
    audit.record("sign-in", user=user.email)
    session.clear()  # a fresh session: nothing from before sign-in carries over
    session["uid"] = user.id
    session["ver"] = user.session_version
    session["seen"] = int(time.time())
    # A SENCo lands on what is due; the office on the home page.
    return redirect(_safe_next(next_path, "dashboard.show" if user.is_senco else "home.index"))


@blueprint.post("/sign-out")
@allow("office")
def sign_out() -> ResponseReturnValue:
    audit.record("sign-out")
    session.clear()
    g.pop("user", None)
    return redirect(url_for("auth.sign_in"))
