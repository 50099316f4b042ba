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


def _status_callback(name: str, phone_number_id: int) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse(name)}?pn={phone_number_id}"


def deliver(organization_id: int, attempt: Attempt, now: datetime) -> SendResult:
    """Phase two, outside any transaction: the HTTP request; then phase three records it."""
    client = twilio_client(account_sid=attempt.account_sid, auth_token=attempt.auth_token)
    try:
        if attempt.kind == OutboundKind.SMS:
            message = client.messages.create(
                to=attempt.to,
                from_=attempt.from_e164,
                body=attempt.body,
                status_callback=_status_callback("telephony:sms-status", attempt.from_number_id),
            )
            sid, status = message.sid or "", message.status or ""
        else:
            call = client.calls.create(
                to=attempt.to,
                from_=attempt.from_e164,
                url=attempt.twiml_url,
                method="POST",
                status_callback=_status_callback("telephony:voice-status", attempt.from_number_id),
                status_callback_method="POST",
                status_callback_event=CALL_STATUS_EVENTS,
            )
            sid, status = call.sid or "", call.status or ""
    except TwilioRestException as error:
        return _record_failure(organization_id, attempt, now, error=error)
    except (requests.Timeout, requests.ConnectionError) as error:
        return _record_failure(organization_id, attempt, now, network_error=error)
    except TwilioException as error:
        return _record_failure(organization_id, attempt, now, network_error=error)
    return _record_success(organization_id, attempt, sid=sid, status=str(status))


def _record_success(organization_id: int, attempt: Attempt, *, sid: str, status: str) -> SendResult:
    with tenant_context(organization_id):
        request = OutboundRequest.objects.select_for_update().get(pk=attempt.request_id)
        request.status = OutboundStatus.SENT
        request.provider_sid = sid[:34]
        request.reason = ""
        request.error_code = None
        request.save(update_fields=["status", "provider_sid", "reason", "error_code", "updated_at"])
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
) -> SendResult:
    with tenant_context(organization_id):
        request = OutboundRequest.objects.select_for_update().get(pk=attempt.request_id)
        retry = False
        request.error_code = None
        if error is not None:
            request.error_code = error.code
            if error.code == OPTED_OUT_ERROR_CODE:
                request.reason = Reason.OPTED_OUT
                consent_revoke(
                    e164=attempt.to,
                    channel=ConsentChannel.SMS
                    if attempt.kind == OutboundKind.SMS
                    else ConsentChannel.VOICE,
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
            update_fields=["status", "reason", "error_code", "next_attempt_at", "updated_at"]
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
