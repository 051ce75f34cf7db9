"""What is due (model/agenda.py): the same pupils the register's warnings name, rule by rule."""

from __future__ import annotations

import datetime as dt
import re

import senforms
from senforms.model.agenda import agenda

from .conftest import SAMPLES

LOADED = senforms.load_register(SAMPLES / "register.xlsx")


def _warned(words: str) -> list[str]:
    return sorted(re.search(r"pupil ([A-Z0-9]{13})", w.message).group(1) for w in LOADED.warnings if words in w.message)


def test_the_agenda_names_exactly_the_pupils_the_warnings_name() -> None:
    due = agenda(LOADED.register, dt.date.today())
    assert sorted(item.pupil.upn for item in due.few_meetings) == _warned("meeting") != []
    assert sorted(p.upn for p in due.not_notified) == _warned("formally told") != []
    assert sorted(item.pupil.upn for item in due.overdue_reviews) == _warned("due for review")
    assert [p.upn for p in due.ehc_requests] == [p.upn for p in LOADED.register.pupils if p.requests_ehc_assessment]


def test_reviews_past_their_date_are_the_warnings_cycles_and_costs_are_the_packs_figure() -> None:
    later = dt.date(2027, 1, 15)  # after the open cycles' review dates in December
    due = agenda(LOADED.register, later)
    open_cycles = [p for p in LOADED.register.pupils if p.sen_status.value == "K" and p.current_cycle and not p.current_cycle.completed]
    assert sorted(item.pupil.upn for item in due.overdue_reviews) == sorted(p.upn for p in open_cycles) != []
    assert all(item.due < later and item.cycle is item.pupil.current_cycle for item in due.overdue_reviews)
    for cost in due.costs:
        assert cost.total == LOADED.register.provision_costs(cost.pupil, later).total
        assert cost.below_threshold == (cost.total < due.threshold)
