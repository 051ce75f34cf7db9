"""The whole SEN register: the school, its local authority, and every pupil."""

from __future__ import annotations

from pydantic import Field

from senforms.model._base import Record
from senforms.model.pupil import Pupil
from senforms.model.school import LocalAuthority, School


class Register(Record):
    """What senforms reads from a workbook, CSV export or JSON file, validated."""

    schema_version: int = 1
    school: School | None = None
    local_authority: LocalAuthority | None = None
    pupils: list[Pupil] = Field(default_factory=list)

    def pupil(self, upn: str) -> Pupil | None:
        """The pupil with this UPN (any case), or None."""
        upn = upn.strip().upper()
        return next((p for p in self.pupils if p.upn == upn), None)
