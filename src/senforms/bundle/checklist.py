"""What an EHC request pack holds against what the LA expects: each line OK, MISSING or WARNING, with why.

Pure: it reads the record and the LA profile, never the disk, so `--strict` can refuse before
anything is made. None of these is a legal bar (the test is only s.36(8)); they are what LAs ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from senforms.model import EvidenceKind, LocalAuthority, Pupil
from senforms.model.calendar import NO_TERM_DATES, TermDates
from senforms.model.checks import MEETINGS_A_YEAR, TERMS_BEFORE_A_REQUEST, educational_psychologist_involved, meetings_held, terms_covered
from senforms.model.consent import request_agreement
from senforms.model.costing import ProvisionCosts
from senforms.ukformat import long_date, money

RECENT_REVIEW_DAYS = 183  # "no review in the last six months"


@dataclass(frozen=True)
class ChecklistItem:
    """One thing an LA looks for."""

    label: str
    ok: bool
    detail: str
    advisory: bool = False  # not OK, but only worth a look: never MISSING, never refused by --strict

    @property
    def missing(self) -> bool:
        return not self.ok and not self.advisory

    def __str__(self) -> str:
        return f"{'OK     ' if self.ok else 'WARNING' if self.advisory else 'MISSING'}  {self.label}: {self.detail}"


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def build_checklist(
    pupil: Pupil, la: LocalAuthority, on: dt.date, costs: ProvisionCosts, *, term_dates: TermDates = NO_TERM_DATES
) -> list[ChecklistItem]:
    """Every check, in the order a panel reads the pack; `costs` is the pupil's provision costed to `on`,
    `term_dates` the school's own (terms follow Easter without them)."""
    items: list[ChecklistItem] = []

    def check(label: str, ok: bool, good: str, bad: str) -> None:
        items.append(ChecklistItem(label, ok, good if ok else bad))

    def advise(label: str, ok: bool, good: str, bad: str) -> None:  # §7.3 warnings: never MISSING
        items.append(ChecklistItem(label, ok, good if ok else bad, advisory=True))

    evidence_kinds = {e.kind for e in pupil.evidence}
    completed = pupil.completed_cycles
    latest = pupil.latest_review
    check("Request form", True, f"{la.name}'s own form, filled in from the record" if la.form else "filled in from the record", "")
    agreement = request_agreement(pupil, on)
    latest_consent = agreement.latest
    who = "the young person" if agreement.young_person else "a parent or carer with parental responsibility"
    if agreement.not_counted:
        wrong = agreement.not_counted[-1]
        missing_agreement = f"the consent {wrong.name} gave on {long_date(wrong.consent.date)} does not count: {wrong.why_not}"
    else:
        missing_agreement = f"no consent to the request from {who} is recorded: add it on the Consent sheet"
    if agreement.reason:
        missing_agreement += f"; reason recorded for requesting without it: {agreement.reason}"
    check(
        "Agreement of parents or the young person",
        agreement.given,
        f"given by {agreement.by}, recorded on {long_date(latest_consent.consent.date)} ({latest_consent.consent.method.label.lower()})"
        if latest_consent
        else "",
        missing_agreement,
    )
    check(
        f"At least {la.expected_cycles} completed APDR cycles",
        len(completed) >= la.expected_cycles,
        f"{len(completed)} completed cycles, oldest from {long_date(completed[0].start_date)}" if completed else "",
        f"only {len(completed)} completed cycle{'s' if len(completed) != 1 else ''}; {la.name} expects at least {la.expected_cycles}",
    )
    covered = terms_covered(pupil, on, term_dates)
    advise(
        f"APDR cycles over at least {TERMS_BEFORE_A_REQUEST} terms",
        len(covered) >= TERMS_BEFORE_A_REQUEST,
        f"{len(covered)} terms, from the {covered[0]}" if covered else "",
        f"the cycles cover {' and '.join(covered) if covered else 'no term'} only; LAs look for SEN support over at least {TERMS_BEFORE_A_REQUEST} terms",
    )
    recent = latest is not None and latest.date >= on - dt.timedelta(days=RECENT_REVIEW_DAYS)
    check(
        "A review in the last six months",
        recent,
        f"last reviewed on {long_date(latest.date)}" if latest else "",
        f"the last review was on {long_date(latest.date)}" if latest else "no cycle has been reviewed",
    )
    profile = (pupil.pupil_views, pupil.important_to_me, pupil.how_to_support_me, pupil.what_does_not_help, pupil.hopes_for_the_future)
    child_views = bool(any(profile) or EvidenceKind.PUPIL_VIEWS in evidence_kinds or (latest and latest.pupil_views))
    check("The child's views", child_views, "included", "no views of the child are recorded: add them (All about me) or attach them")
    parent_views = bool(pupil.parent_views or EvidenceKind.PARENT_VIEWS in evidence_kinds or (latest and latest.parent_views))
    check("The parents' views", parent_views, "included", "no parents' views are recorded: add them or attach them")
    reports = [e for e in pupil.evidence if e.kind == EvidenceKind.PROFESSIONAL_REPORT]
    check(
        "Advice from external professionals",
        bool(reports),
        f"{len(reports)} report{'s' if len(reports) != 1 else ''} attached",
        "no report from an external professional (for example an educational psychologist) is attached",
    )
    advise(
        "Educational psychologist involvement",
        educational_psychologist_involved(pupil),
        "an educational psychologist is recorded on the Professionals sheet",
        "no educational psychologist's involvement is recorded; many LAs expect their advice before a request",
    )
    oldest_allowed = _months_before(on, la.max_report_age_months)
    # An undated report cannot be shown to be recent, so it never counts as recent.
    stale = [e for e in reports if e.date is None or e.date < oldest_allowed]
    if reports:
        check(
            f"Reports less than {la.max_report_age_months} months old",
            not stale,
            "all reports are recent enough",
            "; ".join(
                f"'{e.title}' is dated {long_date(e.date)}, older than {la.name} accepts" if e.date is not None
                else f"'{e.title}' has no date, so it cannot be shown to be recent (give its date on the Evidence sheet)"
                for e in stale
            ),
        )
    attainment_limit = _months_before(on, la.max_attainment_age_months)
    check(
        "Attainment and progress data",
        bool(pupil.attainment) and pupil.attainment_date is not None and pupil.attainment_date >= attainment_limit,
        f"dated {long_date(pupil.attainment_date)}" if pupil.attainment_date else "",
        "no attainment data is recorded"
        if not pupil.attainment
        else f"attainment data is older than {la.max_attainment_age_months} months (dated {long_date(pupil.attainment_date)})"
        if pupil.attainment_date
        else "the attainment data has no date",
    )
    check(
        "Attendance",
        pupil.attendance_percent is not None,
        f"{pupil.attendance_percent:g}%" + (f" ({pupil.attendance_period})" if pupil.attendance_period else "") if pupil.attendance_percent is not None else "",
        "no attendance figure is recorded",
    )
    # The map is in every pack; below the threshold is the LA's expectation, not a gap (§7.3).
    cost, threshold = costs.total, money(la.notional_threshold, pence=False)
    if not pupil.cycles or not any(c.provision for c in pupil.cycles):
        check("Costed provision map", False, "", "no provision is recorded in any APDR cycle")
    elif cost >= la.notional_threshold:
        check("Costed provision map", True, f"{money(cost)} over {costs.period}, at or above the notional {threshold}", "")
    else:
        items.append(
            ChecklistItem(
                "Costed provision map",
                False,
                f"{money(cost)} over {costs.period}, below the notional {threshold}. {la.below_threshold_note}",
                advisory=True,
            )
        )
    held = meetings_held(pupil, on)
    check(
        f"At least {MEETINGS_A_YEAR} meetings with parents in the last year",
        len(held) >= MEETINGS_A_YEAR,
        f"{len(held)} meetings",
        f"{len(held)} meeting{'s' if len(held) != 1 else ''} in the last 12 months (Code of Practice 6.65)",
    )
    items.extend(_required_attachments(pupil, la, on))
    return items


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from `earlier` to `later` (24 May to 23 June is 0 months)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def _required_attachments(pupil: Pupil, la: LocalAuthority, on: dt.date) -> list[ChecklistItem]:
    """One line for each attachment the LA's profile requires, with its age against the LA's limit."""
    items = []
    for required in la.required_attachments:
        label = f"{required.label} (required by {la.name})"
        files = [e for e in pupil.evidence if e.kind == required.kind]
        if not files:
            items.append(ChecklistItem(label, False, f"none is attached ({required.kind.label.lower()} on the Evidence sheet)"))
            continue
        if required.max_age_months is None:
            items.append(ChecklistItem(label, True, ", ".join(f"'{e.title}'" for e in files)))
            continue
        dated = [e for e in files if e.date is not None]
        if not dated:
            items.append(ChecklistItem(label, False, f"'{files[0].title}' has no date, and {la.name} accepts only the last {required.max_age_months} months"))
            continue
        newest = max(dated, key=lambda e: e.date or dt.date.min)
        assert newest.date is not None
        age = months_between(newest.date, on)
        ok = age <= required.max_age_months
        detail = f"'{newest.title}' is {age} month{'s' if age != 1 else ''} old"
        items.append(ChecklistItem(label, ok, f"{detail} (dated {long_date(newest.date)})" if ok else f"{detail}; {la.name} accepts {required.max_age_months}"))
    return items


def checklist_text(items: list[ChecklistItem], heading: str) -> str:
    missing = sum(1 for i in items if i.missing)
    warnings = sum(1 for i in items if i.advisory and not i.ok)
    ok = len(items) - missing - warnings
    lines = [heading, "=" * len(heading), ""]
    lines += [str(i) for i in items]
    if not missing and not warnings:
        lines += ["", f"All {len(items)} checks OK."]
    else:
        counts = [f"{missing} missing"] if missing else []
        counts += [f"{warnings} warning{'s' if warnings != 1 else ''} (never a bar)"] if warnings else []
        lines += ["", f"{ok} of {len(items)} OK; {'; '.join(counts)}."]
    return "\n".join(lines) + "\n"
