"""Twilio's webhooks: the edge where calls and texts come in (DESIGN.md §3).

Each handler: refuse an unsigned request; resolve the tenant from the subaccount and the
organisation's number; check the signature with that organisation's auth token; then, in
the tenant's transaction, store and apply the event through one service call and answer
TwiML (or 204). Nothing is stored for a refused request but a counter.

Which number names the tenant: ``pn`` (the number's id) on callback URLs we generated;
otherwise ``To`` for calls and texts that came in, ``From`` for callbacks about calls and
texts we placed.

This module is also where calls meet the routing app (DESIGN.md §1: the edge may call any
app's services; telephony's own models and services never import routing). ``route_call``
is the ``CallRouter`` handed to telephony's voice service: for a location with published
rules it asks ``routing.services.decide_incoming_call`` and answers with
``routing.twiml.render_decision``; for any other it answers ``None`` and telephony's interim
default routing answers instead. A call that left a routed queue schedules routing's spike
evaluation after commit; nothing else is published.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coverage_platform.observability import log_context
from routing import tasks as routing_tasks
from routing.engine import Call as RoutedCall
from routing.engine import QueueState, Reason, Stage
from routing.services import call_progress_from_twilio, decide_incoming_call
from routing.services.calls import LocationRef
from routing.twiml import ActionUrls, render_decision
from telephony import counters, selectors, services, twiml
from telephony.directory import NumberRoute, TenantTelephony, route_for, tenant_telephony
from telephony.models import EventKind
from telephony.signatures import SIGNATURE_HEADER, signature_is_valid
from tenancy.context import tenant_context

logger = logging.getLogger(__name__)

TWIML_CONTENT_TYPE = "text/xml; charset=utf-8"
SID_PATTERN = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")

# What a number nobody owns hears, per webhook: TwiML for the ones that answer TwiML.
_UNKNOWN_ANSWER: dict[str, Callable[[], str]] = {
    EventKind.VOICE_INCOMING: twiml.unknown_number,
    EventKind.VOICE_DIAL_ACTION: twiml.unknown_number,
    EventKind.VOICE_QUEUE_ACTION: twiml.unknown_number,
    EventKind.VOICE_QUEUE_WAIT: twiml.unknown_number,
    EventKind.VOICE_RECORD_ACTION: twiml.unknown_number,
    EventKind.VOICE_CALLBACK_KEYPRESS: twiml.unknown_number,
    EventKind.SMS_INCOMING: twiml.empty_messaging,
}

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


def route_call(
    moment: services.CallMoment, config: TenantTelephony
) -> services.CallDecision | None:
    """Routing's answer for a moment of a call, or ``None`` for telephony's interim default.

    A new call is routed by its number's location. A callback is routed when its URL carries
    the ``location`` routing put there (the call started under published rules), with the
    ``version`` it started with; callbacks of calls that started on the interim default
    carry none and stay on it. Runs in the tenant's transaction.
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
        stage=stage, params={**moment.params, "step": moment.query.get("step", "")}
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
    return services.CallDecision(
        twiml=render_decision(decision, action_urls=action_urls(moment.phone_number_id)),
        is_after_hours=not decision.is_open,
        routing_version_id=decision.version_id,
    )


def _waited(moment: services.CallMoment, queue_time: int) -> int:
    """How long the caller has been waiting: since they first entered a queue, not only
    this stay (Twilio's QueueTime). A caller that routing takes out of the queue to ring a
    freed agent, who does not answer, is queued again with QueueTime back at zero; without
    this, overflow after N seconds of waiting would never come for them."""
    first = selectors.first_queued_at(call_sid=moment.call_sid)
    if first is None:
        return queue_time
    return max(queue_time, round((moment.at - first).total_seconds()))


def _evaluate_spike_after_commit(organization_id: int, location_id: int) -> None:
    """Once the transaction commits, have a worker compare the location's last 15 minutes
    of queue exits with its alert thresholds (routing's ``evaluate_spike`` task)."""

    def publish() -> None:
        try:
            routing_tasks.evaluate_spike.apply_async((organization_id, location_id), retry=False)
        except Exception:  # The broker is down: the next queue exit evaluates again.
            logger.warning("spike evaluation not queued", extra={"location_id": location_id})

    transaction.on_commit(publish)


def _number_param(kind: str, direction: str) -> str:
    if kind == EventKind.SMS_STATUS:
        return "From"
    if kind == EventKind.VOICE_STATUS and direction.startswith("outbound"):
        return "From"
    return "To"


def _form(request: HttpRequest) -> tuple[dict[str, str], bool]:
    """The posted form as a plain dict, and whether a name was repeated. Twilio sends each
    parameter once; Django's QueryDict, with its per-field bookkeeping, cost more than the
    signature check. A repeated name (never from Twilio) is signed over QueryDict instead,
    which keeps every value."""
    if request.content_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(
            request.body.decode("utf-8", "replace"),
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    else:  # Twilio posts url-encoded forms; anything else goes through Django's parsers.
        pairs = [(name, value) for name, values in request.POST.lists() for value in values]
    form = dict(pairs)
    return form, len(form) != len(pairs)


def _query(request: HttpRequest) -> dict[str, str]:
    """The callback URL's query (``pn``, ``location``, ``version``, ``step``)."""
    return dict(parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True))


def _route(params: Mapping[str, str], query: Mapping[str, str], kind: str) -> NumberRoute | None:
    account_sid = params.get("AccountSid", "")
    pn = query.get("pn", "")
    if pn.isdigit():
        return route_for(account_sid=account_sid, phone_number_id=int(pn))
    number = params.get(_number_param(kind, params.get("Direction", "")), "")
    return route_for(account_sid=account_sid, e164=number)


def _answer(body: str) -> HttpResponse:
    if not body:
        return HttpResponse(status=204)
    return HttpResponse(body, content_type=TWIML_CONTENT_TYPE)


def _refuse(reason: str) -> HttpResponse:
    counters.count_rejected_webhook(reason)
    logger.warning("twilio webhook refused", extra={"reason": reason})
    return HttpResponse("Forbidden", status=403, content_type="text/plain")


def _receive(request: HttpRequest, kind: str) -> HttpResponse:
    received_at = timezone.now()
    try:
        params, repeated = _form(request)
    except ValueError:  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        return HttpResponse("Bad Request", status=400, content_type="text/plain")
    query = _query(request)
    texting = kind.startswith("sms.")
    sid_name = "MessageSid" if texting else "CallSid"
    provider_sid = params.get(sid_name) or (params.get("SmsSid", "") if texting else "")
    sid_field = {"message_sid" if texting else "call_sid": provider_sid[:34]}
    with log_context(webhook=kind, **sid_field):
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return _refuse("missing_signature")
        route = _route(params, query, kind)
        if route is None:
            logger.warning("twilio webhook for a number no organisation owns")
            unknown = _UNKNOWN_ANSWER.get(kind)
            return _answer(unknown() if unknown else "")
        url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
        signed = request.POST if repeated else params
        if not signature_is_valid(route.validator, url=url, params=signed, signature=signature):
            with log_context(organization_id=route.organization_id):
                return _refuse("bad_signature")
        if not SID_PATTERN.match(provider_sid):
            # Signed, so from the organisation's own account, but not a webhook Twilio sends.
            logger.warning("twilio webhook without a valid %s refused", sid_name)
            return HttpResponse("Bad Request", status=400, content_type="text/plain")
        with (
            log_context(organization_id=route.organization_id),
            tenant_context(route.organization_id),
        ):
            config = tenant_telephony(route.organization_id)
            if texting:
                body = services.receive_sms_event(
                    route=route,
                    config=config,
                    kind=kind,
                    params=params,
                    received_at=received_at,
                ).body
            else:
                answer = services.receive_voice_event(
                    route=route,
                    config=config,
                    kind=kind,
                    params=params,
                    received_at=received_at,
                    router=route_call,
                    query=query,
                )
                if kind == EventKind.VOICE_QUEUE_ACTION and answer.routed and not answer.duplicate:
                    queue_location = _query_id(query, "location")
                    if queue_location is not None:
                        _evaluate_spike_after_commit(route.organization_id, queue_location)
                body = answer.body
        return _answer(body)


def _webhook(kind: str) -> Callable[[HttpRequest], HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        return _receive(request, kind)

    view.__name__ = view.__qualname__ = "twilio_" + kind.replace(".", "_").replace("-", "_")
    view.__doc__ = f"Twilio webhook: {EventKind(kind).label}."
    return csrf_exempt(require_POST(view))


voice_incoming = _webhook(EventKind.VOICE_INCOMING)
voice_status = _webhook(EventKind.VOICE_STATUS)
voice_dial_action = _webhook(EventKind.VOICE_DIAL_ACTION)
voice_queue_action = _webhook(EventKind.VOICE_QUEUE_ACTION)
voice_queue_wait = _webhook(EventKind.VOICE_QUEUE_WAIT)
voice_record_action = _webhook(EventKind.VOICE_RECORD_ACTION)
voice_recording_status = _webhook(EventKind.VOICE_RECORDING_STATUS)
voice_transcription = _webhook(EventKind.VOICE_TRANSCRIPTION)
voice_callback_keypress = _webhook(EventKind.VOICE_CALLBACK_KEYPRESS)
sms_incoming = _webhook(EventKind.SMS_INCOMING)
sms_status = _webhook(EventKind.SMS_STATUS)
