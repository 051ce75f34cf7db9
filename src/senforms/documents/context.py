"""What a Word template sees: the record turned into plain values with Code of Practice names.

These names are a public contract: schools write them into their own templates. Add freely;
rename only as a breaking change. docs/templates.md documents every one of them.
Only plain dicts, lists, strings, numbers, dates and Decimals go in — never model objects — so a
template (which may come from a school) can reach nothing but the data meant for it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from docxtpl import RichText

from senforms.model import Cycle, LocalAuthority, Meeting, ParentCarer, Pupil, Register
from senforms.model.calendar import NO_TERM_DATES, TermDates, reply_by, school_year, term_label
from senforms.model.codes import ReviewDecision
from senforms.model.consent import request_agreement
from senforms.model.costing import HourlyRates, ProvisionCosts, row_annual_cost

STATUTORY_WEEKS = {"decision_to_assess": 6, "decision_to_issue": 16, "final_plan": 20}  # SEND Regs 2014 regs 5, 10, 13


def _staff(person) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"name": person.name, "role": person.role, "email": person.email or "", "phone": person.phone or ""}


def school_context(register: Register) -> dict[str, Any]:
    school = register.school
    if school is None:
        return {}
    return {
        "name": school.name,
        "urn": school.urn or "",
        "address": list(school.address),
        "phone": school.phone or "",
        "email": school.email or "",
        "website": school.website or "",
        "head_teacher": _staff(school.head_teacher),
        "senco": _staff(school.senco),
        "sendiass": {
            "name": school.sendiass.name,
            "phone": school.sendiass.phone or "",
            "email": school.sendiass.email or "",
            "website": school.sendiass.website or "",
        },
    }


def la_context(register: Register) -> dict[str, Any]:
    la = register.local_authority
    if la is None:
        return {}
    return {
        "name": la.name,
        "send_team_name": la.send_team_name,
        "send_team_email": la.send_team_email or "",
        "address": list(la.address),
        "local_offer_url": la.local_offer_url or "",
        "notional_threshold": la.notional_threshold,
    }


def contact_context(contact: ParentCarer, pupil: Pupil) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "title": contact.title or "",
        "salutation": contact.salutation,
        "relationship": contact.relationship,
        "parental_responsibility": contact.parental_responsibility,
        "address": list(contact.address or pupil.address),
        "email": contact.email or "",
        "phone": contact.phone or "",
        "language": contact.language or "",
        "interpreter_needed": contact.interpreter_needed,
    }


def early_discussion_context(pupil: Pupil) -> dict[str, Any] | None:
    """The latest early discussion with parents that records what was said, or None (§1.2, §5.5)."""
    meeting = pupil.early_discussion
    if meeting is None:
        return None
    return {
        "date": meeting.date,
        "strengths": meeting.strengths or "",
        "difficulties": meeting.difficulties or "",
        "concerns": meeting.concerns or "",
        "agreed_outcomes": meeting.agreed_outcomes or "",
        "next_steps": meeting.next_steps or "",
        "points": [{"label": label, "text": text, "rich": labelled(label, text)} for label, text in meeting.discussion_points],
    }


def labelled(label: str, text: str) -> RichText:
    """'**Strengths:** Kind to others' as formatted text for `{{r point.rich }}`: the label bold,
    the record's words plain (docxtpl escapes them, so they print exactly as typed)."""
    rich = RichText()
    rich.add(f"{label}: ", bold=True)
    for number, line in enumerate(text.split("\n")):
        if number:
            rich.xml += "<w:r><w:br/></w:r>"  # a line break typed in the register, as in plain values
        rich.add(line)
    return rich


def pupil_context(pupil: Pupil, on: dt.date) -> dict[str, Any]:
    years, months = pupil.age(on)
    return {
        "upn": pupil.upn,
        "legal_forename": pupil.legal_forename,
        "legal_surname": pupil.legal_surname,
        "preferred_name": pupil.preferred_name or "",
        "known_as": pupil.known_as,
        "full_name": pupil.full_name,
        "initials": pupil.initials,
        "date_of_birth": pupil.date_of_birth,
        "age_years": years,
        "age_months": months,
        "gender": pupil.gender.label if pupil.gender else "",
        "year_group": "Reception" if pupil.year_group == 0 else f"Year {pupil.year_group}" if pupil.year_group > 0 else "Nursery",
        "class_name": pupil.class_name or "",
        "address": list(pupil.address),
        "sen_status": pupil.sen_status.label,
        "sen_status_code": pupil.sen_status.value,
        "sen_support_start": pupil.sen_support_start,
        "primary_need": pupil.primary_need.label if pupil.primary_need else "",
        "primary_need_code": pupil.primary_need.value if pupil.primary_need else "",
        "secondary_need": pupil.secondary_need.label if pupil.secondary_need else "",
        "secondary_need_code": pupil.secondary_need.value if pupil.secondary_need else "",
        "broad_areas": [a.label for a in pupil.broad_areas],
        "early_discussion": early_discussion_context(pupil),
        "eal": pupil.eal,
        "first_language": pupil.first_language or "",
        "pupil_premium": pupil.pupil_premium,
        "looked_after": pupil.looked_after,
        "attendance_percent": pupil.attendance_percent,
        "attendance_period": pupil.attendance_period or "",
        "strengths": pupil.strengths or "",
        "needs": [{"area": area.label, "description": text} for area, text in pupil.needs_by_area.items()],
        "pupil_views": pupil.pupil_views or "",
        "important_to_me": pupil.important_to_me or "",
        "how_to_support_me": pupil.how_to_support_me or "",
        "what_does_not_help": pupil.what_does_not_help or "",
        "hopes_for_the_future": pupil.hopes_for_the_future or "",
        "parent_views": pupil.parent_views or "",
        "attainment": pupil.attainment or "",
        "attainment_date": pupil.attainment_date,
        "health_and_care": pupil.health_and_care or "",
        "outcomes_sought": pupil.outcomes_sought or "",
        "is_young_person": pupil.is_young_person(on),
        "parents": [contact_context(c, pupil) for c in pupil.with_parental_responsibility],
        "professionals": [
            {
                "role": p.role.label,
                "name": p.name or "",
                "service": p.service,
                "first_involved": p.first_involved,
                "last_involved": p.last_involved,
                "report_date": p.report_date,
                "summary": p.summary or "",
            }
            for p in pupil.professionals
        ],
    }


def cycle_context(cycle: Cycle, rates: HourlyRates, on: dt.date | None = None, *, term_dates: TermDates = NO_TERM_DATES) -> dict[str, Any]:
    """One APDR cycle, its provision costed with the school's hourly `rates`. With `on` (the document's
    date), `review_overdue` says whether its planned review date has passed with no review recorded,
    so a plan never promises a review in the past."""
    outcomes = [
        {
            "id": o.id,
            "description": o.description,
            "area": o.area.label if o.area else "",
            "measure": o.measure,
            "baseline": o.baseline or "",
            "target": o.target or "",
            "by_date": o.by_date,
            "rating": o.rating.label if o.rating else "",
            "progress": o.progress or "",
        }
        for o in cycle.outcomes
    ]
    provision = [
        {
            "id": p.id,
            "description": p.description,
            "area": p.area.label if p.area else "",
            "outcome_ids": ", ".join(p.outcome_ids),
            "frequency": p.frequency,
            "sessions_per_week": p.sessions_per_week,
            "minutes_per_session": p.minutes_per_session,
            "group": p.group,
            "group_size": p.group_size,
            "staff_role": p.staff_role,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "weekly_hours": p.weekly_hours,
            "annual_cost": row_annual_cost(p, rates),  # typed, else sessions × minutes × weeks × rate
            "cost_typed": p.annual_cost is not None,
            "cost_is_pupils_own": p.cost_is_pupils_own,
            "funding": p.funding or "",
        }
        for p in cycle.provision
    ]
    review = None
    if cycle.review:
        r = cycle.review
        review = {
            "date": r.date,
            "attendees": list(r.attendees),
            "pupil_views": r.pupil_views or "",
            "parent_views": r.parent_views or "",
            "decision": r.decision.label,
            "decision_code": r.decision.value,
            "requests_ehc_assessment": r.decision == ReviewDecision.REQUEST_EHC,
            "next_steps": r.next_steps or "",
            "next_review_date": r.next_review_date,
            "record_given_to_parents": r.record_given_to_parents,
        }
    return {
        "number": cycle.number,
        "start_date": cycle.start_date,
        "end_date": cycle.end_date,
        "term": term_label(cycle.start_date, term_dates),
        "school_year": school_year(cycle.start_date),
        "assessment": cycle.assessment,
        "baseline": cycle.baseline or "",
        "outcomes": outcomes,
        "provision": provision,
        "total_annual_cost": sum((row_annual_cost(p, rates) for p in cycle.provision), Decimal("0")),
        "total_weekly_hours": cycle.weekly_hours,
        "review_date": cycle.review_date,
        "parent_contribution": cycle.parent_contribution or "",
        "pupil_contribution": cycle.pupil_contribution or "",
        "delivery_notes": cycle.delivery_notes or "",
        "review": review,
        "review_overdue": bool(on and cycle.review is None and cycle.review_date and cycle.review_date < on),
    }


def meeting_context(meeting: Meeting, letter_date: dt.date) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "date": meeting.date,
        "start_time": meeting.start_time,
        "end_time": meeting.end_time,
        "type": meeting.type.label,
        "location": meeting.location or "",
        "online_link": meeting.online_link or "",
        "is_online": bool(meeting.online_link and not meeting.location),
        "purpose": meeting.purpose or meeting.type.label,
        "staff_attending": list(meeting.staff_attending),
        "reply_by": reply_by(meeting.date, letter_date),  # None: too close to ask for a reply by a date
    }


def provision_map(pupil: Pupil, costs: ProvisionCosts, rates: HourlyRates, *, term_dates: TermDates = NO_TERM_DATES) -> dict[str, Any]:
    """Every provision row across all cycles, oldest first, with the pupil's cost over the 12 months
    before the request (the costed provision map; the same figures as the bundle's map and checklist)."""
    rows = []
    by_row = {id(c.provision): c for c in costs.rows}
    for cycle in pupil.cycles:
        for provision, row in zip(cycle.provision, cycle_context(cycle, rates)["provision"]):
            cost = by_row[id(provision)]
            rows.append(
                {
                    **row, "cycle": cycle.number, "term": term_label(cycle.start_date, term_dates),
                    "share": cost.share, "days": cost.days, "cost": cost.cost, "arithmetic": cost.arithmetic,
                }
            )
    current = pupil.current_cycle
    return {
        "rows": rows,
        "annual_cost": costs.total,
        "period": costs.period,
        "from": costs.window_start,
        "to": costs.window_end,
        "current_annual_cost": costs.total,  # kept for older school templates: the same 12-month figure
        "current_weekly_hours": current.weekly_hours if current else Decimal("0"),
        "all_cycles_cost": costs.total,  # kept for older school templates
    }


def statutory_dates(received: dt.date) -> dict[str, dt.date]:
    """The deadlines that run from the day the LA receives the request (calendar weeks)."""
    dates = {name: received + dt.timedelta(weeks=weeks) for name, weeks in STATUTORY_WEEKS.items()}
    return {"received": received, **dates}


def base_context(register: Register, pupil: Pupil, on: dt.date) -> dict[str, Any]:
    """What every document about a pupil has."""
    return {
        "school": school_context(register),
        "la": la_context(register),
        "pupil": pupil_context(pupil, on),
        "document_date": on,
        "school_year": school_year(on),
        "marking": "OFFICIAL-SENSITIVE",
    }


def request_context(register: Register, pupil: Pupil, on: dt.date, la: LocalAuthority | None = None) -> dict[str, Any]:
    """For the EHC needs assessment request and the LA covering letter. `la`: the LA's profile
    (settings file over the register), so the threshold is the one the pack's checklist uses."""
    la = la or register.local_authority
    threshold = la.notional_threshold if la else Decimal("6000")
    pmap = provision_map(pupil, register.provision_costs(pupil, on), register.hourly_rates, term_dates=register.term_dates)
    agreement = request_agreement(pupil, on)
    consents = [
        {
            "given_by": check.name,
            "scope": check.consent.scope.label,
            "date": check.consent.date,
            "method": check.consent.method.label,
            "exclusions": check.consent.exclusions or "",
            "covers_request": check.covers_request,
            "counts": check.counts,
            "why_not": check.why_not,
        }
        for check in sorted(agreement.counted + agreement.not_counted + agreement.others, key=lambda c: c.index)
    ]
    latest = agreement.latest
    consent = {
        "given": agreement.given,
        "by": agreement.by,
        "young_person": agreement.young_person,
        "date": latest.consent.date if latest else None,
        "not_counted": len(agreement.not_counted),
        "reason": agreement.reason,
    }
    return {
        **base_context(register, pupil, on),
        "cycles": [cycle_context(c, register.hourly_rates, term_dates=register.term_dates) for c in pupil.cycles],
        "completed_cycles": len(pupil.completed_cycles),
        "provision_map": pmap,
        "notional_threshold": threshold,
        "above_threshold": pmap["annual_cost"] >= threshold,
        "below_threshold_note": la.below_threshold_note if la else LocalAuthority.model_fields["below_threshold_note"].default,
        "consents": consents,
        "parents_agree": agreement.given,  # kept for older school templates: the agreement that counts
        "request": {"consent": consent},
        "requester": _staff(register.school.senco) if register.school else None,
        "statutory": statutory_dates(on),
        "enclosures": [],
    }
