"""The webhook edge: how a request reaches the view, how its form is read, and how its
statements reach PostgreSQL. These are the hot path's shortcuts; each test names what a
shortcut must not cost."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import close_old_connections, connection, connections
from django.http import QueryDict
from django.test import Client
from twilio.request_validator import RequestValidator

from telephony.event_store import UNSEQUENCED_STATUS_BASE, call_event_key
from telephony.models import Call, CallEvent
from tenancy.context import tenant_context
from tests.conftest import drop_connection
from tests.telephony.conftest import PUBLIC_BASE_URL
from tests.telephony.test_webhook_security import INCOMING, incoming_params

pytestmark = pytest.mark.django_db


def test_webhooks_skip_the_browser_middleware_but_keep_the_request_id(tel_a, twilio, client):
    # Catches the webhook path losing its request id (log lines without it), and the
    # browser stack (sessions, clickjacking headers…) creeping back onto the hot path.
    response = twilio.post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token)
    assert response.status_code == 200
    assert response["X-Request-ID"]
    assert "X-Frame-Options" not in response
    assert not response.cookies
    browser = client.get("/accounts/login/")
    assert browser["X-Frame-Options"] == "DENY"
    assert browser["X-Request-ID"]


def test_an_unknown_webhook_path_is_a_404_not_an_error(client: Client):
    # Catches the short path raising on a path with no view (a 500 instead of a 404).
    assert client.post("/twilio/voice/nothing-here", {}).status_code == 404


def test_webhook_statements_are_prepared_on_the_server(tel_a, twilio):
    # Catches the connection option that silently turns server-side prepared statements
    # off (Django's default): PostgreSQL then plans every webhook's statements again.
    for call_sid in ("CA" + "3" * 32, "CA" + "4" * 32):
        params = incoming_params(tel_a, call_sid=call_sid)
        assert twilio.post(INCOMING, params, token=tel_a.auth_token).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements "
            "WHERE statement LIKE '%%INSERT INTO telephony_callevent%%'"
        )
        (prepared,) = cursor.fetchone()
    assert prepared == 1


def test_a_repeated_form_field_is_signed_over_every_value(tel_a, client: Client):
    # Catches the plain-dict form reader dropping a repeated value before the signature
    # check, which would refuse a correctly signed request.
    form = QueryDict(mutable=True)
    for name, value in incoming_params(tel_a).items():
        form[name] = value
    form.setlist("StirVerstat", ["TN-Validation-Passed-A", "TN-Validation-Passed-B"])
    signature = RequestValidator(tel_a.auth_token).compute_signature(
        PUBLIC_BASE_URL + INCOMING, form
    )
    response = client.post(
        INCOMING,
        form.urlencode(),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200


def test_a_form_with_too_many_fields_is_refused_and_nothing_is_stored(tel_a, client, settings):
    # Catches a flood of fields reaching the parser unbounded, or failing with a 500.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    params = incoming_params(tel_a) | {f"X{n}": "1" for n in range(30)}
    signature = RequestValidator(tel_a.auth_token).compute_signature(
        PUBLIC_BASE_URL + INCOMING, params
    )
    response = client.post(
        INCOMING,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 400
    with tenant_context(tel_a.organization_id):
        assert (Call.objects.count(), CallEvent.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_webhook_on_a_kept_connection_the_server_closed_still_succeeds(tel_a, twilio):
    # Catches the cheap health check missing a dropped connection: the webhook would fail.
    kept = connections["default"]
    kept.settings_dict["CONN_MAX_AGE"] = 600
    kept.close()  # the next connection is kept for 600 s
    try:
        first = incoming_params(tel_a, call_sid="CA" + "5" * 32)
        assert twilio.post(INCOMING, first, token=tel_a.auth_token).status_code == 200
        raw: Any = kept.connection
        assert raw is not None, "the connection was not kept between requests"
        drop_connection(raw)
        # What the WSGI handler does at request_started (the test client skips it).
        close_old_connections()
        second = incoming_params(tel_a, call_sid="CA" + "6" * 32)
        response = twilio.post(INCOMING, second, token=tel_a.auth_token)
        assert response.status_code == 200
        assert kept.connection is not raw
    finally:
        kept.settings_dict["CONN_MAX_AGE"] = 0


def test_status_callbacks_without_a_sequence_keep_their_stored_delivery_keys():
    # Catches the order of Twilio's statuses, which is part of every stored delivery key,
    # changing with the enums': a retry arriving after such a deploy would be stored twice.
    twilio_order = [
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
        "busy",
        "no-answer",
        "canceled",
        "failed",
    ]
    sequences = [
        call_event_key("voice.status", {"CallSid": "CA" + "5" * 32, "CallStatus": status}).sequence
        for status in twilio_order
    ]
    assert sequences == [UNSEQUENCED_STATUS_BASE + place for place in range(len(twilio_order))]
