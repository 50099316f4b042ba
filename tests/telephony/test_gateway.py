"""The outbound gateway: its checks, idempotency, the real twilio client against Prism, and
what Twilio's refusals turn into. Twilio's REST API is the only thing stood in for: by Prism
(its own OpenAPI description) or, for refusals Prism cannot produce, a local server that
answers with Twilio's error JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from telephony import gateway, services
from telephony.models import (
    Call,
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentSource,
    Contact,
    Message,
    OutboundRequest,
    OutboundStatus,
)
from telephony.prism import relaxed_spec
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

NEW_YORKER = "+12125550142"
ANGELENO = "+13105550142"
# 16:30 UTC is 11:30 in New York and 08:30 in Los Angeles: inside everyone's window.
MIDDAY = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


def sms(tel, key: str, *, to: str = NEW_YORKER, now: datetime = MIDDAY, **kwargs):
    return gateway.send_sms(
        organization_id=tel.organization_id,
        to=to,
        body="We missed your call. Reply to this text or call us back.",
        idempotency_key=key,
        now=now,
        **kwargs,
    )


def request_row(tel, result) -> OutboundRequest:
    with tenant_context(tel.organization_id):
        return OutboundRequest.objects.get(pk=result.outbound_request_id)


def test_a_text_goes_out_through_the_twilio_client_to_prism(tel_a, prism):
    # Catches a gateway that never reaches the REST API (or a client pointed at the real
    # Twilio in tests): Prism answers with a fresh message SID, which is recorded.
    result = sms(tel_a, "text-1")
    assert result.sent, result
    # Twilio's description: ^(SM|MM)[0-9a-fA-F]{32}$
    assert result.provider_sid[:2] in ("SM", "MM") and len(result.provider_sid) == 34
    with tenant_context(tel_a.organization_id):
        message = Message.objects.get(message_sid=result.provider_sid)
        assert message.direction == "outbound"
        assert message.contact.e164 == NEW_YORKER
        assert message.phone_number_id == tel_a.main_number.pk
        assert request_row(tel_a, result).attempts == 1


def test_a_call_goes_out_with_its_status_callback_events(tel_a, prism):
    # Catches the repeated StatusCallbackEvent form keys being refused (Prism validates the
    # request against Twilio's description) and an outbound call left unrecorded.
    result = gateway.place_call(
        organization_id=tel_a.organization_id,
        to=NEW_YORKER,
        twiml_url="https://coverage.example.test/twiml/callback",
        idempotency_key="call-1",
        now=MIDDAY,
    )
    assert result.sent, result
    assert result.provider_sid.startswith("CA")
    with tenant_context(tel_a.organization_id):
        call = Call.objects.get(call_sid=result.provider_sid)
        assert call.direction == "outbound" and call.contact.e164 == NEW_YORKER


def test_each_create_gets_a_fresh_sid(tel_a, prism):
    # Catches Prism in static mode (every create the same example SID, so two texts would
    # collide on the message's unique SID).
    first, second = sms(tel_a, "fresh-1"), sms(tel_a, "fresh-2")
    assert first.sent and second.sent
    assert first.provider_sid != second.provider_sid


def test_the_same_idempotency_key_never_sends_twice(tel_a, prism):
    # Catches a retried task texting a person twice.
    first = sms(tel_a, "once")
    again = sms(tel_a, "once")
    assert again == first
    with tenant_context(tel_a.organization_id):
        assert Message.objects.count() == 1
        assert OutboundRequest.objects.get().attempts == 1


def test_a_revoked_number_is_blocked_and_the_block_recorded(tel_a, prism):
    # Catches texting a person who said STOP (a TCPA violation per message).
    with tenant_context(tel_a.organization_id):
        services.consent_revoke(
            e164=NEW_YORKER, channel=ConsentChannel.SMS, source=ConsentSource.AGENT
        )
    result = sms(tel_a, "after-stop")
    assert result.blocked and result.reason == gateway.Reason.REVOKED
    assert result.retry_at is None
    row = request_row(tel_a, result)
    assert (row.status, row.reason) == (OutboundStatus.BLOCKED, "revoked")
    with tenant_context(tel_a.organization_id):
        assert Message.objects.count() == 0


def test_sends_that_require_consent_need_a_grant(tel_a, prism):
    # Catches "no record" being treated as consent where the caller requires a grant.
    result = sms(tel_a, "needs-consent", require_consent=True)
    assert result.blocked and result.reason == gateway.Reason.NO_CONSENT
    with tenant_context(tel_a.organization_id):
        services.consent_grant(
            e164=NEW_YORKER, channel=ConsentChannel.SMS, source=ConsentSource.WEB_FORM,
            form="appointment-request",
        )  # fmt: skip
    assert sms(tel_a, "needs-consent", require_consent=True).sent


def test_the_calling_window_is_the_recipients_local_time(tel_a, prism):
    # Catches checking the window in the organisation's zone: at 15:00 UTC it is 10:00 for
    # a New Yorker but 07:00 for someone in Los Angeles (area code 310).
    ten_in_new_york = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert sms(tel_a, "ny", to=NEW_YORKER, now=ten_in_new_york).sent
    result = sms(tel_a, "la", to=ANGELENO, now=ten_in_new_york)
    assert result.blocked and result.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW
    # Blocked, not dropped: it says when 08:00 comes in Los Angeles.
    assert result.retry_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    # Retried then, the same request goes out.
    assert sms(tel_a, "la", to=ANGELENO, now=result.retry_at).sent


def test_a_known_contact_time_zone_beats_the_area_code(tel_a, prism):
    # Catches ignoring what the organisation knows: this 212 number belongs to someone who
    # lives in Los Angeles.
    with tenant_context(tel_a.organization_id):
        services.contact_update(e164=NEW_YORKER, time_zone="America/Los_Angeles")
    ten_in_new_york = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    result = sms(tel_a, "moved", now=ten_in_new_york)
    assert result.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW


def test_late_evening_is_outside_the_window(tel_a, prism):
    # Catches an inclusive end: 21:00 local is already too late.
    nine_pm_new_york = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    result = sms(tel_a, "late", now=nine_pm_new_york)
    assert result.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW
    assert result.retry_at == datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # 08:00 next day


def test_an_organisation_may_narrow_the_window_but_not_widen_it(tel_a, prism):
    # Catches the organisation's stricter hours being ignored, or wider ones accepted.
    actor = tel_a.world.tenant()
    with tenant_context(tel_a.organization_id):
        services.telephony_settings_update(actor=actor, calling_window_start=time(10, 0))
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            services.telephony_settings_update(actor=actor, calling_window_end=time(22, 0))
    half_past_nine_new_york = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    result = sms(tel_a, "early", now=half_past_nine_new_york)
    assert result.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW


def test_replies_to_the_recipients_own_text_are_not_held_to_the_window(tel_a, prism):
    # Catches a HELP answer at 22:00 being postponed to the next morning.
    ten_pm = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert sms(tel_a, "help-reply", now=ten_pm, purpose="reply").sent


STAFF = "staff_alert"
ELEVEN_PM_NEW_YORK = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def test_a_staff_alert_reaches_a_supervisor_at_night_and_is_recorded(tel_a, prism):
    # Catches a spike alert to the organisation's own supervisor held until the morning
    # (or dropped) by the consumer calling window, and an exempt send left unrecorded.
    general = sms(tel_a, "alert-general", now=ELEVEN_PM_NEW_YORK)
    assert general.reason == gateway.Reason.OUTSIDE_CALLING_WINDOW
    alert = sms(tel_a, "alert-staff", now=ELEVEN_PM_NEW_YORK, purpose=STAFF)
    assert alert.sent, alert
    row = request_row(tel_a, alert)
    assert (row.purpose, row.status) == (STAFF, OutboundStatus.SENT)


def test_a_staff_alert_still_honours_a_revocation(tel_a, prism):
    # Catches the staff exemption widened into "ignore STOP": a supervisor who revoked
    # texts gets none, at any hour.
    with tenant_context(tel_a.organization_id):
        services.consent_revoke(
            e164=NEW_YORKER, channel=ConsentChannel.SMS, source=ConsentSource.AGENT
        )
    result = sms(tel_a, "alert-revoked", now=ELEVEN_PM_NEW_YORK, purpose=STAFF)
    assert result.blocked and result.reason == gateway.Reason.REVOKED
    assert request_row(tel_a, result).purpose == STAFF


def test_staff_alerts_count_against_the_rate_limit(tel_a, prism):
    # Catches the exemption bypassing the per-organisation rate limit (a spike storm
    # texting supervisors without bound).
    with tenant_context(tel_a.organization_id):
        services.telephony_settings_update(actor=tel_a.world.tenant(), outbound_per_minute=1)
    assert sms(tel_a, "alert-1", now=ELEVEN_PM_NEW_YORK, purpose=STAFF).sent
    result = sms(tel_a, "alert-2", now=ELEVEN_PM_NEW_YORK, purpose=STAFF)
    assert result.blocked and result.reason == gateway.Reason.RATE_LIMITED


def test_the_organisation_rate_limit_blocks_and_says_when_to_retry(tel_a, prism):
    # Catches a burst of recovery texts exceeding the carrier's and the plan's limits.
    with tenant_context(tel_a.organization_id):
        services.telephony_settings_update(actor=tel_a.world.tenant(), outbound_per_minute=2)
    assert sms(tel_a, "r1").sent and sms(tel_a, "r2").sent
    result = sms(tel_a, "r3")
    assert result.blocked and result.reason == gateway.Reason.RATE_LIMITED
    assert result.retry_at == datetime(2026, 11, 25, 16, 31, tzinfo=UTC)
    # The next minute has room again.
    assert sms(tel_a, "r3", now=result.retry_at).sent


def test_an_invalid_number_fails_without_a_request(tel_a, twilio_error):
    # Catches sending garbage to Twilio (and paying for the error).
    result = sms(tel_a, "bad-number", to="+1555")
    assert result.status == OutboundStatus.FAILED
    assert result.reason == gateway.Reason.INVALID_NUMBER
    assert twilio_error.requests == []


def test_twilio_opted_out_error_records_a_revocation_and_gives_up(tel_a, twilio_error):
    # Catches retrying a 21610 forever and not learning the person opted out at the carrier.
    twilio_error.status, twilio_error.code = 400, 21610
    result = sms(tel_a, "carrier-stop")
    assert result.status == OutboundStatus.FAILED
    assert (result.reason, result.error_code) == (gateway.Reason.OPTED_OUT, 21610)
    with tenant_context(tel_a.organization_id):
        event = ConsentEvent.objects.get()
        assert (event.e164, event.action, event.source) == (
            NEW_YORKER,
            ConsentAction.REVOKE,
            ConsentSource.TWILIO_ERROR,
        )
    # The next text to that number does not even reach Twilio.
    assert sms(tel_a, "carrier-stop-2").reason == gateway.Reason.REVOKED
    assert len(twilio_error.requests) == 1


def test_twilio_throttling_retries_with_backoff_then_gives_up(tel_a, twilio_error):
    # Catches dropping a throttled text, retrying without backoff, or retrying forever.
    twilio_error.status, twilio_error.code = 429, 20429
    result = sms(tel_a, "throttled")
    assert result.status == OutboundStatus.RETRY
    assert result.reason == gateway.Reason.TWILIO_THROTTLED
    assert result.retry_at == MIDDAY + timedelta(seconds=30)
    delays = [30]
    now = MIDDAY
    for _ in range(gateway.MAX_ATTEMPTS - 1):
        now = result.retry_at
        result = gateway.retry_outbound(
            organization_id=tel_a.organization_id,
            outbound_request_id=result.outbound_request_id,
            now=now,
        )
        if result.retry_at:
            delays.append(int((result.retry_at - now).total_seconds()))
    assert delays == [30, 60, 120, 240]
    assert result.status == OutboundStatus.FAILED
    assert request_row(tel_a, result).attempts == gateway.MAX_ATTEMPTS
    assert len(twilio_error.requests) == gateway.MAX_ATTEMPTS


def test_a_server_error_is_retried(tel_a, twilio_error):
    # Catches treating Twilio's own outage as the recipient's fault.
    twilio_error.status, twilio_error.code = 503, None
    result = sms(tel_a, "outage")
    assert result.status == OutboundStatus.RETRY
    assert result.reason == gateway.Reason.TWILIO_UNAVAILABLE


def test_other_client_errors_give_up_with_the_code(tel_a, twilio_error):
    # Catches retrying a request Twilio will never accept (e.g. 21211, invalid 'To').
    twilio_error.status, twilio_error.code = 400, 21211
    result = sms(tel_a, "rejected")
    assert result.status == OutboundStatus.FAILED
    assert (result.reason, result.error_code) == (gateway.Reason.TWILIO_REJECTED, 21211)
    assert result.retry_at is None


def test_a_timeout_is_recorded_and_retried(tel_a, twilio_error, settings):
    # Catches a hung Twilio request hanging the worker, or a timeout lost without record.
    settings.TWILIO_HTTP_TIMEOUT_SECONDS = 0.3
    twilio_error.delay_seconds = 1.5
    result = sms(tel_a, "slow")
    assert result.status == OutboundStatus.RETRY
    assert result.reason == gateway.Reason.NETWORK_ERROR


def test_a_connection_error_is_recorded_and_retried(tel_a, settings):
    # Catches an unreachable API raising out of the gateway with nothing recorded.
    from tests.telephony.conftest import free_port

    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    result = sms(tel_a, "unreachable")
    assert result.status == OutboundStatus.RETRY
    assert result.reason == gateway.Reason.NETWORK_ERROR
    with tenant_context(tel_a.organization_id):
        assert Contact.objects.filter(e164=NEW_YORKER).exists()


def test_the_relaxed_spec_accepts_repeated_form_keys(tmp_path: Path):
    # Catches Prism rejecting StatusCallbackEvent=initiated&StatusCallbackEvent=completed
    # (an array in Twilio's description) and so every outbound call in development.
    path, relaxed = relaxed_spec(tmp_path / "spec.json")
    spec = json.loads(path.read_text())
    calls = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Calls.json"]["post"]
    schema = calls["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert "type" not in schema["properties"]["StatusCallbackEvent"]
    assert schema["properties"]["To"]["type"] == "string"
    assert relaxed >= 2


def test_a_throttled_text_becomes_scheduled_work_that_sends_it_once_twilio_accepts(
    tel_a, twilio_error, prism_server, settings
):
    # Catches a retry the gateway returns and nobody keeps (it was dropped past 60 s), a
    # retry path that re-runs no checks, or one that re-sends something already sent.
    from scheduling import services as scheduling
    from scheduling.models import DueWork, DueWorkStatus

    twilio_error.status, twilio_error.code = 429, 20429
    first = sms(tel_a, "throttled-reply", purpose="reply")
    assert first.status == OutboundStatus.RETRY and first.retry_at is not None
    with tenant_context(tel_a.organization_id):
        work = DueWork.objects.get()
    assert (work.kind, work.due_at) == ("telephony.retry_outbound", first.retry_at)

    settings.TWILIO_API_BASE_URL = prism_server.base_url  # Twilio accepts again
    assert scheduling.dispatch_due_work(now=first.retry_at - timedelta(seconds=1)) == []
    claims = scheduling.dispatch_due_work(now=first.retry_at)
    for claim in claims * 2:  # the broker delivers the run twice
        scheduling.run_work(
            organization_id=claim.organization_id,
            work_id=claim.work_id,
            lease_token=claim.lease_token,
        )

    row = request_row(tel_a, first)
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 2)
    with tenant_context(tel_a.organization_id):
        assert Message.objects.count() == 1
        assert DueWork.objects.get().status == DueWorkStatus.DONE


def test_a_text_held_for_the_recipients_morning_is_scheduled_for_then(tel_a, prism):
    # Catches a calling-window block whose retry time nobody keeps.
    from scheduling.models import DueWork

    late = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 22:00 in New York
    result = sms(tel_a, "late-evening", now=late)
    assert result.blocked and result.retry_at is not None
    with tenant_context(tel_a.organization_id):
        assert DueWork.objects.get().due_at == result.retry_at
