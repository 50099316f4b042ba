"""Intake's sensitive answers at the database level: ciphertext in the columns, readable
after a key rotation that covers every app's encrypted columns."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from intake.models import Intake
from tenancy.context import tenant_context
from tenancy.encryption import encrypted_columns
from tests.intake.worlds import draft_intake

pytestmark = pytest.mark.django_db

HEALTH = '{"injuries": "broken wrist"}'


def _stored(intake: Intake) -> str:
    with tenant_context(intake.organization_id), connection.cursor() as cursor:
        cursor.execute("SELECT health_answers FROM intake_intake WHERE id = %s", [intake.pk])
        return str(cursor.fetchone()[0])


def test_health_answers_are_ciphertext_in_the_database(org_a):
    # Catches a health column stored in plain text (a dump would hand it over).
    intake = draft_intake(org_a, health_answers=HEALTH)
    stored = _stored(intake)
    assert "wrist" not in stored and stored.startswith("gAAAAA")


def test_rotation_finds_intakes_encrypted_columns():
    # Catches an app's encrypted column that rotation would skip, leaving it on a key
    # about to be removed.
    found = {model._meta.label: names for model, names in encrypted_columns().items()}
    assert found["intake.Intake"] == ["personal_answers", "health_answers", "raw_answers"]
    assert found["intake.HandoffRecipient"] == ["secret"]
    assert found["telephony.TwilioAccount"] == ["auth_token"]


def test_after_rotation_the_old_key_can_go(org_a, org_b, settings):
    # Catches answers left under the old key: removing it would make them unreadable.
    intakes = [
        draft_intake(org_a, health_answers=HEALTH),
        draft_intake(org_b, health_answers=HEALTH),
    ]
    before = [_stored(intake) for intake in intakes]
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    for intake, old in zip(intakes, before, strict=True):
        assert _stored(intake) != old
        with tenant_context(intake.organization_id):
            assert Intake.objects.get(pk=intake.pk).health_answers == HEALTH
