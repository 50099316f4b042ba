"""Celery tasks: thin — load by id, call a service. Named explicitly, with time limits."""

from __future__ import annotations

import logging

from celery import shared_task

from telephony import gateway, services
from telephony.models import OutboundStatus

logger = logging.getLogger(__name__)

# Celery countdowns stay under a minute (docs/architecture.md); later retries are the caller's.
MAX_COUNTDOWN_SECONDS = 60


@shared_task(name="telephony.send_sms_reply", time_limit=40, soft_time_limit=30)
def send_sms_reply(organization_id: int, message_id: int, reply: str, text: str = "") -> str:
    """The automatic reply to an incoming text: telephony's own to a keyword, or the reply
    handler's ``text``. Idempotent (keyed on the incoming text)."""
    result = services.sms_reply_send(
        organization_id=organization_id, message_id=message_id, reply=reply, text=text
    )
    _retry_soon(organization_id, result)
    return result.status


@shared_task(name="telephony.retry_outbound_request", time_limit=40, soft_time_limit=30)
def retry_outbound_request(organization_id: int, outbound_request_id: int) -> str:
    """Try a blocked or retryable outbound request again (checks included)."""
    result = gateway.retry_outbound(
        organization_id=organization_id, outbound_request_id=outbound_request_id
    )
    _retry_soon(organization_id, result)
    return result.status


def _retry_soon(organization_id: int, result: gateway.SendResult) -> None:
    from django.utils import timezone

    if result.status != OutboundStatus.RETRY or result.retry_at is None:
        return
    delay = (result.retry_at - timezone.now()).total_seconds()
    if delay <= MAX_COUNTDOWN_SECONDS:
        retry_outbound_request.apply_async(
            (organization_id, result.outbound_request_id), countdown=max(0.0, delay)
        )
