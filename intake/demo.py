"""Demo intake for ``manage.py seed_demo``: an approved script from a built-in template, the
default escalation path, a QA scorecard, a small book of parties and matters (legal), and a
few completed intakes, so that agents, QA and leadership find work on their first sign-in.
Idempotent: an organisation that has scripts is left as it is."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError

from intake.models import Disposition, Script
from intake.scripts.answers import clean_answers, visible_field_ids
from intake.scripts.definition import Definition, FieldType, parse_definition
from intake.services import cases, intakes, parties, quality, scripts
from tenancy.models import Location
from tenancy.resolution import Tenant

QUESTIONS = [
    {"id": "greeting", "text": "Read the greeting word for word", "weight": 10, "critical": False},
    {"id": "identity", "text": "Took the caller's name and number", "weight": 30, "critical": True},
    {"id": "facts", "text": "Captured what happened in the caller's words", "weight": 30},
    {"id": "no_advice", "text": "Gave no legal or clinical advice", "weight": 20, "critical": True},
    {"id": "next_step", "text": "Told the caller what happens next", "weight": 10},
]

PARTIES = [
    {"name": "John Smith", "role": "adverse", "matter": "SMITH-2025"},
    {"name": "Harbor Freight Lines LLC", "role": "adverse", "matter": "SMITH-2025"},
    {"name": "Maria Gonzalez", "role": "client", "matter": "GONZALEZ-2026"},
]
MATTERS = [
    {
        "name": "Gonzalez v. Harbor Freight Lines",
        "matter_type": "personal injury",
        "external_ref": "GONZALEZ-2026",
    },
    {
        "name": "Smith v. Metro Transit",
        "matter_type": "personal injury",
        "external_ref": "SMITH-2025",
    },
]

CALLERS = [
    ("Alex Rivera", "+12025550143", Disposition.NEW_LEAD, "Call back to book a consultation"),
    ("Jordan Lee", "+12025550178", Disposition.COMPLAINT, ""),
    ("Sam Patel", "+12025550191", Disposition.GENERAL_MESSAGE, ""),
]


def seed_intake(*, actor: Tenant, agent: Tenant, template: str) -> None:
    """Seed the organisation in context (see the module's docstring)."""
    if Script.objects.exists():
        return
    script = scripts.script_create(actor=actor, name="Main intake", template=template)
    draft = scripts.draft_of(script)
    assert draft is not None
    version = scripts.version_approve(actor=actor, version=draft, note="Demo script")
    cases.ensure_escalation_path()
    quality.scorecard_create(actor=actor, name="Intake quality", questions=QUESTIONS)
    if template == "legal_intake":
        parties.import_matters(actor=actor, rows=list(enumerate(MATTERS, start=1)))
        parties.import_parties(actor=actor, rows=list(enumerate(PARTIES, start=1)))
    definition = parse_definition(version.definition)
    location = Location.objects.order_by("id").first()
    for name, phone, disposition, next_step in CALLERS:
        intake = intakes.intake_start(
            actor=agent,
            script_version=version,
            channel="call",
            location=location,
            caller_phone=phone,
            caller_name=name,
        )
        try:
            intakes.intake_complete(
                actor=agent,
                intake=intake,
                disposition=disposition,
                next_step=next_step,
                answers=_answers(definition, name, phone),
            )
        except ValidationError:
            continue  # a template the sample answers do not fit stays a draft to finish


def _answers(definition: Definition, name: str, phone: str) -> dict[str, Any]:
    """Plausible answers for every field the script shows, by type (yes/no answered no, so
    follow-up questions stay hidden); answers the script refuses are left out."""
    answers: dict[str, Any] = {}
    for field in definition.fields:
        answers[field.id] = _sample(field, name, phone)
    for _ in range(3):  # conditions can hide fields that earlier answers showed
        visible = visible_field_ids(definition, answers)
        answers = {key: value for key, value in answers.items() if key in visible}
        clean = clean_answers(definition, answers, complete=False)
        answers = {key: value for key, value in answers.items() if key not in clean.errors}
    return answers


def _sample(field: Any, name: str, phone: str) -> Any:
    choices = field.validation.choice_values() if field.validation else ()
    samples = {
        FieldType.SHORT_TEXT: name if "name" in field.id else "Referred by a friend",
        FieldType.LONG_TEXT: "Rear-ended at a red light; the other driver's insurer called.",
        FieldType.PHONE: phone,
        FieldType.EMAIL: name.split()[0].lower() + "@example.com",
        FieldType.DATE: (date.today() - timedelta(days=200)).isoformat(),
        FieldType.DATETIME: (date.today() + timedelta(days=3)).isoformat() + "T10:00",
        FieldType.NUMBER: 1,
        FieldType.YES_NO: False,
        FieldType.SINGLE_CHOICE: choices[0] if choices else "",
        FieldType.MULTIPLE_CHOICE: list(choices[:1]),
        FieldType.ADDRESS: {
            "line1": "12 Main St",
            "line2": "",
            "city": "Springfield",
            "region": "NY",
            "postal_code": "10001",
        },
    }
    return samples[field.type]
