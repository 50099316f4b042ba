"""Phase one of a send: claim the idempotency key and run the checks, in one short
transaction. A failed check records the block and returns it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import redis

from foundation.phones import InvalidPhoneNumber, to_e164
from telephony import calling_window, counters, selectors
from telephony.directory import tenant_telephony
from telephony.gateway.results import RATE_LIMIT_RETRY_SECONDS, Attempt, Reason, SendResult
from telephony.models import (
    ConsentAction,
    ConsentChannel,
    Contact,
    OutboundKind,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
    PhoneNumber,
    TwilioAccount,
)
from tenancy.context import tenant_context

logger = logging.getLogger(__name__)

# Sends that are not consumer contacts, so the calling window does not hold them: the answer
# to the recipient's own text, the one opt-out confirmation, and alerts to the organisation's
# own staff (a supervisor told of a queue spike at night). Each is still recorded, still
# counted against the rate limit, and still blocked by a revocation.
CALLING_WINDOW_EXEMPT = frozenset(
    {OutboundPurpose.REPLY, OutboundPurpose.OPT_OUT_CONFIRMATION, OutboundPurpose.STAFF_ALERT}
)


def recipient_e164(to: str, country: str) -> str | None:
    """The number to send to as E.164 (a national one read in ``country``), or ``None`` when
    it is not a valid number: the send then fails as ``INVALID_NUMBER``."""
    try:
        return to_e164(to, region=country)
    except InvalidPhoneNumber:
        return None


def prepare(
    *,
    organization_id: int,
    kind: str,
    to: str,
    body: str,
    twiml_url: str,
    idempotency_key: str,
    from_number_id: int | None,
    location_id: int | None,
    purpose: str,
    require_consent: bool,
    now: datetime,
) -> SendResult | Attempt:
    """Phase one, in one short transaction: claim the idempotency key and run the checks."""
    with tenant_context(organization_id):
        config = tenant_telephony(organization_id)
        e164 = recipient_e164(to, config.country)
        OutboundRequest.objects.bulk_create(
            [
                OutboundRequest(
                    organization_id=organization_id,
                    kind=kind,
                    purpose=purpose,
                    idempotency_key=idempotency_key,
                    to_e164=(e164 or to)[:16],
                    body=body,
                    twiml_url=twiml_url,
                )
            ],
            ignore_conflicts=True,
        )
        request = OutboundRequest.objects.select_for_update().get(idempotency_key=idempotency_key)
        if request.status in (OutboundStatus.SENT, OutboundStatus.FAILED):
            return SendResult.of(request)
        if request.status == OutboundStatus.PENDING and request.attempts > 0:
            return SendResult.of(request, reason=Reason.IN_FLIGHT)

        # The key names one request: a retry sends what was first asked, whatever it passes.
        e164 = recipient_e164(request.to_e164, config.country)
        kind, purpose = request.kind, request.purpose
        body, twiml_url = request.body, request.twiml_url
        if e164 is None:
            return _block(request, Reason.INVALID_NUMBER, now=now, retry_at=None, final=True)
        contact, _ = Contact.objects.get_or_create(e164=e164)
        from_number = _from_number(from_number_id, location_id)
        request.contact, request.from_number = contact, from_number

        channel = ConsentChannel.SMS if kind == OutboundKind.SMS else ConsentChannel.VOICE
        state = selectors.consent_state(e164=e164, channel=channel)
        if state == ConsentAction.REVOKE:
            if purpose != OutboundPurpose.OPT_OUT_CONFIRMATION or kind != OutboundKind.SMS:
                return _block(request, Reason.REVOKED, now=now, retry_at=None)
            started = selectors.revocation_started_at(e164=e164, channel=channel)
            if started is None or selectors.opt_out_confirmation_sent_since(
                e164=e164, since=started, exclude_id=request.pk
            ):
                return _block(request, Reason.CONFIRMATION_ALREADY_SENT, now=now, retry_at=None)
        elif purpose == OutboundPurpose.OPT_OUT_CONFIRMATION:
            # A confirmation only ever follows a revocation.
            return _block(request, Reason.NO_CONSENT, now=now, retry_at=None)
        elif require_consent and state != ConsentAction.GRANT:
            return _block(request, Reason.NO_CONSENT, now=now, retry_at=None)

        if purpose not in CALLING_WINDOW_EXEMPT:
            # The recipient's clock only: ``location_id`` picks the sending number, never
            # the zone (a New York location texting a Honolulu number).
            zones = calling_window.recipient_time_zones(
                e164, contact_time_zone=contact.time_zone, fallback=config.time_zone
            )
            start, end = calling_window.window(
                config.calling_window_start, config.calling_window_end
            )
            if not calling_window.is_within(now, zones, start, end):
                opening = calling_window.next_opening(now, zones, start, end)
                return _block(request, Reason.OUTSIDE_CALLING_WINDOW, now=now, retry_at=opening)

        account = TwilioAccount.objects.filter(is_active=True).first()
        if account is None:
            return _block(request, Reason.NO_TWILIO_ACCOUNT, now=now, retry_at=None)
        if from_number is None:
            return _block(request, Reason.NO_FROM_NUMBER, now=now, retry_at=None)

        try:
            allowed = counters.take_outbound_slot(
                organization_id, limit_per_minute=config.outbound_per_minute, now=now
            )
        except redis.RedisError:
            # Fail closed: without the counter the rate cannot be known.
            retry_at = now + timedelta(seconds=RATE_LIMIT_RETRY_SECONDS)
            return _block(request, Reason.RATE_LIMIT_UNAVAILABLE, now=now, retry_at=retry_at)
        if not allowed:
            next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
            return _block(request, Reason.RATE_LIMITED, now=now, retry_at=next_minute)

        request.status = OutboundStatus.PENDING
        request.reason = ""
        request.attempts += 1
        request.last_attempt_at = now
        request.next_attempt_at = None
        request.save(
            update_fields=[
                "status",
                "reason",
                "attempts",
                "last_attempt_at",
                "next_attempt_at",
                "contact",
                "from_number",
                "updated_at",
            ]
        )
        return Attempt(
            request_id=request.pk,
            kind=kind,
            to=e164,
            from_e164=from_number.e164,
            from_number_id=from_number.pk,
            body=body,
            twiml_url=twiml_url,
            account_sid=account.account_sid,
            auth_token=account.auth_token,
            unverified_since=request.unverified_since,
        )


def _block(
    request: OutboundRequest,
    reason: str,
    *,
    now: datetime,
    retry_at: datetime | None,
    final: bool = False,
) -> SendResult:
    request.status = OutboundStatus.FAILED if final else OutboundStatus.BLOCKED
    request.reason = reason
    request.next_attempt_at = retry_at
    request.last_attempt_at = now
    request.save(
        update_fields=[
            "status",
            "reason",
            "next_attempt_at",
            "last_attempt_at",
            "contact",
            "from_number",
            "updated_at",
        ]
    )
    logger.info(
        "outbound send blocked", extra={"reason": reason, "outbound_request_id": request.pk}
    )
    return SendResult.of(request)


def _from_number(from_number_id: int | None, location_id: int | None) -> PhoneNumber | None:
    numbers = PhoneNumber.objects.filter(is_active=True).select_related("location")
    if from_number_id is not None:
        return numbers.filter(pk=from_number_id).first()
    if location_id is not None:
        at_location = numbers.filter(location_id=location_id).order_by("id").first()
        if at_location is not None:
            return at_location
    return numbers.order_by("id").first()
