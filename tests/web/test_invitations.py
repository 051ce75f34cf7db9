"""Invitations from the browser: check every email, confirm exactly who gets what, send to a real SMTP server."""

from __future__ import annotations

import html
import re

import pytest

from ..smtp_server import LoopbackController, Recorder
from .conftest import Browser, settings_with_loopback_smtp

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def smtp(app, tmp_path, monkeypatch):
    recorder = Recorder()
    controller = LoopbackController(recorder)
    controller.start()
    settings_with_loopback_smtp(app, tmp_path / "settings.toml", monkeypatch, controller.port, "Office <office@school.example>")
    yield recorder
    controller.stop()


def prepare(browser: Browser, **dates: str):
    data = {"on": "2026-12-01", **dates}
    response = browser.post("/invitations", data)
    assert response.status_code == 303
    return browser.get(response.headers["Location"], follow_redirects=True)


def confirmation_rows(page: str) -> list[list[str]]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_check_confirm_and_send_then_never_twice(with_register: Browser, smtp: Recorder) -> None:
    review = prepare(with_register)
    assert "Nothing has been sent" in review.text
    counts = re.search(r"(\d+) invitations?: (\d+) by email, (\d+) by post", review.text)
    assert counts
    emails = int(counts.group(2))
    assert emails > 0 and smtp.envelopes == []

    # every email can be read before anything is sent
    job_path = review.request.path
    first_email = re.search(rf'href="({re.escape(job_path)}/email/\d+)"', review.text).group(1)
    preview = with_register.get(first_email)
    assert preview.status_code == 200 and "<dt>To</dt>" in preview.text and "invitation.ics" in preview.text
    assert with_register.get(re.search(r'href="(/files/[^"]+)">Download the letters to post', review.text).group(1)).data[:5] == b"%PDF-"

    confirm = with_register.get(f"{job_path}/send")
    rows = confirmation_rows(confirm.text)
    assert len(rows) == emails and f"Send {emails} emails now" in confirm.text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', confirm.text).group(1)
    sent = with_register.post(f"{job_path}/send", {"digest": digest}, follow_redirects=True)
    assert f"{emails} of {emails} emails sent" in sent.text
    assert sorted(smtp.recipients) == sorted(row[1] for row in rows)  # exactly the confirmed addresses
    results = re.findall(r"<td>Sent</td>", sent.text)
    assert len(results) == emails

    # the school's one send log (the CLI's too) records each as sent, so `invite --send` would not send them again
    import json

    from senforms.deliver import school_ledger

    root = with_register.client.application.config["SENFORMS_ROOT"]
    kept = json.loads((root / "outputs" / job_path.rsplit("/", 1)[1] / "invitations.json").read_text(encoding="utf-8"))
    keys = [row["key"] for row in kept["rows"] if row["channel"] == "email"]
    ledger = school_ledger(with_register.client.application.config["SENFORMS_SETTINGS"])
    assert len(keys) == emails and not any(ledger.would_send(key) for key in keys)

    # the same list again: the send log knows every message went
    again = with_register.get(f"{job_path}/send")
    assert "Nothing to send" in again.text
    before = len(smtp.envelopes)
    replay = with_register.post(f"{job_path}/send", {"digest": digest}, follow_redirects=True)
    assert "not the ones you confirmed" in replay.text
    assert len(smtp.envelopes) == before


def test_nothing_is_sent_when_the_list_changed_since_the_confirmation(with_register: Browser, smtp: Recorder) -> None:
    review = prepare(with_register, **{"from": "2026-12-02", "to": "2026-12-04"})  # a few meetings are enough
    assert "by email" in review.text
    job_path = review.request.path
    response = with_register.post(f"{job_path}/send", {"digest": "0" * 64}, follow_redirects=True)
    assert "not the ones you confirmed" in response.text and "nothing was sent" in response.text
    assert smtp.envelopes == []


def test_office_staff_can_send_invitations(with_register: Browser, office: Browser, smtp: Recorder) -> None:
    review = prepare(office, **{"from": "2027-01-01", "to": "2027-03-31"})
    assert review.status_code == 200
    job_path = review.request.path
    confirm = office.get(f"{job_path}/send")
    rows = confirmation_rows(confirm.text) if "<tbody>" in confirm.text else []
    for row in rows:
        assert "2027" in row[2]


def test_a_date_range_that_ends_before_it_starts_is_explained(with_register: Browser) -> None:
    response = with_register.post("/invitations", {"on": "2026-12-01", "from": "2027-02-01", "to": "2027-01-01"})
    assert response.status_code == 400 and "end before they start" in response.text
