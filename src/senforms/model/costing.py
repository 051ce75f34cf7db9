"""What a pupil's SEN support costs, the way an LA reads it (domain §1.6, §5.2, §7.3).

The figure compared with the notional £6,000 is the pupil's own cost over the 12 months before
the request: each provision row's annual cost (typed, or sessions × minutes × weeks × the hourly
rate of its staff), divided by the group size unless the row says the cost is the pupil's own,
and prorated by the days the row ran inside those 12 months, across every cycle. An annual cost
buys `weeks_per_year` weeks of sessions, and cycles run in term time, so a row's days count
against that many weeks (a term-long row is about 13 of 38 weeks), never more than a full year's
cost; this needs no term dates, and a row whose dates span a holiday is counted a little high. Each step is
rounded to the penny, so the arithmetic the provision map prints can be checked by hand, and the
request, the provision map and the checklist all read the one `ProvisionCosts.total`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pydantic import Field

from senforms.model._base import Record
from senforms.model.apdr import Cycle, Provision
from senforms.model.values import Money
from senforms.ukformat import long_date, money

PENNY = Decimal("0.01")
FAR_FROM_COMPUTED = Decimal("0.25")  # a typed cost more than a quarter away from the computed one is worth a look


class HourlyRates(Record):
    """What an hour of each kind of staff costs the school, on-costs included (School sheet, 'Hourly rate' rows).

    The defaults are round figures for a mainstream school; a school types its own.
    """

    teaching_assistant: Money = Field(Decimal("18.00"), description="Teaching assistants, learning mentors, ELSAs, LSAs")
    higher_level_teaching_assistant: Money = Field(Decimal("21.00"), description="HLTAs")
    teacher: Money = Field(Decimal("42.00"), description="Class and subject teachers")
    senco: Money = Field(Decimal("48.00"), description="The SENCo")
    specialist: Money = Field(Decimal("65.00"), description="Specialist teachers and therapists (speech and language, occupational, sensory support)")


# (words in the staff role, the rate's field, how the provision map names it): the first match wins.
ROLE_RATES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("hlta", "higher level"), "higher_level_teaching_assistant", "a higher level teaching assistant"),
    (("senco", "sendco", "inclusion lead"), "senco", "the SENCo"),
    (("specialist", "therapist", "therapy", "psychologist", "sensory support", "advisory", "salt"), "specialist", "a specialist"),
    (("teacher",), "teacher", "a teacher"),
    (("assistant", "ta", "lsa", "mentor", "elsa", "support worker"), "teaching_assistant", "a teaching assistant"),
)


def rate_for(staff_role: str, rates: HourlyRates) -> tuple[Decimal, str] | None:
    """The hourly rate for a staff role as typed ('Teaching assistant (trained)'), and its name; None if unknown."""
    text = staff_role.casefold()
    words = set(re.findall(r"[a-z]+", text))
    for keys, field_name, name in ROLE_RATES:
        if any((key in words) if " " not in key and len(key) <= 5 else (key in text) for key in keys):
            return getattr(rates, field_name), name
    return None


def _penny(value: Decimal) -> Decimal:
    return value.quantize(PENNY, ROUND_HALF_UP)


def _number(value: float) -> Decimal:
    return Decimal(str(value))


def computed_annual_cost(provision: Provision, rates: HourlyRates) -> Decimal | None:
    """Sessions a week × minutes ÷ 60 × weeks a year × the staff's hourly rate: the cost of the sessions
    (for a group, the whole group's); None when senforms has no rate for the staff role."""
    found = rate_for(provision.staff_role, rates)
    if found is None:
        return None
    hours = _number(provision.sessions_per_week) * provision.minutes_per_session * provision.weeks_per_year / 60
    return _penny(hours * found[0])


def row_annual_cost(provision: Provision, rates: HourlyRates) -> Decimal:
    """The row's cost over a year: the typed one, else the computed one, else 0 (no rate for its staff)."""
    if provision.annual_cost is not None:
        return provision.annual_cost
    return computed_annual_cost(provision, rates) or Decimal("0")


@dataclass(frozen=True)
class RowCost:
    """One provision row costed for one pupil inside the 12-month window."""

    cycle: Cycle
    provision: Provision
    start: dt.date  # the day the provision started
    end: dt.date  # its end date, else the cycle's end or review, else the window's end (still running)
    rate: Decimal | None  # the staff's hourly rate, when known
    rate_name: str  # 'a teaching assistant'
    computed: Decimal | None  # sessions × minutes × weeks × rate: the sessions' cost over a year
    annual: Decimal  # the typed cost, else the computed one, else 0
    share: Decimal  # the pupil's part of `annual`
    days: int  # days of the window the provision ran
    year_days: int  # the days the annual cost buys: weeks a year × 7
    cost: Decimal  # the pupil's cost inside the window

    @property
    def typed(self) -> bool:
        return self.provision.annual_cost is not None

    @property
    def shared(self) -> bool:
        """The annual cost is the group's, shared by its pupils."""
        return self.provision.group_size > 1 and not self.provision.cost_is_pupils_own

    @property
    def far_from_computed(self) -> bool:
        """The typed cost is more than a quarter away from sessions × minutes × weeks × rate."""
        if self.provision.annual_cost is None or self.computed is None or self.computed == 0:
            return False
        expected = self.computed / self.provision.group_size if self.provision.cost_is_pupils_own else self.computed
        return abs(self.provision.annual_cost - expected) > expected * FAR_FROM_COMPUTED

    @property
    def computation(self) -> str:
        """'3 × 30 minutes × 38 weeks at £18.00 an hour (a teaching assistant) = £1,026.00 a year'."""
        p = self.provision
        if self.rate is None or self.computed is None:
            return ""
        return (
            f"{p.sessions_per_week:g} × {p.minutes_per_session} minutes × {p.weeks_per_year} weeks "
            f"at {money(self.rate)} an hour ({self.rate_name}) = {money(self.computed)} a year"
        )

    @property
    def arithmetic(self) -> str:
        """How `cost` was reached, step by step, as the provision map prints it."""
        p = self.provision
        steps = [f"{money(self.annual)} a year (typed)" if self.typed else self.computation or "no cost typed and no hourly rate for this staff role: £0.00"]
        if self.shared:
            steps.append(f"÷ {p.group_size} pupils in the group = {money(self.share)}")
        elif p.group_size > 1:
            steps.append("the pupil's own cost")
        if self.cost == self.share and self.days >= self.year_days:
            steps.append(f"ran {self.days} days, a full year of {p.weeks_per_year} weeks = {money(self.cost)}")
        else:
            steps.append(f"× {self.days} days ÷ ({p.weeks_per_year} weeks × 7 days) = {money(self.cost)}")
        return "; ".join(steps)


@dataclass(frozen=True)
class ProvisionCosts:
    """A pupil's provision costed over the 12 months to `window_end`."""

    window_start: dt.date  # the first day counted
    window_end: dt.date  # the last day counted (the request date)
    rows: tuple[RowCost, ...]

    @property
    def total(self) -> Decimal:
        """The pupil's cost over the 12 months: the figure compared with the notional threshold."""
        return sum((row.cost for row in self.rows), Decimal("0"))

    @property
    def period(self) -> str:
        """'the 12 months from 24 November 2025 to 23 November 2026'."""
        return f"the 12 months from {long_date(self.window_start)} to {long_date(self.window_end)}"

    def cycle_total(self, cycle: Cycle) -> Decimal:
        return sum((row.cost for row in self.rows if row.cycle is cycle), Decimal("0"))


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _row_end(provision: Provision, cycle: Cycle, window_end: dt.date) -> dt.date:
    if provision.end_date is not None:
        return provision.end_date
    if cycle.end_date is not None:
        return cycle.end_date
    if cycle.review is not None:
        return cycle.review.date
    return window_end  # still running


def provision_costs(cycles: list[Cycle], rates: HourlyRates, as_of: dt.date) -> ProvisionCosts:
    """Every provision row of every cycle costed for the pupil over the 12 months to `as_of`."""
    window_start = _year_before(as_of) + dt.timedelta(days=1)
    rows = []
    for cycle in cycles:
        for provision in cycle.provision:
            found = rate_for(provision.staff_role, rates)
            computed = computed_annual_cost(provision, rates)
            annual = row_annual_cost(provision, rates)
            shared = provision.group_size > 1 and not provision.cost_is_pupils_own
            share = _penny(annual / provision.group_size) if shared else annual
            end = _row_end(provision, cycle, as_of)
            first, last = max(provision.start_date, window_start), min(end, as_of)
            days = max((last - first).days + 1, 0)
            year_days = provision.weeks_per_year * 7
            rows.append(
                RowCost(
                    cycle, provision, provision.start_date, end, found[0] if found else None, found[1] if found else "",
                    computed, annual, share, days, year_days, min(share, _penny(share * days / year_days)),
                )
            )
    return ProvisionCosts(window_start, as_of, tuple(rows))
