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
from senforms.model import ProfessionalRole, Pupil, Register, SenStatus
from senforms.model.apdr import Cycle
from senforms.model.calendar import NO_TERM_DATES, TermDates, national_curriculum_year, school_year, term
from senforms.model.codes import OutcomeRating, ReviewDecision
from senforms.model.consent import request_agreement
from senforms.model.events import Meeting
from senforms.model.la_codes import is_known_la_number, la_number
from senforms.model.postcodes import POSTCODE_FIX, bad_postcode
from senforms.ukformat import long_date, money, short_date

MEETINGS_A_YEAR = 3  # Code of Practice 6.65
TERMS_BEFORE_A_REQUEST = 2  # §7.3: LAs look for cycles over at least two terms [R38]


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


def terms_covered(pupil: Pupil, on: dt.date, term_dates: TermDates = NO_TERM_DATES) -> list[str]:
    """The terms ('spring term 2026') the pupil's APDR cycles ran in up to `on`, oldest first: a cycle
    counts from its start to its review (or end, or planned review date), never past `on`."""
    seen: dict[tuple[str, str], str] = {}
    for cycle in pupil.cycles:
        if cycle.start_date > on:
            continue
        last = cycle.review.date if cycle.review else cycle.end_date or cycle.review_date or on
        for day in (cycle.start_date, min(last, on)):
            name = term(day, term_dates)
            seen.setdefault((school_year(day), name), f"{name} term {school_year(day)}")
    return list(seen.values())


def educational_psychologist_involved(pupil: Pupil) -> bool:
    """An educational psychologist is on the pupil's Professionals sheet (§7.3: no EP involvement is a warning)."""
    return any(p.role == ProfessionalRole.EP for p in pupil.professionals)


NO_PROGRESS_RATINGS = frozenset({OutcomeRating.NO_PROGRESS, OutcomeRating.NOT_STARTED})
REVIEWS_WITHOUT_PROGRESS = 2  # §7.3's (unsourced) suggestion: "twice running"


def continued_without_progress(pupil: Pupil) -> list[Cycle]:
    """The pupil's last two reviewed cycles, oldest first, if both reviews decided to continue with no
    progress on any outcome; otherwise an empty list.

    "No progress" means the cycle has outcomes and every one was rated No progress or Not started at
    review. An outcome with no rating is not evidence of no progress (it may simply not have been
    filled in), so one unrated outcome, like one rated Some progress or better, stops the warning;
    so does a cycle with no outcomes at all.
    """
    reviewed = sorted(pupil.completed_cycles, key=lambda c: (c.review.date if c.review else c.start_date, c.number))
    last = reviewed[-REVIEWS_WITHOUT_PROGRESS:]
    if len(last) < REVIEWS_WITHOUT_PROGRESS:
        return []
    for cycle in last:
        assert cycle.review is not None  # completed cycles have a review
        if cycle.review.decision != ReviewDecision.CONTINUE or not cycle.outcomes:
            return []
        if any(outcome.rating not in NO_PROGRESS_RATINGS for outcome in cycle.outcomes):
            return []
    return last


def _cycle_place(place: PlaceFinder, index: int, pupil: Pupil, number: int, original_order: dict[tuple[int, int], int]) -> Location:
    return place(("pupils", index, "cycles", original_order.get((index, number), 0)))


def _review_place(place: PlaceFinder, index: int, number: int, original_order: dict[tuple[int, int], int]) -> Location:
    """The row of cycle `number`'s review (the Reviews sheet, or the cycle's 'review' in JSON)."""
    return place(("pupils", index, "cycles", original_order.get((index, number), 0), "review"))


def year_group_name(year: int) -> str:
    """'Year 5', 'Reception', 'Nursery' (and, for an age outside school, 'year group 16')."""
    if year == 0:
        return "Reception"
    if year in (-1, -2):
        return "Nursery"
    return f"Year {year}" if 0 < year <= 14 else f"year group {year}"


def meetings_held(pupil: Pupil, as_of: dt.date) -> list[Meeting]:
    """The meetings with parents held in the 12 months to `as_of` (the Code of Practice 6.65 count)."""
    year_ago = as_of - dt.timedelta(days=365)
    return [m for m in pupil.meetings if m.held and year_ago < m.date <= as_of]


def notification_due(pupil: Pupil) -> bool:
    """A pupil on SEN support whose parents (or who, as a young person) have no recorded s.68 letter."""
    return pupil.sen_status == SenStatus.SEN_SUPPORT and pupil.parental_notification_sent is None


def review_overdue(pupil: Pupil, as_of: dt.date) -> Cycle | None:
    """The SEN support cycle in progress whose review date has passed without a review, or None."""
    if pupil.sen_status != SenStatus.SEN_SUPPORT:
        return None
    cycle = pupil.current_cycle
    if cycle is None or cycle.completed or cycle.review_date is None or cycle.review_date >= as_of:
        return None
    return cycle


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
    for index, pupil in enumerate(register.pupils):
        row = place(("pupils", index))
        if not is_known_la_number(pupil.upn):
            warn(
                place(("pupils", index, "upn")),
                f"pupil {pupil.upn}'s UPN starts with LA number {la_number(pupil.upn)}, which is not on the DfE's list of "
                "local authority numbers (characters 2 to 4 of a UPN)",
                "check the UPN against the school information system; if it is right, nothing needs doing",
            )
        expected = national_curriculum_year(pupil.date_of_birth, as_of)
        if pupil.year_group != expected and not pupil.taught_out_of_year_group and pupil.date_of_birth <= as_of:
            warn(
                place(("pupils", index, "year_group")),
                f"pupil {pupil.upn} is recorded in {year_group_name(pupil.year_group)}, but born on {short_date(pupil.date_of_birth)} "
                f"they are in {year_group_name(expected)} in {school_year(as_of)}",
                "correct the year group, or set Taught out of year group = Yes",
            )
        if pupil.requests_ehc_assessment:
            covered = terms_covered(pupil, as_of, register.term_dates)
            if len(covered) < TERMS_BEFORE_A_REQUEST:
                warn(
                    row,
                    f"pupil {pupil.upn}'s latest review decided to request an EHC needs assessment, but their APDR cycles "
                    f"cover {' and '.join(covered) if covered else 'no term'} only; local authorities look for SEN support "
                    f"over at least {TERMS_BEFORE_A_REQUEST} terms",
                    "record the earlier cycles on the Cycles sheet, or say in the request why it cannot wait",
                )
            if not educational_psychologist_involved(pupil):
                warn(
                    row,
                    f"pupil {pupil.upn}'s latest review decided to request an EHC needs assessment, but no educational "
                    "psychologist's involvement is recorded; many local authorities expect their advice first",
                    "add the educational psychologist on the Professionals sheet (and their report on the Evidence sheet)",
                )
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
        if notification_due(pupil):
            told = f"pupil {pupil.upn} (a young person) was" if pupil.is_young_person(as_of) else f"the parents of pupil {pupil.upn} were"
            warn(
                row,
                f"no record that {told} formally told that special educational provision is being made (s.68)",
                "make the letter with `senforms render parent-notification`, send it, and record the date in Parental notification sent",
            )
        held = meetings_held(pupil, as_of)
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
        stalled = continued_without_progress(pupil)
        if stalled:
            latest_review = stalled[-1].review
            assert latest_review is not None
            warn(
                _review_place(place, index, stalled[-1].number, original_order),
                f"pupil {pupil.upn}'s last two reviews (cycles {stalled[0].number} and {stalled[-1].number}, the latest on "
                f"{long_date(latest_review.date)}) decided to continue with no progress on any outcome: consider specialist "
                "advice or requesting an EHC needs assessment (Code of Practice 6.58–6.63)",
                "at the next review, change the plan, involve a specialist, or decide to request an EHC needs assessment",
            )
        cycle = pupil.current_cycle
        if cycle is not None and not cycle.completed:
            cycle_row = _cycle_place(place, index, pupil, cycle.number, original_order)
            if cycle.review_date is None:
                warn(cycle_row, f"pupil {pupil.upn} is on SEN support with no review date for cycle {cycle.number}", "set a review date")
            elif review_overdue(pupil, as_of) is cycle:
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
        by_need=dict(Counter(p.primary_need.value for p in register.pupils if p.primary_need).most_common()),
        cycles=sum(len(p.cycles) for p in register.pupils),
        completed_cycles=sum(len(p.completed_cycles) for p in register.pupils),
        meetings=sum(len(p.meetings) for p in register.pupils),
        requesting_ehc=sum(1 for p in register.pupils if p.requests_ehc_assessment),
    )
