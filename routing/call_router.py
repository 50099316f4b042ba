"""Routing's side of telephony's call router (``telephony.hooks.CallRouter``), plugged in by
``coverage_platform/composition.py``.

``RoutingCallRouter.route`` answers a moment of a call: for a location with published rules
it asks ``routing.services.decide_incoming_call`` and answers with
``routing.twiml.render_decision``; for any other it answers ``None`` and telephony's interim
default routing answers instead. ``call_left_queue`` hears of each routed call leaving its
queue (never a duplicate: telephony tells it only once the event is stored) and schedules
routing's spike evaluation for after the commit; nothing else is published from a webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

from django.db import transaction

from routing import tasks
from routing.engine import Call as RoutedCall
from routing.engine import QueueState, Reason, Stage
from routing.services import call_progress_from_twilio, decide_incoming_call
from routing.services.calls import LocationRef
from routing.twiml import ActionUrls, render_decision
from telephony import selectors, twiml
from telephony.directory import TenantTelephony
from telephony.models import EventKind
from telephony.services import CallDecision, CallMoment

logger = logging.getLogger(__name__)

# The moment of a routed call each callback reports.
_STAGES: dict[str, Stage] = {
    EventKind.VOICE_INCOMING: Stage.INCOMING,
    EventKind.VOICE_DIAL_ACTION: Stage.DIAL_ENDED,
    EventKind.VOICE_QUEUE_WAIT: Stage.QUEUE_WAIT,
    EventKind.VOICE_QUEUE_ACTION: Stage.QUEUE_LEFT,
    EventKind.VOICE_CALLBACK_KEYPRESS: Stage.CALLBACK_KEYPRESS,
}
# Callbacks from a queue, whose wait counts from the caller's first entry into one.
_QUEUE_STAGES = frozenset({Stage.QUEUE_WAIT, Stage.QUEUE_LEFT, Stage.CALLBACK_KEYPRESS})


class RoutingCallRouter:
    """Routing's engine as telephony's ``CallRouter``."""

    def route(self, moment: CallMoment, config: TenantTelephony) -> CallDecision | None:
        """Routing's answer for a moment of a call, or ``None`` for telephony's interim
        default.

        A new call is routed by its number's location. A callback is routed when its URL
        carries the ``location`` routing put there (the call started under published rules),
        with the ``version`` it started with; callbacks of calls that started on the interim
        default carry none and stay on it. Runs in the tenant's transaction.
        """
        stage = _STAGES.get(moment.kind)
        if stage is None:
            return None
        if stage == Stage.INCOMING:
            location_id, version_id = moment.location_id, None
        else:
            routed_location = _query_id(moment.query, "location")
            # Signed by the organisation's own token, and still only one of its own locations.
            if routed_location is None or config.location(routed_location) is None:
                return None
            location_id, version_id = routed_location, _query_id(moment.query, "version")
        progress = call_progress_from_twilio(
            stage=stage,
            params={
                **moment.params,
                "step": moment.query.get("step", ""),
                "tried": moment.query.get("tried", ""),
            },
        )
        at = moment.at
        if stage in _QUEUE_STAGES:
            progress = replace(progress, queue_seconds=_waited(moment, progress.queue_seconds))

        def queue_state() -> QueueState:
            snapshot = selectors.queue_snapshot(
                organization_id=moment.organization_id, location_id=location_id, at=at
            )
            return QueueState(snapshot.waiting, snapshot.longest_wait_seconds)

        decision = decide_incoming_call(
            location=LocationRef(location_id, moment.organization_id),
            call=RoutedCall(
                call_sid=moment.call_sid,
                from_number=moment.params.get("From", ""),
                to_number=moment.params.get("To", ""),
                progress=progress,
            ),
            queue_state=queue_state,
            version_id=version_id,
            now=at,
        )
        if decision.reason == Reason.UNCONFIGURED:
            # Nothing published for this location: telephony's interim default answers.
            return None
        return CallDecision(
            twiml=render_decision(decision, action_urls=action_urls(moment.phone_number_id)),
            is_after_hours=not decision.is_open,
            routing_version_id=decision.version_id,
        )

    def call_left_queue(self, moment: CallMoment) -> None:
        """Once the transaction commits, have a worker compare the queue's 15 minutes of
        exits up to this one with its alert thresholds (the ``routing.evaluate_spike``
        task). The queue is the location in the callback URL, which ``route`` checked
        before answering."""
        location_id = _query_id(moment.query, "location")
        if location_id is None:
            return
        organization_id = moment.organization_id
        # Judged at the time the call left (the event's), not when a worker gets to it.
        left_at = moment.at.isoformat()

        def publish() -> None:
            try:
                tasks.evaluate_spike.apply_async(
                    (organization_id, location_id, left_at), retry=False
                )
            except Exception:  # The broker is down: the next queue exit evaluates again.
                logger.warning("spike evaluation not queued", extra={"location_id": location_id})

        transaction.on_commit(publish)


@lru_cache(maxsize=1024)
def action_urls(phone_number_id: int) -> ActionUrls:
    """Telephony's callback webhooks for routing's TwiML, each tagged with the number
    (``pn``), so that every callback — recording status included — finds its tenant."""
    return ActionUrls(
        dial_action=twiml.callback_url("voice-dial-action", phone_number_id),
        queue_wait=twiml.callback_url("voice-queue-wait", phone_number_id),
        queue_action=twiml.callback_url("voice-queue-action", phone_number_id),
        callback_keypress=twiml.callback_url("voice-callback-keypress", phone_number_id),
        voicemail_action=twiml.callback_url("voice-record-action", phone_number_id),
        recording_status=twiml.callback_url("voice-recording-status", phone_number_id),
        transcription=twiml.callback_url("voice-transcription", phone_number_id),
    )


def _query_id(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _waited(moment: CallMoment, queue_time: int) -> int:
    """How long the caller has been waiting: since they first entered a queue, not only
    this stay (Twilio's QueueTime). A caller that routing takes out of the queue to ring a
    freed agent, who does not answer, is queued again with QueueTime back at zero; without
    this, overflow after N seconds of waiting would never come for them."""
    first = selectors.first_queued_at(call_sid=moment.call_sid)
    if first is None:
        return queue_time
    return max(queue_time, round((moment.at - first).total_seconds()))
