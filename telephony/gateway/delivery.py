"""Phases two and three of a send: the request to Twilio's REST API (outside any
transaction), then its outcome recorded: the message or call, or a failure with its retry
or give-up decision."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from telephony.gateway.results import (
    CALL_STATUS_EVENTS,
    MAX_ATTEMPTS,
    OPTED_OUT_ERROR_CODE,
    Attempt,
    Reason,
    SendResult,
    backoff_seconds,
)
from telephony.models import (
    MESSAGE_STATUS_RANK,
    Call,
    CallDirection,
    CallStatus,
    ConsentChannel,
    ConsentSource,
    Message,
    MessageDirection,
    MessageStatus,
    OutboundKind,
    OutboundRequest,
    OutboundStatus,
)
from telephony.rest import twilio_client
from telephony.services.consent import consent_revoke
from tenancy.context import tenant_context

logger = logging.getLogger(__name__)


# How far before an unverified attempt a message or call Twilio lists may have been
# created and still be that attempt (clocks differ), and how many of the newest between the
# two numbers are read.
LOOKUP_SLACK = timedelta(minutes=5)
LOOKUP_LIMIT = 20


def _status_callback(name: str, phone_number_id: int, request_id: int) -> str:
    # ``ob`` names the outbound request (one idempotency key), so every status callback of
    # what Twilio accepted says which of our sends it belongs to.
    return (
        f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse(name)}"
        f"?pn={phone_number_id}&ob={request_id}"
    )


def deliver(organization_id: int, attempt: Attempt, now: datetime) -> SendResult:
    """Phase two, outside any transaction: the HTTP request; then phase three records it.

    When an earlier attempt's outcome is unknown (``attempt.unverified_since``), Twilio is
    first asked whether it accepted it: found, it is recorded as sent and nothing is sent
    again; not found, the send goes ahead; the question unanswered, nothing is sent and the
    request is retried later, since sending blind could deliver it twice."""
    client = twilio_client(account_sid=attempt.account_sid, auth_token=attempt.auth_token)
    if attempt.unverified_since is not None:
        try:
            earlier = _accepted_earlier(organization_id, client, attempt)
        except (TwilioException, requests.RequestException) as error:
            return _record_failure(organization_id, attempt, now, network_error=error)
        if earlier is not None:
            logger.info(
                "outbound already accepted by Twilio; not sent again",
                extra={"outbound_request_id": attempt.request_id},
            )
            return _record_success(organization_id, attempt, sid=earlier[0], status=earlier[1])
    try:
        if attempt.kind == OutboundKind.SMS:
            message = client.messages.create(
                to=attempt.to,
                from_=attempt.from_e164,
                body=attempt.body,
                status_callback=_status_callback(
                    "telephony:sms-status", attempt.from_number_id, attempt.request_id
                ),
            )
            sid, status = message.sid or "", message.status or ""
        else:
            call = client.calls.create(
                to=attempt.to,
                from_=attempt.from_e164,
                url=attempt.twiml_url,
                method="POST",
                status_callback=_status_callback(
                    "telephony:voice-status", attempt.from_number_id, attempt.request_id
                ),
                status_callback_method="POST",
                status_callback_event=CALL_STATUS_EVENTS,
            )
            sid, status = call.sid or "", call.status or ""
    except TwilioRestException as error:
        return _record_failure(
            organization_id, attempt, now, error=error, outcome_unknown=error.status >= 500
        )
    except (requests.RequestException, TwilioException) as error:
        return _record_failure(
            organization_id, attempt, now, network_error=error, outcome_unknown=_unknown(error)
        )
    return _record_success(organization_id, attempt, sid=sid, status=str(status))


def _unknown(error: Exception) -> bool:
    """Whether Twilio may have accepted a request that failed with ``error``: yes unless
    the connection was never made (refused, or timed out while connecting). A read timeout
    or a connection dropped mid-answer leaves it unknown."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        cause = error.args[0] if error.args else None
        return not isinstance(getattr(cause, "reason", cause), NewConnectionError)
    return True


def _accepted_earlier(
    organization_id: int, client: Client, attempt: Attempt
) -> tuple[str, str] | None:
    """The SID and status of a message or call Twilio created for an earlier attempt of
    ``attempt``'s request, or ``None``. Twilio takes no idempotency key, so it is found by
    what it was: the same recipient and sender, created since the attempt (the newest
    first; a queued message has no sent date yet, so the time is compared here), the same
    body for a text, and not already recorded as another send of ours."""
    assert attempt.unverified_since is not None
    since = attempt.unverified_since - LOOKUP_SLACK
    found: list[tuple[str, str]] = []
    if attempt.kind == OutboundKind.SMS:
        # One page, never the next: the newest messages are the ones that can match, and
        # following a page link costs a request per page for nothing.
        for message in client.messages.page(
            to=attempt.to, from_=attempt.from_e164, page_size=LOOKUP_LIMIT
        ):
            created = message.date_created
            if (message.body or "") == attempt.body and (created is None or created >= since):
                found.append((message.sid or "", str(message.status or "")))
    else:
        for call in client.calls.page(
            to=attempt.to, from_=attempt.from_e164, page_size=LOOKUP_LIMIT
        ):
            created = call.date_created
            if created is None or created >= since:
                found.append((call.sid or "", str(call.status or "")))
    if not found:
        return None
    with tenant_context(organization_id):
        claimed = set(
            OutboundRequest.objects.filter(provider_sid__in=[sid for sid, _ in found])
            .exclude(pk=attempt.request_id)
            .values_list("provider_sid", flat=True)
        )
    # Oldest first: the earliest unclaimed match is the first attempt's.
    for sid, status in reversed(found):
        if sid and sid not in claimed:
            return sid, status
    return None


def _record_success(organization_id: int, attempt: Attempt, *, sid: str, status: str) -> SendResult:
    with tenant_context(organization_id):
        request = OutboundRequest.objects.select_for_update().get(pk=attempt.request_id)
        request.status = OutboundStatus.SENT
        request.provider_sid = sid[:34]
        request.reason = ""
        request.error_code = None
        request.unverified_since = None
        request.save(
            update_fields=[
                "status",
                "provider_sid",
                "reason",
                "error_code",
                "unverified_since",
                "updated_at",
            ]
        )
        if attempt.kind == OutboundKind.SMS:
            _message_sent(request, sid=sid, status=status)
        else:
            _call_placed(request, sid=sid)
        logger.info("outbound sent", extra={"outbound_request_id": request.pk})
        return SendResult.of(request)


def _message_sent(request: OutboundRequest, *, sid: str, status: str) -> None:
    # A status callback may have created the row first (it can beat this commit).
    if status not in MESSAGE_STATUS_RANK:
        status = MessageStatus.QUEUED
    Message.objects.bulk_create(
        [
            Message(
                organization_id=request.organization_id,
                message_sid=sid,
                direction=MessageDirection.OUTBOUND,
                status=status,
                status_rank=MESSAGE_STATUS_RANK[status],
                phone_number_id=request.from_number_id,
                contact_id=request.contact_id,
                body=request.body,
            )
        ],
        ignore_conflicts=True,
    )
    message = Message.objects.select_for_update().get(message_sid=sid)
    if message.body != request.body or message.contact_id != request.contact_id:
        message.body, message.contact_id = request.body, request.contact_id
        message.phone_number_id = message.phone_number_id or request.from_number_id
        message.save(update_fields=["body", "contact", "phone_number", "updated_at"])


def _call_placed(request: OutboundRequest, *, sid: str) -> None:
    from_number = request.from_number
    Call.objects.bulk_create(
        [
            Call(
                organization_id=request.organization_id,
                call_sid=sid,
                direction=CallDirection.OUTBOUND,
                status=CallStatus.QUEUED,
                location_id=from_number.location_id if from_number else None,
                phone_number_id=request.from_number_id,
                source_label=from_number.source_label if from_number else "",
                contact_id=request.contact_id,
                first_seen_at=request.last_attempt_at,
                started_at=request.last_attempt_at,
            )
        ],
        ignore_conflicts=True,
    )
    call = Call.objects.select_for_update().get(call_sid=sid)
    if call.contact_id is None:
        call.contact_id = request.contact_id
        call.save(update_fields=["contact", "updated_at"])


def _record_failure(
    organization_id: int,
    attempt: Attempt,
    now: datetime,
    *,
    error: TwilioRestException | None = None,
    network_error: Exception | None = None,
    outcome_unknown: bool = False,
) -> SendResult:
    with tenant_context(organization_id):
        request = OutboundRequest.objects.select_for_update().get(pk=attempt.request_id)
        retry = False
        request.error_code = None
        if outcome_unknown and request.unverified_since is None:
            # Twilio may have it: the next attempt asks before sending (``deliver``).
            request.unverified_since = request.last_attempt_at or now
        if error is not None:
            request.error_code = error.code
            if error.code == OPTED_OUT_ERROR_CODE:
                request.reason = Reason.OPTED_OUT
                # The person sent STOP to the carrier: a revocation, of calls and texts.
                consent_revoke(
                    e164=attempt.to,
                    channel=ConsentChannel.ALL,
                    source=ConsentSource.TWILIO_ERROR,
                    occurred_at=now,
                    note=f"Twilio error {OPTED_OUT_ERROR_CODE} on outbound request {request.pk}",
                )
            elif error.status == 429:
                request.reason, retry = Reason.TWILIO_THROTTLED, True
            elif error.status >= 500:
                request.reason, retry = Reason.TWILIO_UNAVAILABLE, True
            else:
                request.reason = Reason.TWILIO_REJECTED
        else:
            request.reason, retry = Reason.NETWORK_ERROR, True
        if retry and request.attempts < MAX_ATTEMPTS:
            request.status = OutboundStatus.RETRY
            request.next_attempt_at = now + timedelta(seconds=backoff_seconds(request.attempts))
        else:
            request.status = OutboundStatus.FAILED
            request.next_attempt_at = None
        request.save(
            update_fields=[
                "status",
                "reason",
                "error_code",
                "next_attempt_at",
                "unverified_since",
                "updated_at",
            ]
        )
        logger.warning(
            "outbound send failed",
            extra={
                "outbound_request_id": request.pk,
                "reason": request.reason,
                "error_code": request.error_code,
                "will_retry": request.status == OutboundStatus.RETRY,
            },
        )
        return SendResult.of(request)
