"""No letter asks for a reply by a date on or before its own date, and a reviewed plan speaks of its review in the past (#11 item 1)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document

import senforms
from senforms.documents.catalogue import plan_jobs
from senforms.documents.render import RenderRequest, render_documents
from senforms.model.calendar import reply_by

from ..conftest import SAMPLES

REGISTER = senforms.load_register(SAMPLES / "register.xlsx").register
MONTHS = "January February March April May June July August September October November December".split()
UK_DATE = re.compile(rf"\b(\d{{1,2}}) ({'|'.join(MONTHS)}) (\d{{4}})\b")


def uk(text: str) -> dt.date:
    day, month, year = UK_DATE.fullmatch(text).groups()  # type: ignore[union-attr]
    return dt.date(int(year), MONTHS.index(month) + 1, int(day))


@pytest.mark.parametrize(
    ("meeting", "letter", "expected"),
    [
        (dt.date(2027, 1, 20), dt.date(2026, 12, 1), dt.date(2027, 1, 13)),  # plenty of time: a week before
        (dt.date(2026, 12, 8), dt.date(2026, 12, 1), dt.date(2026, 12, 3)),  # a week before is the letter's own day: two school days after it
        (dt.date(2026, 12, 7), dt.date(2026, 12, 4), None),  # Friday letter, Monday meeting: two school days reach the meeting
        (dt.date(2026, 12, 10), dt.date(2026, 12, 4), dt.date(2026, 12, 8)),  # over a weekend: Tuesday
        (dt.date(2026, 12, 2), dt.date(2026, 12, 1), None),
    ],
)
def test_the_reply_by_rule(meeting: dt.date, letter: dt.date, expected: dt.date | None) -> None:
    answer = reply_by(meeting, letter)
    assert answer == expected
    if answer is not None:
        assert letter < answer < meeting


def test_no_invitation_asks_for_a_reply_before_its_date_or_invites_to_a_meeting_already_past() -> None:
    jobs = [job for n in range(30) for job in plan_jobs(REGISTER, "invitation", on=dt.date(2026, 11, 20) + dt.timedelta(days=n))]
    assert len(jobs) > 30  # the sample meetings run into December: many letters are tried
    for job in jobs:
        letter = job.on
        meeting = job.context["meeting"]
        assert meeting["date"] > letter
        assert meeting["reply_by"] is None or letter < meeting["reply_by"] < meeting["date"]


def test_every_rendered_invitation_and_its_email_asks_for_dates_after_the_letter(tmp_path) -> None:
    letter = dt.date(2026, 12, 1)
    jobs = list(plan_jobs(REGISTER, "invitation", on=letter))
    report = render_documents(jobs, RenderRequest("invitation", tmp_path))
    asked = 0
    for path in report.paths:
        text = "\n".join(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
        assert uk(UK_DATE.search(text.split("Dear")[0]).group(0)) == letter  # the letter's own date, at its top
        for phrase in re.findall(rf"(?:let us know|return this slip) by ({UK_DATE.pattern})", text):
            asked += 1
            assert uk(phrase[0]) > letter, path.name
        assert "as soon as you can" in text or re.search(r"let us know by", text)
    assert asked > 0

    batch = senforms.prepare_invitations(REGISTER, tmp_path / "invite", on=letter)
    for draft in batch.drafts:
        for phrase in re.findall(rf"Please let me know by ({UK_DATE.pattern})", draft.text_body):
            assert uk(phrase[0]) > letter


def test_a_reviewed_plan_and_an_overdue_one_say_so_in_the_past(tmp_path) -> None:
    letter = dt.date(2026, 12, 1)
    jobs = {job.pupil.upn: job for job in plan_jobs(REGISTER, "support-plan", on=letter)}
    reviewed = next(j for j in jobs.values() if j.context["cycle"]["review"])
    planned = next(j for j in jobs.values() if not j.context["cycle"]["review"] and j.context["cycle"]["review_date"] > letter)
    overdue = next(j for j in plan_jobs(REGISTER, "support-plan", on=dt.date(2026, 12, 20)) if not j.context["cycle"]["review"])
    texts = {}
    for name, job in (("reviewed", reviewed), ("planned", planned), ("overdue", overdue)):
        report = render_documents([job], RenderRequest("support-plan", tmp_path / name))
        texts[name] = "\n".join(p.text for p in Document(str(report.paths[0])).paragraphs)
    assert "We reviewed this plan together on" in texts["reviewed"] and "We will review this plan" not in texts["reviewed"]
    assert "We will review this plan together on" in texts["planned"]
    assert "was due to be reviewed on" in texts["overdue"] and "We will review this plan together on" not in texts["overdue"]
