"""Reads of telephony data, inside the current tenant context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from telephony.event_store import execute_prepared
from telephony.models import (
    Call,
    CallEvent,
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    Message,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
)
from telephony.statuses import QueueResult


def _covering(channel: str) -> list[str]:
    """The ledger channels whose entries apply to ``channel``: its own and ``ALL`` (a
    revocation covers calls and texts unless the person limited it)."""
    return [channel, ConsentChannel.ALL] if channel != ConsentChannel.ALL else [channel]


def consent_latest(*, e164: str, channel: str) -> ConsentEvent | None:
    """The latest ledger entry that applies to this number and channel (one recorded for
    the channel or for every channel): the current state."""
    return (
        ConsentEvent.objects.filter(e164=e164, channel__in=_covering(channel))
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
        ConsentEvent.objects.filter(e164=e164, channel__in=_covering(channel))
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


def messages_needing_review(*, limit: int = 100) -> list[Message]:
    """Incoming texts a person must read (a revocation that also asked something), oldest
    first, with their contact."""
    return list(
        Message.objects.filter(needs_review=True)
        .select_related("contact")
        .order_by("created_at", "id")[:limit]
    )


def call_events(*, call_sid: str) -> list[CallEvent]:
    return list(CallEvent.objects.filter(provider_sid=call_sid).order_by("received_at", "id"))


# A caller "waiting" longer than this is a call whose last callbacks were lost: not counted.
MAX_QUEUE_WAIT = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """A location's queue at a moment: callers waiting, and the longest of their waits."""

    waiting: int = 0
    longest_wait_seconds: int = 0


# One index-only range over the partial index call_org_location_waiting, which holds only
# the calls in a queue now: cheap enough for every routed incoming call. The organisation
# is named as the scoped manager would (row-level security applies as well).
_QUEUE_SNAPSHOT_SQL = (
    f"SELECT count(*), min(queue_entered_at) FROM {Call._meta.db_table} "
    "WHERE organization_id = %s AND location_id = %s AND queue_entered_at > %s "
    "AND queue_entered_at <= %s AND queue_result = '' AND ended_at IS NULL"
)


def queue_snapshot(*, organization_id: int, location_id: int, at: datetime) -> QueueSnapshot:
    """Who waits in the location's queue at ``at``: calls that entered it (their first
    queue-wait callback) and have neither left it (queue action) nor ended. Inside the
    organisation's tenant context."""
    row = execute_prepared(
        _QUEUE_SNAPSHOT_SQL, [organization_id, location_id, at - MAX_QUEUE_WAIT, at]
    )
    if row is None or not row[0]:
        return QueueSnapshot()
    longest = max(0, round((at - row[1]).total_seconds()))
    return QueueSnapshot(waiting=int(row[0]), longest_wait_seconds=longest)


def first_queued_at(*, call_sid: str) -> datetime | None:
    """When the call first entered a queue (its earliest queue callback), or ``None``."""
    return Call.objects.filter(call_sid=call_sid).values_list("queue_entered_at", flat=True).first()


@dataclass(frozen=True, slots=True)
class QueueExit:
    """A call that left a location's queue: when, after how long, and whether the caller
    hung up waiting (rather than being answered, sent on, or called back)."""

    left_at: datetime
    wait_seconds: int
    abandoned: bool


def queue_exits(*, location_id: int, since: datetime, until: datetime) -> list[QueueExit]:
    """The calls that left the location's queue in (``since``, ``until``], from the
    queue-action facts of each call. Inside the organisation's tenant context."""
    rows = (
        Call.objects.filter(
            location_id=location_id,
            started_at__gt=since - MAX_QUEUE_WAIT,
            started_at__lte=until,
            queue_entered_at__isnull=False,
        )
        .exclude(queue_result="")
        .values_list("queue_entered_at", "queue_seconds", "queue_result")
    )
    exits = []
    for entered_at, queue_seconds, result in rows:
        left_at = entered_at + timedelta(seconds=queue_seconds or 0)
        if since < left_at <= until:
            exits.append(QueueExit(left_at, queue_seconds or 0, result == QueueResult.HANGUP))
    return exits
