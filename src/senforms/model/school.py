"""The school and the local authority it sends requests to."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from senforms.model._base import Record
from senforms.model.calendar import SchoolYearTerms, check_term_dates
from senforms.model.codes import EvidenceKind
from senforms.model.costing import HourlyRates
from senforms.model.values import Address, Email, Money, OptionalText, Phone, Text

# The default bundle order is the domain brief's §7.2: the request (requester, child, parents,
# consent, needs, outcomes sought), views, attainment, the APDR cycles, the costed provision map,
# professionals' reports, health and social care, other evidence. An LA's profile may reorder it.
DEFAULT_SECTIONS: dict[str, str] = {
    "request": "The request for an EHC needs assessment",
    "child_views": "The child's views",
    "parent_views": "Parents' and carers' views",
    "attainment": "Attainment, progress and attendance",
    "apdr": "The graduated approach: Assess, Plan, Do, Review",
    "provision_map": "Costed provision map",
    "professional_reports": "Reports from external professionals",
    "health": "Health and social care information",
    "other": "Other evidence",
}


class StaffMember(Record):
    """A member of school staff who signs or can be contacted."""

    name: Text
    role: Text
    email: Email = None
    phone: Phone = None


class Sendiass(Record):
    """The local SEND information, advice and support service parents are signposted to."""

    name: Text = "SENDIASS"
    phone: Phone = None
    email: Email = None
    website: OptionalText = None


class RequiredAttachment(Record):
    """Evidence an LA insists on, and how old it may be ("professional reports from the last 24 months")."""

    label: Text
    kind: EvidenceKind
    max_age_months: int | None = Field(None, ge=1, le=240)


class LocalAuthority(Record):
    """How one LA wants EHC needs assessment requests: sections, thresholds and where to send them."""

    name: Text
    send_team_name: Text = "SEND Statutory Assessment Team"
    send_team_email: Email = None
    allowed_domains: list[str] = Field(default_factory=list)
    address: Address = Field(default_factory=list)
    local_offer_url: OptionalText = None
    section_order: list[str] = Field(default_factory=lambda: list(DEFAULT_SECTIONS))
    section_labels: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SECTIONS))
    expected_cycles: int = Field(2, ge=0, le=10)
    max_report_age_months: int = Field(12, ge=1, le=120)
    max_attainment_age_months: int = Field(3, ge=1, le=120)
    email_size_limit_mb: float = Field(10, gt=0)
    notional_threshold: Money = Decimal("6000")
    # Said wherever the cost is below the threshold: a warning, never a bar (§7.3; the test is s.36(8)).
    below_threshold_note: Text = (
        "Many local authorities expect a school to show it has spent up to the notional threshold from its SEN budget "
        "(element 2) before asking for an assessment. This is not a legal bar: the test is whether the child has or "
        "may have SEN and may need provision through an EHC plan (Children and Families Act 2014, s.36(8))."
    )
    # What `send-pack` puts in the email body: "minimal" (reference, school, who to contact) or
    # "cover-letter" (the covering letter's text: the child's details; refused for an encrypted pack).
    email_body: Literal["minimal", "cover-letter"] = "minimal"
    # The LA's own request form and its map (`senforms forms map`): `bundle` fills it and puts it in
    # the request section in place of senforms' request, which it keeps too when keep_own_request.
    form: OptionalText = None
    form_map: OptionalText = None
    keep_own_request: bool = False
    portal_file_limit_mb: float | None = Field(None, gt=0)  # the LA portal's limit per uploaded file: --sections keeps under it
    required_attachments: list[RequiredAttachment] = Field(default_factory=list)

    @field_validator("section_order")
    @classmethod
    def _every_section_once(cls, order: list[str]) -> list[str]:
        unknown = [key for key in order if key not in DEFAULT_SECTIONS]
        if unknown:
            raise PydanticCustomError(
                "section", "'{key}' is not a bundle section", {"key": unknown[0], "fix": "use: " + ", ".join(DEFAULT_SECTIONS)}
            )
        twice = sorted({key for key in order if order.count(key) > 1})
        if twice:
            raise PydanticCustomError("section", "'{key}' is listed twice", {"key": twice[0], "fix": "list each section once"})
        # A section the LA's order leaves out goes at the end: evidence is never silently dropped.
        return order + [key for key in DEFAULT_SECTIONS if key not in order]

    @field_validator("section_labels")
    @classmethod
    def _labels_for_known_sections(cls, labels: dict[str, str]) -> dict[str, str]:
        unknown = [key for key in labels if key not in DEFAULT_SECTIONS]
        if unknown:
            raise PydanticCustomError(
                "section", "'{key}' is not a bundle section", {"key": unknown[0], "fix": "use: " + ", ".join(DEFAULT_SECTIONS)}
            )
        return labels

    def label(self, key: str) -> str:
        """The LA's label for a bundle section."""
        return self.section_labels.get(key) or DEFAULT_SECTIONS.get(key, key)


class School(Record):
    """The school or setting."""

    name: Text
    urn: OptionalText = None
    laestab: OptionalText = None
    address: Address = Field(default_factory=list)
    phone: Phone = None
    email: Email = None
    website: OptionalText = None
    logo: OptionalText = None
    head_teacher: StaffMember
    senco: StaffMember
    sendiass: Sendiass = Field(default_factory=Sendiass)
    hourly_rates: HourlyRates = Field(default_factory=HourlyRates)  # for provision with no typed cost
    term_dates: dict[str, SchoolYearTerms] = Field(
        default_factory=dict, description="The school's own term dates by school year ('2025/26'); without them terms follow Easter"
    )

    @field_validator("term_dates")
    @classmethod
    def _school_years(cls, table: dict[str, SchoolYearTerms]) -> dict[str, SchoolYearTerms]:
        try:
            check_term_dates(table)
        except ValueError as exc:
            raise PydanticCustomError("term_dates", "{problem}", {"problem": str(exc), "fix": "give each school year's terms as [first day, last day]"}) from None
        return table
