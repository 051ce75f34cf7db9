"""The validated SEN register: one model behind the Excel, CSV and JSON inputs."""

from .apdr import Cycle, Outcome, Provision, Review
from .codes import (
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
from .events import Consent, EvidenceFile, Meeting
from .pupil import ParentCarer, Professional, Pupil
from .register import Register
from .school import LocalAuthority, School, Sendiass, StaffMember

__all__ = [
    "BroadArea", "Consent", "ConsentMethod", "ConsentScope", "ContactMethod", "Cycle", "EvidenceFile",
    "EvidenceKind", "Gender", "LocalAuthority", "Meeting", "MeetingType", "NeedCode", "Outcome",
    "OutcomeRating", "ParentCarer", "Professional", "ProfessionalRole", "Provision", "Pupil", "Register", "Review",
    "ReviewDecision", "School", "Sendiass", "SenStatus", "StaffMember",
]
