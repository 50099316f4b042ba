"""Built-in scripts an organisation starts from: legal intake, healthcare access, home
services and a general message.

Each is a complete definition that ``parse_definition`` accepts with no
``approval_problems`` (tests hold them to it), so a new organisation can approve one as it is
and edit it later. The definitions are plain JSON dicts, shared by every caller of
``TEMPLATES``: copy one (``copy.deepcopy``) before changing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    definition: dict[str, Any]


def _field(
    field_id: str,
    field_type: str,
    label: str,
    *,
    required: bool = False,
    sensitivity: str = "ordinary",
    help: str = "",
    validation: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": field_id,
        "type": field_type,
        "label": label,
        "help": help,
        "required": required,
        "sensitivity": sensitivity,
        "validation": validation or {},
        "condition": condition,
    }


def _choices(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in pairs]


_US_STATES = (
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
)

# Usual limits for a personal-injury claim, in years, where they differ from the common two
# or are asked about most. A starting point for the firm's own attorneys to check, not
# advice: exceptions (minors, discovery rules, claims against a government) are theirs to
# weigh, which is why the warning only says "flag for an attorney".
_PERSONAL_INJURY_YEARS = {
    "default": 2,
    "CA": 2,
    # Florida cut negligence claims from four years to two for causes of action arising
    # after 24 March 2023 (HB 837, 2023).
    "FL": 2,
    "KY": 1,
    # Louisiana: one year for injuries before 1 July 2024, two after (Act 423 of 2024,
    # Civil Code art. 3493.1). New calls are about recent incidents, so two; an older
    # incident near its first anniversary is past the one-year limit already.
    "LA": 2,
    "MA": 3,
    "MD": 3,
    "ME": 6,
    "MO": 5,
    "NC": 3,
    "ND": 6,
    "NE": 4,
    "NY": 3,
    "TN": 1,
    "TX": 2,
    "UT": 4,
    "WA": 3,
    "WY": 4,
}

_LEGAL_INTAKE: dict[str, Any] = {
    "read_aloud": {
        "greeting": (
            "Thank you for calling. I'm an intake specialist for the firm, and I'll take a "
            "few details so that an attorney can review your situation."
        ),
        "disclaimers": [
            "I'm not an attorney and I can't give legal advice. Speaking with me does not "
            "make the firm your lawyer.",
            "Please answer only what I ask for now; an attorney will follow up on the rest.",
        ],
        "closing": (
            "Thank you. A member of the legal team will review this and contact you. If you "
            "don't hear from us within two business days, please call again."
        ),
    },
    "notices": [
        "This call does not create an attorney-client relationship; the agent gives no legal "
        "advice, including about deadlines.",
    ],
    "sections": [
        {
            "id": "caller",
            "title": "About the caller",
            "fields": [
                _field(
                    "full_name",
                    "short_text",
                    "Full name",
                    required=True,
                    sensitivity="personal",
                    validation={"min_length": 2, "max_length": 120},
                ),
                _field(
                    "phone",
                    "phone",
                    "Best phone number",
                    required=True,
                    sensitivity="personal",
                ),
                _field("email", "email", "Email address", sensitivity="personal"),
                _field(
                    "state",
                    "single_choice",
                    "State where it happened",
                    required=True,
                    validation={"choices": _choices(*_US_STATES)},
                ),
            ],
        },
        {
            "id": "matter",
            "title": "What happened",
            "fields": [
                _field(
                    "matter_type",
                    "single_choice",
                    "Kind of matter",
                    required=True,
                    validation={
                        "choices": _choices(
                            ("personal_injury", "Personal injury"),
                            ("mass_tort", "Mass tort (a drug, device or product)"),
                        )
                    },
                ),
                _field(
                    "product",
                    "short_text",
                    "Drug, device or product involved",
                    validation={"max_length": 200},
                    condition={"field": "matter_type", "equals": "mass_tort"},
                ),
                _field(
                    "incident_date",
                    "date",
                    "Date of the incident (or first diagnosis)",
                    required=True,
                    help="Ask for the best estimate when the caller is unsure.",
                    validation={"min": "1950-01-01"},
                ),
                _field(
                    "what_happened",
                    "long_text",
                    "What happened, in the caller's words",
                    required=True,
                    validation={"max_length": 5000},
                ),
                _field("injured", "yes_no", "Was anyone injured?", required=True),
                _field(
                    "injuries",
                    "long_text",
                    "Injuries",
                    required=True,
                    sensitivity="health",
                    condition={"field": "injured", "equals": True},
                ),
                _field(
                    "treatment_sought",
                    "long_text",
                    "Treatment sought (hospital, doctor, therapy)",
                    sensitivity="health",
                    condition={"field": "injured", "equals": True},
                ),
                _field(
                    "other_parties",
                    "long_text",
                    "Other people or companies involved",
                    sensitivity="personal",
                    help="One per line. These are checked for conflicts of interest.",
                ),
            ],
        },
        {
            "id": "background",
            "title": "Background",
            "fields": [
                _field(
                    "prior_representation",
                    "yes_no",
                    "Has the caller spoken to or hired another attorney about this?",
                    required=True,
                ),
                _field(
                    "prior_attorney",
                    "short_text",
                    "Other attorney's name or firm",
                    sensitivity="personal",
                    condition={"field": "prior_representation", "equals": True},
                ),
                _field(
                    "heard_about",
                    "single_choice",
                    "How did they hear about us?",
                    validation={
                        "choices": _choices(
                            ("search", "Web search"),
                            ("tv_radio", "TV or radio"),
                            ("social", "Social media"),
                            ("referral", "Friend, family or another attorney"),
                            ("past_client", "Past client"),
                            ("other", "Other"),
                        )
                    },
                ),
            ],
        },
    ],
    "protocols": {
        "statute_of_limitations": {
            "incident_date_field": "incident_date",
            "matter_type_field": "matter_type",
            "state_field": "state",
            "years": {"personal_injury": _PERSONAL_INJURY_YEARS, "mass_tort": {"default": 2}},
            "warn_within_days": 90,
        },
        "conflict_check": {"name_fields": ["full_name", "other_parties"]},
    },
}

_DAYS = (
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
)

# Minimum necessary: the agent books and routes; symptoms and diagnoses are for clinicians,
# so no field asks for them, and the one free-text field is short and watched for emergencies.
_HEALTHCARE_ACCESS: dict[str, Any] = {
    "read_aloud": {
        "greeting": (
            "Thank you for calling. I can help with appointments, referrals, prescription "
            "refill questions and billing."
        ),
        "disclaimers": [
            "If this is a medical emergency, please hang up and dial 911.",
            "I'm not a clinician, so I can't give medical advice; please don't tell me about "
            "symptoms, and a member of the care team will follow up.",
        ],
        "closing": (
            "Thank you. The practice will call you back during office hours. If things get "
            "worse, dial 911."
        ),
    },
    "notices": [
        "The agent gives no clinical advice and records no symptoms or diagnoses: "
        "minimum necessary information only.",
    ],
    "sections": [
        {
            "id": "caller",
            "title": "Caller and patient",
            "fields": [
                _field(
                    "full_name",
                    "short_text",
                    "Patient's full name",
                    required=True,
                    sensitivity="personal",
                    validation={"min_length": 2, "max_length": 120},
                ),
                _field(
                    "date_of_birth",
                    "date",
                    "Patient's date of birth",
                    required=True,
                    sensitivity="personal",
                    validation={"min": "1900-01-01"},
                ),
                _field(
                    "phone",
                    "phone",
                    "Callback number",
                    required=True,
                    sensitivity="personal",
                ),
                _field("is_patient", "yes_no", "Is the caller the patient?", required=True),
                _field(
                    "caller_name",
                    "short_text",
                    "Caller's name and relationship to the patient",
                    required=True,
                    sensitivity="personal",
                    condition={"field": "is_patient", "equals": False},
                ),
            ],
        },
        {
            "id": "request",
            "title": "The request",
            "fields": [
                _field(
                    "urgent",
                    "yes_no",
                    "Is the caller describing an emergency (such as chest pain, trouble "
                    "breathing, or thoughts of self-harm)?",
                    required=True,
                ),
                _field(
                    "reason",
                    "single_choice",
                    "Reason for the call",
                    required=True,
                    validation={
                        "choices": _choices(
                            ("appointment", "Appointment"),
                            ("referral", "Referral follow-up"),
                            ("prescription_refill", "Prescription refill question"),
                            ("billing", "Billing"),
                        )
                    },
                ),
                _field(
                    "patient_status",
                    "single_choice",
                    "New or existing patient?",
                    required=True,
                    validation={
                        "choices": _choices(
                            ("new", "New patient"), ("existing", "Existing patient")
                        )
                    },
                    condition={"field": "reason", "equals": "appointment"},
                ),
                _field(
                    "referred_by",
                    "short_text",
                    "Referring practice or provider",
                    sensitivity="health",
                    validation={"max_length": 200},
                    condition={"field": "reason", "equals": "referral"},
                ),
                _field(
                    "preferred_times",
                    "multiple_choice",
                    "Preferred times",
                    validation={
                        "choices": _choices(
                            ("morning", "Morning"),
                            ("afternoon", "Afternoon"),
                            ("evening", "Evening"),
                        )
                    },
                    condition={"field": "reason", "in": ["appointment", "referral"]},
                ),
                _field(
                    "preferred_days",
                    "multiple_choice",
                    "Preferred days",
                    validation={"choices": _choices(*_DAYS)},
                    condition={"field": "reason", "in": ["appointment", "referral"]},
                ),
            ],
        },
        {
            "id": "insurance",
            "title": "Insurance",
            "fields": [
                _field(
                    "insurance_carrier",
                    "short_text",
                    "Insurance carrier",
                    sensitivity="personal",
                    help="For example Aetna, Medicare, Medicaid; leave blank if self-pay.",
                    validation={"max_length": 120},
                ),
                _field(
                    "member_id",
                    "short_text",
                    "Member ID",
                    sensitivity="personal",
                    validation={"max_length": 40},
                    condition={"field": "insurance_carrier", "answered": True},
                ),
                _field(
                    "anything_else",
                    "short_text",
                    "Anything else we should pass on (no symptoms or medical details)",
                    sensitivity="health",
                    validation={"max_length": 300},
                ),
            ],
        },
    ],
    "protocols": {
        "urgent": {
            "keywords": [
                "chest pain",
                "trouble breathing",
                "can't breathe",
                "cannot breathe",
                "suicidal",
                "kill myself",
                "stroke",
                "severe bleeding",
                "unconscious",
                "overdose",
            ],
            "question_field": "urgent",
            "watch_fields": ["anything_else"],
            "instruction": (
                "Tell the caller to hang up and dial 911 now (or 988 for a mental-health "
                "crisis). Then page the on-call clinician."
            ),
            "escalate": True,
        },
    },
}

_HOME_SERVICES: dict[str, Any] = {
    "read_aloud": {
        "greeting": "Thank you for calling. I'll take the details so a technician can help.",
        "disclaimers": [
            "If you smell gas or a carbon monoxide alarm is sounding, leave the building now "
            "and call 911 from outside.",
        ],
        "closing": "Thank you. We'll call you back to confirm a time.",
    },
    "notices": ["Quote no prices or arrival times that the dispatcher has not confirmed."],
    "sections": [
        {
            "id": "customer",
            "title": "Customer",
            "fields": [
                _field(
                    "full_name",
                    "short_text",
                    "Name",
                    required=True,
                    sensitivity="personal",
                    validation={"max_length": 120},
                ),
                _field("phone", "phone", "Phone", required=True, sensitivity="personal"),
                _field(
                    "service_address",
                    "address",
                    "Service address",
                    required=True,
                    sensitivity="personal",
                ),
            ],
        },
        {
            "id": "job",
            "title": "The job",
            "fields": [
                _field(
                    "job_type",
                    "single_choice",
                    "Type of job",
                    required=True,
                    validation={
                        "choices": _choices(
                            ("plumbing", "Plumbing"),
                            ("heating", "Heating"),
                            ("cooling", "Cooling"),
                            ("electrical", "Electrical"),
                            ("other", "Other"),
                        )
                    },
                ),
                _field(
                    "urgency",
                    "single_choice",
                    "How soon is it needed?",
                    required=True,
                    validation={
                        "choices": _choices(
                            ("emergency", "Emergency (now)"),
                            ("today", "Today"),
                            ("this_week", "This week"),
                            ("flexible", "Flexible"),
                        )
                    },
                ),
                _field(
                    "availability",
                    "multiple_choice",
                    "When can someone be there?",
                    validation={
                        "choices": _choices(
                            ("weekday_morning", "Weekday morning"),
                            ("weekday_afternoon", "Weekday afternoon"),
                            ("weekday_evening", "Weekday evening"),
                            ("saturday", "Saturday"),
                            ("sunday", "Sunday"),
                        )
                    },
                    condition={"field": "urgency", "in": ["this_week", "flexible"]},
                ),
                _field(
                    "description",
                    "long_text",
                    "Describe the problem",
                    required=True,
                    validation={"max_length": 3000},
                ),
                _field(
                    "heard_about",
                    "single_choice",
                    "How did they hear about us?",
                    validation={
                        "choices": _choices(
                            ("search", "Web search"),
                            ("review_site", "Review site"),
                            ("referral", "Friend or neighbour"),
                            ("repeat", "Used us before"),
                            ("other", "Other"),
                        )
                    },
                ),
            ],
        },
    ],
    "protocols": {
        "urgent": {
            "keywords": [
                "gas leak",
                "smell gas",
                "smells like gas",
                "carbon monoxide",
                "sparking",
                "sparks",
                "burning smell",
            ],
            "watch_fields": ["description"],
            "instruction": (
                "Tell the caller to leave the building now and call 911 or the gas utility "
                "from outside. Then page the on-call technician."
            ),
            "escalate": True,
        },
    },
}

_GENERAL_MESSAGE: dict[str, Any] = {
    "read_aloud": {
        "greeting": "Thank you for calling. I can take a message and make sure it's passed on.",
        "disclaimers": [],
        "closing": "Thank you. Your message will be passed on today.",
    },
    "notices": [],
    "sections": [
        {
            "id": "message",
            "title": "Message",
            "fields": [
                _field(
                    "full_name",
                    "short_text",
                    "Name",
                    required=True,
                    sensitivity="personal",
                    validation={"max_length": 120},
                ),
                _field("phone", "phone", "Callback number", required=True, sensitivity="personal"),
                _field(
                    "callback_window",
                    "single_choice",
                    "Best time to call back",
                    validation={
                        "choices": _choices(
                            ("any_time", "Any time"),
                            ("morning", "Morning"),
                            ("afternoon", "Afternoon"),
                            ("evening", "Evening"),
                        )
                    },
                ),
                _field(
                    "message",
                    "long_text",
                    "Message",
                    required=True,
                    validation={"max_length": 3000},
                ),
                _field("urgent", "yes_no", "Does the caller say it's urgent?", required=True),
            ],
        },
    ],
    "protocols": {
        "urgent": {
            "keywords": [],
            "question_field": "urgent",
            "instruction": (
                "Tell the caller the message is marked urgent and will be passed on right "
                "away. Then page the on-call contact."
            ),
            "escalate": True,
        },
    },
}

TEMPLATES: dict[str, Template] = {
    template.key: template
    for template in (
        Template(
            key="legal_intake",
            name="Legal intake",
            description=(
                "Personal injury and mass tort: the caller, what happened, injuries, other "
                "parties for the conflict check, and a statute-of-limitations warning."
            ),
            definition=_LEGAL_INTAKE,
        ),
        Template(
            key="healthcare_access",
            name="Healthcare access",
            description=(
                "Appointments, referrals, refill questions and billing, with the minimum "
                "necessary information and an emergency check."
            ),
            definition=_HEALTHCARE_ACCESS,
        ),
        Template(
            key="home_services",
            name="Home services",
            description=(
                "Plumbing, heating, cooling and electrical jobs: the address, the job, how "
                "soon, and a check for gas, sparks and burning smells."
            ),
            definition=_HOME_SERVICES,
        ),
        Template(
            key="general_message",
            name="General message",
            description="Take a message: who, how to call back, when, and whether it's urgent.",
            definition=_GENERAL_MESSAGE,
        ),
    )
}
