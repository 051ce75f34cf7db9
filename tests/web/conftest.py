"""The web app under Flask's test client: a fresh data folder, a senco and an office account.

Jobs run inside the request (`immediate_jobs`) so a page test sees a finished job at once; the
real queue and server are exercised in test_jobs.py and test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from senforms.web import create_app, datadir, store
from senforms.web.accounts import add_user

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "register.xlsx"
SENCO, OFFICE, PASSWORD = "senco@school.example", "office@school.example", "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def app(data_dir: Path):
    app = create_app(data_dir, immediate_jobs=True)
    app.config["TESTING"] = True
    database = store.connect(data_dir / datadir.DATABASE)
    add_user(database, SENCO, "senco", PASSWORD)
    add_user(database, OFFICE, "office", PASSWORD)
    database.close()
    return app


def token_of(page: str) -> str:
    found = TOKEN.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Browser:
    """A test client that signs in and keeps the current CSRF token, like a person's browser."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    def sign_in(self, email: str = SENCO, password: str = PASSWORD):
        self.token = token_of(self.client.get("/sign-in").text)
        response = self.client.post("/sign-in", data={"email": email, "password": password, "csrf_token": self.token})
        if response.status_code == 302:
            self.token = token_of(self.client.get("/").text)
        return response

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kwargs)

    def upload(self, path: Path = SAMPLE, name: str | None = None, password: str = ""):
        with open(path, "rb") as handle:
            return self.post("/register", {"register": (handle, name or path.name), "password": password}, content_type="multipart/form-data")


@pytest.fixture
def senco(app) -> Browser:
    browser = Browser(app.test_client())
    assert browser.sign_in().status_code == 302
    return browser


@pytest.fixture
def office(app) -> Browser:
    browser = Browser(app.test_client())
    assert browser.sign_in(OFFICE).status_code == 302
    return browser


@pytest.fixture
def with_register(app, senco: Browser) -> Browser:
    """A senco signed in, with the sample register uploaded."""
    assert senco.upload().status_code == 200
    return senco


def sample_json_with(tmp_path: Path, edit, name: str = "edited.json") -> Path:
    """samples/register.json changed by `edit(data)`, written to `tmp_path / name`."""
    import json

    data = json.loads((ROOT / "samples" / "register.json").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def named_like_a_script(index: int):
    """An edit for `sample_json_with`: pupil `index` is called <script>alert(1)</script>."""
    def edit(data) -> None:
        data["pupils"][index]["legal_forename"] = "<script>alert(1)</script>"
        data["pupils"][index].pop("preferred_forename", None)
    return edit


SMTP_VARIABLES = ("SENFORMS_SMTP_HOST", "SENFORMS_SMTP_PORT", "SENFORMS_SMTP_SECURITY", "SENFORMS_FROM", "SENFORMS_SMTP_USER", "SENFORMS_SMTP_PASSWORD")


def settings_with_loopback_smtp(app, settings: Path, monkeypatch, port: int, sender: str, more: str = "") -> Path:
    """The app's settings file: SMTP to the loopback server on `port`, plus `more` (TOML), no SMTP from the environment."""
    settings.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom = "{sender}"\n{more}', encoding="utf-8")
    for variable in SMTP_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    app.extensions["senforms_queue"].settings_path = settings
    app.config["SENFORMS_SETTINGS"] = settings
    return settings
