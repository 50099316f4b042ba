"""The one way out: every outbound call and text goes through ``send_sms`` or ``place_call``.

Before sending, in this order: the number is valid; the recipient has not revoked consent
(and has granted it, when the caller requires that); the recipient's local time is inside
the calling window; the organisation is within its per-minute rate. A send that fails a
check is recorded as ``blocked`` with its reason and, when waiting helps, the time to try
again, which the gateway schedules as durable work (scheduling/). Nothing is dropped
silently.

Each send carries the caller's idempotency key (unique per organisation). A key that
already sent, or gave up, returns the earlier result and sends nothing; a key that was
blocked or is due for retry is checked and tried again, with what was first asked. The
attempt is committed as ``pending`` before Twilio is called, and a ``pending`` attempt is
never resent automatically (its outcome is unknown if the process died mid-call). Twilio's
API takes no idempotency key, so a request whose outcome is unknown (a read timeout, a 5xx,
a connection dropped mid-answer) is marked ``unverified_since``; its retry first lists the
messages or calls between the two numbers and records the one found instead of sending
again, and sends only when there is none (``delivery.deliver``). Every status callback URL
carries the request's id (``ob``), so what Twilio accepted names the send it belongs to.

Twilio's answers become decisions: 21610 (the recipient replied STOP to the carrier) records
a revocation and gives up; 429, 5xx, timeouts and connection errors retry with exponential
backoff up to ``MAX_ATTEMPTS``; any other 4xx gives up. A retry is due at ``retry_at``, and
the gateway records it as scheduled work of kind ``telephony.retry_outbound``: the
dispatcher calls ``retry_outbound`` then, however far out it is.

Call it outside a database transaction (from a task): it commits its own short
transactions around the HTTP request so that no database transaction waits on Twilio.

Exemptions, by purpose: a ``reply`` (the answer to the recipient's own HELP or START text)
and the single ``opt_out_confirmation`` are not held to the calling window, since the
person just wrote to us; only the opt-out confirmation may reach a revoked number, once per
revocation. A ``staff_alert`` (``OutboundPurpose.STAFF_ALERT``: an alert to the
organisation's own staff, such as a queue spike texted to its supervisors) is not a
consumer contact, so it is not held to the calling window either; the caller vouches that
the recipient is staff. Every exempt send is still recorded, rate-limited, and blocked by a
revocation.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from foundation.observability import log_context
from scheduling.services import schedule_work
from telephony.gateway.checks import prepare
from telephony.gateway.delivery import deliver
from telephony.gateway.results import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    MAX_ATTEMPTS,
    OPTED_OUT_ERROR_CODE,
    RETRY_OUTBOUND,
    Reason,
    SendResult,
    backoff_seconds,
)
from telephony.models import OutboundKind, OutboundPurpose, OutboundRequest
from tenancy.context import tenant_context


def send_sms(
    *,
    organization_id: int,
    to: str,
    body: str,
    idempotency_key: str,
    from_number_id: int | None = None,
    location_id: int | None = None,
    purpose: str = OutboundPurpose.GENERAL,
    require_consent: bool = False,
    now: datetime | None = None,
) -> SendResult:
    """Text ``to`` from the organisation's number (``from_number_id``, else one of the
    location's numbers, else the organisation's first)."""
    return _send(
        organization_id=organization_id,
        kind=OutboundKind.SMS,
        to=to,
        body=body,
        twiml_url="",
        idempotency_key=idempotency_key,
        from_number_id=from_number_id,
        location_id=location_id,
        purpose=purpose,
        require_consent=require_consent,
        now=now or timezone.now(),
    )


def place_call(
    *,
    organization_id: int,
    to: str,
    twiml_url: str,
    idempotency_key: str,
    from_number_id: int | None = None,
    location_id: int | None = None,
    require_consent: bool = False,
    now: datetime | None = None,
) -> SendResult:
    """Call ``to``; when answered, Twilio fetches ``twiml_url`` for what to do."""
    return _send(
        organization_id=organization_id,
        kind=OutboundKind.CALL,
        to=to,
        body="",
        twiml_url=twiml_url,
        idempotency_key=idempotency_key,
        from_number_id=from_number_id,
        location_id=location_id,
        purpose=OutboundPurpose.GENERAL,
        require_consent=require_consent,
        now=now or timezone.now(),
    )


def retry_outbound(
    *, organization_id: int, outbound_request_id: int, now: datetime | None = None
) -> SendResult:
    """Try a blocked or failed-for-now request again, with its checks."""
    with tenant_context(organization_id):
        request = OutboundRequest.objects.get(pk=outbound_request_id)
    return _send(
        organization_id=organization_id,
        kind=request.kind,
        to=request.to_e164,
        body=request.body,
        twiml_url=request.twiml_url,
        idempotency_key=request.idempotency_key,
        from_number_id=request.from_number_id,
        location_id=None,
        purpose=request.purpose,
        require_consent=False,
        now=now or timezone.now(),
    )


def _send(
    *,
    organization_id: int,
    kind: str,
    to: str,
    body: str,
    twiml_url: str,
    idempotency_key: str,
    from_number_id: int | None,
    location_id: int | None,
    purpose: str,
    require_consent: bool,
    now: datetime,
) -> SendResult:
    with log_context(organization_id=organization_id, outbound_kind=kind):
        prepared = prepare(
            organization_id=organization_id,
            kind=kind,
            to=to,
            body=body,
            twiml_url=twiml_url,
            idempotency_key=idempotency_key,
            from_number_id=from_number_id,
            location_id=location_id,
            purpose=purpose,
            require_consent=require_consent,
            now=now,
        )
        result = (
            prepared
            if isinstance(prepared, SendResult)
            else deliver(organization_id, prepared, now)
        )
        if result.retry_at is not None:
            _schedule_retry(organization_id, result)
        return result


def _schedule_retry(organization_id: int, result: SendResult) -> None:
    """A send to try again later (Twilio throttled, the recipient's window not open yet)
    becomes scheduled work due at its ``retry_at`` (telephony/due_work.py), so no caller can
    drop it and no Celery countdown holds it: the row survives a lost message or a restarted
    worker, however far out the retry is. Keyed by the request and the time, so a decision
    recorded twice schedules once."""
    assert result.retry_at is not None
    with tenant_context(organization_id):
        schedule_work(
            kind=RETRY_OUTBOUND,
            idempotency_key=f"outbound-retry:{result.outbound_request_id}:"
            f"{int(result.retry_at.timestamp())}",
            due_at=result.retry_at,
            payload={"outbound_request_id": result.outbound_request_id},
        )


__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "MAX_ATTEMPTS",
    "OPTED_OUT_ERROR_CODE",
    "Reason",
    "SendResult",
    "backoff_seconds",
    "place_call",
    "retry_outbound",
    "send_sms",
]
