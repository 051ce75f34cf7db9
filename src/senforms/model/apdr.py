"""One Assess–Plan–Do–Review cycle: the plan's outcomes and provision, and the review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import Field, model_validator

from senforms.model._base import Record
from senforms.model.codes import BroadArea, OutcomeRating, ReviewDecision
from senforms.model.values import OptionalMoney, OptionalText, OptionalUkDate, Text, TextList, UkDate, YesNo

TEACHING_WEEKS = 38  # an English school year; provision is costed over it unless rows say otherwise


class Outcome(Record):
    """A SMART outcome: what will be different, how it is measured, by when."""

    id: Text
    description: Text
    area: BroadArea | None = None
    measure: Text
    baseline: OptionalText = None
    target: OptionalText = None
    by_date: UkDate
    # Filled in at review:
    rating: OutcomeRating | None = None
    progress: OptionalText = None


class Provision(Record):
    """Additional or different provision: who, what, how often, group size, cost."""

    id: Text
    description: Text
    area: BroadArea | None = None
    outcome_ids: TextList = Field(default_factory=list)
    sessions_per_week: float = Field(gt=0, le=50)
    minutes_per_session: int = Field(gt=0, le=480)
    group_size: int = Field(1, ge=1, le=40)
    staff_role: Text
    start_date: UkDate
    end_date: OptionalUkDate = None
    weeks_per_year: int = Field(TEACHING_WEEKS, ge=1, le=52)
    # Blank: senforms works it out from sessions × minutes × weeks × the staff's hourly rate.
    annual_cost: OptionalMoney = None
    # For a group, a typed cost is the whole group's and each pupil's share is divided by the group
    # size, unless this says the cost is already the pupil's own.
    cost_is_pupils_own: YesNo = False
    funding: OptionalText = None

    @property
    def weekly_hours(self) -> Decimal:
        """Hours of this provision a week, for the provision map."""
        return (Decimal(str(self.sessions_per_week)) * self.minutes_per_session / 60).quantize(Decimal("0.01"))

    @property
    def frequency(self) -> str:
        """'3 × 20 minutes a week'."""
        times = f"{self.sessions_per_week:g}"
        return f"{times} × {self.minutes_per_session} minutes a week"

    @property
    def group(self) -> str:
        """'1:1' or 'group of 4'."""
        return "1:1" if self.group_size == 1 else f"group of {self.group_size}"

    @model_validator(mode="after")
    def _dates_in_order(self) -> Provision:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("the end date is before the start date")
        return self


class Review(Record):
    """The Review stage of a cycle."""

    date: UkDate
    attendees: TextList = Field(default_factory=list)
    pupil_views: OptionalText = None
    parent_views: OptionalText = None
    decision: ReviewDecision
    next_steps: OptionalText = None
    next_review_date: OptionalUkDate = None
    record_given_to_parents: OptionalUkDate = None
    no_consent_reason: OptionalText = None  # why a request is made without the agreement of parents or the young person
    # When the school sends the EHC needs assessment request: every statutory date in the pack runs from it.
    request_date: OptionalUkDate = None


class Cycle(Record):
    """One APDR cycle of SEN support."""

    number: int = Field(ge=1, le=99)
    start_date: UkDate
    end_date: OptionalUkDate = None
    assessment: Text
    baseline: OptionalText = None
    outcomes: list[Outcome] = Field(default_factory=list)
    provision: list[Provision] = Field(default_factory=list)
    review_date: OptionalUkDate = None
    parent_contribution: OptionalText = None
    pupil_contribution: OptionalText = None
    delivery_notes: OptionalText = None
    review: Review | None = None

    @property
    def completed(self) -> bool:
        """A cycle is complete once it has been reviewed."""
        return self.review is not None

    @property
    def weekly_hours(self) -> Decimal:
        return sum((p.weekly_hours for p in self.provision), Decimal("0"))

    @model_validator(mode="after")
    def _consistent(self) -> Cycle:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("the cycle's end date is before its start date")
        if self.review and self.review.date < self.start_date:
            raise ValueError("the review (Reviews sheet) is dated before this cycle started")
        if self.review_date and self.review_date < self.start_date:
            raise ValueError("the planned review date is before this cycle starts")
        outcome_ids = [o.id for o in self.outcomes]
        duplicates = {i for i in outcome_ids if outcome_ids.count(i) > 1}
        if duplicates:
            raise ValueError(f"outcome ID {sorted(duplicates)[0]} is used twice in cycle {self.number}")
        for row in self.provision:
            unknown = [i for i in row.outcome_ids if i not in outcome_ids]
            if unknown:
                raise ValueError(f"provision {row.id} links to outcome {unknown[0]}, which cycle {self.number} does not have")
        return self

    def review_due(self) -> dt.date | None:
        """When this cycle is to be reviewed."""
        return self.review_date
