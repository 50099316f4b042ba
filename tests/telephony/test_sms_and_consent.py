"""Texts in: storage, status order, and consent keywords with their single confirmation."""

from __future__ import annotations

import pytest

from telephony.keywords import Intent, classify
from telephony.models import (
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Message,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
)
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

TEXTER = "+13125550177"


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("STOP", Intent.REVOKE),
        ("stop", Intent.REVOKE),
        ("  Stop. ", Intent.REVOKE),
        ("STOPALL", Intent.REVOKE),
        ("unsubscribe", Intent.REVOKE),
        ("Cancel", Intent.REVOKE),
        ("END", Intent.REVOKE),
        ("quit", Intent.REVOKE),
        ("START", Intent.RESTORE),
        ("yes", Intent.RESTORE),
        ("Unstop", Intent.RESTORE),
        ("HELP", Intent.HELP),
        ("info", Intent.HELP),
        ("Please stop texting me", Intent.REVOKE),
        ("I want to opt out", Intent.REVOKE),
        ("I revoke my consent", Intent.REVOKE),
        ("remove me from this list!", Intent.REVOKE),
        ("don't text me again", Intent.REVOKE),
        ("Can I cancel my appointment?", Intent.NONE),
        ("yes please, 3pm works", Intent.NONE),
        ("I need help with my bill", Intent.NONE),
        ("Running late, see you at the end of the day", Intent.NONE),
    ],
)
def test_keywords_match_the_whole_body_and_plain_language_revokes(body, intent):
    # Catches substring keyword matching ("cancel my appointment" is not an opt-out) and
    # missing plain-language revocations (which the FCC counts as revocations).
    assert classify(body).intent == intent


def incoming_text(tel, body: str, *, sid: str, sender: str = TEXTER, **extra: str) -> dict:
    return {
        "AccountSid": tel.account_sid,
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "From": sender,
        "To": tel.main_number.e164,
        "Body": body,
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def text_in(tel, twilio, capture, body: str, sid: str, **extra: str):
    with capture(execute=True):
        response = twilio.post(
            "/twilio/sms/incoming", incoming_text(tel, body, sid=sid, **extra), token=tel.auth_token
        )
    assert response.status_code == 200
    return response


def replies(tel) -> list[OutboundRequest]:
    with tenant_context(tel.organization_id):
        return list(OutboundRequest.objects.order_by("id"))


def ledger(tel) -> list[tuple[str, str]]:
    with tenant_context(tel.organization_id):
        return list(ConsentEvent.objects.order_by("id").values_list("action", "source"))


def test_stop_revokes_and_sends_exactly_one_confirmation(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches a STOP that does not stop, and confirmations sent again on every STOP.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "1" * 32)
    assert ledger(tel_a) == [(ConsentAction.REVOKE, ConsentSource.SMS_KEYWORD)]
    [confirmation] = replies(tel_a)
    assert confirmation.purpose == OutboundPurpose.OPT_OUT_CONFIRMATION
    assert confirmation.status == OutboundStatus.SENT
    assert confirmation.to_e164 == TEXTER
    # A second STOP (and a plain-language one) add to the ledger but send nothing more.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "stop", "SM" + "2" * 32)
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "stop texting me", "SM" + "3" * 32)
    assert len(ledger(tel_a)) == 3
    assert [r.status for r in replies(tel_a)] == [OutboundStatus.SENT]
    # Not even HELP gets an answer now: one confirmation, no more.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "HELP", "SM" + "4" * 32)
    assert [r.status for r in replies(tel_a)] == [OutboundStatus.SENT, OutboundStatus.BLOCKED]


def test_the_gateway_itself_allows_only_one_confirmation_per_revocation(tel_a, prism):
    # Catches a second confirmation slipping through when a caller asks for one directly.
    from telephony import gateway, services

    with tenant_context(tel_a.organization_id):
        services.consent_revoke(e164=TEXTER, channel="sms", source=ConsentSource.AGENT)

    def confirm(key: str) -> gateway.SendResult:
        return gateway.send_sms(
            organization_id=tel_a.organization_id,
            to=TEXTER,
            body="You are unsubscribed.",
            idempotency_key=key,
            purpose=OutboundPurpose.OPT_OUT_CONFIRMATION,
        )

    assert confirm("confirm-1").sent
    second = confirm("confirm-2")
    assert second.blocked and second.reason == gateway.Reason.CONFIRMATION_ALREADY_SENT


def test_plain_language_revocation_is_recorded_as_such(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches plain-language opt-outs ignored because they are not a carrier keyword.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "Please opt out", "SM" + "5" * 32)
    assert ledger(tel_a) == [(ConsentAction.REVOKE, ConsentSource.SMS_PLAIN_LANGUAGE)]
    assert [r.purpose for r in replies(tel_a)] == [OutboundPurpose.OPT_OUT_CONFIRMATION]


def test_start_restores_and_help_answers_with_the_organisations_text(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches START leaving the number blocked, and HELP answered with a generic text.
    organization = tel_a.world.organization
    organization.sms_help_text = "Acme Legal: call 212-555-0100. Reply STOP to opt out."
    organization.save(update_fields=["sms_help_text"])
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "6" * 32)
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "START", "SM" + "7" * 32)
    assert ledger(tel_a)[-1] == (ConsentAction.GRANT, ConsentSource.SMS_KEYWORD)
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "help", "SM" + "8" * 32)
    sent = replies(tel_a)
    assert [r.status for r in sent] == [OutboundStatus.SENT] * 3
    assert sent[-1].body == organization.sms_help_text
    assert sent[-1].purpose == OutboundPurpose.REPLY


def test_yes_does_not_subscribe_a_number_that_never_left(
    tel_a, twilio, prism, django_capture_on_commit_callbacks
):
    # Catches every "YES" (which also confirms appointments) filling the ledger with grants
    # and answering with a subscription notice.
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "YES", "SM" + "9" * 32)
    assert ledger(tel_a) == []
    assert replies(tel_a) == []


def test_twilio_advanced_opt_out_already_replied(tel_a, twilio, django_capture_on_commit_callbacks):
    # Catches a second confirmation when Twilio's Advanced Opt-Out handled STOP itself.
    text_in(
        tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "a" * 32,
        OptOutType="STOP",
    )  # fmt: skip
    assert ledger(tel_a) == [(ConsentAction.REVOKE, ConsentSource.TWILIO_OPT_OUT)]
    assert replies(tel_a) == []


def test_a_duplicate_stop_is_a_no_op(tel_a, twilio, prism, django_capture_on_commit_callbacks):
    # Catches a retried webhook recording a second revocation (and a second confirmation).
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "b" * 32)
    text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", "SM" + "b" * 32)
    assert len(ledger(tel_a)) == 1
    assert len(replies(tel_a)) == 1
    with tenant_context(tel_a.organization_id):
        assert Message.objects.filter(direction="inbound").count() == 1


def test_message_status_callbacks_never_move_backwards(tel_a, twilio):
    # Catches a late "sent" callback overwriting "delivered" (the message would look
    # undelivered in reports).
    sid = "SM" + "c" * 32

    def status(value: str) -> int:
        params = {
            "AccountSid": tel_a.account_sid,
            "MessageSid": sid,
            "MessageStatus": value,
            "From": tel_a.main_number.e164,
            "To": TEXTER,
        }
        return twilio.post("/twilio/sms/status", params, token=tel_a.auth_token).status_code

    assert [status(s) for s in ("sent", "delivered", "queued", "sent", "delivered")] == [204] * 5
    with tenant_context(tel_a.organization_id):
        message = Message.objects.get(message_sid=sid)
        assert message.status == "delivered"
        from telephony.models import CallEvent

        assert CallEvent.objects.filter(provider_sid=sid).count() == 3


def test_a_stop_from_a_sender_without_a_number_changes_no_consent(
    tel_a, twilio, django_capture_on_commit_callbacks
):
    # Catches a sender ID that is not a number (an alphanumeric sender, a WhatsApp address)
    # entering the consent ledger or being texted a confirmation.
    for index, sender in enumerate(("ACMEBANK", "whatsapp:+13125550177")):
        sid = f"SM{index:032d}"
        text_in(tel_a, twilio, django_capture_on_commit_callbacks, "STOP", sid, sender=sender)
        with tenant_context(tel_a.organization_id):
            assert Message.objects.get(message_sid=sid).contact is None
    assert ledger(tel_a) == []
    assert replies(tel_a) == []
