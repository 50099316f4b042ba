"""Twilio credentials at rest, key rotation, and the webhook number directory's cache."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from foundation.crypto import decrypt_text
from foundation.phones import Problem, phone_message
from telephony import counters, directory, services
from telephony.models import TwilioAccount
from tenancy.context import tenant_context
from tenancy.encryption import rotate_encrypted_fields
from tests.telephony.conftest import account_token_ciphertext

pytestmark = pytest.mark.django_db


def test_the_auth_token_is_ciphertext_in_the_database(tel_a):
    # Catches a token stored in plain text (a database dump would hand over the account).
    stored = account_token_ciphertext(tel_a.organization_id)
    assert tel_a.auth_token not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    with tenant_context(tel_a.organization_id):
        assert TwilioAccount.objects.get().auth_token == tel_a.auth_token


def test_keys_rotate_old_ciphertext_still_reads_then_is_rewritten(tel_a, settings):
    # Catches a rotation that makes existing secrets unreadable, or one that never moves
    # them to the new key (so the old key could never be retired).
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = account_token_ciphertext(tel_a.organization_id)

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    with tenant_context(tel_a.organization_id):
        assert TwilioAccount.objects.get().auth_token == tel_a.auth_token
        assert rotate_encrypted_fields() == 1
    after = account_token_ciphertext(tel_a.organization_id)
    assert after != before

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert decrypt_text(after) == tel_a.auth_token
    with pytest.raises(InvalidToken):
        decrypt_text(before)


def test_the_rotate_command_covers_every_organisation(tel_a, tel_b, settings):
    # Catches a rotation that runs without a tenant (row-level security: it would silently
    # rewrite nothing) and so leaves other organisations on the old key.
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    for tel in (tel_a, tel_b):
        assert decrypt_text(account_token_ciphertext(tel.organization_id)) == tel.auth_token


def test_a_new_number_is_routable_at_once_in_this_process(tel_a, twilio):
    # Catches a stale "unknown number" cache entry hiding a number just added.
    params = {
        "AccountSid": tel_a.account_sid,
        "CallSid": "CA" + "4" * 32,
        "From": "+13125550123",
        "To": "+12125550155",
        "CallStatus": "ringing",
        # A weekday morning, so the call is dialled whatever time the suite runs.
        "Timestamp": format_datetime(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), usegmt=True),
    }
    # A number nobody owns is refused as a bad signature is (test_webhook_security.py).
    assert twilio.post("/twilio/voice/incoming", params, token=tel_a.auth_token).status_code == 403
    with tenant_context(tel_a.organization_id):
        services.phone_number_create(
            actor=tel_a.world.tenant(), e164="+12125550155", location=tel_a.location
        )
    response = twilio.post("/twilio/voice/incoming", params, token=tel_a.auth_token)
    assert b"<Dial" in response.content


def test_other_processes_drop_their_cache_when_the_version_moves(tel_a):
    # Catches a cache with no cross-process invalidation: a rotated token would keep being
    # accepted (or the new one refused) by the other workers until restart.
    route = directory.route_for(account_sid=tel_a.account_sid, e164=tel_a.main_number.e164)
    assert route is not None
    assert directory.route_for(account_sid=tel_a.account_sid, e164=tel_a.main_number.e164) is route
    # Another process commits a change: only the shared version moves.
    counters.bump_directory_version()
    directory._version_state["checked_at"] = 0.0  # the next check is due (5 s later)
    again = directory.route_for(account_sid=tel_a.account_sid, e164=tel_a.main_number.e164)
    assert again is not None and again is not route
    assert again.organization_id == route.organization_id


def test_the_route_lookup_reads_across_tenants_only_through_the_definer_function(tel_a):
    # Catches the app role reading numbers or tokens of any tenant directly.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telephony_phonenumber")
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT organization_id FROM telephony_number_route(%s, %s, NULL)",
            [tel_a.account_sid, tel_a.main_number.e164],
        )
        assert cursor.fetchall() == [(tel_a.organization_id,)]


def test_a_new_number_is_read_by_the_shared_phone_parser(tel_a):
    # Catches the account service keeping a parser (and messages) of its own: a national
    # number must be read in the organisation's country, and a bad one refused on its field
    # with the shared message.
    with tenant_context(tel_a.organization_id):
        number = services.phone_number_create(
            actor=tel_a.world.tenant(), e164="(212) 555-0156", location=tel_a.location
        )
        assert number.e164 == "+12125550156"
        with pytest.raises(ValidationError) as raised:
            services.phone_number_create(
                actor=tel_a.world.tenant(), e164="212 555 01", location=tel_a.location
            )
    assert raised.value.message_dict == {"e164": [phone_message(Problem.INVALID, region="US")]}
