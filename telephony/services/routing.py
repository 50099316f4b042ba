"""How a call is answered at each moment Twilio asks (it rings; a dial ends; the hold queue
polls; the caller leaves the queue or presses a key): THE routing seam.

Telephony does not decide routes itself: it asks the ``CallRouter`` of its hooks
(``telephony.hooks``: the routing app's engine, wired in ``coverage_platform/composition.py``;
telephony imports nothing from routing). The router answers ``None`` when the call is not its
to route — its location has no published rules, or the call started without them — and then
telephony's **interim default** below answers: ring the location's forwarding number, then
take a voicemail with a transcription; after hours (Monday to Friday, 08:00 to 18:00
location time), voicemail straight away.

Both are pure with respect to the call: what is known about the moment in, TwiML and the
decision's facts out, so the webhook can store the answer with the event in the same
statement as the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from telephony import twiml
from telephony.directory import LocationConfig, TenantTelephony
from telephony.statuses import DIAL_ANSWERED, QueueResult

# Interim opening hours (location time) until routing's schedules exist: Monday to Friday,
# 08:00 to 18:00.
DEFAULT_OPENS = time(8, 0)
DEFAULT_CLOSES = time(18, 0)
DEFAULT_OPEN_WEEKDAYS = frozenset(range(5))


@dataclass(frozen=True)
class IncomingCall:
    """What is known about a call when it rings."""

    call_sid: str
    phone_number_id: int
    location_id: int
    at: datetime


@dataclass(frozen=True)
class CallDecision:
    """The answer to one moment of a call: the TwiML, and for a new call the facts the Call
    records (after hours; the routing version that decided it)."""

    twiml: str
    is_after_hours: bool
    routing_version_id: int | None = None


@dataclass(frozen=True)
class CallMoment:
    """A moment of a call at which Twilio asks what to do next: the webhook's ``kind``, the
    call, the number it came in on, the event's time, the form Twilio posted (``params``)
    and the callback URL's own query (``query``: what the previous answer's TwiML put there,
    besides ``pn``)."""

    kind: str
    call_sid: str
    organization_id: int
    phone_number_id: int
    location_id: int
    at: datetime
    params: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)


def is_open(location: LocationConfig, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(location.time_zone))
    return (
        local.weekday() in DEFAULT_OPEN_WEEKDAYS and DEFAULT_OPENS <= local.time() < DEFAULT_CLOSES
    )


def incoming_call_twiml(*, call: IncomingCall, config: TenantTelephony) -> CallDecision:
    """The interim default for an incoming call (see the module docstring)."""
    location = config.location(call.location_id)
    name = location.name if location is not None else config.organization_name
    if location is None or not is_open(location, call.at):
        return CallDecision(
            twiml=twiml.voicemail(
                location_name=name, phone_number_id=call.phone_number_id, after_hours=True
            ),
            is_after_hours=True,
        )
    if not location.forwarding_e164:
        return CallDecision(
            twiml=twiml.voicemail(location_name=name, phone_number_id=call.phone_number_id),
            is_after_hours=False,
        )
    return CallDecision(
        twiml=twiml.dial(
            forwarding_e164=location.forwarding_e164,
            timeout_seconds=config.dial_timeout_seconds,
            phone_number_id=call.phone_number_id,
        ),
        is_after_hours=False,
    )


def dial_action_twiml(*, dial_call_status: str, location_name: str, phone_number_id: int) -> str:
    """After the dial: hang up if someone answered, else take a voicemail."""
    if dial_call_status in DIAL_ANSWERED:
        return twiml.hangup()
    return twiml.voicemail(location_name=location_name, phone_number_id=phone_number_id)


def queue_action_twiml(*, queue_result: str, location_name: str, phone_number_id: int) -> str:
    """After the caller leaves a queue: done if bridged or gone, else a voicemail."""
    if queue_result in (QueueResult.BRIDGED, QueueResult.HANGUP):
        return twiml.hangup()
    return twiml.voicemail(location_name=location_name, phone_number_id=phone_number_id)
