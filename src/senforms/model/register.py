"""The whole SEN register: the school, its local authority, and every pupil."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from senforms.model._base import Record
from senforms.model.calendar import NO_TERM_DATES, TermDates
from senforms.model.costing import HourlyRates, ProvisionCosts, provision_costs
from senforms.model.pupil import Pupil
from senforms.model.school import LocalAuthority, School


class Register(Record):
    """What senforms reads from a workbook, CSV export or JSON file, validated."""

    schema_version: int = 1
    school: School | None = None
    local_authority: LocalAuthority | None = None
    pupils: list[Pupil] = Field(default_factory=list)

    @property
    def hourly_rates(self) -> HourlyRates:
        """The school's hourly rates by staff role (the defaults without a School sheet)."""
        return self.school.hourly_rates if self.school is not None else HourlyRates()

    @property
    def term_dates(self) -> TermDates:
        """The school's own term dates by school year ({} without them: terms then follow Easter)."""
        return self.school.term_dates if self.school is not None else NO_TERM_DATES

    def provision_costs(self, pupil: Pupil, as_of: dt.date) -> ProvisionCosts:
        """The pupil's provision costed over the 12 months to `as_of`: the one figure every document uses."""
        return provision_costs(pupil.cycles, self.hourly_rates, as_of)

    def pupil(self, upn: str) -> Pupil | None:
        """The pupil with this UPN (any case), or None."""
        upn = upn.strip().upper()
        return next((p for p in self.pupils if p.upn == upn), None)
