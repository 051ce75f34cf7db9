"""Generate the fictional sample register: samples/register.json, samples/register.xlsx,
samples/mis-export/ (school.csv, pupils.csv, contacts.csv and the APDR tables) and the evidence files in samples/evidence/.

Every person, school and authority here is invented. Run: python tools/make_samples.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from senforms.inputs.workbook import build_workbook, save_workbook  # noqa: E402
from senforms.model import Provision, Register  # noqa: E402
from senforms.model.calendar import national_curriculum_year  # noqa: E402
from senforms.model.costing import HourlyRates, computed_annual_cost  # noqa: E402
from senforms.model.values import upn_check_letter  # noqa: E402

SAMPLES = ROOT / "samples"
D = dt.date
# The samples' "today": every date below (cycles, meetings, reviews) is set in the 2026/27 school
# year, and each pupil's year group is computed from the date of birth for that school year, so the
# register validates with no year-group warning. tests/conftest.py AS_OF is the same day.
SAMPLE_DATE = D(2026, 11, 23)


def upn(serial: int, year: str = "19") -> str:
    body = f"8819999{year}{serial:03d}"
    return upn_check_letter(body) + body


SCHOOL = {
    "name": "Hollybrook Primary School",
    "urn": "999901",
    "laestab": "8819999",
    "address": ["Hollybrook Primary School", "12 Orchard Lane", "Eastmere", "Northshire", "NR99 4HB"],
    "phone": "01632 960100",
    "email": "office@hollybrook-primary.example",
    "website": "https://hollybrook-primary.example",
    "logo": "logo.png",
    "head_teacher": {"name": "Mrs Helen Marsh", "role": "Head teacher", "email": "head@hollybrook-primary.example"},
    "senco": {"name": "Mr Daniel Price", "role": "SENCo", "email": "senco@hollybrook-primary.example", "phone": "01632 960105"},
    "sendiass": {"name": "Northshire SENDIASS", "phone": "01632 960400", "email": "advice@northshire-sendiass.example", "website": "https://northshire-sendiass.example"},
}
LA = {
    "name": "Northshire County Council",
    "send_team_name": "SEND Statutory Assessment Team",
    "send_team_email": "send.requests@northshire-council.example",
    "allowed_domains": ["northshire-council.example"],
    "address": ["SEND Statutory Assessment Team", "County Hall", "Eastmere", "NR99 1HQ"],
    "local_offer_url": "https://localoffer.northshire-council.example",
    "expected_cycles": 2,
    "max_report_age_months": 12,
    "email_size_limit_mb": 10,
}

# (serial, forename, surname, preferred, dob, gender, class, status, primary, secondary, cycles, decision of last review);
# the year group is not typed here: it follows from the date of birth (see SAMPLE_DATE).
PUPILS = [
    (1, "Amara", "Okafor", None, D(2016, 5, 14), "F", "Willow", "K", "SLCN", "SEMH", 3, "request_ehc_assessment"),
    (2, "Oliver", "O'Connor", "Ollie", D(2017, 2, 3), "M", "Rowan", "K", "ASD", "SLCN", 4, "request_ehc_assessment"),
    (3, "Zoë", "Ní Bhriain", None, D(2015, 10, 22), "F", "Cedar", "K", "SPLD", None, 2, "request_ehc_assessment"),
    (4, "Yusuf", "Al-Haddad", None, D(2018, 7, 9), "M", "Hazel", "K", "SEMH", None, 2, "change"),
    (5, "Łucja", "Wiśniewska", "Lucy", D(2019, 11, 30), "F", "Birch", "K", "MLD", "SLCN", 1, None),
    (6, "Kai", "Thompson-Reid", None, D(2016, 1, 17), "M", "Willow", "K", "HI", None, 2, "continue"),
    (7, "Freya", "Lindqvist", None, D(2020, 3, 5), "F", "Acorn", "K", "NSA", None, 1, None),
    (8, "Ravi", "Chandrasekaran", None, D(2015, 12, 1), "M", "Cedar", "K", "VI", "PD", 2, "continue"),
    (9, "Maisie", "Smith & Jones", None, D(2017, 6, 28), "F", "Rowan", "K", "PD", None, 1, None),
    (10, "Tomasz", "Nowak", None, D(2018, 9, 12), "M", "Hazel", "K", "SLD", "PD", 3, "continue"),
    (11, "Layla", "Haddad", "ليلى", D(2016, 8, 19), "F", "Willow", "E", "ASD", "SEMH", 2, "continue"),
    (12, "Ethan", "Barker", None, D(2019, 4, 2), "M", "Birch", "K", "MSI", None, 1, None),
    (13, "Sienna", "Adeyemi", None, D(2020, 12, 11), "F", "Acorn", "K", "OTH", None, 1, None),
]

NEEDS = {
    "SLCN": ("communication_and_interaction", "Finds it hard to follow instructions with more than two parts and to explain her ideas in sentences; vocabulary is well below that of her peers."),
    "ASD": ("communication_and_interaction", "Needs predictable routines and advance warning of change; finds unstructured times and group work very difficult; sensory sensitivity to noise."),
    "SPLD": ("cognition_and_learning", "Decoding and spelling are well below age-related expectations despite good verbal reasoning; slow processing of written information."),
    "SEMH": ("social_emotional_mental_health", "Becomes overwhelmed and leaves the classroom several times a week; finds it hard to name feelings and to repair after conflict."),
    "MLD": ("cognition_and_learning", "Working well below age-related expectations in reading, writing and mathematics; needs many repetitions to retain new learning."),
    "HI": ("sensory_and_physical", "Moderate bilateral hearing loss; wears hearing aids and uses a radio aid; misses information in noisy rooms."),
    "NSA": ("cognition_and_learning", "Slow progress in early reading and number; needs are being assessed."),
    "VI": ("sensory_and_physical", "Visual impairment; needs enlarged print (N24) and seating near the board; tires quickly when reading."),
    "PD": ("sensory_and_physical", "Cerebral palsy affecting fine and gross motor skills; needs support with handwriting, dressing and moving around school."),
    "SLD": ("cognition_and_learning", "Severe learning difficulties; working within the engagement model; communicates with single words and Makaton signs."),
    "MSI": ("sensory_and_physical", "Combined hearing and vision loss; needs a consistent adult and tactile cues."),
    "OTH": ("social_emotional_mental_health", "A rare medical condition affecting stamina and attendance; needs rest breaks and a reduced workload."),
}

# The one-page profile ("All about me"): what helps and what does not, by primary need; positive
# and in the words a pupil (with an adult scribing) would use.
HELPS = {
    "SLCN": ("Short instructions, one step at a time, with a picture to show me. Time to think before I answer.", "Long talks with lots of words. Being asked to answer in front of the class straight away."),
    "ASD": ("Knowing what is happening next on my visual timetable. A warning before things change. A quiet space when it gets loud.", "Surprises and sudden changes. Crowded, noisy places like the dinner hall at lunchtime."),
    "SPLD": ("Reading with a coloured overlay. Showing what I know by talking or drawing. Word banks for spelling.", "Copying from the board. Reading out loud without practising first."),
    "SEMH": ("A calm adult I trust. Being told quietly when I have done well. My feelings fan so I can show how I feel.", "Being told off in front of others. Not knowing who to go to when I am upset."),
    "MLD": ("Going over things lots of times. Using real things to count and build. Small steps and a tick when I finish each one.", "Too many new things at once. Being rushed."),
    "HI": ("Sitting near the front where I can see faces. The teacher wearing my radio aid. Checking I have understood.", "Background noise. People talking with their back to me or covering their mouth."),
    "NSA": ("Games to practise sounds and numbers. Lots of praise when I try.", "Sitting still for a long time."),
    "VI": ("Big print and a sloping board. Sitting near the board. Being told where things are.", "Small print and shiny worksheets. Things being moved without telling me."),
    "PD": ("Extra time to get ready and move between rooms. A laptop for longer writing. Being asked before someone helps me.", "Rushing in the corridor. Being left out of PE and games."),
    "SLD": ("Makaton signs and photos. The same adult and routine each day. Music and singing.", "Lots of talking without signs. Places that are too busy."),
    "MSI": ("The same adult each day. Touch cues before something happens. Time to explore things with my hands.", "Being touched without warning. Changes of room or adult without preparation."),
    "OTH": ("Rest breaks when I get tired. Work sent home when I am away. Friends keeping me in the loop.", "Being asked to catch up on everything at once."),
}

OUTCOME_BANK = {
    "communication_and_interaction": [
        ("will follow a two-part classroom instruction without adult repetition", "observed in 4 of 5 lessons", "1 of 5 lessons", "4 of 5 lessons"),
        ("will use a visual timetable to move between activities calmly", "staff log of transitions", "needs adult prompting at every change", "moves independently 8 times in 10"),
        ("will take part in a small-group conversation, taking turns", "speech and language therapy targets", "2 turns with adult support", "5 turns unprompted"),
    ],
    "cognition_and_learning": [
        ("will read Phase 5 words accurately", "phonics tracker", "40% of Phase 5 words", "85% of Phase 5 words"),
        ("will spell the Year 3/4 common exception words", "weekly spelling check", "12 of 50 words", "35 of 50 words"),
        ("will add and subtract within 20 using a number line", "maths assessment", "6 of 20 correct", "16 of 20 correct"),
    ],
    "social_emotional_mental_health": [
        ("will use the calm corner and a 5-point scale instead of leaving the classroom", "incident log", "4 exits a week", "1 exit a week or fewer"),
        ("will name three feelings and a strategy for each", "ELSA session record", "names 1 feeling", "names 3 feelings and strategies"),
    ],
    "sensory_and_physical": [
        ("will check and use hearing equipment independently each morning", "teacher of the deaf checklist", "needs full support", "independent 4 days in 5"),
        ("will write a sentence legibly using a writing slope and grips", "handwriting samples", "letters not formed", "legible sentence of 8 words"),
        ("will move between classroom and hall safely with minimal support", "TA observation", "adult hand-hold", "independent with verbal prompt"),
    ],
}

# (provision, sessions a week, minutes a session, group size, staff). Costs are left blank for
# senforms to work out from the School sheet's hourly rates, except where build_cycles types one.
PROVISION_BANK = {
    "communication_and_interaction": [("Speech and language group (Talk Boost)", 3, 30, 4, "Teaching assistant (trained)"), ("Social communication group", 2, 30, 3, "SENCo"), ("Visual supports and structured transitions", 5, 15, 1, "Teaching assistant")],
    "cognition_and_learning": [("Precision teaching: reading", 5, 15, 1, "Teaching assistant"), ("Toe by Toe one-to-one", 3, 20, 1, "Teaching assistant (trained)"), ("Numicon intervention group", 3, 30, 4, "Higher level teaching assistant")],
    "social_emotional_mental_health": [("ELSA sessions", 1, 45, 1, "Emotional literacy support assistant"), ("Lunchtime nurture group", 5, 30, 8, "Learning mentor"), ("Daily check-in and check-out", 5, 10, 1, "Learning mentor")],
    "sensory_and_physical": [("Hearing equipment checks and pre-teaching", 5, 15, 1, "Teaching assistant"), ("Fine motor programme (OT advice)", 3, 20, 1, "Teaching assistant"), ("Specialist teacher visits", 0.5, 60, 1, "Sensory support teacher")],
}
# Two of the pupils whose review decided to ask for an assessment have a teaching assistant with
# them for much of the day: their cost over the 12 months is above the notional £6,000, the third's
# is below it (a warning in the pack's checklist, never a bar).
ONE_TO_ONE = {1: 150, 2: 120}  # serial: minutes a day


CYCLE_DATES = [
    (D(2025, 9, 8), D(2025, 12, 12)),
    (D(2026, 1, 5), D(2026, 3, 27)),
    (D(2026, 4, 20), D(2026, 7, 17)),
    (D(2026, 9, 7), D(2026, 12, 11)),
]

PARENTS = {
    1: [("C1", "Mrs", "Grace Okafor", "Mother", True, "grace.okafor@example.com", "07700 900101", "email"), ("C2", "Mr", "Samuel Okafor", "Father", True, "sam.okafor@example.com", "07700 900102", "email")],
    2: [("C1", "Ms", "Niamh O'Connor", "Mother", True, "niamh.oconnor@example.com", "07700 900201", "email")],
    3: [("C1", "Ms", "Siobhán Ní Bhriain", "Mother", True, "siobhan.nibhriain@example.net", "07700 900301", "email"), ("C2", "Mr", "Marcus Bell", "Stepfather", False, "marcus.bell@example.net", "07700 900302", "email")],
    4: [("C1", "Mrs", "Rania Al-Haddad", "Mother", True, None, "07700 900401", "post")],
    5: [("C1", "Mrs", "Katarzyna Wiśniewska", "Mother", True, "k.wisniewska@example.com", "07700 900501", "email")],
    6: [("C1", "Mr", "Jerome Thompson", "Father", True, "jerome.thompson@example.org", "07700 900601", "email"), ("C2", "Ms", "Alice Reid", "Mother", True, None, "07700 900602", "post")],
    7: [("C1", "Mrs", "Ingrid Lindqvist", "Mother", True, "ingrid.lindqvist@example.com", "07700 900701", "email")],
    8: [("C1", "Dr", "Priya Chandrasekaran", "Mother", True, "priya.c@example.com", "07700 900801", "email")],
    9: [("C1", "Mrs", "Hannah Smith & Jones", "Mother", True, "hannah.sj@example.com", "07700 900901", "email")],
    10: [("C1", "Mr", "Piotr Nowak", "Father", True, None, "07700 901001", "post")],
    11: [("C1", "Mrs", "Fatima Haddad", "Mother", True, "fatima.haddad@example.org", "07700 901101", "email")],
    12: [("C1", "Miss", "Chloe Barker", "Mother", True, "chloe.barker@example.com", "07700 901201", "email"), ("C2", None, "Northshire Children's Services", "Corporate parent", False, None, "01632 960500", "post")],
    13: [("C1", "Mr", "Tunde Adeyemi", "Father", True, "tunde.adeyemi@example.com", "07700 901301", "email")],
}

LANGUAGES = {4: ("Arabic", True), 5: ("Polish", False), 10: ("Polish", True), 11: ("Arabic", False)}


def build_pupil(row: tuple) -> dict:
    serial, forename, surname, preferred, dob, gender, klass, status, primary, secondary, n_cycles, last_decision = row
    year = national_curriculum_year(dob, SAMPLE_DATE)
    area, need_text = NEEDS[primary]
    areas = [area] + ([NEEDS[secondary][0]] if secondary and NEEDS[secondary][0] != area else [])
    known = preferred or forename
    language = LANGUAGES.get(serial)
    pupil: dict = {
        "upn": upn(serial),
        "legal_forename": forename,
        "legal_surname": surname,
        "preferred_name": preferred,
        "date_of_birth": dob.isoformat(),
        "gender": gender,
        "year_group": year,
        "class_name": klass,
        "address": [f"{10 + serial} Meadow Road", "Eastmere", "Northshire", f"NR99 {serial % 10}{'AB'[serial // 10]}B"],  # a real postcode's shape: a digit and two letters after the space
        "admission_date": D(SAMPLE_DATE.year - year - (SAMPLE_DATE.month < 9), 9, 5).isoformat(),  # the September they started Reception
        "sen_status": status,
        "primary_need": primary,
        "secondary_need": secondary,
        "broad_areas": areas,
        "eal": bool(language),
        "first_language": language[0] if language else "English",
        "pupil_premium": serial % 3 == 0,
        "looked_after": serial == 12,
        "attendance_percent": round(97.5 - serial * 0.9, 1),
        "attendance_period": "2025/26 school year",
        "strengths": f"{known} is kind and curious, loves art and animals, and works hard when tasks are broken into steps.",
        "pupil_views": f"I like drawing and playing with my friends. I find it hard when it is noisy. It helps me when my teacher shows me what to do. — {known}",
        "important_to_me": f"My family, my friends at school and my drawings. Having time to finish what I start. — {known}",
        "how_to_support_me": HELPS[primary][0],
        "what_does_not_help": HELPS[primary][1],
        "hopes_for_the_future": f"I want to be an artist or a vet when I grow up, and to read a whole book by myself. — {known}" if serial != 13 else None,
        "parent_views": "We want school and home to work together. At home things are calmer when routines are clear. We worry about the move to the next year group.",
        "attainment": "Reading: working towards (standardised score 78, York Assessment of Reading for Comprehension). Writing: pre-key stage. Maths: working towards (standardised score 82).",
        "attainment_date": D(2026, 10, 16).isoformat(),
        "health_and_care": "No medical needs beyond those described." if primary not in {"PD", "HI", "VI", "MSI", "OTH"} else "Under the care of the community paediatrician; see attached reports.",
        "outcomes_sought": f"By the end of key stage 2, {known} will communicate needs and ideas confidently, read for meaning and manage changes in routine with support.",
        "parental_notification_sent": CYCLE_DATES[0][0].isoformat() if serial != 13 else None,
        f"needs_{ {'communication_and_interaction': 'communication', 'cognition_and_learning': 'cognition', 'social_emotional_mental_health': 'semh', 'sensory_and_physical': 'sensory_physical'}[area]}": need_text,
    }
    if secondary:
        sec_area, sec_text = NEEDS[secondary]
        key = {"communication_and_interaction": "communication", "cognition_and_learning": "cognition", "social_emotional_mental_health": "semh", "sensory_and_physical": "sensory_physical"}[sec_area]
        pupil.setdefault(f"needs_{key}", sec_text)
    pupil["contacts"] = [
        {
            "id": cid, "title": title, "name": name, "relationship": rel, "parental_responsibility": pr,
            "email": email, "phone": phone, "preferred_contact": pref,
            "language": language[0] if language and rel in {"Mother", "Father"} else "English",
            "interpreter_needed": bool(language and language[1]),
        }
        for cid, title, name, rel, pr, email, phone, pref in PARENTS[serial]
    ]
    pupil["cycles"] = build_cycles(serial, areas, n_cycles, last_decision)
    pupil["sen_support_start"] = pupil["cycles"][0]["start_date"]
    pupil["meetings"] = build_meetings(serial, n_cycles)
    pupil["professionals"], pupil["evidence"] = build_professionals_and_evidence(serial, primary, last_decision)
    if last_decision == "request_ehc_assessment":
        pupil["consents"] = [{"given_by": PARENTS[serial][0][2], "scope": "ehc_request_and_sharing", "date": D(2026, 11, 2).isoformat() if serial != 3 else D(2026, 3, 30).isoformat(), "method": "signed", "recorded_by": "Mr Daniel Price"}]
    return pupil


def build_cycles(serial: int, areas: list[str], count: int, last_decision: str | None) -> list[dict]:
    # Pupils with fewer cycles started later: their cycles are the most recent ones.
    dates = CYCLE_DATES[-count:] if count < 4 else CYCLE_DATES
    if serial == 3:
        dates = CYCLE_DATES[:2]  # a request decided in the spring: the checklist flags no recent review
    cycles = []
    for index, (start, review_date) in enumerate(dates):
        number = index + 1
        is_last = index == len(dates) - 1
        if is_last and last_decision is not None:
            review_date = min(review_date, D(2026, 11, 20))  # a review that happened is in the past
        outcomes, provision = [], []
        for o_index in range(3):
            area = areas[o_index % len(areas)]
            text, measure, baseline, target = OUTCOME_BANK[area][(o_index + serial + index) % len(OUTCOME_BANK[area])]
            outcomes.append({"id": f"O{o_index + 1}", "description": f"By {review_date.strftime('%B')} the pupil {text}", "area": area, "measure": measure, "baseline": baseline, "target": target, "by_date": review_date.isoformat()})
        for p_index, area in enumerate(areas[:2] + ([areas[0]] if len(areas) == 1 else [])):
            desc, sessions, minutes, group, staff = PROVISION_BANK[area][(p_index + serial + index) % 3]
            row = {"id": f"P{p_index + 1}", "description": desc, "area": area, "outcome_ids": [f"O{p_index + 1}"], "sessions_per_week": sessions, "minutes_per_session": minutes, "group_size": group, "staff_role": staff, "start_date": start.isoformat(), "end_date": review_date.isoformat(), "funding": "Notional SEN budget"}
            if (serial + index + p_index) % 3 == 0:  # some schools type the cost: the whole group's, to the nearest £10
                computed = computed_annual_cost(Provision.model_validate({**row, "annual_cost": None}), HourlyRates())
                assert computed is not None  # every staff role in the bank has a rate
                row["annual_cost"] = f"{round(computed, -1):.2f}"
            provision.append(row)
        if serial in ONE_TO_ONE and last_decision == "request_ehc_assessment":
            provision.append({"id": f"P{len(provision) + 1}", "description": "One-to-one teaching assistant support in class", "area": areas[0], "outcome_ids": ["O1"], "sessions_per_week": 5, "minutes_per_session": ONE_TO_ONE[serial], "group_size": 1, "staff_role": "Teaching assistant", "start_date": start.isoformat(), "end_date": review_date.isoformat(), "funding": "Notional SEN budget"})
        cycle = {
            "number": number, "start_date": start.isoformat(), "end_date": review_date.isoformat() if not (is_last and last_decision is None) else None,
            "assessment": f"Teacher assessment, standardised tests and observation in cycle {number} show progress remains well below peers from the same starting point.",
            "baseline": "YARC standardised score 74; Sandwell number test age 5y 8m" if number == 1 else "See the previous review",
            "outcomes": outcomes, "provision": provision, "review_date": review_date.isoformat(),
            "parent_contribution": "Read together for ten minutes each evening and use the same visual timetable at home.",
            "pupil_contribution": "I will ask for help using my help card.",
            "delivery_notes": f"{sum(1 for _ in provision)} interventions delivered as planned; 2 sessions missed for school trips.",
        }
        reviewed = not is_last or last_decision is not None
        if reviewed:
            decision = last_decision if is_last else ("change" if index % 2 == 0 else "continue")
            for outcome in outcomes:
                outcome["rating"] = ["some_progress", "no_progress", "achieved"][(serial + index + int(outcome["id"][1])) % 3] if decision != "request_ehc_assessment" else ["some_progress", "no_progress", "no_progress"][int(outcome["id"][1]) - 1]
                outcome["progress"] = "Progress noted in weekly records; gap with peers remains."
            cycle["review"] = {
                "date": review_date.isoformat(), "attendees": ["Mr Daniel Price (SENCo)", "Class teacher", PARENTS[serial][0][2]],
                "pupil_views": "I like my group with Miss Khan. Reading is still hard.", "parent_views": "We can see small steps but the gap is getting bigger.",
                "decision": decision,
                "next_steps": "Request an EHC needs assessment with the family's agreement, and continue current provision meanwhile." if decision == "request_ehc_assessment" else "Adjust targets and continue the interventions that are working.",
                "next_review_date": (review_date + dt.timedelta(weeks=12)).isoformat(), "record_given_to_parents": (review_date + dt.timedelta(days=3)).isoformat(),
            }
            if decision == "request_ehc_assessment":
                cycle["review"]["request_date"] = SAMPLE_DATE.isoformat()  # the school sends the request on the samples' "today"
        cycles.append(cycle)
    return cycles


# The SENCo attends every booked meeting: two on the same day never overlap (a diary a school could keep).
_BOOKED: dict[dt.date, list[int]] = {}


def _free_slot(day: dt.date, serial: int) -> tuple[str, str]:
    """A 45-minute slot on `day` from 14:00, starting where the pupil's number puts it, moved later until free."""
    taken = _BOOKED.setdefault(day, [])
    start = 14 * 60 + 30 * (serial % 5)
    while any(abs(start - other) < 45 for other in taken):
        start += 15
    taken.append(start)
    return f"{start // 60:02d}:{start % 60:02d}", f"{(start + 45) // 60:02d}:{(start + 45) % 60:02d}"


def build_meetings(serial: int, n_cycles: int) -> list[dict]:
    meetings = []
    held_dates = [D(2025, 12, 12), D(2026, 3, 27), D(2026, 7, 17)]
    if serial % 4 == 0:
        held_dates = held_dates[-1:]  # fewer than three a year: a warning the SENCo needs
    for index, day in enumerate(held_dates, start=1):
        meetings.append({"id": f"M{index}", "date": day.isoformat(), "start_time": "15:30", "end_time": "16:15", "type": "review", "location": "SENCo office", "purpose": "Review of SEN support", "held": True, "staff_attending": ["Mr Daniel Price (SENCo)", "Class teacher"]})
    if serial == 13:  # the newly identified pupil: the early discussion before SEN support began (§1.2, §5.5)
        meetings[-1].update(
            type="early_discussion", purpose="Early discussion about starting SEN support",
            strengths="Enthusiastic about science and a kind friend to others",
            difficulties="Finds it hard to start written work and to keep going with it",
            concerns="Tiredness and frustration after school on days with a lot of writing",
            agreed_outcomes="To plan and write a paragraph independently with a word bank",
            next_steps="Start SEN support in September with a writing frame; meet again in the autumn term",
        )
    booked = D(2026, 12, 1) + dt.timedelta(days=(serial * 3) % 10)
    if booked.weekday() >= 5:
        booked += dt.timedelta(days=7 - booked.weekday())
    start, end = _free_slot(booked, serial)
    meeting = {"id": f"M{len(meetings) + 1}", "date": booked.isoformat(), "start_time": start, "end_time": end, "type": "review", "location": "SENCo office, Hollybrook Primary School", "purpose": "Termly review of SEN support: progress against outcomes and next steps", "held": False, "staff_attending": ["Mr Daniel Price (SENCo)", "Class teacher"]}
    if serial in {2, 8}:
        meeting["location"] = None
        meeting["online_link"] = "https://meet.hollybrook-primary.example/review-" + str(serial)
    meetings.append(meeting)
    return meetings


def build_professionals_and_evidence(serial: int, primary: str, last_decision: str | None) -> tuple[list[dict], list[dict]]:
    professionals, evidence = [], []
    if last_decision == "request_ehc_assessment":
        professionals.append({"role": "educational_psychologist", "name": "Dr Ruth Ellison", "service": "Northshire Educational Psychology Service", "first_involved": "2026-01-20", "last_involved": "2026-06-10", "report_date": "2026-06-24" if serial != 3 else "2025-05-12", "summary": "Needs significantly above what is ordinarily available; recommends an EHC needs assessment."})
        evidence.append({"title": "Educational psychology report", "author": "Dr Ruth Ellison, Educational Psychologist", "date": "2026-06-24" if serial != 3 else "2025-05-12", "kind": "professional_report", "path": f"evidence/{serial:02d}-ep-report.pdf"})
        evidence.append({"title": "Reading and maths attainment, 2025 to 2026", "author": "Mr Daniel Price, SENCo", "date": "2026-10-16", "kind": "attainment", "path": f"evidence/{serial:02d}-attainment.pdf"})
        evidence.append({"title": "All about me (drawing)", "author": "The pupil, scribed by the class teacher", "date": "2026-10-05", "kind": "pupil_views", "path": f"evidence/{serial:02d}-all-about-me.png"})
        evidence.append({"title": "Our views as parents", "author": PARENTS[serial][0][2], "date": "2026-10-20", "kind": "parent_views", "path": f"evidence/{serial:02d}-parent-views.docx"})
        if serial == 1:
            professionals.append({"role": "speech_and_language_therapist", "name": "Ms Joanna Pike", "service": "Northshire NHS Children's Therapies", "first_involved": "2025-11-03", "last_involved": "2026-05-18", "report_date": "2026-05-18", "summary": "Receptive and expressive language disorder."})
            evidence.append({"title": "Speech and language therapy report", "author": "Ms Joanna Pike, Speech and Language Therapist", "date": "2026-05-18", "kind": "professional_report", "path": "evidence/01-salt-report.pdf"})
    elif primary in {"HI", "VI"}:
        professionals.append({"role": "sensory_support_teacher", "name": "Mr Alan Frost", "service": "Northshire Sensory Support Service", "first_involved": "2024-09-01", "last_involved": "2026-10-01", "report_date": "2026-10-01"})
    return professionals, evidence


def build_register() -> dict:
    _BOOKED.clear()
    return {"schema_version": 1, "school": SCHOOL, "local_authority": LA, "pupils": [build_pupil(row) for row in PUPILS]}


# --- evidence files: small, fictional, generated so nothing binary is hand-made -------------

def _pdf(path: Path, title: str, paragraphs: list[str], pages: int = 2) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    for page in range(pages):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(60, 780, title)
        pdf.setFont("Helvetica", 11)
        y = 740
        for text in paragraphs:
            pdf.drawString(60, y, text)
            y -= 18
        pdf.drawString(60, 60, f"{title} - page {page + 1} of {pages}")
        pdf.showPage()
    pdf.save()
    path.write_bytes(buffer.getvalue())


def _png(path: Path, caption: str) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 1200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, 860, 1160], outline="navy", width=6)
    draw.ellipse([300, 200, 600, 500], outline="orange", width=10)
    draw.line([450, 500, 450, 850], fill="orange", width=10)
    draw.text((80, 1000), caption, fill="black")
    image.save(path, "PNG", optimize=False)


def _docx(path: Path, title: str, paragraphs: list[str]) -> None:
    from docx import Document

    document = Document()
    document.core_properties.author = "senforms sample"
    document.add_heading(title, 1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.core_properties.created = dt.datetime(2026, 1, 1)
    document.core_properties.modified = dt.datetime(2026, 1, 1)
    buffer = io.BytesIO()
    document.save(buffer)
    from senforms.documents.templating import normalise_docx

    path.write_bytes(normalise_docx(buffer.getvalue()))


def write_evidence(register: dict) -> None:
    folder = SAMPLES / "evidence"
    folder.mkdir(parents=True, exist_ok=True)
    for pupil in register["pupils"]:
        name = f"{pupil['legal_forename']} {pupil['legal_surname']}"
        for item in pupil["evidence"]:
            target = SAMPLES / item["path"]
            lines = [f"Fictional sample for {name}.", f"Author: {item['author']}", "This document is invented for senforms' samples."]
            if target.suffix == ".pdf":
                _pdf(target, item["title"], lines, pages=3 if item["kind"] == "professional_report" else 1)
            elif target.suffix == ".png":
                _png(target, f"All about me - {pupil['legal_forename']}")
            elif target.suffix == ".docx":
                _docx(target, item["title"], lines + ["We would like the school and the local authority to understand how hard mornings are at home."])


def write_logo() -> None:
    """A made-up crest: a green shield with a holly leaf shape and the letters HP."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(20, 20), (220, 20), (220, 130), (120, 225), (20, 130)], fill=(27, 94, 32))
    draw.polygon([(120, 45), (165, 95), (140, 100), (170, 150), (120, 125), (70, 150), (100, 100), (75, 95)], fill=(200, 230, 201))
    draw.ellipse([105, 150, 135, 180], fill=(198, 40, 40))
    image.save(SAMPLES / "logo.png", "PNG")


# The MIS's own names for the columns it exports: pupils and contacts as SIMS writes them (Arbor's
# "Last Name", "Registration Form", "Primary SEN Need"… are read as well). Every other column, and
# the APDR tables, keep the workbook's headings: they come from the SENCo's records, not the MIS.
SIMS_PUPIL_HEADERS = {
    "legal_surname": "Legal Surname", "legal_forename": "Forename", "preferred_name": "Preferred Forename", "date_of_birth": "DOB",
    "year_group": "NC Year", "class_name": "Reg Group", "sen_status": "SEN Status", "primary_need": "SEN Need 1", "secondary_need": "SEN Need 2",
    "address": "Address", "admission_date": "Date of Admission", "first_language": "Home Language", "pupil_premium": "Pupil Premium Indicator", "looked_after": "In Care",
}
SIMS_CONTACT_HEADERS = {"name": "Contact Name", "relationship": "Relation", "parental_responsibility": "Has Parental Responsibility", "email": "Email Address", "phone": "Telephone", "language": "Home Language"}
SIMS_STATUS = {"K": "K - SEN Support", "E": "E - EHC Plan"}


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def write_mis_export(register: Register) -> None:
    # A folder of CSVs as a school would assemble it: pupils and contacts exported from SIMS (its own
    # headers, Windows line endings, UK dates, a BOM), the school's details in school.csv (Setting and
    # Value, as on the workbook's School sheet), and the APDR records the SENCo keeps, one CSV a table.
    # It makes every document and a pack, so it is a whole route, not a demonstration of headers.
    from senforms.inputs.tables import CHILD_TABLES, PUPILS, SCHOOL_SETTINGS
    from senforms.inputs.workbook import csv_text, register_rows

    folder = SAMPLES / "mis-export"
    folder.mkdir(parents=True, exist_ok=True)
    rows = register_rows(register)
    school = [["Setting", "Value"]]
    data = register.model_dump(mode="json")
    for setting in SCHOOL_SETTINGS:
        value: object = data
        for part in setting.path:
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, [], ""):
            continue
        school.append([setting.label, "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)])
    _write_csv(folder / "school.csv", school)
    for table in (PUPILS, *CHILD_TABLES):
        headers = SIMS_PUPIL_HEADERS if table is PUPILS else SIMS_CONTACT_HEADERS if table.key == "contacts" else {}
        lines = [[headers.get(c.field, c.header) for c in table.columns]]
        for row in rows[table.key]:
            cells = [csv_text(c, row.get(c.field)) for c in table.columns]
            if table is PUPILS:
                cells[[c.field for c in table.columns].index("sen_status")] = SIMS_STATUS[row["sen_status"].value]
            lines.append(cells)
        if len(lines) > 1:
            _write_csv(folder / f"{table.key}.csv", lines)
    (SAMPLES / "pupils-mis-export.csv").unlink(missing_ok=True)  # the pupils-only export it replaces


def main() -> None:
    data = build_register()
    register = Register.model_validate(data)  # fail here, not in a test, if the samples drift from the model
    SAMPLES.mkdir(exist_ok=True)
    (SAMPLES / "register.json").write_text(register.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
    save_workbook(build_workbook(register), SAMPLES / "register.xlsx", overwrite=True)
    write_mis_export(register)
    write_evidence(data)
    write_logo()
    print(f"wrote {len(register.pupils)} pupils to {SAMPLES}")


if __name__ == "__main__":
    main()
