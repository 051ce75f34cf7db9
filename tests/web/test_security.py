"""Every rule of the app's security, tried on every route: signed out, as office, without a CSRF token."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest

from senforms.web import datadir, store
from senforms.web.app import PUBLIC_ENDPOINTS

from .conftest import OFFICE, PASSWORD, SENCO, Browser, token_of

PLACEHOLDERS = {"job_id": "nosuchjob", "file_id": "nosuchfile", "number": "0", "filename": "senforms.css", "upn": "Z881999919001", "upload_id": "nosuchupload0000000"}


def routes(app):
    """(endpoint, url, method, role) for every route the app has, placeholders filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:\w+:)?{name}>", PLACEHOLDERS[name], url)
        role = getattr(app.view_functions[rule.endpoint], "_senforms_role", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, url, method, role))
    return found


def test_every_route_but_the_public_ones_declares_a_role(app) -> None:
    undeclared = [(e, u) for e, u, _, role in routes(app) if role is None and e not in PUBLIC_ENDPOINTS]
    assert undeclared == []
    # and the table below really covers the app: pages of every group are in it
    endpoints = {e for e, *_ in routes(app)}
    assert {"register.upload", "documents.make", "invitations.send", "meetings.workbook", "files.download", "jobs.again"} <= endpoints


def test_signed_out_every_route_answers_only_with_sign_in(app) -> None:
    client = app.test_client()
    for endpoint, url, method, _ in routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/sign-in"), (method, url)
        else:
            assert response.status_code in (401, 403), (method, url, response.status_code)
        assert "senco@" not in response.text and "Pupils" not in response.text


def test_signed_out_unknown_addresses_and_htmx_polls_get_sign_in_too(app) -> None:
    client = app.test_client()
    assert client.get("/no/such/page").headers["Location"].startswith("/sign-in")
    poll = client.get("/jobs/abc/progress", headers={"HX-Request": "true"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/sign-in"


def test_the_public_routes_answer_without_signing_in(app) -> None:
    client = app.test_client()
    health = client.get("/health")
    assert (health.status_code, health.text) == (200, "ok")
    assert client.get("/sign-in").status_code == 200
    assert "htmx" in client.get("/static/htmx.min.js").text[:200].lower()


def test_office_is_refused_every_senco_route(app, office: Browser) -> None:
    senco_only = [(u, m) for e, u, m, role in routes(app) if role == "senco"]
    assert ("/register", "POST") in senco_only
    for url, method in senco_only:
        response = office.client.open(url, method=method, data={"csrf_token": office.token})
        assert response.status_code == 403, (method, url)
        assert "does not have access" in response.text


def test_office_can_use_every_office_route(app, office: Browser) -> None:
    for _endpoint, url, method, role in routes(app):
        if role == "office" and method == "GET":
            assert office.get(url).status_code != 403, url


def test_no_post_succeeds_without_its_token(app, senco: Browser) -> None:
    posts = [(e, u) for e, u, m, _ in routes(app) if m == "POST"]
    assert len(posts) >= 8
    for endpoint, url in posts:
        response = senco.client.post(url, data={})
        assert response.status_code == 400, (endpoint, response.status_code)
        assert "could not be accepted" in response.text
        wrong = senco.client.post(url, data={"csrf_token": "forged"})
        assert wrong.status_code == 400, endpoint


def test_sign_in_itself_needs_a_token(app) -> None:
    response = app.test_client().post("/sign-in", data={"email": SENCO, "password": PASSWORD})
    assert response.status_code == 400


def test_pages_carry_the_security_headers(with_register: Browser) -> None:
    for url in ("/", "/register", "/documents", "/sign-in", "/health"):
        headers = with_register.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_and_nothing_from_elsewhere(with_register: Browser) -> None:
    for url in ("/", "/register", "/documents", "/invitations", "/meetings"):
        page = with_register.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son\w+=", page), url  # no onclick= and friends
        assert not re.search(r'(src|href)="(https?:)?//', page), url


def test_session_cookie_is_httponly_samesite_and_secure_when_asked(data_dir) -> None:
    from senforms.web import create_app
    from senforms.web.accounts import add_user

    app = create_app(data_dir, secure_cookies=True)
    database = store.connect(data_dir / datadir.DATABASE)
    add_user(database, SENCO, "senco", PASSWORD)
    database.close()
    browser = Browser(app.test_client())
    response = browser.sign_in()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_idle_sessions_end(app, senco: Browser) -> None:
    assert senco.get("/").status_code == 200
    with senco.client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = senco.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_sign_out_ends_the_session(senco: Browser) -> None:
    assert senco.post("/sign-out").headers["Location"] == "/sign-in"
    assert senco.get("/").status_code == 302


def test_a_password_reset_signs_out_open_sessions(app, data_dir, senco: Browser) -> None:
    from senforms.web.accounts import reset_password

    database = store.connect(data_dir / datadir.DATABASE)
    reset_password(database, SENCO, "another long passphrase")
    database.close()
    assert senco.get("/").status_code == 302


def test_wrong_passwords_slow_down_then_lock_the_account(app, data_dir, monkeypatch) -> None:
    import senforms.web.accounts as accounts

    clock = [1_000_000.0]  # time stands still, however slow the machine: every wait is still running
    monkeypatch.setattr(accounts, "now", lambda: clock[0])
    browser = Browser(app.test_client())
    answers = [browser.sign_in(OFFICE, "wrong password!") for _ in range(4)]
    assert [a.status_code for a in answers] == [401] * 4
    assert "not right" in answers[0].text and "Wait" not in answers[0].text
    assert "Wait 1 second" in answers[2].text  # the third failure starts the slow-down
    # even the right password is refused while the wait lasts
    assert "Wait" in browser.sign_in(OFFICE, PASSWORD).text
    database = store.connect(data_dir / datadir.DATABASE)
    database.execute("UPDATE users SET failed_sign_ins = 9, not_before = 0 WHERE email = ?", (OFFICE,))
    database.close()
    locked = browser.sign_in(OFFICE, "wrong password!")
    assert "locked" in locked.text and "15 minutes" in locked.text
    assert "locked" in browser.sign_in(OFFICE, PASSWORD).text
    clock[0] += 15 * 60 + 1  # the lock lifts by itself
    assert browser.sign_in(OFFICE, PASSWORD).status_code == 302


def test_an_unknown_email_is_answered_like_a_wrong_password(app) -> None:
    browser = Browser(app.test_client())
    unknown = browser.sign_in("nobody@school.example", PASSWORD)
    wrong = browser.sign_in(SENCO, "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert re.findall(r'role="alert"[^>]*>([^<]*)<', unknown.text) == re.findall(r'role="alert"[^>]*>([^<]*)<', wrong.text)


def test_sign_in_never_redirects_off_the_site(app) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        browser = Browser(app.test_client())
        browser.token = ""
        client = browser.client
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
        response = client.post(f"/sign-in?next={target}", data={"email": SENCO, "password": PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == "/dashboard", target  # a senco lands on the dashboard, never off the site


def test_passwords_are_stored_as_argon2_hashes(app, data_dir) -> None:
    database = store.connect(data_dir / datadir.DATABASE)
    hashes = [row[0] for row in database.execute("SELECT password_hash FROM users")]
    database.close()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_downloads_are_by_id_only(with_register: Browser, data_dir) -> None:
    assert with_register.get("/files/nosuchfile").status_code == 404
    for attempt in ("../senforms.db", "..%2Fsenforms.db", "%2e%2e%2fsession.key"):
        response = with_register.get(f"/files/{attempt}")
        assert response.status_code == 404, attempt
        assert (data_dir / "session.key").read_bytes() not in response.data


def test_pupil_data_is_escaped_everywhere(with_register: Browser, tmp_path) -> None:
    from .conftest import ROOT

    register = json.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    register["pupils"][0]["legal_forename"] = "<script>alert(1)</script>"
    register["pupils"][0].pop("preferred_forename", None)
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(register), encoding="utf-8")
    assert with_register.upload(path).status_code == 200
    page = with_register.get("/documents").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    meetings = with_register.get("/meetings").text
    assert "<script>alert(" not in meetings and "&lt;script&gt;alert(1)" in meetings


def test_an_upload_named_like_markup_is_shown_as_typed(with_register: Browser, tmp_path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("not,a,register\n1,2,3\n", encoding="utf-8")
    response = with_register.upload(bad, name='<img src=x onerror=alert(1)>.csv')
    assert "<img src=x" not in response.text and "&lt;img src=x onerror=alert(1)&gt;.csv" in response.text


def test_uploads_over_the_limit_are_refused(app, senco: Browser) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    import io

    response = senco.post("/register", {"register": (io.BytesIO(b"x" * 4096), "big.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 413 and "too big" in response.text


def test_the_log_holds_no_pupil_data(with_register: Browser, caplog: pytest.LogCaptureFixture, monkeypatch) -> None:
    """A page that fails and a job that fails log where, never what (the exception's message may quote a name)."""
    import senforms.web.views.documents as documents_view
    import senforms.web.work as work

    def explode(*args, **kwargs):
        raise KeyError("Amara Okafor-Smith lives at 1 Secret Lane")

    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(work.senforms, "render", explode)
    upns = re.findall(r'name="upn" value="([^"]+)"', with_register.get("/documents").text)
    response = with_register.post("/documents", {"kind": "parent-notification", "upn": upns, "on": "2026-12-01", "output": "zip"}, follow_redirects=True)
    assert "Something went wrong" in response.text
    with_register.client.application.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(documents_view.senforms, "render", explode)
    page = with_register.post("/documents/preview", {"kind": "parent-notification", "upn": upns, "on": "2026-12-01"})
    assert page.status_code == 500 and "Secret Lane" not in page.text
    logged = caplog.text
    assert "KeyError" in logged  # where it went wrong is logged …
    assert "Secret Lane" not in logged and "Amara" not in logged  # … what it was about is not
    for upn in upns:
        assert upn not in logged


def _app_for(tmp_path, settings_text: str | None):
    """A fresh app with a senco, and a page (for these tests only) that shows the URLs it builds."""
    from flask import request, url_for

    from senforms.web import create_app
    from senforms.web.accounts import add_user
    from senforms.web.app import allow

    data_dir = tmp_path / "data"
    settings = None
    if settings_text is not None:
        settings = tmp_path / "school.toml"
        settings.write_text(settings_text, encoding="utf-8")
    app = create_app(data_dir, settings_path=settings)
    database = store.connect(data_dir / datadir.DATABASE)
    add_user(database, SENCO, "senco", PASSWORD)
    database.close()

    @app.get("/test-urls")
    @allow("office")
    def test_urls() -> str:
        return f"{url_for('health', _external=True)} {request.remote_addr}"

    return app


BEHIND_PROXY = "[web]\nbehind_https_proxy = true\n"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "senforms.trust.example", "X-Forwarded-For": "203.0.113.9"}


@pytest.mark.parametrize("settings_text", [None, "[web]\nbehind_https_proxy = false\n"])
def test_on_loopback_without_the_proxy_setting_cookies_are_not_secure_and_forwarded_headers_are_ignored(tmp_path, settings_text) -> None:
    app = _app_for(tmp_path, settings_text)
    browser = Browser(app.test_client())
    cookie = browser.sign_in().headers["Set-Cookie"]
    assert cookie.startswith("senforms_session=") and "HttpOnly" in cookie and "Secure" not in cookie
    assert browser.get("/test-urls", headers=FORWARDED).text == "http://localhost/health 127.0.0.1"


def test_behind_an_https_proxy_cookies_are_secure_and_urls_are_https(tmp_path) -> None:
    app = _app_for(tmp_path, BEHIND_PROXY)
    client = app.test_client()
    browser = Browser(client)
    browser.token = token_of(client.get("/sign-in", headers=FORWARDED).text)
    # no Referer, as a browser obeying the pages' Referrer-Policy sends: the form is still accepted over https
    response = client.post("/sign-in", data={"email": SENCO, "password": PASSWORD, "csrf_token": browser.token}, headers=FORWARDED)
    assert response.status_code == 302, response.text
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("senforms_session=") and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert [name for name in response.headers.getlist("Set-Cookie") if "Secure" not in name] == []  # the CSRF token is in that session: no other cookie
    assert client.get("/test-urls", headers=FORWARDED).text == "https://senforms.trust.example/health 203.0.113.9"
    # one hop: a browser's own X-Forwarded-For before the proxy's entry is not believed
    spoofed = client.get("/test-urls", headers={**FORWARDED, "X-Forwarded-For": "10.0.0.1, 203.0.113.9"})
    assert spoofed.text.endswith(" 203.0.113.9")
    home = client.get("/", headers=FORWARDED).text
    assert client.post("/sign-out", data={"csrf_token": token_of(home)}, headers=FORWARDED).status_code in (302, 303)
    assert client.post("/sign-out", data={}, headers=FORWARDED).status_code in (302, 400)  # without its token: refused or signed out already


def test_a_proxy_setting_that_is_not_true_or_false_is_named(tmp_path) -> None:
    from senforms.errors import SenformsError
    from senforms.web import create_app

    settings = tmp_path / "school.toml"
    settings.write_text('[web]\nbehind_https_proxy = "yes"\n', encoding="utf-8")
    with pytest.raises(SenformsError, match=r"school.toml: \[web\] behind_https_proxy must be true or false"):
        create_app(tmp_path / "data", settings_path=settings)


def test_under_waitress_the_proxys_headers_reach_the_app_only_with_the_setting(tmp_path) -> None:
    """Waitress deletes X-Forwarded-* from a proxy it was not told to trust: behind the proxy it must
    leave them for ProxyFix, or the app would never see https."""
    import threading
    import urllib.request

    import waitress

    from senforms.web.server import waitress_options

    for settings_text, expected in ((BEHIND_PROXY, "https://senforms.trust.example/health"), (None, "http://127.0.0.1:")):
        case = tmp_path / ("proxy" if settings_text else "plain")
        case.mkdir()
        app = _app_for(case, settings_text)
        server = waitress.create_server(app, host="127.0.0.1", port=0, **waitress_options(app))
        stop = threading.Event()

        def run(server=server, stop=stop) -> None:  # waitress's loop, a turn at a time, so it can be stopped
            while not stop.is_set():
                server.asyncore.loop(timeout=0.05, map=server._map, count=1)
            server.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            client = app.test_client()  # signs in through the test client, then uses its cookie over real HTTP
            Browser(client).sign_in()
            cookie = client.get_cookie("senforms_session")
            assert cookie is not None
            request = urllib.request.Request(f"http://127.0.0.1:{server.effective_port}/test-urls", headers={**FORWARDED, "Cookie": f"senforms_session={cookie.value}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.read().decode().startswith(expected), settings_text
        finally:
            stop.set()
            thread.join(5)
