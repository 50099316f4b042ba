"""The agent's workspace services: the draft keeps what was typed, completion refuses what does
not match the script version, health answers are encrypted and every read of them is logged.
Each test names the regression it catches."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from foundation.crypto import decrypt_text
from intake.models import (
    Case,
    Disposition,
    Handoff,
    HandoffRecipient,
    Intake,
    IntakeStatus,
    Lead,
    Party,
    RecipientKind,
    SensitiveRead,
)
from intake.services import answers as answer_service
from intake.services import intakes as services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.worlds import approved_script, draft_intake, location

pytestmark = pytest.mark.django_db

# SMALL_DEFINITION (tests/intake/worlds.py) plus a single choice, an urgent protocol that
# escalates, a conflict check and a statute of limitations.
RICH_DEFINITION: dict[str, Any] = {
    "read_aloud": {
        "greeting": "Thank you for calling Acme Legal.",
        "disclaimers": ["This call may be recorded."],
        "closing": "Someone will call you back.",
    },
    "notices": ["We cannot give legal advice on this call."],
    "sections": [
        {
            "id": "caller",
            "title": "Caller",
            "fields": [
                {
                    "id": "full_name",
                    "type": "short_text",
                    "label": "Full name",
                    "required": True,
                    "sensitivity": "personal",
                },
                {"id": "callback", "type": "phone", "label": "Callback number"},
                {"id": "email", "type": "email", "label": "Email"},
                {
                    "id": "matter",
                    "type": "single_choice",
                    "label": "Matter type",
                    "required": True,
                    "validation": {
                        "choices": [
                            {"value": "injury", "label": "Personal injury"},
                            {"value": "family", "label": "Family"},
                        ]
                    },
                },
                {"id": "incident", "type": "date", "label": "Date of the incident"},
                {"id": "other_party", "type": "short_text", "label": "Other party"},
                {"id": "reason", "type": "long_text", "label": "Reason for calling"},
                {"id": "injured", "type": "yes_no", "label": "Was anyone injured?"},
                {
                    "id": "injuries",
                    "type": "long_text",
                    "label": "Injuries",
                    "sensitivity": "health",
                    "condition": {"field": "injured", "equals": True},
                },
            ],
        }
    ],
    "protocols": {
        "urgent": {
            "keywords": ["in danger"],
            "watch_fields": ["reason"],
            "instruction": "Transfer the caller to the duty lawyer now.",
            "escalate": True,
        },
        "conflict_check": {"name_fields": ["full_name", "other_party"]},
        "statute_of_limitations": {
            "incident_date_field": "incident",
            "matter_type_field": "matter",
            "years": {"injury": {"default": 2}},
            "warn_within_days": 90,
        },
    },
}


def rich_intake(world: OrgWorld, **fields: Any) -> Intake:
    name = f"Legal intake {uuid.uuid4().hex[:6]}"
    version = approved_script(world, name=name, definition=RICH_DEFINITION, kind="legal")
    fields.setdefault("location", location(world))
    return draft_intake(world, version, **fields)


def agent(world: OrgWorld) -> Any:
    return world.tenant(Role.AGENT)


def save(world: OrgWorld, intake: Intake, answers: dict[str, Any], revision: int | None = None):
    with tenant_context(world.organization):
        return services.intake_autosave(
            actor=agent(world),
            intake=Intake.objects.select_related("script_version", "location").get(pk=intake.pk),
            revision=intake.revision if revision is None else revision,
            answers=answers,
        )


def refused(world: OrgWorld, intake_id: int, **kwargs: Any) -> dict[str, list[str]]:
    """The fields a refused completion names (the refusal must not leave the context)."""
    with tenant_context(world.organization):
        intake = Intake.objects.select_related("script_version").get(pk=intake_id)
        with pytest.raises(ValidationError) as caught:
            services.intake_complete(actor=agent(world), intake=intake, **kwargs)
    return caught.value.message_dict


def reload(world: OrgWorld, intake_id: int) -> Intake:
    with tenant_context(world.organization):
        return Intake.objects.select_related("script_version").get(pk=intake_id)


def test_the_draft_keeps_what_was_typed_even_when_it_is_invalid(org_a: OrgWorld):
    # Catches a draft that drops a mistyped answer: a reload would show an empty field and
    # the caller would have to repeat themselves.
    intake = rich_intake(org_a)
    result = save(org_a, intake, {"full_name": "Ann Lee", "email": "ann@", "matter": "injury"})
    assert set(result.errors) == {"email"}
    assert result.revision == 1
    stored = reload(org_a, intake.pk)
    assert answer_service.decode(stored.raw_answers)["email"] == "ann@"
    assert stored.answers == {"matter": "injury"}
    assert answer_service.decode(stored.personal_answers) == {"full_name": "Ann Lee"}
    assert stored.revision == 1


def test_a_stale_revision_changes_nothing(org_a: OrgWorld):
    # Catches a second tab overwriting the first tab's newer answers with older ones.
    intake = rich_intake(org_a)
    save(org_a, intake, {"full_name": "Ann Lee"}, revision=0)
    with tenant_context(org_a.organization), pytest.raises(services.StaleRevision):
        services.intake_autosave(
            actor=agent(org_a),
            intake=Intake.objects.get(pk=intake.pk),
            revision=0,
            answers={"full_name": "Bob"},
        )
    stored = reload(org_a, intake.pk)
    assert answer_service.decode(stored.personal_answers) == {"full_name": "Ann Lee"}
    assert stored.revision == 1


def test_completion_refuses_each_mismatch_by_field_and_keeps_the_draft(org_a: OrgWorld):
    # Catches a completion that stores answers the script version does not allow: a missing
    # required answer, a value outside the choices, a wrong type, an answer to a hidden field.
    intake = rich_intake(org_a)
    typed = {"matter": "tax", "injured": "no", "injuries": "Broken arm", "callback": "12"}
    fields = refused(
        org_a, intake.pk, disposition=Disposition.NEW_LEAD, next_step="", answers=typed
    )
    assert set(fields) == {"full_name", "matter", "injuries", "callback", "next_step"}
    assert "hidden" in fields["injuries"][0]
    stored = reload(org_a, intake.pk)
    assert stored.status == IntakeStatus.DRAFT
    assert stored.completed_at is None
    assert stored.disposition == ""
    # Nothing saved but the draft: what was typed is there to fix.
    assert answer_service.decode(stored.raw_answers)["matter"] == "tax"


def test_completion_refuses_a_tampered_script_version_and_saves_nothing(org_a: OrgWorld):
    # Catches a client completing an intake against another version than it was started on.
    intake = rich_intake(org_a)
    fields = refused(
        org_a,
        intake.pk,
        disposition=Disposition.GENERAL_MESSAGE,
        answers={"full_name": "Ann", "matter": "family"},
        script_version_id=intake.script_version_id + 1000,
    )
    assert set(fields) == {"script_version_id"}
    stored = reload(org_a, intake.pk)
    assert stored.status == IntakeStatus.DRAFT
    assert stored.raw_answers == ""
    assert stored.revision == 0


def test_completion_needs_a_disposition_and_a_lead_needs_a_next_step(org_a: OrgWorld):
    intake = rich_intake(org_a)
    answers = {"full_name": "Ann", "matter": "family"}
    assert set(refused(org_a, intake.pk, disposition="", answers=answers)) == {"disposition"}
    fields = refused(org_a, intake.pk, disposition=Disposition.APPOINTMENT_BOOKED, answers=answers)
    assert set(fields) == {"next_step"}
    long_step = "x" * 301
    fields = refused(
        org_a, intake.pk, disposition=Disposition.NEW_LEAD, next_step=long_step, answers=answers
    )
    assert set(fields) == {"next_step"}


def test_completing_twice_is_impossible(org_a: OrgWorld):
    # Catches a double click (or two tabs) creating two leads from one intake.
    intake = rich_intake(org_a)
    with tenant_context(org_a.organization):
        done = services.intake_complete(
            actor=agent(org_a),
            intake=reload(org_a, intake.pk),
            disposition=Disposition.NEW_LEAD,
            next_step="Call back tomorrow at 10",
            answers={"full_name": "Ann Lee", "matter": "family"},
        )
    assert done.intake.status == IntakeStatus.COMPLETED
    first = reload(org_a, intake.pk)
    with tenant_context(org_a.organization), pytest.raises(services.IntakeClosed):
        services.intake_complete(
            actor=agent(org_a), intake=first, disposition=Disposition.SPAM, answers={}
        )
    # A stale copy of the draft (loaded before the first completion) is refused as well.
    stale = reload(org_a, intake.pk)
    stale.status = IntakeStatus.DRAFT
    with tenant_context(org_a.organization), pytest.raises(services.IntakeClosed):
        services.intake_complete(actor=agent(org_a), intake=stale, disposition=Disposition.SPAM)
    after = reload(org_a, intake.pk)
    assert (after.disposition, after.completed_at) == (Disposition.NEW_LEAD, first.completed_at)


def test_completion_hands_on_a_lead_a_case_and_handoffs_in_its_transaction(org_a: OrgWorld):
    # Catches a lead, a case or a handoff not made for the dispositions that need one, or
    # made for one that does not.
    answers = {"full_name": "Ann", "matter": "family"}
    lead = rich_intake(org_a)
    complaint = rich_intake(org_a)
    with tenant_context(org_a.organization):
        HandoffRecipient.objects.create(
            kind=RecipientKind.EMAIL, address="desk@example.com", role=Role.SUPERVISOR
        )
        first = services.intake_complete(
            actor=agent(org_a),
            intake=reload(org_a, lead.pk),
            disposition=Disposition.NEW_LEAD,
            next_step="Book a consultation",
            answers=answers,
        )
        second = services.intake_complete(
            actor=agent(org_a),
            intake=reload(org_a, complaint.pk),
            disposition=Disposition.COMPLAINT,
            answers=answers,
        )
        assert [(x.intake_id, x.next_step) for x in Lead.objects.all()] == [
            (lead.pk, "Book a consultation")
        ]
        assert [(c.intake_id, c.category) for c in Case.objects.all()] == [
            (complaint.pk, "complaint")
        ]
        assert sorted(Handoff.objects.values_list("intake_id", flat=True)) == sorted(
            [lead.pk, complaint.pk]
        )
        # The script checks conflicts: its callers become prospective clients, once each.
        assert set(Party.objects.values_list("name", "role", "external_ref")) == {
            ("Ann", "prospect", f"intake:{complaint.pk}"),
            ("Ann", "prospect", f"intake:{lead.pk}"),
        }
    assert "lead" in first.follow_ups and "case" not in first.follow_ups
    assert "case" in second.follow_ups and "lead" not in second.follow_ups


def test_health_answers_are_ciphertext_and_every_read_is_logged(org_a: OrgWorld):
    # Catches health answers stored in clear, or read without a trace.
    intake = rich_intake(org_a)
    save(org_a, intake, {"full_name": "Ann Lee", "injured": "yes", "injuries": "Broken arm"})
    with tenant_context(org_a.organization), connection.cursor() as cursor:
        cursor.execute(
            "SELECT health_answers, raw_answers, personal_answers, answers::text "
            "FROM intake_intake WHERE id = %s",
            [intake.pk],
        )
        health, raw, personal, ordinary = cursor.fetchone()
    for column in (health, raw, personal):
        assert "Broken arm" not in column and "Ann Lee" not in column
    assert "Broken arm" not in ordinary
    assert json.loads(decrypt_text(health)) == {"injuries": "Broken arm"}

    owner = org_a.tenant(Role.OWNER)
    with tenant_context(org_a.organization):
        shown = answer_service.read_answers(actor=owner, intake=reload(org_a, intake.pk), via="api")
        logged = list(SensitiveRead.objects.values("reader_id", "field_ids", "via"))
    assert shown["injuries"] == "Broken arm"
    assert logged == [
        {"reader_id": org_a.members[Role.OWNER].pk, "field_ids": ["injuries"], "via": "api"}
    ]


def test_a_role_without_health_access_sees_the_words_not_the_answer(org_a: OrgWorld):
    intake = rich_intake(org_a)
    save(org_a, intake, {"full_name": "Ann Lee", "injured": "yes", "injuries": "Broken arm"})
    with tenant_context(org_a.organization):
        shown = answer_service.read_answers(
            actor=org_a.tenant(Role.QA), intake=reload(org_a, intake.pk), via="page"
        )
        assert not SensitiveRead.objects.exists()
    assert shown["injuries"] == answer_service.HIDDEN
    assert shown["full_name"] == "Ann Lee"  # QA may read personal answers
    assert shown["injured"] is True


def test_an_escalating_urgent_match_marks_the_intake_urgent_once(org_a: OrgWorld):
    # Catches an urgent call left unflagged, or a case opened on every keystroke.
    intake = rich_intake(org_a)
    first = save(org_a, intake, {"reason": "She says she is IN DANGER tonight"})
    assert first.protocols.urgent is not None
    assert first.protocols.urgent.instruction.startswith("Transfer the caller")
    save(org_a, reload(org_a, intake.pk), {"reason": "She is in danger, please hurry"})
    assert reload(org_a, intake.pk).urgent is True
    with tenant_context(org_a.organization):
        opened = list(Case.objects.filter(intake_id=intake.pk))
    assert len(opened) == 1
    assert (opened[0].priority, opened[0].category) == ("urgent", "question")
    # Nothing of the answers goes into the case's subject.
    assert "danger" not in opened[0].subject.lower()


@pytest.mark.clock
def test_the_statute_warning_reads_the_locations_today(org_a: OrgWorld):
    intake = rich_intake(org_a)
    with time_machine.travel(datetime(2026, 6, 1, 15, 0, tzinfo=UTC), tick=False):
        result = save(org_a, intake, {"matter": "injury", "incident": "2024-06-20"})
    assert result.protocols.statute is not None
    assert "19 days" in result.protocols.statute
    with time_machine.travel(datetime(2026, 1, 1, 15, 0, tzinfo=UTC), tick=False):
        later = save(
            org_a, reload(org_a, intake.pk), {"matter": "injury", "incident": "2024-06-20"}
        )
    assert later.protocols.statute is None


def test_starting_from_a_call_takes_its_number_and_location_once(org_a: OrgWorld):
    from tests.intake.matrix_workspace import ringing_call

    version = approved_script(org_a, name="Legal intake", definition=RICH_DEFINITION)
    call = ringing_call(org_a, e164="+13125550199")
    with tenant_context(org_a.organization):
        first = services.intake_start(actor=agent(org_a), script_version=version, call=call)
        again = services.intake_start(actor=agent(org_a), script_version=version, call=call)
    assert first.pk == again.pk
    assert (first.caller_phone, first.location_id, first.channel) == (
        "+13125550199",
        call.location_id,
        "call",
    )
    assert first.agent_id == org_a.members[Role.AGENT].pk


def test_only_an_approved_version_can_be_started(org_a: OrgWorld):
    from intake.models import VersionStatus

    version = approved_script(org_a, name="Old", definition=RICH_DEFINITION)
    with tenant_context(org_a.organization):
        version.status = VersionStatus.RETIRED
        version.save()
        with pytest.raises(ValidationError) as caught:
            services.intake_start(actor=agent(org_a), script_version=version, channel="walk_in")
    assert set(caught.value.message_dict) == {"script_version_id"}


def test_completion_makes_the_lead_and_the_case_with_the_real_services(org_a: OrgWorld):
    # Catches a wiring mistake (a wrong keyword, a missing argument) with the other areas'
    # services as they are.
    from intake.models import Case, Lead

    answers = {"full_name": "Ann", "matter": "family"}
    lead = rich_intake(org_a, caller_phone="+13125550160", caller_name="Ann")
    billing = rich_intake(org_a, caller_phone="+13125550161")
    with tenant_context(org_a.organization):
        made = services.intake_complete(
            actor=agent(org_a),
            intake=reload(org_a, lead.pk),
            disposition=Disposition.NEW_LEAD,
            next_step="Book a consultation",
            answers=answers,
        )
        services.intake_complete(
            actor=agent(org_a),
            intake=reload(org_a, billing.pk),
            disposition=Disposition.BILLING,
            answers=answers,
        )
        leads = list(Lead.objects.values_list("intake_id", "phone"))
        cases = list(Case.objects.values_list("intake_id", "category", "contact_phone"))
    assert "lead" in made.follow_ups
    assert leads == [(lead.pk, "+13125550160")]
    assert cases == [(billing.pk, "billing", "+13125550161")]
