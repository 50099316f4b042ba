"""Twilio's webhooks: the edge where calls and texts come in (docs/architecture.md, "Flows").

Each handler: refuse an unsigned request; resolve the tenant from the subaccount and the
organisation's number; check the signature with that organisation's auth token; then, in
the tenant's transaction, store and apply the event through one service call and answer
TwiML (or 204). Nothing is stored for a refused request but a counter.

Which number names the tenant: ``pn`` (the number's id) on callback URLs we generated;
otherwise ``To`` for calls and texts that came in, ``From`` for callbacks about calls and
texts we placed.

Telephony imports no app above it here either (docs/architecture.md): routing's answers, and what
recovery will do with unanswered calls and replies to texts, reach the services below
through ``telephony.hooks``, wired in ``coverage_platform/composition.py``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from foundation.observability import log_context
from telephony import counters, services, twiml
from telephony.directory import NumberRoute, route_for, tenant_telephony
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
                body = services.receive_voice_event(
                    route=route,
                    config=config,
                    kind=kind,
                    params=params,
                    received_at=received_at,
                    query=query,
                ).body
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
