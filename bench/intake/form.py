"""The agent form's benchmark (bench/intake/FORM-README-section.md): server time of the
intake form page and of its htmx autosave, for a 40-field script.

    .venv/bin/python bench/intake/form.py --requests 200

Run by ``bench/intake/form.sh``, which creates and migrates the ``bench_intake_form``
database and sets ``DEBUG=false``. Everything here runs as the application role
(``coverage_app``, under row-level security), through Django's test ``Client``: the whole
middleware stack (sessions, authentication, tenant resolution, CSRF is off for the test
client) and the template, in this process, so the figure is server time without a network.

What it builds: one organisation, a location, an owner and an agent, a 40-field script
(every field type, 9 conditional fields, personal and health answers, the three protocols:
statute of limitations, urgent, conflict check) created and approved through the builder's
services, a call ringing at the location and the agent's intake opened on it.

What it times, per request:
- ``GET /o/<slug>/intake/<id>/`` with a draft of 37 answers (every shown field; the health
  answers typed, so each render also writes its ``SensitiveRead`` row as the page does);
- the autosave as htmx sends it (``HX-Request``, the whole form each time) with one long
  answer changed per save and the revision taken from the previous save's answer; the names
  of the conflict check stay the same, so the check runs on the first save only, as while
  an agent types notes (a changed name adds one check, see bench/intake/run.sh).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SLUG = "bench-form"
REVISION = re.compile(r'id="revision" value="(\d+)"')
FIELD_ERROR = re.compile(r'id="err-([\w-]+)"[^>]*>([^<]+)<')


def _f(
    field_id: str,
    field_type: str,
    label: str,
    *,
    required: bool = False,
    sensitivity: str = "ordinary",
    validation: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
    help: str = "",
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


def _choices(*values: str) -> dict[str, Any]:
    return {"choices": [{"value": v, "label": v.replace("_", " ").capitalize()} for v in values]}


STATES = ("IL", "NY", "CA", "TX", "FL", "WA", "MA", "GA", "OH", "PA")


def forty_field_definition() -> dict[str, Any]:
    """A legal intake of 40 fields: every type, 9 conditional fields (one chain of two),
    personal and health answers, and the statute, urgent and conflict protocols."""
    sections = [
        {
            "id": "caller",
            "title": "About the caller",
            "fields": [
                _f("full_name", "short_text", "Full name", required=True, sensitivity="personal"),
                _f("phone", "phone", "Best phone number", required=True, sensitivity="personal"),
                _f("alt_phone", "phone", "Another number", sensitivity="personal"),
                _f("email", "email", "Email address", sensitivity="personal"),
                _f("date_of_birth", "date", "Date of birth", sensitivity="personal"),
                _f(
                    "contact_by",
                    "single_choice",
                    "Contact by",
                    validation=_choices("phone", "text", "email"),
                ),
                _f(
                    "best_time",
                    "multiple_choice",
                    "Best times",
                    validation=_choices("morning", "afternoon", "evening"),
                ),
                _f("mailing_address", "address", "Mailing address", sensitivity="personal"),
            ],
        },
        {
            "id": "matter",
            "title": "What happened",
            "fields": [
                _f(
                    "state",
                    "single_choice",
                    "State where it happened",
                    required=True,
                    validation=_choices(*STATES),
                ),
                _f(
                    "matter_type",
                    "single_choice",
                    "Kind of matter",
                    required=True,
                    validation=_choices("personal_injury", "mass_tort", "workers_comp"),
                ),
                _f(
                    "product",
                    "short_text",
                    "Product involved",
                    condition={"field": "matter_type", "equals": "mass_tort"},
                ),
                _f(
                    "employer",
                    "short_text",
                    "Employer",
                    condition={"field": "matter_type", "in": ["workers_comp"]},
                ),
                _f(
                    "incident_date",
                    "date",
                    "Date of the incident",
                    required=True,
                    validation={"min": "1950-01-01"},
                ),
                _f("incident_time", "datetime", "Time of the incident"),
                _f("incident_place", "address", "Where it happened"),
                _f(
                    "what_happened",
                    "long_text",
                    "What happened",
                    required=True,
                    validation={"max_length": 5000},
                ),
                _f("police_report", "yes_no", "Was a police report made?"),
            ],
        },
        {
            "id": "injuries",
            "title": "Injuries",
            "fields": [
                _f("injured", "yes_no", "Was anyone injured?", required=True),
                _f(
                    "injuries",
                    "long_text",
                    "Injuries",
                    sensitivity="health",
                    condition={"field": "injured", "equals": True},
                ),
                _f(
                    "treated",
                    "yes_no",
                    "Treated by a doctor?",
                    condition={"field": "injured", "equals": True},
                ),
                _f(
                    "hospital",
                    "short_text",
                    "Hospital or doctor",
                    sensitivity="health",
                    condition={"field": "treated", "equals": True},
                ),
                _f(
                    "days_missed",
                    "number",
                    "Days of work missed",
                    validation={"min": 0, "max": 3650},
                ),
                _f("medical_bills", "number", "Medical bills so far (USD)", validation={"min": 0}),
                _f(
                    "ongoing_care",
                    "long_text",
                    "Ongoing care",
                    sensitivity="health",
                    condition={"field": "injured", "equals": True},
                ),
            ],
        },
        {
            "id": "parties",
            "title": "Other parties",
            "fields": [
                _f(
                    "other_parties",
                    "long_text",
                    "Other people or companies involved",
                    sensitivity="personal",
                ),
                _f("insurer", "short_text", "Their insurer"),
                _f("claim_number", "short_text", "Claim number", validation={"max_length": 40}),
                _f("witness", "yes_no", "Were there witnesses?"),
                _f(
                    "witness_names",
                    "long_text",
                    "Witnesses",
                    sensitivity="personal",
                    condition={"field": "witness", "equals": True},
                ),
            ],
        },
        {
            "id": "background",
            "title": "Background",
            "fields": [
                _f("prior_representation", "yes_no", "Spoken to another attorney?", required=True),
                _f(
                    "prior_attorney",
                    "short_text",
                    "Other attorney",
                    sensitivity="personal",
                    condition={"field": "prior_representation", "equals": True},
                ),
                _f("prior_claims", "yes_no", "Any earlier claims?"),
                _f(
                    "heard_about",
                    "single_choice",
                    "How did they hear about us?",
                    validation=_choices("search", "tv_radio", "social", "referral", "other"),
                ),
                _f(
                    "referral_name",
                    "short_text",
                    "Who referred them",
                    condition={"field": "heard_about", "equals": "referral"},
                ),
                _f(
                    "language",
                    "single_choice",
                    "Preferred language",
                    validation=_choices("english", "spanish", "other"),
                ),
            ],
        },
        {
            "id": "wrap_up",
            "title": "Wrap-up",
            "fields": [
                _f("emergency", "yes_no", "Is anyone in danger right now?"),
                _f("consent_contact", "yes_no", "May the firm call back?", required=True),
                _f("consent_text", "yes_no", "May the firm text?"),
                _f("callback_date", "date", "Best day for a callback"),
                _f("notes", "long_text", "Notes for the attorney", validation={"max_length": 5000}),
            ],
        },
    ]
    return {
        "read_aloud": {
            "greeting": "Thank you for calling. I'll take a few details for an attorney.",
            "disclaimers": ["I'm not an attorney and can't give legal advice."],
            "closing": "Thank you. The legal team will call you back.",
        },
        "notices": ["The agent gives no legal advice, including about deadlines."],
        "sections": sections,
        "protocols": {
            "statute_of_limitations": {
                "incident_date_field": "incident_date",
                "matter_type_field": "matter_type",
                "state_field": "state",
                "years": {
                    "personal_injury": {"default": 2, "NY": 3, "MA": 3},
                    "mass_tort": {"default": 2},
                    "workers_comp": {"default": 1},
                },
                "warn_within_days": 90,
            },
            "urgent": {
                "keywords": ["chest pain", "can't breathe", "kill myself", "unconscious"],
                "question_field": "emergency",
                "watch_fields": ["what_happened", "notes"],
                "instruction": "Transfer the caller to 911 now, then tell a supervisor.",
                "escalate": True,
            },
            "conflict_check": {"name_fields": ["full_name", "other_parties"]},
        },
    }


def answers_form(revision: int, notes: str) -> dict[str, Any]:
    """The posted form: every shown field answered (37 of 40), as the browser sends it."""
    return {
        "revision": str(revision),
        "a-full_name": "Maria Lopez",
        "a-phone": "(312) 555-0142",
        "a-alt_phone": "312 555 0199",
        "a-email": "maria.lopez@example.com",
        "a-date_of_birth": "1984-06-02",
        "a-contact_by": "phone",
        "a-best_time": ["morning", "evening"],
        "a-mailing_address.line1": "1200 W Madison St",
        "a-mailing_address.line2": "Apt 4",
        "a-mailing_address.city": "Chicago",
        "a-mailing_address.region": "IL",
        "a-mailing_address.postal_code": "60607",
        "a-state": "IL",
        "a-matter_type": "personal_injury",
        "a-incident_date": "2026-10-03",
        "a-incident_time": "2026-10-03T17:45",
        "a-incident_place.line1": "Madison St and Racine Ave",
        "a-incident_place.city": "Chicago",
        "a-incident_place.region": "IL",
        "a-what_happened": "A delivery van ran a red light and hit her car on the driver's side.",
        "a-police_report": "yes",
        "a-injured": "yes",
        "a-injuries": "Whiplash and a broken wrist.",
        "a-treated": "yes",
        "a-hospital": "Rush University Medical Center",
        "a-days_missed": "12",
        "a-medical_bills": "4800",
        "a-ongoing_care": "Physical therapy twice a week.",
        "a-other_parties": "Jon Smyth\nFastline Couriers LLC",
        "a-insurer": "Midwest Mutual",
        "a-claim_number": "MM-2026-118204",
        "a-witness": "yes",
        "a-witness_names": "A pedestrian, name not known",
        "a-prior_representation": "no",
        "a-prior_claims": "no",
        "a-heard_about": "referral",
        "a-referral_name": "Her sister, a past client",
        "a-language": "english",
        "a-emergency": "no",
        "a-consent_contact": "yes",
        "a-consent_text": "yes",
        "a-callback_date": "2026-12-03",
        "a-notes": notes,
    }


def p95(sorted_ms: list[float]) -> float:
    return sorted_ms[max(0, int(len(sorted_ms) * 0.95) - 1)]


def figures(label: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    return (
        f"{label}: {len(ordered)} requests, median {statistics.median(ordered):.1f} ms, "
        f"p95 {p95(ordered):.1f} ms, min {ordered[0]:.1f} ms, max {ordered[-1]:.1f} ms"
    )


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {model}"


def counted(request: Any) -> int:
    """The SQL statements one call of ``request`` runs."""
    from django.db import connection

    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        request()
    return statements


def build() -> tuple[Any, Any, int]:
    """The organisation, its agent and the agent's intake on a ringing call."""
    import uuid

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from intake.models import ScriptVersion
    from intake.services import intakes, scripts
    from telephony.models import Call, Contact
    from telephony.statuses import CallStatus
    from tenancy.context import tenant_context
    from tenancy.models import Location, Membership, Organization
    from tenancy.resolution import Tenant
    from tenancy.roles import Role

    org = Organization.objects.create(
        name="Bench Legal", slug=SLUG, time_zone="America/Chicago", country="US"
    )
    users = get_user_model().objects
    with tenant_context(org):
        place = Location.objects.create(name="Chicago office", time_zone="America/Chicago")
        owner = Membership.objects.create(
            organization=org,
            user=users.create_user(username="owner@bench.test", email="owner@bench.test"),
            role=Role.OWNER,
        )
        agent = Membership.objects.create(
            organization=org,
            user=users.create_user(username="agent@bench.test", email="agent@bench.test"),
            role=Role.AGENT,
        )
        boss = Tenant(organization=org, role=owner.role, membership=owner)
        script = scripts.script_create(
            actor=boss, name="Legal intake, 40 fields", definition=forty_field_definition()
        )
        draft = ScriptVersion.objects.get(script=script, number=1)
        version = scripts.version_approve(actor=boss, version=draft)
        fields = sum(len(s["fields"]) for s in version.definition["sections"])
        assert fields == 40, fields
        contact = Contact.objects.create(e164="+13125550142")
        call = Call.objects.create(
            call_sid="CA" + uuid.uuid4().hex,
            direction="inbound",
            status=CallStatus.RINGING,
            location=place,
            contact=contact,
            started_at=timezone.now(),
        )
        worker = Tenant(organization=org, role=agent.role, membership=agent)
        intake = intakes.intake_start(actor=worker, script_version=version, call=call)
    return org, agent.user, intake.pk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_platform.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from intake.models import Case, Intake, SensitiveRead
    from tenancy.context import tenant_context

    org, user, intake_id = build()
    client = Client()
    client.force_login(user)
    work_url = reverse("intake-work", args=[SLUG, intake_id])
    save_url = reverse("intake-autosave", args=[SLUG, intake_id])
    htmx = {"HX-Request": "true"}
    revision = 0

    def save(n: int) -> float:
        nonlocal revision
        data = answers_form(revision, f"Caller adds detail {n}: the van driver apologised.")
        started = time.perf_counter()
        response = client.post(save_url, data, headers=htmx)
        elapsed = (time.perf_counter() - started) * 1000
        body = response.content.decode()
        found = REVISION.search(body)
        if response.status_code != 200 or "Draft saved at" not in body or found is None:
            raise SystemExit(f"autosave {n} failed ({response.status_code}): {body[:400]}")
        if int(found[1]) != revision + 1:
            raise SystemExit(f"autosave {n}: revision {found[1]}, expected {revision + 1}")
        revision = int(found[1])
        refused = FIELD_ERROR.findall(body)
        if refused:
            raise SystemExit(f"autosave {n}: answers refused: {refused}")
        return elapsed

    def render() -> float:
        started = time.perf_counter()
        response = client.get(work_url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or b"Maria Lopez" not in response.content:
            raise SystemExit(f"form page failed ({response.status_code})")
        return elapsed

    # The first saves fill the draft and run the conflict check once; then warm the page.
    for n in range(args.warmup):
        save(-n - 1)
    for _ in range(args.warmup):
        render()
    page_ms = [render() for _ in range(args.requests)]
    save_ms = [save(n) for n in range(args.requests)]

    # Counted with an execute wrapper: the test client's request_started signal empties the
    # query log that CaptureQueriesContext reads.
    page_queries, save_queries = counted(render), counted(lambda: save(args.requests))
    size = len(client.get(work_url).content)
    with tenant_context(org):
        intake = Intake.objects.get(pk=intake_id)
        reads = SensitiveRead.objects.filter(intake=intake).count()
        cases = Case.objects.filter(intake=intake).count()
    database = connection.settings_dict
    print(f"machine: {machine()}; Python {platform.python_version()}")
    print(
        f"database {database['NAME']} as {database['USER']}, DEBUG={settings.DEBUG}; "
        f"40-field script, 37 fields answered; page {size / 1024:.0f} KiB"
    )
    print(figures("form page (GET)", page_ms) + f"; {page_queries} queries")
    print(figures("autosave (htmx POST)", save_ms) + f"; {save_queries} queries")
    print(
        f"checks: final revision {intake.revision} (expected {args.warmup + args.requests + 1}), "
        f"health-answer reads logged {reads}, cases opened {cases}"
    )


if __name__ == "__main__":
    main()
