"""Reads of telephony data, inside the current tenant context."""

from __future__ import annotations

from datetime import datetime

from telephony.models import (
    CallEvent,
    ConsentAction,
    ConsentEvent,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
)


def consent_latest(*, e164: str, channel: str) -> ConsentEvent | None:
    """The latest ledger entry for this number and channel: the current state."""
    return (
        ConsentEvent.objects.filter(e164=e164, channel=channel)
        .order_by("-occurred_at", "-id")
        .first()
    )


def consent_state(*, e164: str, channel: str) -> str | None:
    """``"grant"``, ``"revoke"``, or ``None`` when the ledger has nothing for the number."""
    latest = consent_latest(e164=e164, channel=channel)
    return latest.action if latest is not None else None


def revocation_started_at(*, e164: str, channel: str) -> datetime | None:
    """When the current revocation began (the first revoke after the last grant), or
    ``None`` when the number is not revoked."""
    events = list(
        ConsentEvent.objects.filter(e164=e164, channel=channel)
        .order_by("-occurred_at", "-id")
        .values_list("action", "occurred_at")[:200]
    )
    started: datetime | None = None
    for action, occurred_at in events:
        if action != ConsentAction.REVOKE:
            break
        started = occurred_at
    return started


def opt_out_confirmation_sent_since(
    *, e164: str, since: datetime, exclude_id: int | None = None
) -> bool:
    """Whether a confirmation was sent (or is being sent) since the revocation began."""
    return (
        OutboundRequest.objects.filter(
            to_e164=e164,
            purpose=OutboundPurpose.OPT_OUT_CONFIRMATION,
            status__in=[OutboundStatus.SENT, OutboundStatus.PENDING],
            created_at__gte=since,
        )
        .exclude(pk=exclude_id)
        .exists()
    )


def call_events(*, call_sid: str) -> list[CallEvent]:
    return list(CallEvent.objects.filter(provider_sid=call_sid).order_by("received_at", "id"))
