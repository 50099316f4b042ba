"""Twilio's webhooks: the edge where calls and texts come in (docs/architecture.md, "Flows").

Each handler: refuse an unsigned request; resolve the tenant from the subaccount and the
organisation's number; check the signature with that organisation's auth token; then, in
the tenant's transaction, store and apply the event through one service call and answer
TwiML (or 204). Nothing is stored for a refused request but a counter.

Every parameter's shape is checked first (``malformed_parameter``), before any lookup: a
malformed request is a 400, whoever sent it, and no odd value (a NUL byte, a digit from
another script, a number past its column's range, a text longer than Twilio ever sends)
reaches PostgreSQL. A well-formed request for a subaccount and number no organisation owns
is then refused exactly as a bad signature is (the same 403, after the same signature
computation), so the endpoint tells no stranger which pairs belong to customers.

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
from twilio.request_validator import RequestValidator

from foundation.observability import log_context
from foundation.phones import E164_FORM
from telephony import counters, services
from telephony.directory import NumberRoute, route_for, tenant_telephony
from telephony.models import EventKind
from telephony.signatures import SIGNATURE_HEADER, signature_is_valid
from tenancy.context import tenant_context

logger = logging.getLogger(__name__)

TWIML_CONTENT_TYPE = "text/xml; charset=utf-8"
SID_PATTERN = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")

# Twilio caps a message body at 1,600 characters; a longer one (signed or not) is not
# Twilio's and is refused rather than stored.
MAX_BODY_CHARS = 1_600
# No other value Twilio sends comes near this (the longest are URLs and transcriptions).
MAX_VALUE_CHARS = 8_192

# The shape of each parameter this code reads, fullmatched when the parameter is present
# and not empty. ASCII classes only: ``str.isdigit`` and ``\d`` accept "²" and "٣", which
# ``int`` then refuses or PostgreSQL never sees as intended. Digit counts keep each number
# inside its column: a sequence below telephony.event_store.UNSEQUENCED_STATUS_BASE,
# durations inside an integer, segments inside a smallint.
_SID = SID_PATTERN
_SECONDS = re.compile(r"-?[0-9]{1,9}")
_WORD = re.compile(r"[a-z][a-z-]{0,31}")
_FORM_SHAPES: dict[str, re.Pattern[str]] = {
    "AccountSid": re.compile(r"AC[0-9a-fA-F]{32}"),
    "CallSid": _SID,
    "MessageSid": _SID,
    "SmsSid": _SID,
    "RecordingSid": _SID,
    "TranscriptionSid": _SID,
    "SequenceNumber": re.compile(r"[0-9]{1,6}"),
    "CallDuration": _SECONDS,
    "DialCallDuration": _SECONDS,
    "QueueTime": _SECONDS,
    "RecordingDuration": _SECONDS,
    "NumSegments": re.compile(r"[0-9]{1,4}"),
    "CallStatus": _WORD,
    "DialCallStatus": _WORD,
    "QueueResult": _WORD,
    "RecordingStatus": _WORD,
    "TranscriptionStatus": _WORD,
    "MessageStatus": _WORD,
    "SmsStatus": _WORD,
    "Direction": _WORD,
}
# The callback URL's query: ids we put there ourselves, inside a bigint.
_ID = re.compile(r"[1-9][0-9]{0,17}")
_QUERY_SHAPES: dict[str, re.Pattern[str]] = {
    "pn": _ID,
    "location": _ID,
    "version": _ID,
    "step": re.compile(r"[a-z_]{1,32}(:-?[0-9]{1,6}){0,2}"),
    # The members a routed call already rang (routing/call_router.py), and the outbound
    # request a status callback reports on (telephony/gateway/delivery.py).
    "tried": re.compile(r"[1-9][0-9]{0,17}(,[1-9][0-9]{0,17}){0,49}"),
    "ob": _ID,
}

# Signature checks for pairs no organisation owns are computed with this throwaway token, so
# that such a request costs what a bad signature costs and answers the same.
_NOBODYS_VALIDATOR = RequestValidator("0" * 32)


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


def malformed_parameter(
    params: Mapping[str, str], query: Mapping[str, str], kind: str
) -> str | None:
    """The name of the first parameter whose shape Twilio never sends, or ``None``.

    Required: the subaccount, the call's or message's SID, and the number that names the
    tenant (``pn`` on our callback URLs, else ``To``/``From`` in E.164). Every value: no
    NUL byte (PostgreSQL refuses it in text) and no longer than Twilio sends."""
    for name, value in params.items():
        if "\x00" in value or len(value) > MAX_VALUE_CHARS:
            return name
    if len(params.get("Body", "")) > MAX_BODY_CHARS:
        return "Body"
    for name, shape in _FORM_SHAPES.items():
        given = params.get(name)
        if given and not shape.fullmatch(given):
            return name
    if not params.get("AccountSid"):
        return "AccountSid"
    if kind.startswith("sms."):
        if not (params.get("MessageSid") or params.get("SmsSid")):
            return "MessageSid"
    elif not params.get("CallSid"):
        return "CallSid"
    for name, value in query.items():
        query_shape = _QUERY_SHAPES.get(name)
        if query_shape is not None and not query_shape.fullmatch(value):
            return name
    if "pn" not in query:
        number = _number_param(kind, params.get("Direction", ""))
        if not E164_FORM.fullmatch(params.get(number, "")):
            return number
    return None


def _route(params: Mapping[str, str], query: Mapping[str, str], kind: str) -> NumberRoute | None:
    """The tenant of a well-formed request (``malformed_parameter`` found nothing)."""
    account_sid = params["AccountSid"]
    pn = query.get("pn")
    if pn is not None:
        return route_for(account_sid=account_sid, phone_number_id=int(pn))
    number = params[_number_param(kind, params.get("Direction", ""))]
    return route_for(account_sid=account_sid, e164=number)


def _answer(body: str) -> HttpResponse:
    if not body:
        return HttpResponse(status=204)
    return HttpResponse(body, content_type=TWIML_CONTENT_TYPE)


def _refuse(reason: str) -> HttpResponse:
    counters.count_rejected_webhook(reason)
    logger.warning("twilio webhook refused", extra={"reason": reason})
    return HttpResponse("Forbidden", status=403, content_type="text/plain")


def _bad_request(reason: str, **extra: str) -> HttpResponse:
    counters.count_rejected_webhook(reason)
    logger.warning("twilio webhook refused", extra={"reason": reason, **extra})
    return HttpResponse("Bad Request", status=400, content_type="text/plain")


def _receive(request: HttpRequest, kind: str) -> HttpResponse:
    received_at = timezone.now()
    try:
        params, repeated = _form(request)
    except ValueError:  # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS
        return HttpResponse("Bad Request", status=400, content_type="text/plain")
    query = _query(request)
    texting = kind.startswith("sms.")
    malformed = malformed_parameter(params, query, kind)
    if texting:
        sid_field = {"message_sid": params.get("MessageSid") or params.get("SmsSid", "")}
    else:
        sid_field = {"call_sid": params.get("CallSid", "")}
    if malformed is not None:  # Logged only when it has the shape of a SID.
        sid_field = dict.fromkeys(sid_field, "")
    with log_context(webhook=kind, **sid_field):
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return _refuse("missing_signature")
        if malformed is not None:
            return _bad_request("malformed", parameter=malformed)
        url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
        signed = request.POST if repeated else params
        route = _route(params, query, kind)
        if route is None:
            # Answered as a bad signature is, after the same work (see the module's doc).
            signature_is_valid(_NOBODYS_VALIDATOR, url=url, params=signed, signature=signature)
            return _refuse("unknown_number")
        if not signature_is_valid(route.validator, url=url, params=signed, signature=signature):
            with log_context(organization_id=route.organization_id):
                return _refuse("bad_signature")
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
