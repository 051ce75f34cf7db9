"""The validated SEN register: one model behind the Excel, CSV and JSON inputs."""

from senforms.model.apdr import Cycle, Outcome, Provision, Review
from senforms.model.codes import (
    BroadArea,
    ConsentMethod,
    ConsentScope,
    ContactMethod,
    EvidenceKind,
    Gender,
    MeetingType,
    NeedCode,
    OutcomeRating,
    ProfessionalRole,
    ReviewDecision,
    SenStatus,
)
from senforms.model.events import Consent, EvidenceFile, Meeting
from senforms.model.pupil import ParentCarer, Professional, Pupil
from senforms.model.register import Register
from senforms.model.school import LocalAuthority, School, Sendiass, StaffMember

__all__ = [
    "BroadArea", "Consent", "ConsentMethod", "ConsentScope", "ContactMethod", "Cycle", "EvidenceFile",
    "EvidenceKind", "Gender", "LocalAuthority", "Meeting", "MeetingType", "NeedCode", "Outcome",
    "OutcomeRating", "ParentCarer", "Professional", "ProfessionalRole", "Provision", "Pupil", "Register", "Review",
    "ReviewDecision", "School", "Sendiass", "SenStatus", "StaffMember",
]
