"""What is due, pupil by pupil: the SENCo's list, from the very rules the register's warnings use.

Each list names the pupils one rule of `checks` picks out (a review past its date, fewer than three
meetings with parents in 12 months, parents not yet told of SEN support), the pupils whose latest
review decided to request an EHC needs assessment, and every pupil's provision cost over the 12
months against the LA's notional threshold. A front end shows these; it decides nothing itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from senforms.model.apdr import Cycle
from senforms.model.checks import MEETINGS_A_YEAR, meetings_held, notification_due, review_overdue
from senforms.model.codes import SenStatus
from senforms.model.costing import ProvisionCosts
from senforms.model.pupil import Pupil
from senforms.model.register import Register

NOTIONAL_THRESHOLD = Decimal("6000")  # the figure most LAs use (domain §1.6) when the register's LA gives none


@dataclass(frozen=True)
class OverdueReview:
    pupil: Pupil
    cycle: Cycle

    @property
    def due(self) -> dt.date:
        assert self.cycle.review_date is not None  # review_overdue picks only cycles with a date
        return self.cycle.review_date


@dataclass(frozen=True)
class FewMeetings:
    pupil: Pupil
    held: int
    expected: int = MEETINGS_A_YEAR


@dataclass(frozen=True)
class PupilCost:
    pupil: Pupil
    costs: ProvisionCosts
    threshold: Decimal

    @property
    def total(self) -> Decimal:
        return self.costs.total

    @property
    def below_threshold(self) -> bool:
        return self.total < self.threshold


@dataclass(frozen=True)
class Agenda:
    on: dt.date
    overdue_reviews: tuple[OverdueReview, ...]
    few_meetings: tuple[FewMeetings, ...]
    not_notified: tuple[Pupil, ...]
    ehc_requests: tuple[Pupil, ...]
    costs: tuple[PupilCost, ...]
    threshold: Decimal

    @property
    def nothing_due(self) -> bool:
        return not (self.overdue_reviews or self.few_meetings or self.not_notified or self.ehc_requests)


def agenda(register: Register, on: dt.date) -> Agenda:
    """Everything due on `on`; costs are over the 12 months to `on`, against the register's LA threshold."""
    la = register.local_authority
    threshold = la.notional_threshold if la is not None else NOTIONAL_THRESHOLD
    overdue: list[OverdueReview] = []
    few: list[FewMeetings] = []
    for pupil in register.pupils:
        cycle = review_overdue(pupil, on)
        if cycle is not None:
            overdue.append(OverdueReview(pupil, cycle))
        # the same pupils the three-meetings warning names: SEN support only
        if pupil.sen_status == SenStatus.SEN_SUPPORT:
            held = len(meetings_held(pupil, on))
            if held < MEETINGS_A_YEAR:
                few.append(FewMeetings(pupil, held))
    costs = tuple(
        PupilCost(pupil, register.provision_costs(pupil, on), threshold)
        for pupil in register.pupils
        if any(cycle.provision for cycle in pupil.cycles)
    )
    return Agenda(
        on=on,
        overdue_reviews=tuple(sorted(overdue, key=lambda item: item.due)),
        few_meetings=tuple(sorted(few, key=lambda item: item.held)),
        not_notified=tuple(p for p in register.pupils if notification_due(p)),
        ehc_requests=tuple(p for p in register.pupils if p.requests_ehc_assessment),
        costs=costs,
        threshold=threshold,
    )
