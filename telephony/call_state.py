"""The call state machine: folds one Twilio webhook into a Call, order-independently.

Twilio delivers a call's callbacks over separate HTTP requests that can arrive late, twice,
or out of order. Every event therefore updates *facts* with an order-independent merge
(earliest, latest, best-ranked, largest), and the columns that metrics read (start, queue
entry, answer, end, wait and talk seconds, outcome) are recomputed from the facts after every
event. The same set of events gives the same row whatever the order; duplicates never reach
this module (the event store drops them first).

Pure: no database access. ``apply_event`` mutates the Call in memory and returns the names of
the columns it changed, for ``save(update_fields=…)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from telephony.models import Call, CallDirection, CallOutcome, EventKind
from telephony.statuses import (
    DIAL_ANSWERED,
    TERMINAL_CALL_STATUSES,
    CallStatus,
    DialCallStatus,
    QueueResult,
    RecordingStatus,
)

CALL_STATUS_RANK: dict[str, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.BUSY: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.CANCELED: 4,
    CallStatus.FAILED: 4,
}

# When a call dials several times, the most telling result wins: reached a person, then the
# caller giving up, then nobody answering, then a technical failure.
DIAL_STATUS_RANK: dict[str, int] = {
    DialCallStatus.COMPLETED: 5,
    DialCallStatus.ANSWERED: 5,
    DialCallStatus.CANCELED: 4,
    DialCallStatus.NO_ANSWER: 3,
    DialCallStatus.BUSY: 2,
    DialCallStatus.FAILED: 1,
}
# A dial that ended without reaching anyone.
DIAL_UNANSWERED = frozenset({DialCallStatus.NO_ANSWER, DialCallStatus.BUSY, DialCallStatus.FAILED})

QUEUE_RESULT_RANK: dict[str, int] = {
    QueueResult.BRIDGED: 6,
    QueueResult.HANGUP: 5,
    QueueResult.REDIRECTED: 4,
    QueueResult.QUEUE_FULL: 3,
    QueueResult.LEAVE: 3,
    QueueResult.REDIRECTED_FROM_BRIDGED: 2,
    QueueResult.SYSTEM_ERROR: 1,
    QueueResult.ERROR: 1,
}
# Left the queue without a person and without hanging up: routed elsewhere.
QUEUE_OVERFLOW = frozenset(
    {
        QueueResult.REDIRECTED,
        QueueResult.QUEUE_FULL,
        QueueResult.LEAVE,
        QueueResult.SYSTEM_ERROR,
        QueueResult.ERROR,
    }
)

# The columns apply_event may change (besides bookkeeping).
DERIVED_FIELDS = (
    "started_at",
    "queued_at",
    "answered_at",
    "wait_seconds",
    "talk_seconds",
    "outcome",
)


@dataclass(frozen=True)
class IncomingDecision:
    """What the incoming-call webhook decided, folded in with the voice.incoming event."""

    location_id: int | None
    phone_number_id: int | None
    source_label: str
    contact_id: int | None
    is_after_hours: bool
    routing_version_id: int | None


def event_time(params: Mapping[str, str], received_at: datetime) -> datetime:
    """When the event happened: Twilio's ``Timestamp`` (status callbacks carry it) or, for
    webhooks without one, when it was received."""
    raw = params.get("Timestamp", "")
    if raw:
        try:
            parsed = _rfc1123_utc(raw) or parsedate_to_datetime(raw)
        except (TypeError, ValueError, OverflowError):  # a year past C's int: OverflowError
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return received_at


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


def _rfc1123_utc(raw: str) -> datetime | None:
    """Twilio's own form, ``Wed, 25 Nov 2026 15:00:00 GMT``, read directly: the email
    module's general date parser cost a tenth of a webhook's Python. Anything else: None."""
    parts = raw.split(" ")
    if len(parts) != 6 or parts[5] not in ("GMT", "+0000") or parts[4].count(":") != 2:
        return None
    month = _MONTHS.get(parts[2])
    if month is None:
        return None
    hour, minute, second = parts[4].split(":")
    return datetime(
        int(parts[3]), month, int(parts[1]), int(hour), int(minute), int(second), tzinfo=UTC
    )


def int_param(params: Mapping[str, str], name: str) -> int | None:
    try:
        value = int(params.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _earliest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate < current else current


def _latest(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def _snapshot(call: Call) -> dict[str, object]:
    return {field.attname: getattr(call, field.attname) for field in call._meta.concrete_fields}


def apply_event(
    call: Call,
    *,
    kind: str,
    params: Mapping[str, str],
    at: datetime,
    short_abandon_seconds: int,
    incoming: IncomingDecision | None = None,
) -> list[str]:
    """Fold one new event into ``call``; return the changed column names."""
    before = _snapshot(call)
    _merge_facts(call, kind=kind, params=params, at=at, incoming=incoming)
    call.applied_event_count += 1
    recompute(call, short_abandon_seconds=short_abandon_seconds)
    return [name for name, value in before.items() if getattr(call, name) != value]


def _merge_facts(
    call: Call,
    *,
    kind: str,
    params: Mapping[str, str],
    at: datetime,
    incoming: IncomingDecision | None,
) -> None:
    if not call.direction:
        direction = params.get("Direction", "inbound")
        call.direction = (
            CallDirection.OUTBOUND if direction.startswith("outbound") else CallDirection.INBOUND
        )
    call.first_seen_at = _earliest(call.first_seen_at, at)

    if kind == EventKind.VOICE_INCOMING:
        call.direction = CallDirection.INBOUND
        if incoming is not None:
            call.location_id = call.location_id or incoming.location_id
            call.phone_number_id = call.phone_number_id or incoming.phone_number_id
            call.source_label = call.source_label or incoming.source_label
            call.contact_id = call.contact_id or incoming.contact_id
            call.is_after_hours = call.is_after_hours or incoming.is_after_hours
            if call.routing_version_id is None:
                call.routing_version_id = incoming.routing_version_id
        _merge_status(call, params.get("CallStatus", CallStatus.RINGING))

    elif kind == EventKind.VOICE_STATUS:
        status = params.get("CallStatus", "")
        sequence = int_param(params, "SequenceNumber")
        if sequence is not None and sequence > call.last_sequence_number:
            call.last_sequence_number = sequence
        _merge_status(call, status)
        if status in TERMINAL_CALL_STATUSES:
            call.ended_at = _latest(call.ended_at, at)
            duration = int_param(params, "CallDuration")
            if duration is not None:
                call.call_duration_seconds = max(call.call_duration_seconds or 0, duration)
        if status == CallStatus.IN_PROGRESS and call.direction == CallDirection.OUTBOUND:
            # Outbound, "in-progress" means the person called picked up. Inbound, it only
            # means Twilio answered to run the TwiML, so it says nothing about a person.
            call.dial_answered_at = _earliest(call.dial_answered_at, at)

    elif kind == EventKind.VOICE_DIAL_ACTION:
        dial_status = params.get("DialCallStatus", "")
        if DIAL_STATUS_RANK.get(dial_status, 0) > DIAL_STATUS_RANK.get(call.dial_call_status, 0):
            call.dial_call_status = dial_status
        call.dial_ended_at = _latest(call.dial_ended_at, at)
        if dial_status in DIAL_ANSWERED:
            talk = int_param(params, "DialCallDuration") or 0
            call.dial_seconds = max(call.dial_seconds or 0, talk)
            call.dial_answered_at = _earliest(call.dial_answered_at, at - timedelta(seconds=talk))

    elif kind == EventKind.VOICE_QUEUE_WAIT:
        in_queue = int_param(params, "QueueTime") or 0
        call.queue_entered_at = _earliest(call.queue_entered_at, at - timedelta(seconds=in_queue))

    elif kind == EventKind.VOICE_QUEUE_ACTION:
        result = params.get("QueueResult", "")
        in_queue = int_param(params, "QueueTime") or 0
        current_rank = QUEUE_RESULT_RANK.get(call.queue_result, 0)
        rank = QUEUE_RESULT_RANK.get(result, 0)
        known = result in QueueResult.values  # a word Twilio never sends is not stored
        if known and (
            rank > current_rank or (rank == current_rank and in_queue > (call.queue_seconds or 0))
        ):
            call.queue_result = result
            call.queue_seconds = in_queue
        if result != QueueResult.BRIDGED:
            # The action of a call that left the queue unbridged fires as it leaves; a bridged
            # call's fires only after the bridged conversation ends.
            entered = at - timedelta(seconds=in_queue)
            call.queue_entered_at = _earliest(call.queue_entered_at, entered)

    elif kind in (EventKind.VOICE_RECORD_ACTION, EventKind.VOICE_RECORDING_STATUS):
        recorded = int_param(params, "RecordingDuration")
        status = params.get("RecordingStatus", RecordingStatus.COMPLETED)
        if recorded and status == RecordingStatus.COMPLETED:
            call.voicemail_seconds = max(call.voicemail_seconds or 0, recorded)


def _merge_status(call: Call, status: str) -> None:
    if status in CALL_STATUS_RANK and CALL_STATUS_RANK[status] > CALL_STATUS_RANK.get(
        call.status, -1
    ):
        call.status = status


def recompute(call: Call, *, short_abandon_seconds: int) -> None:
    """Derive times, seconds and outcome from the facts."""
    if call.ended_at is not None and call.call_duration_seconds is not None:
        call.started_at = call.ended_at - timedelta(seconds=call.call_duration_seconds)
    else:
        call.started_at = call.first_seen_at

    inbound = call.direction == CallDirection.INBOUND
    if call.queue_entered_at is not None:
        call.queued_at = call.queue_entered_at
    elif inbound and not call.is_after_hours and call.dial_call_status:
        # Without a queue the caller waits from the start: the default routing dials at once.
        call.queued_at = call.started_at
    else:
        call.queued_at = None

    bridged = call.queue_result == QueueResult.BRIDGED
    dial_answered = call.dial_call_status in DIAL_ANSWERED
    if not inbound or dial_answered:
        call.answered_at = call.dial_answered_at
    elif bridged and call.queued_at is not None:
        call.answered_at = call.queued_at + timedelta(seconds=call.queue_seconds or 0)
    else:
        call.answered_at = None

    call.wait_seconds = _wait_seconds(call, inbound=inbound)
    call.talk_seconds = _talk_seconds(call, inbound=inbound, dial_answered=dial_answered)
    call.outcome = _outcome(call, inbound=inbound, short_abandon_seconds=short_abandon_seconds)


def _wait_seconds(call: Call, *, inbound: bool) -> int | None:
    if not inbound or call.queued_at is None:
        return None
    if call.answered_at is not None:
        return _seconds(call.answered_at, call.queued_at)
    if call.queue_result and call.queue_seconds is not None and call.queue_entered_at is not None:
        return call.queue_seconds
    stopped_waiting = call.dial_ended_at or call.ended_at
    return _seconds(stopped_waiting, call.queued_at)


def _talk_seconds(call: Call, *, inbound: bool, dial_answered: bool) -> int | None:
    if call.answered_at is None:
        return None
    if inbound and dial_answered and call.dial_seconds is not None:
        return call.dial_seconds
    return _seconds(call.ended_at, call.answered_at)


def _outcome(call: Call, *, inbound: bool, short_abandon_seconds: int) -> str:
    if call.status not in TERMINAL_CALL_STATUSES:
        return ""
    if call.answered_at is not None:
        return CallOutcome.ANSWERED
    if call.status == CallStatus.FAILED:
        return CallOutcome.FAILED
    if call.status == CallStatus.BUSY:
        return CallOutcome.BUSY
    if not inbound:
        return CallOutcome.FAILED if call.status == CallStatus.CANCELED else CallOutcome.RANG_OUT
    if call.is_after_hours:
        return CallOutcome.AFTER_HOURS
    if call.voicemail_seconds:
        return CallOutcome.VOICEMAIL
    if call.queue_result in QUEUE_OVERFLOW:
        return CallOutcome.OVERFLOWED
    if call.dial_call_status in DIAL_UNANSWERED and call.queue_result != QueueResult.HANGUP:
        return CallOutcome.RANG_OUT
    # The caller hung up while waiting: in the queue, while the dial rang, or before either.
    wait = call.wait_seconds
    if wait is None:
        wait = _seconds(call.ended_at, call.started_at) or 0
    if wait <= short_abandon_seconds:
        return CallOutcome.SHORT_ABANDON
    return CallOutcome.ABANDONED
