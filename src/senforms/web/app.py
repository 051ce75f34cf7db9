"""The Flask app: the rules every page obeys, whatever the page.

- Every endpoint declares the role it needs (`allow`); one without a declaration is refused, so a
  new page can never be public by accident. Only sign-in, /health and static files are open.
- Sessions are signed cookies (HttpOnly, SameSite=Lax, Secure when not on loopback or when behind an
  HTTPS reverse proxy) that end after an idle time and when the password is reset; every POST needs
  its CSRF token (Flask-WTF, which keeps it in the session: there is no other cookie).
- `[web] behind_https_proxy = true`: the X-Forwarded-* headers of exactly one proxy are believed
  (werkzeug's ProxyFix), so the app sees the browser's https:// address and builds URLs with it.
- Every response carries a strict Content-Security-Policy (no inline script), DENY framing and no
  caching of pages or files with pupil data.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from senforms import __version__
from senforms.errors import SenformsError
from senforms.ukformat import long_date
from senforms.web import datadir, store
from senforms.web.accounts import User, find_user
from senforms.web.jobs import JobQueue
from senforms.web.logsafe import trace_without_values
from senforms.web.retention import RetentionClock
from senforms.web.school_settings import DEFAULT_FILE as DEFAULT_SETTINGS_FILE

PUBLIC_ENDPOINTS = frozenset({"auth.sign_in", "health", "static"})
MAX_UPLOAD = 50 * 1024 * 1024  # a school's register with its logo is a few MB; evidence PDFs rarely exceed 20 MB
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

View = TypeVar("View", bound=Callable[..., Any])
log = logging.getLogger("senforms.web")


class _App(Flask):
    def log_exception(self, exc_info) -> None:
        # Flask would log the exception's message, which may quote pupil data.
        self.logger.error("Exception on %s [%s]:\n%s", request.path, request.method, trace_without_values(exc_info[0], exc_info[2]))


def allow(role: str) -> Callable[[View], View]:
    """Mark a view with the least role that may use it: 'office' (office and senco) or 'senco'."""
    if role not in ("office", "senco"):
        raise ValueError(role)

    def mark(view: View) -> View:
        view._senforms_role = role  # type: ignore[attr-defined]
        return view

    return mark


def create_app(
    data_dir: Path | str | None = None,
    *,
    settings_path: Path | None = None,
    secure_cookies: bool = False,
    idle_minutes: int = 30,
    immediate_jobs: bool = False,
) -> Flask:
    """The app over the data folder `data_dir` (else the settings file's `[web] data`). `immediate_jobs`
    runs jobs inside the request (tests)."""
    from senforms.web.deployment import deployment
    from senforms.web.work import BODIES, REPEATABLE

    place = deployment(Path(data_dir) if data_dir else None, settings_path)
    root = datadir.prepare(place.data_dir, network_share=place.network_share)
    database = root / datadir.DATABASE
    store.initialise(database)
    if settings_path is None and (root / DEFAULT_SETTINGS_FILE).is_file():
        settings_path = root / DEFAULT_SETTINGS_FILE  # written by the Settings page when serve had no --config
    app = _App(__name__)
    app.config.update(
        SECRET_KEY=datadir.secret_key(root),
        SESSION_COOKIE_NAME="senforms_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies or place.behind_https_proxy,
        PREFERRED_URL_SCHEME="https" if place.behind_https_proxy else "http",
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session, which idles out
        # Flask-WTF would also demand a same-site Referer on HTTPS (behind the proxy), but every page
        # says Referrer-Policy: no-referrer (addresses name pupils), so browsers send none: the
        # session's token and the SameSite=Lax cookie are the defence, on HTTP and HTTPS alike.
        WTF_CSRF_SSL_STRICT=False,
        SENFORMS_ROOT=root,
        SENFORMS_SETTINGS=settings_path,
        SENFORMS_IDLE_SECONDS=idle_minutes * 60,
        SENFORMS_BEHIND_HTTPS_PROXY=place.behind_https_proxy,
    )
    if place.behind_https_proxy:
        # One hop: the proxy's own X-Forwarded-For/-Proto/-Host entries, never any a browser added before it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    queue = JobQueue(root, BODIES, settings_path=settings_path, immediate=immediate_jobs, place=place, repeatable=REPEATABLE)
    app.extensions["senforms_queue"] = queue
    app.extensions["senforms_retention"] = RetentionClock(root, settings_path)
    app.extensions["senforms_retention"].check()  # at start-up; then at most hourly, from requests

    _install_request_rules(app, database)  # first: a signed-out request meets sign-in, not a CSRF error
    CSRFProtect(app)
    _install_error_pages(app)
    _register_views(app)
    app.jinja_env.filters["uk_date"] = long_date
    app.jinja_env.globals["version"] = __version__
    return app


def db() -> sqlite3.Connection:
    """This request's database connection."""
    if "db" not in g:
        from flask import current_app

        g.db = store.connect(current_app.config["SENFORMS_ROOT"] / datadir.DATABASE)
    return g.db


def root() -> Path:
    from flask import current_app

    return current_app.config["SENFORMS_ROOT"]


def settings_file() -> Path | None:
    """The school settings file this app reads (serve --config, or the one the Settings page wrote)."""
    from flask import current_app

    return current_app.config["SENFORMS_SETTINGS"]


def queue() -> JobQueue:
    from flask import current_app

    return current_app.extensions["senforms_queue"]


def signed_in_user() -> User | None:
    """The user of a live session, or None (no session, idle too long, or password reset since)."""
    user_id, version, seen = session.get("uid"), session.get("ver"), session.get("seen", 0)
    if user_id is None:
        return None
    from flask import current_app

    if time.time() - seen > current_app.config["SENFORMS_IDLE_SECONDS"]:
        session.clear()
        return None
    user = find_user(db(), int(user_id))
    if user is None or user.session_version != version:
        session.clear()
        return None
    return user


def _install_request_rules(app: Flask, database: Path) -> None:
    @app.before_request
    def gate() -> ResponseReturnValue | None:
        endpoint = request.endpoint
        if endpoint in PUBLIC_ENDPOINTS:
            return None
        user = signed_in_user()
        if user is None:
            if request.headers.get("HX-Request"):  # htmx polling: tell the page to go to sign-in
                response = Response("Signed out", status=401)
                response.headers["HX-Redirect"] = url_for("auth.sign_in")
                return response
            next_path = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.sign_in", next=next_path.rstrip("?") if next_path else None))
        g.user = user
        session["seen"] = int(time.time())
        app.extensions["senforms_retention"].maybe_check_soon()
        if endpoint is None:
            return None  # no such page: Flask answers 404
        role = getattr(app.view_functions.get(endpoint), "_senforms_role", None)
        if role is None or (role == "senco" and not user.is_senco):
            return _page(403, "You cannot use this page", "Your account does not have access to it. Ask your SENCo if you need it.")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_appcontext
    def close(_error: BaseException | None) -> None:
        connection = g.pop("db", None)
        if connection is not None:
            connection.close()


def _page(status: int, title: str, message: str, fix: str = "") -> Response:
    body = render_template("message.html", title=title, message=message, fix=fix)
    return Response(body, status=status, mimetype="text/html")


def _install_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf(_error: CSRFError) -> Response:
        return _page(400, "This form could not be accepted", "The page it came from was too old, or it did not come from senforms.", "Go back, reload the page and try again.")

    @app.errorhandler(403)
    def forbidden(_error: Exception) -> Response:
        return _page(403, "You cannot use this page", "Your account does not have access to it.", "Ask your SENCo if you need it.")

    @app.errorhandler(404)
    def not_found(_error: Exception) -> Response:
        return _page(404, "Page not found", "There is nothing at this address.", "Use the menu to find what you need.")

    @app.errorhandler(405)
    def not_allowed(_error: Exception) -> Response:
        return _page(405, "That did not work", "This address cannot be used that way.", "Use the menu to find what you need.")

    @app.errorhandler(413)
    def too_big(_error: Exception) -> Response:
        return _page(413, "The file is too big", f"senforms accepts files up to {MAX_UPLOAD // (1024 * 1024)} MB.", "Check you chose the right file.")

    @app.errorhandler(SenformsError)
    def explained(error: SenformsError) -> Response:
        return _page(400, "That could not be done", error.message, error.fix_for("the option on the form"))

    @app.errorhandler(500)
    def broken(_error: Exception) -> Response:
        # Flask has logged the traceback; the page says nothing of it (it may quote pupil data).
        return _page(500, "Something went wrong", "senforms could not finish this page.", "Try again; if it happens again, tell your IT support (the server log says where).")


def _register_views(app: Flask) -> None:
    from senforms.web.views import audit_pages, auth, dashboard, documents, ehc, files, home, invitations, jobs, meetings, register, settings_pages, templates_pages

    for module in (auth, home, register, documents, invitations, meetings, jobs, files, dashboard, ehc, templates_pages, settings_pages, audit_pages):
        app.register_blueprint(module.blueprint)

    @app.get("/health")
    def health() -> Response:
        return Response("ok", mimetype="text/plain")
