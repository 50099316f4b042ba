"""Receiving voice webhooks: store the event, fold it into the call, answer TwiML; and the
hand-off of calls that ended without reaching a person."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from foundation.crypto import encrypt_text
from foundation.phones import e164_from_twilio
from telephony import call_state, twiml
from telephony.directory import NumberRoute, TenantTelephony
from telephony.event_store import call_event_key, save_fields, store_call_event, stored_response
from telephony.hooks import TelephonyHooks, UnansweredContactHandler, installed
from telephony.models import (
    TERMINAL_CALL_STATUSES,
    Call,
    CallDirection,
    CallOutcome,
    EventKind,
    Recording,
    Transcription,
)
from telephony.services.routing import (
    CallDecision,
    CallMoment,
    IncomingCall,
    dial_action_twiml,
    incoming_call_twiml,
    queue_action_twiml,
)
from telephony.statuses import RecordingStatus

logger = logging.getLogger(__name__)

RECORDING_STATUS_RANK: dict[str, int] = {
    RecordingStatus.IN_PROGRESS: 1,
    RecordingStatus.ABSENT: 2,
    RecordingStatus.FAILED: 2,
    RecordingStatus.COMPLETED: 3,
}
ENCRYPTED_SUFFIX = ":encrypted"
SENSITIVE_PARAMS = ("TranscriptionText",)


@dataclass(frozen=True)
class WebhookAnswer:
    """What to answer Twilio: TwiML, or nothing (HTTP 204) when ``body`` is empty."""

    body: str
    duplicate: bool


# The webhooks at which Twilio asks what to do next, so the router is asked.
ROUTED_KINDS = frozenset(
    {
        EventKind.VOICE_INCOMING,
        EventKind.VOICE_DIAL_ACTION,
        EventKind.VOICE_QUEUE_WAIT,
        EventKind.VOICE_QUEUE_ACTION,
        EventKind.VOICE_CALLBACK_KEYPRESS,
    }
)


def storable_params(params: Mapping[str, str]) -> dict[str, str]:
    """The webhook's parameters as stored: transcript text replaced by its ciphertext."""
    stored = dict(params)
    for name in SENSITIVE_PARAMS:
        if name in stored:
            stored[name + ENCRYPTED_SUFFIX] = encrypt_text(stored.pop(name))
    return stored


def _moment(
    kind: str,
    params: Mapping[str, str],
    *,
    route: NumberRoute,
    at: datetime,
    query: Mapping[str, str] | None,
) -> CallMoment | None:
    """The moment to ask the router about, when Twilio asks what to do next."""
    if kind not in ROUTED_KINDS:
        return None
    return CallMoment(
        kind=kind,
        call_sid=params.get("CallSid", ""),
        organization_id=route.organization_id,
        phone_number_id=route.phone_number_id,
        location_id=route.location_id,
        at=at,
        params=params,
        query=query or {},
    )


def _interim_response(
    kind: str,
    params: Mapping[str, str],
    *,
    route: NumberRoute,
    config: TenantTelephony,
    at: datetime,
) -> CallDecision | None:
    """Telephony's interim default answer (telephony/services/routing.py)."""
    location = config.location(route.location_id)
    location_name = location.name if location is not None else config.organization_name
    if kind == EventKind.VOICE_INCOMING:
        return incoming_call_twiml(
            call=IncomingCall(
                call_sid=params.get("CallSid", ""),
                phone_number_id=route.phone_number_id,
                location_id=route.location_id,
                at=at,
            ),
            config=config,
        )
    if kind == EventKind.VOICE_DIAL_ACTION:
        body = dial_action_twiml(
            dial_call_status=params.get("DialCallStatus", ""),
            location_name=location_name,
            phone_number_id=route.phone_number_id,
        )
    elif kind == EventKind.VOICE_QUEUE_ACTION:
        body = queue_action_twiml(
            queue_result=params.get("QueueResult", ""),
            location_name=location_name,
            phone_number_id=route.phone_number_id,
        )
    elif kind in (EventKind.VOICE_QUEUE_WAIT, EventKind.VOICE_CALLBACK_KEYPRESS):
        body = twiml.queue_hold()
    elif kind == EventKind.VOICE_RECORD_ACTION:
        body = twiml.goodbye()
    else:
        return None
    return CallDecision(twiml=body, is_after_hours=False)


def receive_voice_event(
    *,
    route: NumberRoute,
    config: TenantTelephony,
    kind: str,
    params: Mapping[str, str],
    received_at: datetime,
    query: Mapping[str, str] | None = None,
    hooks: TelephonyHooks | None = None,
) -> WebhookAnswer:
    """Store one voice webhook and fold it into its call, in the current tenant transaction.

    When Twilio asks what to do next, the hooks' ``CallRouter`` (given the callback URL's
    ``query``) answers, or telephony's interim default when it answers ``None``
    (telephony/services/routing.py). The answer is decided before the event is stored, so
    it is stored with it. A duplicate (same CallSid, kind and sequence) changes nothing and
    gets the answer the first delivery got. Callbacks arriving out of order never move the
    call backwards (telephony/call_state.py). A call that ends without reaching a person is
    handed to the hooks' ``UnansweredContactHandler`` in this transaction, and a routed call
    leaving its queue is reported to its router. ``hooks`` defaults to the installed ones
    (``telephony.hooks.installed``).
    """
    if hooks is None:
        hooks = installed()
    key = call_event_key(kind, params)
    at = call_state.event_time(params, received_at)
    moment = _moment(kind, params, route=route, at=at, query=query)
    decision = hooks.call_router.route(moment, config) if moment is not None else None
    routed = decision is not None
    if decision is None:
        decision = _interim_response(kind, params, route=route, config=config, at=at)
    body = decision.twiml if decision is not None else ""
    incoming = None
    if kind == EventKind.VOICE_INCOMING and decision is not None:
        incoming = call_state.IncomingDecision(
            location_id=route.location_id,
            phone_number_id=route.phone_number_id,
            source_label=route.source_label,
            contact_id=None,
            is_after_hours=decision.is_after_hours,
            routing_version_id=decision.routing_version_id,
        )

    fresh = Call(
        organization_id=route.organization_id,
        call_sid=key.provider_sid,
        direction="",
        location_id=route.location_id,
        phone_number_id=route.phone_number_id,
        source_label=route.source_label,
    )
    call_state.apply_event(
        fresh,
        kind=kind,
        params=params,
        at=at,
        short_abandon_seconds=config.short_abandon_seconds,
        incoming=incoming,
    )
    # The caller's contact, when the caller has a number (not "anonymous" or a client).
    caller = e164_from_twilio(params.get("From", "")) if kind == EventKind.VOICE_INCOMING else None
    stored = store_call_event(
        organization_id=route.organization_id,
        key=key,
        params=storable_params(params),
        received_at=received_at,
        response_body=body,
        fresh_call=fresh,
        contact_e164=caller,
    )
    if stored is None:
        return WebhookAnswer(body=stored_response(key), duplicate=True)

    call = stored.row
    changed: list[str] = []
    if not stored.inserted:
        changed = call_state.apply_event(
            call,
            kind=kind,
            params=params,
            at=at,
            short_abandon_seconds=config.short_abandon_seconds,
            incoming=incoming,
        )
    # The hand-off rides on the same UPDATE as the event's changes.
    handler = hooks.unanswered_contacts
    changed += on_unanswered_contact(call=call, handler=handler) or withdraw_unanswered_contact(
        call=call, handler=handler
    )
    if changed:
        save_fields(call, changed)

    if kind in (EventKind.VOICE_RECORD_ACTION, EventKind.VOICE_RECORDING_STATUS):
        _record_recording(call, params)
    elif kind == EventKind.VOICE_TRANSCRIPTION:
        _record_transcription(call, params)
    elif kind == EventKind.VOICE_QUEUE_ACTION and routed and moment is not None:
        # Only now is it known that this exit is not a duplicate, so the router's reaction
        # (routing's spike evaluation) cannot run twice for one Twilio retry.
        hooks.call_router.call_left_queue(moment)
    return WebhookAnswer(body=body, duplicate=False)


def _record_recording(call: Call, params: Mapping[str, str]) -> Recording | None:
    recording_sid = params.get("RecordingSid", "")
    if not recording_sid:
        return None
    status = params.get("RecordingStatus", RecordingStatus.COMPLETED)
    duration = call_state.int_param(params, "RecordingDuration")
    Recording.objects.bulk_create(
        [
            Recording(
                organization_id=call.organization_id,
                call=call,
                recording_sid=recording_sid,
                status=status if status in Recording.Status.values else Recording.Status.COMPLETED,
            )
        ],
        ignore_conflicts=True,
    )
    recording = Recording.objects.select_for_update().get(recording_sid=recording_sid)
    changed: list[str] = []
    if RECORDING_STATUS_RANK.get(status, 0) > RECORDING_STATUS_RANK.get(recording.status, 0):
        recording.status = status
        changed.append("status")
    if duration is not None and (recording.duration_seconds or 0) < duration:
        recording.duration_seconds = duration
        changed.append("duration_seconds")
    url = params.get("RecordingUrl", "")
    if url and not recording.url:
        recording.url = url[:300]
        changed.append("url")
    if changed:
        recording.save(update_fields=[*changed, "updated_at"])
    return recording


def _record_transcription(call: Call, params: Mapping[str, str]) -> Transcription | None:
    transcription_sid = params.get("TranscriptionSid", "")
    if not transcription_sid:
        return None
    recording = None
    if params.get("RecordingSid"):
        in_progress = {**params, "RecordingStatus": RecordingStatus.IN_PROGRESS}
        recording = _record_recording(call, in_progress)
    try:
        with transaction.atomic():
            return Transcription.objects.create(
                call=call,
                recording=recording,
                transcription_sid=transcription_sid,
                status=params.get("TranscriptionStatus", "")[:12],
                text=params.get("TranscriptionText", ""),
            )
    except IntegrityError:
        return Transcription.objects.get(transcription_sid=transcription_sid)


def needs_unanswered_handoff(call: Call | None) -> bool:
    """The call (inbound) has ended without reaching a person, and this outcome has not
    been handed off yet."""
    return (
        call is not None
        and call.direction == CallDirection.INBOUND
        and call.status in TERMINAL_CALL_STATUSES
        and call.outcome not in ("", CallOutcome.ANSWERED)
        and call.handoff_outcome != call.outcome
    )


def needs_handoff_withdrawal(call: Call | None) -> bool:
    """A call handed off as unanswered turned out answered (a late callback said so)."""
    return call is not None and bool(call.handoff_outcome) and call.outcome == CallOutcome.ANSWERED


def on_unanswered_contact(
    *, call: Call, handler: UnansweredContactHandler | None = None
) -> list[str]:
    """THE hand-off of an inbound call that ended without reaching a person.

    Called by ``receive_voice_event`` once a callback has been folded into the call: it
    marks the hand-off on ``call``, passes the call to ``handler`` (the installed
    ``UnansweredContactHandler`` by default: recovery, once it exists) and returns the
    fields it changed, which the caller saves with the event's own changes, in one UPDATE.
    The handler runs in the same transaction, so what it writes commits or rolls back with
    the event. Idempotent: a call is handed off once per outcome. Normally that is once; a
    late callback that changes an ended call's outcome (a recording that arrives after the
    hang-up turns "rang out" into "voicemail") hands it off again with the new outcome, so
    the handler updates rather than duplicates. Returns no fields when nothing was handed
    off.
    """
    if not needs_unanswered_handoff(call):
        return []
    call.handoff_outcome = call.outcome
    call.handed_off_at = timezone.now()
    logger.info(
        "unanswered call handed off",
        extra={"outcome": call.outcome, "call_id": call.pk, "location_id": call.location_id},
    )
    (handler or installed().unanswered_contacts).hand_off(call=call)
    return ["handoff_outcome", "handed_off_at"]


def withdraw_unanswered_contact(
    *, call: Call, handler: UnansweredContactHandler | None = None
) -> list[str]:
    """Take back the hand-off of a call that, by a callback arriving late, turned out to
    have reached a person (a bridged queue call whose queue result came after the hang-up):
    ``handler.withdraw`` closes what the hand-off opened. Like ``on_unanswered_contact``, it
    marks ``call``, calls the handler in the same transaction, and returns the fields for
    the caller to save."""
    if not needs_handoff_withdrawal(call):
        return []
    withdrawn = call.handoff_outcome
    call.handoff_outcome = ""
    call.handed_off_at = None
    logger.info(
        "unanswered call hand-off withdrawn: answered after all",
        extra={"withdrawn_outcome": withdrawn, "call_id": call.pk},
    )
    (handler or installed().unanswered_contacts).withdraw(call=call, outcome=withdrawn)
    return ["handoff_outcome", "handed_off_at"]
