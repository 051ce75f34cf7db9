"""The coded values of an SEN register: DfE census codes and senforms' fixed lists, with plain labels."""

from __future__ import annotations

from enum import Enum


class _Coded(str, Enum):
    """A code stored as text, with a label for people."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label or value
        return obj

    def __str__(self) -> str:
        return self.value

    @classmethod
    def codes(cls) -> list[str]:
        return [member.value for member in cls]

    @classmethod
    def _missing_(cls, value: object):
        # Accept what people and school systems type: any case, the label, or "K - SEN Support".
        if not isinstance(value, str):
            return None
        wanted = " ".join(value.replace("_", " ").split()).casefold()
        for candidate in (wanted, wanted.split(" - ")[0].split(" – ")[0].strip()):
            for member in cls:
                if candidate in (member.value.replace("_", " ").casefold(), member.label.casefold()):
                    return member
        return None


class BroadArea(_Coded):
    """The four broad areas of need (SEND Code of Practice 6.28–6.35)."""

    COMMUNICATION = ("communication_and_interaction", "Communication and interaction")
    COGNITION = ("cognition_and_learning", "Cognition and learning")
    SEMH = ("social_emotional_mental_health", "Social, emotional and mental health")
    SENSORY_PHYSICAL = ("sensory_and_physical", "Sensory and/or physical")


class SenStatus(_Coded):
    """School census SEN provision codes."""

    SEN_SUPPORT = ("K", "SEN support")
    EHC_PLAN = ("E", "EHC plan")
    NO_SEN = ("N", "No SEN")


class NeedCode(_Coded):
    """DfE school census SEN type-of-need codes."""

    SPLD = ("SPLD", "Specific learning difficulty")
    MLD = ("MLD", "Moderate learning difficulty")
    SLD = ("SLD", "Severe learning difficulty")
    PMLD = ("PMLD", "Profound and multiple learning difficulty")
    SEMH = ("SEMH", "Social, emotional and mental health")
    SLCN = ("SLCN", "Speech, language and communication needs")
    HI = ("HI", "Hearing impairment")
    VI = ("VI", "Vision impairment")
    MSI = ("MSI", "Multi-sensory impairment")
    PD = ("PD", "Physical disability")
    ASD = ("ASD", "Autistic spectrum disorder")
    OTH = ("OTH", "Other difficulty or disability")
    NSA = ("NSA", "SEN support but no specialist assessment of type of need")

    @property
    def broad_area(self) -> BroadArea | None:
        return NEED_AREAS.get(self)


NEED_AREAS: dict[NeedCode, BroadArea] = {
    NeedCode.SPLD: BroadArea.COGNITION,
    NeedCode.MLD: BroadArea.COGNITION,
    NeedCode.SLD: BroadArea.COGNITION,
    NeedCode.PMLD: BroadArea.COGNITION,
    NeedCode.SEMH: BroadArea.SEMH,
    NeedCode.SLCN: BroadArea.COMMUNICATION,
    NeedCode.ASD: BroadArea.COMMUNICATION,
    NeedCode.HI: BroadArea.SENSORY_PHYSICAL,
    NeedCode.VI: BroadArea.SENSORY_PHYSICAL,
    NeedCode.MSI: BroadArea.SENSORY_PHYSICAL,
    NeedCode.PD: BroadArea.SENSORY_PHYSICAL,
}


class ReviewDecision(_Coded):
    """What a review decides (the fixed list the Code's Review stage leads to)."""

    CONTINUE = ("continue", "Continue the current plan")
    CHANGE = ("change", "Change the plan")
    REQUEST_EHC = ("request_ehc_assessment", "Request an EHC needs assessment")
    END = ("end_sen_support", "End SEN support")


class OutcomeRating(_Coded):
    """Progress against one outcome at review."""

    NOT_STARTED = ("not_started", "Not started")
    NO_PROGRESS = ("no_progress", "No progress")
    SOME_PROGRESS = ("some_progress", "Some progress")
    ACHIEVED = ("achieved", "Achieved")
    EXCEEDED = ("exceeded", "Exceeded")


class MeetingType(_Coded):
    """Why parents are being met."""

    EARLY_DISCUSSION = ("early_discussion", "Early discussion")
    PLAN = ("plan", "Planning meeting")
    REVIEW = ("review", "SEN support review")
    EHC = ("ehc_request", "EHC needs assessment request meeting")
    OTHER = ("other", "Other meeting")


class ContactMethod(_Coded):
    """How a parent or carer prefers to hear from school."""

    EMAIL = ("email", "Email")
    POST = ("post", "Letter by post")
    PHONE = ("phone", "Phone")
    TEXT = ("text", "Text message")
    IN_PERSON = ("in_person", "In person")


class ProfessionalRole(_Coded):
    """External professionals whose advice an LA looks for."""

    EP = ("educational_psychologist", "Educational psychologist")
    SALT = ("speech_and_language_therapist", "Speech and language therapist")
    OT = ("occupational_therapist", "Occupational therapist")
    PHYSIO = ("physiotherapist", "Physiotherapist")
    CAMHS = ("camhs", "CAMHS clinician")
    PAEDIATRICIAN = ("paediatrician", "Paediatrician")
    SPECIALIST_TEACHER = ("specialist_teacher", "Specialist teacher")
    SENSORY_TEACHER = ("sensory_support_teacher", "Qualified teacher of the deaf or vision impaired")
    SCHOOL_NURSE = ("school_nurse", "School nurse")
    SOCIAL_WORKER = ("social_worker", "Social worker")
    OTHER = ("other", "Other professional")


class EvidenceKind(_Coded):
    """What an evidence file is, which decides where it goes in an EHC request pack."""

    PROFESSIONAL_REPORT = ("professional_report", "Report from an external professional")
    ATTAINMENT = ("attainment", "Attainment and progress data")
    ATTENDANCE = ("attendance", "Attendance record")
    PUPIL_VIEWS = ("pupil_views", "The child's views")
    PARENT_VIEWS = ("parent_views", "Parents' or carers' views")
    CONSENT = ("consent", "Signed consent")
    MEDICAL = ("health", "Health information")
    WORK_SAMPLE = ("work_sample", "Work sample")
    OTHER = ("other", "Other evidence")


class ConsentScope(_Coded):
    """What a parent, carer or young person agreed to."""

    EHC_REQUEST = ("ehc_request", "Agrees to the request for an EHC needs assessment")
    SHARING = ("information_sharing", "Agrees to information being shared with the LA and services")
    BOTH = ("ehc_request_and_sharing", "Agrees to the request and to information sharing")
    REFERRAL = ("referral", "Agrees to a referral to another service")


class ConsentMethod(_Coded):
    """How consent was given."""

    SIGNED = ("signed", "Signed form")
    EMAIL = ("email", "By email")
    VERBAL = ("verbal", "Verbally, recorded by staff")
    ONLINE = ("online", "Online form")


class Gender(_Coded):
    """Gender as the census records it."""

    FEMALE = ("F", "Female")
    MALE = ("M", "Male")
    OTHER = ("X", "Other or not given")
