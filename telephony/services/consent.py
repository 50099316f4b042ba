"""The consent ledger: every grant and revocation, with its source and evidence."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from telephony.models import ConsentAction, ConsentChannel, ConsentEvent
from tenancy.models import Membership

logger = logging.getLogger(__name__)


def consent_record(
    *,
    e164: str,
    channel: str,
    action: str,
    source: str,
    occurred_at: datetime | None = None,
    message_sid: str = "",
    form: str = "",
    agent: Membership | None = None,
    note: str = "",
) -> ConsentEvent:
    """Append a grant or revocation for ``e164`` on ``channel`` to the ledger."""
    if action not in ConsentAction.values:
        raise ValueError(f"{action!r} is not a consent action")
    if channel not in ConsentChannel.values:
        raise ValueError(f"{channel!r} is not a consent channel")
    event = ConsentEvent.objects.create(
        e164=e164,
        channel=channel,
        action=action,
        source=source,
        occurred_at=occurred_at or timezone.now(),
        message_sid=message_sid,
        form=form[:200],
        agent=agent,
        note=note[:300],
    )
    logger.info("consent recorded", extra={"action": action, "channel": channel, "source": source})
    return event


def consent_grant(
    *,
    e164: str,
    channel: str,
    source: str,
    occurred_at: datetime | None = None,
    message_sid: str = "",
    form: str = "",
    agent: Membership | None = None,
    note: str = "",
) -> ConsentEvent:
    """Record that the person at ``e164`` agreed to be contacted on ``channel``."""
    return consent_record(
        e164=e164,
        channel=channel,
        action=ConsentAction.GRANT,
        source=source,
        occurred_at=occurred_at,
        message_sid=message_sid,
        form=form,
        agent=agent,
        note=note,
    )


def consent_revoke(
    *,
    e164: str,
    source: str,
    channel: str = ConsentChannel.ALL,
    occurred_at: datetime | None = None,
    message_sid: str = "",
    form: str = "",
    agent: Membership | None = None,
    note: str = "",
) -> ConsentEvent:
    """Record that the person at ``e164`` withdrew consent: on every channel (calls and
    texts), however it was expressed (a text, a call, a form), unless the person clearly
    limited it to one ``channel``; then record only that one."""
    return consent_record(
        e164=e164,
        channel=channel,
        action=ConsentAction.REVOKE,
        source=source,
        occurred_at=occurred_at,
        message_sid=message_sid,
        form=form,
        agent=agent,
        note=note,
    )
