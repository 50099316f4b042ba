"""A revocation covers every channel: a text that says stop stops the calls too, a
revocation an agent hears on a call stops the texts, unless the person clearly limited it.
A revocation that also asks something is revoked and put in front of a person. Through the
signed webhook and the real gateway (Prism as Twilio)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from telephony import gateway, selectors, services
from telephony.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentSource,
    Message,
    OutboundPurpose,
    OutboundRequest,
)
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.telephony.test_sms_and_consent import TEXTER, text_in

pytestmark = pytest.mark.django_db

# 16:30 UTC: 10:30 for the Chicago texter, inside the calling window.
MIDDAY = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


def call(tel, key: str) -> gateway.SendResult:
    return gateway.place_call(
        organization_id=tel.organization_id,
        to=TEXTER,
        twiml_url="https://coverage.example.test/twiml/reminder",
        idempotency_key=key,
        now=MIDDAY,
    )


def text(tel, key: str) -> gateway.SendResult:
    return gateway.send_sms(
        organization_id=tel.organization_id,
        to=TEXTER,
        body="Your appointment is tomorrow at 10.",
        idempotency_key=key,
        now=MIDDAY,
    )


def ledger(tel) -> list[tuple[str, str, str]]:
    with tenant_context(tel.organization_id):
        return list(ConsentEvent.objects.order_by("id").values_list("action", "channel", "source"))


def test_a_text_asking_to_stop_calls_stops_the_calls(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches a revocation sent by text recorded for texts only, so place_call still rings
    # the person who wrote "please stop calling me".
    text_in(
        tel_a, twilio, django_capture_on_commit_callbacks, "please stop calling me", "SM" + "a" * 32
    )
    assert ledger(tel_a) == [
        (ConsentAction.REVOKE, ConsentChannel.ALL, ConsentSource.SMS_PLAIN_LANGUAGE)
    ]
    result = call(tel_a, "call-after-text-stop")
    assert result.blocked and result.reason == gateway.Reason.REVOKED
    assert text(tel_a, "text-after-text-stop").reason == gateway.Reason.REVOKED
    with tenant_context(tel_a.organization_id):
        # The one confirmation of the revocation still went out.
        purposes = list(OutboundRequest.objects.values_list("purpose", "status"))
    assert (OutboundPurpose.OPT_OUT_CONFIRMATION, "sent") in purposes


def test_stop_by_text_also_stops_calls(tel_a, twilio, prism, django_capture_on_commit_callbacks):
    # Catches the carrier keyword treated as texts-only.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "b" * 32)
    assert call(tel_a, "call-after-stop").reason == gateway.Reason.REVOKED


def test_a_revocation_an_agent_hears_on_a_call_stops_the_texts(tel_a, prism):
    # Catches a call-side revocation (recorded by the agent who took the call) that leaves
    # the reminder texts going out.
    agent = tel_a.world.members[Role.AGENT]
    with tenant_context(tel_a.organization_id):
        services.consent_revoke(
            e164=TEXTER,
            source=ConsentSource.AGENT,
            agent=agent,
            note="Asked on the phone not to be contacted again.",
        )
    assert text(tel_a, "text-after-call-stop").reason == gateway.Reason.REVOKED
    assert call(tel_a, "call-after-call-stop").reason == gateway.Reason.REVOKED
    assert ledger(tel_a) == [(ConsentAction.REVOKE, ConsentChannel.ALL, ConsentSource.AGENT)]


def test_a_revocation_the_person_limited_to_calls_leaves_texts(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches a clear limit ignored (the person asked for texts instead of calls) and a
    # "you are unsubscribed from texts" confirmation sent for a revocation of calls only.
    text_in(
        tel_a,
        twilio,
        django_capture_on_commit_callbacks,
        "Stop calling me. Text only please",
        "SM" + "c" * 32,
    )
    assert ledger(tel_a) == [
        (ConsentAction.REVOKE, ConsentChannel.VOICE, ConsentSource.SMS_PLAIN_LANGUAGE)
    ]
    with tenant_context(tel_a.organization_id):
        assert not OutboundRequest.objects.exists()  # no confirmation
    assert call(tel_a, "call-limited").reason == gateway.Reason.REVOKED
    assert text(tel_a, "text-limited").sent


def test_start_restores_texts_but_not_calls(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches START (a texting keyword) taken as consent to be called again after a STOP
    # that covered calls too; and START not restoring texts.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "d" * 32)
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "START", "SM" + "e" * 32)
    assert text(tel_a, "text-after-start").sent
    assert call(tel_a, "call-after-start").reason == gateway.Reason.REVOKED


def test_a_carrier_opt_out_stops_calls_too(tel_a, twilio_error):
    # Catches Twilio's 21610 (the person texted STOP to the carrier) recorded for texts only.
    twilio_error.status, twilio_error.code = 400, 21610
    assert text(tel_a, "carrier-refused").reason == gateway.Reason.OPTED_OUT
    assert call(tel_a, "call-after-carrier-stop").reason == gateway.Reason.REVOKED
    assert len(twilio_error.requests) == 1


def test_a_revocation_with_a_question_is_revoked_and_put_in_front_of_a_person(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches the question lost with the revocation (nobody ever answers "what time is my
    # appointment?"), or the question making the revocation wait for a person.
    body = "stop texting me, what time is my appointment?"
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, body, "SM" + "f" * 32)
    assert ledger(tel_a) == [
        (ConsentAction.REVOKE, ConsentChannel.ALL, ConsentSource.SMS_PLAIN_LANGUAGE)
    ]
    with tenant_context(tel_a.organization_id):
        [waiting] = selectors.messages_needing_review()
        assert waiting.body == body
        assert waiting.contact is not None and waiting.contact.e164 == TEXTER
        services.message_mark_reviewed(message=waiting)
        assert selectors.messages_needing_review() == []
        assert Message.objects.get(pk=waiting.pk).needs_review is False
    # A plain revocation does not wait for anyone.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "leave me alone", "SM" + "9" * 32)
    with tenant_context(tel_a.organization_id):
        assert selectors.messages_needing_review() == []
