"""The webhooks' edge: no input answers 500, a malformed parameter is a 400 before any
lookup, and nothing stored exceeds what Twilio sends (issue 9, items 4 and 5)."""

from __future__ import annotations

import pytest

from telephony import counters
from telephony.models import Message
from telephony.webhooks import MAX_BODY_CHARS
from tenancy.context import tenant_context
from tests.telephony.test_webhook_security import INCOMING, incoming_params, stored_rows

pytestmark = pytest.mark.django_db

FORGED = "bm90IGEgc2lnbmF0dXJl"
STATUS = "/twilio/voice/status"
SMS = "/twilio/sms/incoming"


def sms_params(tel, *, body: str) -> dict[str, str]:
    return {
        "AccountSid": tel.account_sid,
        "MessageSid": "SM" + "1" * 32,
        "From": "+13125550123",
        "To": tel.main_number.e164,
        "Body": body,
        "NumSegments": "1",
    }


@pytest.mark.parametrize(
    ("query", "change"),
    [
        ("?pn=%C2%B2", {}),  # a superscript two: str.isdigit() says yes, int() says no
        ("?pn=99999999999999999999", {}),  # past the bigint column
        ("?pn=", {}),
        ("", {"AccountSid": "AC" + "a" * 31 + "\x00"}),
        ("", {"To": "+1212555\x000100"}),
        ("", {"From": "+1312555\x000123", "To": "+12125550100"}),
        ("", {"To": "+²²²²²²²²"}),
        ("", {"AccountSid": ""}),
        ("", {"CallSid": "CA1"}),
    ],
    ids=[
        "non-ascii pn",
        "huge pn",
        "empty pn",
        "NUL in AccountSid",
        "NUL in To",
        "NUL in From",
        "non-ascii To",
        "no AccountSid",
        "short CallSid",
    ],
)
def test_a_malformed_unsigned_request_is_a_400_not_a_500(tel_a, twilio, query, change):
    # Catches a parameter reaching int() or PostgreSQL unchecked: each of these answered 500
    # to anyone, signature or not (ValueError, bigint out of range, NUL in a text literal).
    params = incoming_params(tel_a) | change
    response = twilio.post(INCOMING + query, params, token=None, signature=FORGED)
    assert response.status_code == 400
    assert stored_rows(tel_a.organization_id) == (0, 0, 0)
    assert counters.rejected_webhooks("malformed") == 1


@pytest.mark.parametrize(
    "sequence",
    ["99999999999999999999999", "\u0663", "1000000"],
    ids=["past bigint", "arabic-indic digit", "into the unsequenced range"],
)
def test_a_signed_status_callback_with_a_malformed_sequence_is_a_400(tel_a, twilio, sequence):
    # Catches SequenceNumber read with str.isdigit() and int(): a huge one overflowed the
    # bigint column and a non-ASCII digit passed isdigit(), both 500s on a signed request.
    assert twilio.post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token).status_code == 200
    params = incoming_params(tel_a) | {"CallStatus": "completed", "SequenceNumber": sequence}
    response = twilio.post(STATUS, params, token=tel_a.auth_token)
    assert response.status_code == 400
    assert stored_rows(tel_a.organization_id)[1] == 1  # the incoming call's event only


def test_a_signed_text_with_a_nul_byte_is_a_400_not_a_500(tel_a, twilio):
    # Catches a NUL in Body reaching PostgreSQL, which refuses it in text columns (a 500,
    # and Twilio retrying the text for a day).
    response = twilio.post(SMS, sms_params(tel_a, body="hi\x00there"), token=tel_a.auth_token)
    assert response.status_code == 400
    with tenant_context(tel_a.organization_id):
        assert not Message.objects.exists()


def test_a_body_longer_than_twilio_sends_is_refused_and_counted(tel_a, twilio):
    # Catches storing whatever a signed request carries: a 2 MB body was stored whole. A
    # body at Twilio's own cap is still stored as sent.
    huge = twilio.post(SMS, sms_params(tel_a, body="x" * 2_000_000), token=tel_a.auth_token)
    assert huge.status_code == 400
    assert counters.rejected_webhooks("malformed") == 1
    at_cap = "é" * MAX_BODY_CHARS
    response = twilio.post(SMS, sms_params(tel_a, body=at_cap), token=tel_a.auth_token)
    assert response.status_code == 200
    with tenant_context(tel_a.organization_id):
        assert list(Message.objects.values_list("body", flat=True)) == [at_cap]


def test_signed_numbers_past_their_columns_are_refused_not_a_500(tel_a, twilio):
    # Catches durations and segment counts read with int() into integer and smallint
    # columns: a signed 10-digit CallDuration or a 5-digit NumSegments was a 500.
    assert twilio.post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token).status_code == 200
    ended = incoming_params(tel_a) | {"CallStatus": "completed", "CallDuration": "9999999999"}
    assert twilio.post(STATUS, ended, token=tel_a.auth_token).status_code == 400
    text = sms_params(tel_a, body="hi") | {"NumSegments": "99999"}
    assert twilio.post(SMS, text, token=tel_a.auth_token).status_code == 400


def test_a_signed_timestamp_with_a_huge_year_falls_back_to_the_arrival_time(tel_a, twilio):
    # Catches OverflowError escaping the Timestamp parser (it caught only ValueError): a
    # signed status callback dated in the year 10**20 was a 500.
    assert twilio.post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token).status_code == 200
    params = incoming_params(tel_a) | {
        "CallStatus": "in-progress",
        "Timestamp": "Wed, 25 Nov 100000000000000000000 15:00:00 GMT",
    }
    assert twilio.post(STATUS, params, token=tel_a.auth_token).status_code == 204
