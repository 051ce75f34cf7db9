"""Checks across the whole register: errors no single field shows, and warnings a SENCo needs.

Warnings never block: the statutory test for an EHC needs assessment is only s.36(8), so senforms
flags what an LA or the Code of Practice expects without refusing to work.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from senforms.errors import Location, Problem
from senforms.model import Pupil, Register, SenStatus
from senforms.model.calendar import national_curriculum_year, school_year
from senforms.model.consent import request_agreement
from senforms.model.postcodes import POSTCODE_FIX, bad_postcode
from senforms.ukformat import long_date, money, short_date

MEETINGS_A_YEAR = 3  # Code of Practice 6.65


PlaceFinder = Callable[[tuple], Location]


def cross_record_problems(register: Register, place: PlaceFinder, *, as_of: dt.date, mistyped_for: frozenset[str] = frozenset()) -> list[Problem]:
    """Hard errors that involve more than one record, judged on `as_of` (who is a young person).

    `mistyped_for`: pupils whose rows on other sheets carry a mistyped UPN (already one error); what
    they then seem to lack is not reported again.
    """
    problems: list[Problem] = []
    # Duplicate UPNs are caught by the readers, before validation, so they are listed with the rest.
    # Every pupil the school makes provision for, whether or not the register has any contacts at
    # all: a pupils-only export must not hide that nobody can be told (s.68) or asked to agree.
    for index, pupil in enumerate(register.pupils):
        if pupil.date_of_birth > as_of:
            problems.append(
                Problem(
                    place(("pupils", index, "date_of_birth")),
                    f"pupil {pupil.upn} has a date of birth in the future ({short_date(pupil.date_of_birth)}, after {short_date(as_of)})",
                    "check the date of birth against the school information system (dd/mm/yyyy)",
                )
            )
        if pupil.upn in mistyped_for:
            continue
        if pupil.sen_status != SenStatus.NO_SEN and not pupil.with_parental_responsibility and not pupil.is_young_person(as_of):
            problems.append(
                Problem(
                    place(("pupils", index)),
                    f"pupil {pupil.upn} has no parent or carer with parental responsibility, so nobody can be told about "
                    "their SEN support (s.68) or agree to a request",
                    NO_PARENT_FIX,
                )
            )
        problems.extend(consent_problems(pupil, index, place, as_of=as_of))
    return problems


NO_PARENT_FIX = (
    "add them on the Contacts sheet with Parental responsibility = Yes (from a school information system, "
    "export the contacts as contacts.csv into the same folder as pupils.csv and give senforms the folder)"
)

NO_AGREEMENT_FIX = (
    "record the consent on the Consent sheet (Scope: the request; Contact ID of a parent or carer with parental "
    "responsibility, or Young person = Yes once the pupil is over compulsory school age), or give the reason for "
    "requesting without it in the review's 'Reason there is no consent' column"
)


def consent_problems(pupil: Pupil, index: int, place: PlaceFinder, *, as_of: dt.date) -> list[Problem]:
    """A consent naming a contact the pupil does not have; a school request with no agreement and no reason (§7.3)."""
    problems: list[Problem] = []
    for c_index, consent in enumerate(pupil.consents):
        if consent.contact_id and pupil.contact(consent.contact_id) is None:
            problems.append(
                Problem(
                    place(("pupils", index, "consents", c_index, "contact_id")),
                    f"pupil {pupil.upn} has no contact with ID {consent.contact_id}",
                    "use the Contact ID of a row on the Contacts sheet for this pupil",
                )
            )
    if pupil.requests_ehc_assessment:
        agreement = request_agreement(pupil, as_of)
        if not agreement.given and not agreement.reason:
            who = "the young person" if agreement.young_person else "a parent or carer with parental responsibility"
            if agreement.not_counted:
                wrong = agreement.not_counted[-1]
                where = place(("pupils", index, "consents", wrong.index))
                message = (
                    f"pupil {pupil.upn}'s latest review decided to request an EHC needs assessment, but the consent to it "
                    f"does not count: {wrong.why_not}; no agreement from {who} and no reason for requesting without it is recorded"
                )
            else:
                where = place(("pupils", index))
                message = (
                    f"pupil {pupil.upn}'s latest review decided to request an EHC needs assessment, but no agreement to the "
                    f"request from {who} and no reason for requesting without it is recorded"
                )
            problems.append(Problem(where, message, NO_AGREEMENT_FIX))
    return problems


def _cycle_place(place: PlaceFinder, index: int, pupil: Pupil, number: int, original_order: dict[tuple[int, int], int]) -> Location:
    return place(("pupils", index, "cycles", original_order.get((index, number), 0)))


def year_group_name(year: int) -> str:
    """'Year 5', 'Reception', 'Nursery' (and, for an age outside school, 'year group 16')."""
    if year == 0:
        return "Reception"
    if year in (-1, -2):
        return "Nursery"
    return f"Year {year}" if 0 < year <= 14 else f"year group {year}"


def register_warnings(
    register: Register, place: PlaceFinder, *, as_of: dt.date, original_order: dict[tuple[int, int], int] | None = None
) -> list[Problem]:
    """What a SENCo should look at, though nothing is blocked."""
    original_order = original_order or {}
    warnings: list[Problem] = []

    def warn(location: Location, message: str, fix: str = "") -> None:
        warnings.append(Problem(location, message, fix, "warning"))

    for path, address in _addresses(register):
        typed = bad_postcode(address)
        if typed is not None:
            warn(place(path), f"'{typed}' is not a valid UK postcode, so letters may not arrive", POSTCODE_FIX)
    year_ago = as_of - dt.timedelta(days=365)
    for index, pupil in enumerate(register.pupils):
        row = place(("pupils", index))
        expected = national_curriculum_year(pupil.date_of_birth, as_of)
        if pupil.year_group != expected and not pupil.taught_out_of_year_group and pupil.date_of_birth <= as_of:
            warn(
                place(("pupils", index, "year_group")),
                f"pupil {pupil.upn} is recorded in {year_group_name(pupil.year_group)}, but born on {short_date(pupil.date_of_birth)} "
                f"they are in {year_group_name(expected)} in {school_year(as_of)}",
                "correct the year group, or set Taught out of year group = Yes",
            )
        if pupil.requests_ehc_assessment:
            for wrong in request_agreement(pupil, as_of).not_counted:
                warn(
                    place(("pupils", index, "consents", wrong.index)),
                    f"the consent {wrong.name} gave on {long_date(wrong.consent.date)} is not agreement to pupil {pupil.upn}'s "
                    f"EHC needs assessment request: {wrong.why_not}",
                    "record the consent of the right person on the Consent sheet",
                )
        warnings.extend(cost_warnings(register, pupil, index, place, as_of=as_of))
        if pupil.sen_status != SenStatus.SEN_SUPPORT:
            continue
        # s.68 and the three meetings a year apply from the day SEN support starts: a newly
        # identified pupil with no APDR cycle yet is exactly who the letter is for.
        if pupil.parental_notification_sent is None:
            told = f"pupil {pupil.upn} (a young person) was" if pupil.is_young_person(as_of) else f"the parents of pupil {pupil.upn} were"
            warn(
                row,
                f"no record that {told} formally told that special educational provision is being made (s.68)",
                "make the letter with `senforms render parent-notification`, send it, and record the date in Parental notification sent",
            )
        held = [m for m in pupil.meetings if m.held and year_ago < m.date <= as_of]
        if len(held) < MEETINGS_A_YEAR:
            warn(
                row,
                f"pupil {pupil.upn} has had {len(held)} meeting{'s' if len(held) != 1 else ''} with parents in the last 12 months; "
                f"the Code of Practice (6.65) expects at least {MEETINGS_A_YEAR}",
                "book meetings with `senforms meetings plan`",
            )
        if not pupil.cycles:
            warn(row, f"pupil {pupil.upn} is on SEN support but has no APDR cycle", "add the current plan " + _where_cycles_go(row))
            continue
        cycle = pupil.current_cycle
        if cycle is not None and not cycle.completed:
            cycle_row = _cycle_place(place, index, pupil, cycle.number, original_order)
            if cycle.review_date is None:
                warn(cycle_row, f"pupil {pupil.upn} is on SEN support with no review date for cycle {cycle.number}", "set a review date")
            elif cycle.review_date < as_of:
                warn(
                    cycle_row,
                    f"cycle {cycle.number} of pupil {pupil.upn} was due for review on {long_date(cycle.review_date)} and has no review",
                    "record the review on the Reviews sheet, or set a new review date",
                )
    return warnings


def _where_cycles_go(pupil_row: Location) -> str:
    """Where a pupil's APDR cycles are added, in the terms of the register they came from."""
    if pupil_row.sheet:
        return "on the Cycles sheet"
    if pupil_row.file.lower().endswith(".json"):
        return f"to the pupil's 'cycles' in {pupil_row.file}"
    return "in cycles.csv beside the other CSV files: a row with the pupil's UPN, Cycle (1), Start date and Assessment summary"


def _addresses(register: Register) -> list[tuple[tuple[object, ...], list[str]]]:
    """Every address in the register, with its path in the record."""
    found: list[tuple[tuple[object, ...], list[str]]] = []
    if register.school is not None:
        found.append((("school", "address"), register.school.address))
    if register.local_authority is not None:
        found.append((("local_authority", "address"), register.local_authority.address))
    for index, pupil in enumerate(register.pupils):
        found.append((("pupils", index, "address"), pupil.address))
        found.extend((("pupils", index, "contacts", c_index, "address"), contact.address) for c_index, contact in enumerate(pupil.contacts))
    return found


def cost_warnings(register: Register, pupil: Pupil, index: int, place: PlaceFinder, *, as_of: dt.date) -> list[Problem]:
    """Provision whose typed cost is far from sessions × minutes × weeks × rate, or that cannot be costed."""
    warnings = []
    for c_index, cycle in enumerate(pupil.cycles):
        for row in register.provision_costs(pupil, as_of).rows:
            if row.cycle is not cycle:
                continue
            p_index = cycle.provision.index(row.provision)
            where = ("pupils", index, "cycles", c_index, "provision", p_index)
            label = f"provision {row.provision.id} of pupil {pupil.upn}, cycle {cycle.number}"
            if row.far_from_computed:
                assert row.provision.annual_cost is not None  # only a typed cost can be far from the computed one
                whose = "the pupil's own share" if row.provision.cost_is_pupils_own else "the cost of the sessions"
                warnings.append(
                    Problem(
                        place((*where, "annual_cost")),
                        f"{label}: the typed annual cost {money(row.provision.annual_cost)} ({whose}) is far from {row.computation}",
                        "check the cost, the sessions and the staff; for a group type the whole group's cost, or set Cost is the pupil's own = Yes",
                        "warning",
                    )
                )
            elif row.provision.annual_cost is None and row.computed is None:
                warnings.append(
                    Problem(
                        place((*where, "staff_role")),
                        f"{label} has no annual cost, and senforms has no hourly rate for '{row.provision.staff_role}', so it is costed at £0.00",
                        "type the annual cost, or name the staff as a teaching assistant, HLTA, teacher, SENCo or specialist",
                        "warning",
                    )
                )
    return warnings


@dataclass(frozen=True)
class Summary:
    """Counts for the end of `senforms validate`."""

    pupils: int
    by_status: dict[str, int]
    by_need: dict[str, int]
    cycles: int
    completed_cycles: int
    meetings: int
    requesting_ehc: int


def summarise(register: Register) -> Summary:
    return Summary(
        pupils=len(register.pupils),
        by_status=dict(Counter(p.sen_status.label for p in register.pupils).most_common()),
        by_need=dict(Counter(p.primary_need.value for p in register.pupils).most_common()),
        cycles=sum(len(p.cycles) for p in register.pupils),
        completed_cycles=sum(len(p.completed_cycles) for p in register.pupils),
        meetings=sum(len(p.meetings) for p in register.pupils),
        requesting_ehc=sum(1 for p in register.pupils if p.requests_ehc_assessment),
    )
