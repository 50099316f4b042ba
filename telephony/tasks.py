"""Celery tasks: thin — load by id, call a service. Named explicitly, with time limits."""

from __future__ import annotations

import logging

from celery import shared_task

from telephony import services

logger = logging.getLogger(__name__)


@shared_task(name="telephony.send_sms_reply", time_limit=40, soft_time_limit=30)
def send_sms_reply(organization_id: int, message_id: int, reply: str, text: str = "") -> str:
    """The automatic reply to an incoming text: telephony's own to a keyword, or the reply
    handler's ``text``. Idempotent (keyed on the incoming text)."""
    result = services.sms_reply_send(
        organization_id=organization_id, message_id=message_id, reply=reply, text=text
    )
    return result.status
