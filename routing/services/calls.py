"""The call path (the decision for a call, callback requests) and the preview, which
runs the same engine with the same live state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from foundation.phones import e164_from_twilio
from routing import loading, selectors
from routing.config import PresenceStatus, RoutingConfig, TierKind
from routing.document import (
    clean_document,
    compile_snapshot,
    snapshot,
)
from routing.engine import (
    Call,
    CallProgress,
    Decision,
    QueueState,
    Stage,
    decide,
    unconfigured_decision,
)
from routing.models import (
    CallbackRequest,
)
from routing.services.agents import presence_map
from routing.services.rules import routing_for
from routing.twiml import ActionUrls, render_decision
from tenancy.models import Location


def call_progress_from_twilio(*, stage: Stage | str, params: Mapping[str, str]) -> CallProgress:
    """Read a Twilio callback into ``CallProgress``: pass the callback URL's query merged
    with its form fields (``step`` and ``tried`` from the query; DialCallStatus, QueueTime,
    QueuePosition, QueueResult, Digits from Twilio)."""

    def number(name: str) -> int:
        value = params.get(name, "")
        return int(value) if value.isdigit() and len(value) < 10 else 0

    return CallProgress(
        stage=Stage(stage),
        step=params.get("step", "")[:40],
        dial_status=params.get("DialCallStatus", "")[:20],
        queue_seconds=number("QueueTime"),
        queue_position=number("QueuePosition"),
        queue_result=params.get("QueueResult", "")[:20],
        digits=params.get("Digits", "")[:5],
        tried=_members(params.get("tried", "")),
    )


# More members than any tier rings for one call; a longer list is not ours.
MAX_TRIED = 200


def _members(value: str) -> frozenset[int]:
    """The ``tried`` list of a callback URL (``12,15``) as membership ids."""
    parts = value.split(",", MAX_TRIED)[:MAX_TRIED] if value else []
    return frozenset(int(part) for part in parts if part.isdigit() and len(part) < 19)


@dataclass(frozen=True, slots=True)
class LocationRef:
    """A location as the call path knows it, without loading the row: its id and its
    organisation's (telephony's webhooks have both from the number that was called)."""

    pk: int
    organization_id: int


def decide_incoming_call(
    *,
    location: Location | LocationRef,
    call: Call,
    queue_state: QueueState | Callable[[], QueueState],
    version_id: int | None = None,
    now: datetime | None = None,
) -> Decision:
    """The routing decision for a call to ``location``. Run it inside the location's
    tenant context (the webhook's transaction).

    - ``location``: the ``Location``, or a ``LocationRef`` when the row is not at hand.
    - ``call``: the call's sid and numbers, and ``progress`` (``CallProgress``; leave the
      default for a new call, build it with ``call_progress_from_twilio`` in callbacks).
    - ``queue_state``: callers waiting in the location's queue and the longest wait now, or
      a function returning it, called only when a new call meets published rules (so a
      location without them, and every callback, skips the read).
    - ``version_id``: the ``version`` query parameter of a callback URL, so a call keeps
      the rules it started with; ``None`` for a new call (the published version).
    - ``now``: the clock (aware); defaults to the current time.

    Record ``decision.version_id`` on the Call. A keypress asking for a callback creates a
    ``CallbackRequest`` here. With nothing published the decision's reason is
    ``Reason.UNCONFIGURED`` (voicemail).
    """
    now = now or timezone.now()
    config = _config_for_call(location.pk, version_id)
    if config is None:
        return unconfigured_decision(location.pk)
    progress = call.progress
    if (
        progress.stage == Stage.CALLBACK_KEYPRESS
        and progress.digits.strip() == "1"
        and config.overflow.callback_offer
        and call.call_sid
    ):
        request_callback(
            location=location,
            call_sid=call.call_sid,
            caller_number=call.from_number,
            wait_seconds=progress.queue_seconds,
        )
    if progress.stage == Stage.QUEUE_LEFT and call.call_sid and not progress.callback_requested:
        requested = CallbackRequest.objects.filter(call_sid=call.call_sid).exists()
        if requested:
            call = replace(call, progress=replace(progress, callback_requested=True))
    if callable(queue_state):
        queue_state = queue_state() if progress.stage == Stage.INCOMING else QueueState()
    return decide(
        config,
        now=now,
        queue_state=queue_state,
        presence=presence_map(location.organization_id),
        call=call,
    )


def _config_for_call(location_id: int, version_id: int | None) -> RoutingConfig | None:
    if version_id is not None:
        config = loading.version_config(version_id)
        # A version of another location (or a stale id) is ignored, never trusted.
        if config is not None and config.location_id == location_id:
            return config
    return loading.published_config(location_id)


def request_callback(
    *,
    location: Location | LocationRef,
    call_sid: str,
    caller_number: str,
    wait_seconds: int = 0,
) -> CallbackRequest:
    """Record that the caller asked to be called back; idempotent per call."""
    # A caller without a number (anonymous, a browser client) is kept as Twilio named them.
    number = e164_from_twilio(caller_number) or caller_number[:20]
    try:
        with transaction.atomic():
            return CallbackRequest.objects.create(
                location_id=location.pk,
                call_sid=call_sid[:64],
                caller_number=number,
                wait_seconds=max(wait_seconds, 0),
            )
    except IntegrityError:
        return CallbackRequest.objects.get(call_sid=call_sid[:64])


class PresenceMode:
    LIVE = "live"
    ALL_AVAILABLE = "all_available"
    NONE_AVAILABLE = "none_available"
    CHOICES = (
        (LIVE, "Agents as they are now"),
        (ALL_AVAILABLE, "Every agent available"),
        (NONE_AVAILABLE, "No agent available"),
    )


@dataclass(frozen=True)
class Preview:
    decision: Decision | None
    twiml: str
    errors: dict[str, list[str]]
    source: str


def preview_action_urls() -> ActionUrls:
    """Telephony's callback URLs, for showing TwiML in the preview (the webhooks pass the
    same ``ActionUrls`` when they render a decision for Twilio)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")

    def url(name: str, fallback: str) -> str:
        try:
            return base + reverse(f"telephony:{name}")
        except NoReverseMatch:  # Not (yet) a route of telephony's.
            return base + fallback

    return ActionUrls(
        dial_action=url("voice-dial-action", "/twilio/voice/dial-action"),
        queue_wait=url("voice-queue-wait", "/twilio/voice/queue-wait"),
        queue_action=url("voice-queue-action", "/twilio/voice/queue-action"),
        callback_keypress=url("voice-callback-keypress", "/twilio/voice/callback-keypress"),
        voicemail_action=url("voice-record-action", "/twilio/voice/record-action"),
        recording_status=url("voice-recording-status", "/twilio/voice/recording-status"),
        transcription=url("voice-transcription", "/twilio/voice/transcription"),
    )


def draft_config(location: Location) -> tuple[RoutingConfig | None, dict[str, list[str]]]:
    """The draft compiled as it would be published now, or its errors."""
    routing = routing_for(location)
    ctx = selectors.validation_context(location, today=timezone.localdate())
    cleaned, errors = clean_document(routing.draft, ctx)
    if errors:
        return None, errors
    data = snapshot(cleaned, location_id=location.pk, location_name=location.name, teams=ctx.teams)
    emergency = loading.published_config(location.pk)
    return (
        compile_snapshot(data, emergency=emergency.emergency if emergency else None),
        {},
    )


def preview_call(
    *,
    location: Location,
    at: datetime,
    queue_state: QueueState,
    source: str = "draft",
    presence_mode: str = PresenceMode.LIVE,
) -> Preview:
    """What a new call at ``at`` would get, from the draft or the published rules, with
    the same engine and the same live presence as ``decide_incoming_call``."""
    if source == "published":
        config = loading.published_config(location.pk)
        errors = {} if config is not None else {"source": ["Nothing is published yet."]}
    else:
        config, errors = draft_config(location)
    if config is None:
        return Preview(None, "", errors, source)
    if presence_mode == PresenceMode.ALL_AVAILABLE:
        presence = {
            agent.membership_id: PresenceStatus.AVAILABLE.value
            for tier in config.tiers
            if tier.kind == TierKind.TEAM
            for agent in tier.agents
        }
    elif presence_mode == PresenceMode.NONE_AVAILABLE:
        presence = {}
    else:
        presence = presence_map(location.organization_id)
    decision = decide(config, now=at, queue_state=queue_state, presence=presence, call=Call())
    return Preview(
        decision, render_decision(decision, action_urls=preview_action_urls()), {}, source
    )
