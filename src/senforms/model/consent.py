"""Whose agreement a request for an EHC needs assessment rests on (CFA 2014 s.36; domain §2.1, §7.3).

A school's request is made with the knowledge and agreement of the child's parent or, over
compulsory school age, of the young person. A consent counts as that agreement only when it
covers the request (not only information sharing or a referral) and is given by the right
person: for a child, a contact with parental responsibility; for a young person, the young
person. Every sentence a document prints about agreement, and the pack's checklist, come from
`request_agreement`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from senforms.model.events import Consent
from senforms.model.pupil import ParentCarer, Pupil


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _relationship(contact: ParentCarer) -> str:
    text = contact.relationship.strip()
    return text[:1].lower() + text[1:] if text else ""


@dataclass(frozen=True)
class ConsentCheck:
    """One consent judged against the request: who gave it and whether the request may rely on it."""

    consent: Consent
    index: int  # its place among the pupil's consents
    name: str  # who gave it, as a person reads it
    contact: ParentCarer | None  # the contact who gave it, when known
    by_young_person: bool  # the pupil gave it
    counts: bool  # covers the request and is given by the right person
    why_not: str  # why it does not count as agreement to the request ("" when it counts)

    @property
    def covers_request(self) -> bool:
        return self.consent.covers_request

    @property
    def described(self) -> str:
        """'Grace Okafor (mother)', 'Amara Okafor (the young person)', or the name alone."""
        if self.by_young_person:
            return f"{self.name} (the young person)"
        if self.contact is not None and self.contact.relationship:
            return f"{self.name} ({_relationship(self.contact)})"
        return self.name


def who_gave(pupil: Pupil, consent: Consent) -> tuple[ParentCarer | None, bool]:
    """(the contact, given by the pupil): from the contact ID or the marker, else by matching `given_by`."""
    if consent.young_person:
        return None, True
    if consent.contact_id:
        return pupil.contact(consent.contact_id), False
    written = consent.given_by or ""
    contact = pupil.contact(written.strip()) or next(
        (c for c in pupil.contacts if _same_name(written, c.name) or (c.title and _same_name(written, f"{c.title} {c.name}"))),
        None,
    )
    if contact is not None:
        return contact, False
    pupil_names = {pupil.full_name, f"{pupil.known_as} {pupil.legal_surname}"}
    return None, any(_same_name(written, name) for name in pupil_names)


def check_consent(pupil: Pupil, consent: Consent, on: dt.date, index: int = 0) -> ConsentCheck:
    contact, by_pupil = who_gave(pupil, consent)
    young_person = pupil.is_young_person(on)
    name = pupil.full_name if by_pupil else contact.name if contact is not None else (consent.given_by or consent.contact_id or "")
    who = pupil.known_as
    if not consent.covers_request:
        why = f"it is consent to {consent.scope.label.removeprefix('Agrees to ').lower()}, not to the request"
    elif young_person and not by_pupil:
        why = f"{who} is over compulsory school age, so the agreement must be {who}'s own"
    elif young_person:
        why = ""
    elif by_pupil:
        why = f"{who} is under compulsory school age, so a parent or carer with parental responsibility must agree"
    elif contact is None:
        why = f"{name} is not one of {who}'s contacts with parental responsibility"
    elif not contact.parental_responsibility:
        why = f"{name} does not have parental responsibility for {who}"
    else:
        why = ""
    return ConsentCheck(consent, index, name, contact, by_pupil, not why, why)


@dataclass(frozen=True)
class RequestAgreement:
    """What is true about agreement to a pupil's request for an EHC needs assessment on a day."""

    young_person: bool  # only the pupil's own agreement counts
    counted: list[ConsentCheck] = field(default_factory=list)  # consents the request may rely on
    not_counted: list[ConsentCheck] = field(default_factory=list)  # consents to the request from the wrong person
    others: list[ConsentCheck] = field(default_factory=list)  # consents to something else (sharing, referral)
    reason: str = ""  # the recorded reason for requesting without agreement

    @property
    def given(self) -> bool:
        return bool(self.counted)

    @property
    def latest(self) -> ConsentCheck | None:
        return max(self.counted, key=lambda c: c.consent.date) if self.counted else None

    @property
    def by(self) -> str:
        """Who agreed, named: 'Grace Okafor (mother)', 'Grace Okafor (mother) and Samuel Okafor (father)'."""
        names: list[str] = []
        for check in self.counted:
            if check.described not in names:
                names.append(check.described)
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]


def request_agreement(pupil: Pupil, on: dt.date) -> RequestAgreement:
    checks = [check_consent(pupil, consent, on, index) for index, consent in enumerate(pupil.consents)]
    review = pupil.latest_review
    return RequestAgreement(
        young_person=pupil.is_young_person(on),
        counted=[c for c in checks if c.counts],
        not_counted=[c for c in checks if c.covers_request and not c.counts],
        others=[c for c in checks if not c.covers_request],
        reason=(review.no_consent_reason or "") if review is not None else "",
    )
