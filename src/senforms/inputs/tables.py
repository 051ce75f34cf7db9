"""The tables of an SEN register as spreadsheets hold them: sheets, columns, header aliases.

One source of truth for the shipped workbook (its headers, drop-downs and date formats), the
Excel reader and the CSV reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from senforms.model import codes

Kind = Literal["text", "date", "time", "int", "number", "money", "yesno", "code", "list", "lines", "id"]


@dataclass(frozen=True)
class Column:
    """One column: the model field it fills, its header and the other names school systems use."""

    field: str
    header: str
    kind: Kind = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: type[codes._Coded] | None = None
    help: str = ""
    width: int = 18
    allowed: tuple[str, ...] = ()  # a drop-down for a column with no code list (the year groups)

    def choices(self) -> list[str]:
        """What the drop-down offers: census codes as they are, other codes by their label."""
        if self.allowed:
            return list(self.allowed)
        if self.codes is None:
            return []
        if self.codes in (codes.NeedCode, codes.SenStatus, codes.Gender):
            return [m.value for m in self.codes]
        return [m.label for m in self.codes]


@dataclass(frozen=True)
class Table:
    """One sheet of the workbook (or one CSV file)."""

    name: str  # sheet name, and the CSV file stem in lower case
    key: str  # where its rows go in the record
    columns: tuple[Column, ...]
    description: str
    parent: tuple[str, ...] = ()  # fields that link a row to its pupil (and cycle)
    aliases: tuple[str, ...] = field(default=())

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)


YEAR_GROUPS = ("N1", "N2", "R", *(str(n) for n in range(1, 15)))  # nursery, Reception, Years 1 to 14
UPN = Column("upn", "UPN", "id", True, ("unique pupil number", "upn number"), help="13 characters, from the school information system", width=16)
CYCLE = Column("cycle", "Cycle", "int", True, ("cycle number", "apdr cycle"), help="1 for the first APDR cycle, 2 for the next…", width=8)

PUPILS = Table(
    "Pupils",
    "pupils",
    (
        UPN,
        Column("legal_forename", "Legal forename", required=True, aliases=("forename", "first name", "legal first name", "given name", "forenames")),
        Column("legal_surname", "Legal surname", required=True, aliases=("surname", "last name", "family name")),
        Column("preferred_name", "Preferred name", aliases=("preferred forename", "known as", "preferred first name")),
        Column("date_of_birth", "Date of birth", "date", True, ("dob", "birth date", "d.o.b.")),
        Column("gender", "Gender", "code", codes=codes.Gender, aliases=("sex",), width=9),
        Column("year_group", "Year group", "text", True, ("year", "nc year", "national curriculum year", "curriculum year"), help="R for Reception, or 1–14", width=10, allowed=YEAR_GROUPS),
        Column("class_name", "Class", aliases=("reg group", "registration group", "form", "tutor group", "class name")),
        Column("address", "Home address", "lines", aliases=("address",), help="one line per line of the address (Alt+Enter in Excel)", width=30),
        Column("admission_date", "Admission date", "date", aliases=("date of admission", "entry date")),
        Column("sen_status", "SEN status", "code", True, ("sen provision", "sen stage", "sen"), codes=codes.SenStatus, help="K = SEN support, E = EHC plan, N = no SEN", width=10),
        Column("sen_support_start", "SEN support started", "date", aliases=("sen start date", "sen support start")),
        Column("primary_need", "Primary need", "code", False, ("sen need 1", "primary need code", "sen type 1", "sen need", "primary sen need"), codes=codes.NeedCode, help="needed for K and E; blank for N (no SEN)", width=12),
        Column("secondary_need", "Secondary need", "code", aliases=("sen need 2", "secondary need code", "sen type 2", "secondary sen need"), codes=codes.NeedCode, width=12),
        Column("broad_areas", "Broad areas of need", "list", help="separate several with ;", width=30),
        Column("eal", "EAL", "yesno", aliases=("english as an additional language",), width=7),
        Column("first_language", "First language", aliases=("home language", "language")),
        Column("pupil_premium", "Pupil premium", "yesno", aliases=("pp", "pupil premium indicator", "fsm"), width=9),
        Column("looked_after", "Looked after", "yesno", aliases=("cla", "in care", "looked after child"), width=9),
        Column("attendance_percent", "Attendance %", "number", aliases=("attendance", "attendance percentage"), width=10),
        Column("attendance_period", "Attendance period", help="e.g. autumn term 2025"),
        Column("strengths", "Strengths", width=40),
        Column("needs_communication", "Needs: communication and interaction", width=40),
        Column("needs_cognition", "Needs: cognition and learning", width=40),
        Column("needs_semh", "Needs: social, emotional and mental health", width=40),
        Column("needs_sensory_physical", "Needs: sensory and physical", width=40),
        Column("pupil_views", "Pupil's views", aliases=("pupil views", "child's views", "my views"), width=40),
        Column("important_to_me", "What is important to me", aliases=("important to me", "what's important to me", "what matters to me"), help="for the one-page profile, in the pupil's words", width=40),
        Column("how_to_support_me", "How best to support me", aliases=("what helps", "what helps me", "how to support me", "how best to help me"), help="for the one-page profile: what helps", width=40),
        Column("what_does_not_help", "What does not help", aliases=("what doesn't help", "what doesnt help", "what does not help me", "what doesn't help me"), help="for the one-page profile", width=40),
        Column("hopes_for_the_future", "My hopes for the future", aliases=("hopes for the future", "my goals and wishes", "goals and wishes", "hopes and goals"), help="for the one-page profile", width=40),
        Column("parent_views", "Parents' views", aliases=("parent views", "parents views", "carers' views"), width=40),
        Column("attainment", "Attainment and progress", width=40),
        Column("attainment_date", "Attainment data date", "date"),
        Column("health_and_care", "Health and social care", width=40),
        Column("outcomes_sought", "Outcomes sought", width=40),
        Column("parental_notification_sent", "Parental notification sent", "date"),
        Column("taught_out_of_year_group", "Taught out of year group", "yesno", aliases=("out of year group", "taught out of year", "out of chronological year"), help="Yes if the pupil is taught outside the year group their date of birth gives", width=10),
    ),
    "One row per pupil on the SEN register.",
    aliases=("pupil", "register", "students"),
)

CONTACTS = Table(
    "Contacts",
    "contacts",
    (
        UPN,
        Column("id", "Contact ID", "id", True, help="e.g. C1, unique for the pupil", width=10),
        Column("title", "Title", width=8),
        Column("name", "Name", required=True, aliases=("contact name", "full name")),
        Column("relationship", "Relationship", required=True, aliases=("relation",)),
        Column("parental_responsibility", "Parental responsibility", "yesno", True, ("pr", "has parental responsibility"), width=10),
        Column("address", "Address", "lines", help="leave blank if the same as the pupil's", width=30),
        Column("email", "Email", aliases=("email address", "e-mail"), width=28),
        Column("phone", "Phone", "id", aliases=("telephone", "mobile", "phone number"), help="type as text so the leading 0 stays", width=16),
        Column("preferred_contact", "Preferred contact", "code", codes=codes.ContactMethod, width=14),
        Column("language", "Language", aliases=("home language",)),
        Column("interpreter_needed", "Interpreter needed", "yesno", width=10),
    ),
    "Parents and carers: one row each, linked to the pupil by UPN.",
    parent=("upn",),
    aliases=("parents", "carers", "parents and carers"),
)

PROFESSIONALS = Table(
    "Professionals",
    "professionals",
    (
        UPN,
        Column("role", "Role", "code", True, codes=codes.ProfessionalRole, width=28),
        Column("name", "Name"),
        Column("service", "Service", required=True, width=28),
        Column("first_involved", "First involved", "date"),
        Column("last_involved", "Last involved", "date"),
        Column("report_date", "Report date", "date"),
        Column("summary", "Summary of advice", width=40),
    ),
    "External professionals involved with each pupil.",
    parent=("upn",),
)

CYCLES = Table(
    "Cycles",
    "cycles",
    (
        UPN,
        CYCLE,
        Column("start_date", "Start date", "date", True),
        Column("end_date", "End date", "date"),
        Column("assessment", "Assessment summary", required=True, width=40),
        Column("baseline", "Baseline data", width=30),
        Column("review_date", "Review date", "date"),
        Column("parent_contribution", "Parents' contribution at home", width=30),
        Column("pupil_contribution", "Pupil's contribution", width=30),
        Column("delivery_notes", "What was done", width=30),
    ),
    "One row per APDR cycle: the Assess and Plan stages.",
    parent=("upn",),
    aliases=("apdr", "apdr cycles", "plans"),
)

OUTCOMES = Table(
    "Outcomes",
    "outcomes",
    (
        UPN,
        CYCLE,
        Column("id", "Outcome ID", "id", True, help="e.g. O1", width=10),
        Column("description", "Outcome", required=True, width=40),
        Column("area", "Area of need", "code", codes=codes.BroadArea, width=30),
        Column("measure", "How it will be measured", required=True, width=30),
        Column("baseline", "Baseline", width=20),
        Column("target", "Target", width=20),
        Column("by_date", "By date", "date", True),
        Column("rating", "Progress at review", "code", codes=codes.OutcomeRating, width=16),
        Column("progress", "Progress notes", width=40),
    ),
    "SMART outcomes for each cycle, and progress against each at review.",
    parent=("upn", "cycle"),
    aliases=("targets",),
)

PROVISION = Table(
    "Provision",
    "provision",
    (
        UPN,
        CYCLE,
        Column("id", "Provision ID", "id", True, help="e.g. P1", width=10),
        Column("description", "Provision", required=True, width=36),
        Column("area", "Area of need", "code", codes=codes.BroadArea, width=30),
        Column("outcome_ids", "For outcomes", "list", help="outcome IDs, separated by ;", width=12),
        Column("sessions_per_week", "Sessions a week", "number", True, width=10),
        Column("minutes_per_session", "Minutes a session", "int", True, width=10),
        Column("group_size", "Group size", "int", help="1 for one-to-one", width=8),
        Column("staff_role", "Staff", required=True, aliases=("staff role", "delivered by"), width=22),
        Column("start_date", "Start date", "date", True),
        Column("end_date", "End date", "date"),
        Column("weeks_per_year", "Weeks a year", "int", width=8),
        Column("annual_cost", "Annual cost (£)", "money", False, ("cost", "annual cost", "cost per year"), help="for a group, the whole group's cost; blank: sessions × minutes × weeks × the staff's hourly rate (School sheet)", width=12),
        Column("cost_is_pupils_own", "Cost is the pupil's own", "yesno", aliases=("pupils own cost", "cost per pupil"), help="Yes if the annual cost is already this pupil's share of a group", width=10),
        Column("funding", "Funded from", width=16),
    ),
    "Provision for each cycle: who, what, how often, group size and cost.",
    parent=("upn", "cycle"),
    aliases=("provision map", "interventions"),
)

REVIEWS = Table(
    "Reviews",
    "reviews",
    (
        UPN,
        CYCLE,
        Column("date", "Review date", "date", True),
        Column("attendees", "Attendees", "list", help="separate names with ;", width=30),
        Column("pupil_views", "Pupil's views", width=36),
        Column("parent_views", "Parents' views", width=36),
        Column("decision", "Decision", "code", True, codes=codes.ReviewDecision, width=30),
        Column("next_steps", "Next steps", width=36),
        Column("next_review_date", "Next review date", "date"),
        Column("record_given_to_parents", "Record given to parents", "date"),
        Column("request_date", "Request date", "date", aliases=("date of request", "request sent", "ehc request date"), help="only for a review that decided to request an EHC needs assessment: the date the school sends the request"),
        Column("no_consent_reason", "Reason there is no consent", aliases=("reason without consent", "no consent reason"), help="only for a request made without the agreement of parents or the young person", width=30),
    ),
    "The Review stage: one row per reviewed cycle.",
    parent=("upn", "cycle"),
)

MEETINGS = Table(
    "Meetings",
    "meetings",
    (
        UPN,
        Column("id", "Meeting ID", "id", True, help="e.g. M1, unique for the pupil", width=10),
        Column("date", "Date", "date", True),
        Column("start_time", "Start time", "time", width=10),
        Column("end_time", "End time", "time", width=10),
        Column("type", "Type", "code", codes=codes.MeetingType, width=26),
        Column("location", "Place", aliases=("location", "venue", "room"), width=24),
        Column("online_link", "Online link", aliases=("link", "video link"), width=24),
        Column("purpose", "Purpose", width=30),
        Column("invite_contact_ids", "Invite contacts", "list", help="contact IDs; blank = everyone with parental responsibility", width=12),
        Column("staff_attending", "Staff attending", "list", width=30),
        Column("held", "Held", "yesno", width=7),
        Column("strengths", "Strengths discussed", help="early discussion: the pupil's strengths", width=30),
        Column("difficulties", "Difficulties discussed", help="early discussion: what the pupil finds difficult", width=30),
        Column("concerns", "Parents' concerns", aliases=("concerns",), width=30),
        Column("agreed_outcomes", "Agreed outcomes", width=30),
        Column("next_steps", "Next steps", width=30),
    ),
    "Meetings with parents and carers, held or booked; for an early discussion, what was talked about and agreed.",
    parent=("upn",),
)

EVIDENCE = Table(
    "Evidence",
    "evidence",
    (
        UPN,
        Column("title", "Title", required=True, width=36),
        Column("author", "Author", width=24),
        Column("date", "Date", "date"),
        Column("kind", "Kind", "code", codes=codes.EvidenceKind, width=30),
        Column("path", "File", required=True, help="path relative to the workbook, e.g. evidence/ep-report.pdf", width=36),
    ),
    "Documents for EHC request packs: reports, data, views.",
    parent=("upn",),
)

CONSENT = Table(
    "Consent",
    "consents",
    (
        UPN,
        Column("contact_id", "Contact ID", "id", aliases=("contact", "given by contact"), help="the Contacts row of the parent or carer who gave it", width=12),
        Column("young_person", "Young person", "yesno", aliases=("given by young person", "by young person"), help="Yes when the young person gave it themself", width=10),
        Column("given_by", "Given by", help="the name; optional when Contact ID or Young person says who", width=24),
        Column("scope", "Scope", "code", True, codes=codes.ConsentScope, width=36),
        Column("date", "Date", "date", True),
        Column("method", "How given", "code", True, codes=codes.ConsentMethod, width=22),
        Column("recorded_by", "Recorded by"),
        Column("exclusions", "Must not be told", width=30),
    ),
    "Consent from parents with parental responsibility, or the young person.",
    parent=("upn",),
    aliases=("consents",),
)

CHILD_TABLES = (CONTACTS, PROFESSIONALS, CYCLES, OUTCOMES, PROVISION, REVIEWS, MEETINGS, EVIDENCE, CONSENT)
TABLES = (PUPILS, *CHILD_TABLES)


@dataclass(frozen=True)
class Setting:
    """One row of the key/value School sheet."""

    path: tuple[str, ...]
    label: str
    kind: Kind = "text"
    required: bool = False


SCHOOL_SETTINGS = (
    Setting(("school", "name"), "School name", required=True),
    Setting(("school", "urn"), "URN"),
    Setting(("school", "laestab"), "LAESTAB"),
    Setting(("school", "address"), "School address", "lines"),
    Setting(("school", "phone"), "School phone", "id"),
    Setting(("school", "email"), "School email"),
    Setting(("school", "website"), "School website"),
    Setting(("school", "logo"), "Logo file"),
    Setting(("school", "head_teacher", "name"), "Head teacher", required=True),
    Setting(("school", "head_teacher", "role"), "Head teacher's title"),
    Setting(("school", "head_teacher", "email"), "Head teacher's email"),
    Setting(("school", "senco", "name"), "SENCo", required=True),
    Setting(("school", "senco", "role"), "SENCo's title"),
    Setting(("school", "senco", "email"), "SENCo's email"),
    Setting(("school", "senco", "phone"), "SENCo's phone", "id"),
    Setting(("school", "sendiass", "name"), "SENDIASS name"),
    Setting(("school", "sendiass", "phone"), "SENDIASS phone", "id"),
    Setting(("school", "sendiass", "email"), "SENDIASS email"),
    Setting(("school", "sendiass", "website"), "SENDIASS website"),
    Setting(("school", "hourly_rates", "teaching_assistant"), "Hourly rate: teaching assistant (£)", "money"),
    Setting(("school", "hourly_rates", "higher_level_teaching_assistant"), "Hourly rate: HLTA (£)", "money"),
    Setting(("school", "hourly_rates", "teacher"), "Hourly rate: teacher (£)", "money"),
    Setting(("school", "hourly_rates", "senco"), "Hourly rate: SENCo (£)", "money"),
    Setting(("school", "hourly_rates", "specialist"), "Hourly rate: specialist or therapist (£)", "money"),
    Setting(("local_authority", "name"), "Local authority", required=True),
    Setting(("local_authority", "send_team_name"), "LA SEND team"),
    Setting(("local_authority", "send_team_email"), "LA SEND team email"),
    Setting(("local_authority", "allowed_domains"), "LA email domains", "list"),
    Setting(("local_authority", "address"), "LA address", "lines"),
    Setting(("local_authority", "local_offer_url"), "LA Local Offer website"),
    Setting(("local_authority", "expected_cycles"), "APDR cycles the LA expects", "int"),
    Setting(("local_authority", "max_report_age_months"), "Oldest report the LA accepts (months)", "int"),
    Setting(("local_authority", "email_size_limit_mb"), "LA email size limit (MB)", "number"),
)
SCHOOL_SHEET = "School"
# A CSV register's school details: a file named like this, with Setting and Value columns
# (the School sheet's rows), since an MIS export has nowhere else to carry them.
SCHOOL_FILE_NAMES = ("school", "school details", "settings", "school settings")
INSTRUCTIONS_SHEET = "Instructions"
PLAN_SHEET = "Meeting plan"  # the first sheet of a `meetings plan` workbook: a summary for people, not read back


def normalise_header(text: str) -> str:
    """Headers match whatever their case, spacing or punctuation: 'Date of Birth ' == 'date_of_birth'."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def setting_for(label: object) -> Setting | None:
    """The School sheet (or school.csv) row a label names, whatever its case or spacing."""
    wanted = normalise_header(str(label))
    for setting in SCHOOL_SETTINGS:  # "SENCo email" is "SENCo's email"
        if wanted in {normalise_header(setting.label), normalise_header(setting.label.replace("'s ", " "))}:
            return setting
    return None


def is_school_file(name: str, headers: list[str]) -> bool:
    """A CSV holding the school's details (Setting/Value rows) rather than a table of pupils' records."""
    if normalise_header(name) in {normalise_header(n) for n in SCHOOL_FILE_NAMES}:
        return True
    return [normalise_header(h) for h in headers if h.strip()] == ["setting", "value"]


def table_for(name: str) -> Table | None:
    """The table a sheet or CSV file name refers to."""
    wanted = normalise_header(name)
    for table in TABLES:
        if wanted in {normalise_header(n) for n in (table.name, table.key, *table.aliases)}:
            return table
    return None
