"""Handoffs: who hears of a completed intake (recipients), and the delivery of each one as
durable scheduled work, with its states (pending → sent → delivered → acknowledged, or
failed).

A recipient is an email address or the organisation's own system (a webhook, signed with a
secret generated here, shown once and stored encrypted), for one location or all, seeing
what a role may see: ordinary answers always, personal answers only when that role may read
them (``IntakeCapability.READ_PERSONAL``), health answers never — a notification is not the
place for them; the intake page, behind sign-in, has the rest.

The acknowledge link carries a ``django.core.signing`` token naming the organisation and
the handoff, so no token is stored. Nothing here logs an answer, a name or a phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from intake.capabilities import IntakeCapability
from intake.models import (
    Handoff,
    HandoffRecipient,
    HandoffState,
    Intake,
    RecipientKind,
)
from intake.scripts.definition import Definition, DefinitionError, Sensitivity, parse_definition
from scheduling.registry import GiveUp
from scheduling.services import schedule_work
from tenancy.audit import audited
from tenancy.context import tenant_context
from tenancy.models import Location
from tenancy.resolution import Tenant
from tenancy.roles import Role, role_can

logger = logging.getLogger(__name__)

DELIVER_KIND = "intake.deliver_handoff"
# Attempts per delivery (the scheduled row's max_attempts too): with scheduling's backoff
# (30 s doubling) the last one is about 15 minutes after the first.
MAX_ATTEMPTS = 6
WEBHOOK_TIMEOUT_SECONDS = 5.0
SIGNATURE_HEADER = "X-Coverage-Signature"
DELIVERY_HEADER = "X-Coverage-Delivery"
ACK_SALT = "intake.handoff.ack"
# An acknowledge link works for 30 days.
ACK_MAX_AGE_SECONDS = 30 * 24 * 3600
# The setting that lets webhook recipients use http:// on this machine (tests, development);
# DEBUG allows it too. Production accepts https only.
ALLOW_LOCAL_HTTP_SETTING = "INTAKE_HANDOFF_ALLOW_LOCAL_HTTP"
# The workspace's page of one intake, linked from every handoff (the recipient signs in).
INTAKE_PAGE_URL_NAME = "intake-work"
ERROR_LENGTH = 500
BAD_URL = "Enter a full URL, such as https://example.com/intake-hook."


# Recipients -----------------------------------------------------------------------------


def _local_http_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, ALLOW_LOCAL_HTTP_SETTING, False))


def check_webhook_url(url: str) -> str:
    """``url`` if a webhook may be sent there: https with a host name and no credentials;
    ``http://127.0.0.1`` or ``http://localhost`` only when local HTTP is allowed (DEBUG or
    ``INTAKE_HANDOFF_ALLOW_LOCAL_HTTP``). Raises ``ValidationError`` with the reason."""
    url = url.strip()
    if len(url) > 500:
        raise ValidationError("Use a URL of at most 500 characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValidationError(
            "Enter a full URL, such as https://example.com/intake-hook."
        ) from None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in {"https", "http"}:
        raise ValidationError(BAD_URL)
    if parts.username or parts.password:
        raise ValidationError("Leave the user name and password out of the URL.")
    if parts.scheme == "http":
        local = host in {"127.0.0.1", "localhost", "::1"}
        if not (local and _local_http_allowed()):
            raise ValidationError("Use an https:// URL: answers are never sent unencrypted.")
    return url


def _check_address(kind: str, address: str) -> tuple[str, dict[str, list[str]]]:
    address = (address or "").strip()
    if kind == RecipientKind.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            return address, {"address": ["Enter an email address, such as intake@example.com."]}
        if len(address) > 254:
            return address, {"address": ["Use an email address of at most 254 characters."]}
        return address, {}
    if kind == RecipientKind.WEBHOOK:
        try:
            return check_webhook_url(address), {}
        except ValidationError as error:
            return address, {"address": error.messages}
    return address, {"kind": ["Choose email or webhook."]}


def create_recipient(
    *,
    actor: Tenant,
    kind: str,
    address: str,
    role: str,
    location: Location | None = None,
) -> tuple[HandoffRecipient, str]:
    """A new recipient of completed intakes (of ``location``, or of every location when
    ``None``), shown what ``role`` may see. Returns it and, for a webhook, its signing secret
    — shown to the person once, stored encrypted — or ``""`` for an email."""
    errors: dict[str, list[str]] = {}
    if kind not in RecipientKind.values:
        errors["kind"] = ["Choose email or webhook."]
    else:
        address, address_errors = _check_address(kind, address)
        errors.update(address_errors)
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(str(r.label) for r in Role)}."]
    if errors:
        raise ValidationError(errors)
    secret = f"whsec_{secrets.token_urlsafe(32)}" if kind == RecipientKind.WEBHOOK else ""
    with transaction.atomic(), audited(actor, via="api" if actor.api_key else "web"):
        recipient = HandoffRecipient.objects.create(
            kind=kind, address=address, role=role, location=location, secret=secret
        )
    return recipient, secret


def set_recipient_active(
    *, actor: Tenant, recipient: HandoffRecipient, is_active: bool
) -> HandoffRecipient:
    """Turn a recipient on or off; handoffs already queued for it still run (and fail with a
    clear error if it is off by then)."""
    with transaction.atomic(), audited(actor, via="api" if actor.api_key else "web"):
        recipient.is_active = is_active
        recipient.save(update_fields=["is_active"])
    return recipient


# Queueing -------------------------------------------------------------------------------


def _schedule(handoff: Handoff, key: str) -> None:
    schedule_work(
        kind=DELIVER_KIND,
        idempotency_key=key,
        due_at=timezone.now(),
        payload={"handoff_id": handoff.pk},
        max_attempts=MAX_ATTEMPTS,
    )


def queue_handoffs(*, intake: Intake) -> list[Handoff]:
    """One handoff per active recipient of the intake's location (and of every location),
    each scheduled for delivery now as durable work. Call inside the completion transaction
    (and the intake's tenant context): if it rolls back, nothing is queued. Calling it again
    for the same intake adds nothing for recipients already handed this intake."""
    recipients = HandoffRecipient.objects.filter(is_active=True)
    if intake.location_id is None:
        recipients = recipients.filter(location__isnull=True)
    else:
        recipients = recipients.filter(location__isnull=True) | recipients.filter(
            location_id=intake.location_id
        )
    already = set(
        Handoff.objects.filter(intake=intake, recipient__isnull=False).values_list(
            "recipient_id", flat=True
        )
    )
    handoffs = []
    for recipient in recipients.order_by("pk"):
        if recipient.pk in already:
            continue
        handoff = Handoff.objects.create(
            intake=intake, recipient=recipient, kind=recipient.kind, address=recipient.address
        )
        _schedule(handoff, f"handoff:{handoff.pk}")
        handoffs.append(handoff)
    return handoffs


def retry_handoff(*, actor: Tenant, handoff: Handoff) -> Handoff:
    """Try a failed handoff again: a fresh set of attempts, due now (a new idempotency
    key, so the work that gave up stays on the scheduled-work page as it was)."""
    with transaction.atomic(), audited(actor, via="api" if actor.api_key else "web"):
        row = Handoff.objects.select_for_update().get(pk=handoff.pk)
        if row.state != HandoffState.FAILED:
            raise ValidationError("Only a failed handoff can be tried again.")
        row.state, row.attempts, row.last_error = HandoffState.PENDING, 0, ""
        row.save(update_fields=["state", "attempts", "last_error"])
        _schedule(row, f"handoff:{row.pk}:again:{uuid.uuid4().hex}")
    return row


# What a recipient is shown ----------------------------------------------------------------


def _decode(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _definition(intake: Intake) -> Definition:
    try:
        return parse_definition(intake.script_version.definition)
    except DefinitionError:
        return Definition()


def _words(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_words(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(_words(item) for item in value.values() if item not in ("", None))
    return "" if value is None else str(value)


def _absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def ack_token(handoff: Handoff) -> str:
    """The signed token of ``handoff``'s acknowledge link (organisation and handoff ids)."""
    return signing.dumps({"o": handoff.organization_id, "h": handoff.pk}, salt=ACK_SALT)


def read_ack_token(token: str) -> tuple[int, int] | None:
    """(organisation id, handoff id) of a genuine, unexpired token; ``None`` otherwise."""
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    organization_id, handoff_id = data.get("o"), data.get("h")
    if type(organization_id) is not int or type(handoff_id) is not int:
        return None
    return organization_id, handoff_id


def ack_url(handoff: Handoff) -> str:
    return _absolute(reverse("intake-handoff-ack", args=[ack_token(handoff)]))


def intake_url(intake: Intake, slug: str) -> str:
    try:
        return _absolute(reverse(INTAKE_PAGE_URL_NAME, args=[slug, intake.pk]))
    except NoReverseMatch:
        return _absolute(reverse("org-home", args=[slug]))


def handoff_payload(handoff: Handoff, *, role: str) -> dict[str, Any]:
    """What the recipient of ``handoff`` receives, as JSON: the intake's facts, its ordinary
    answers, its personal answers and the caller only if ``role`` may read personal
    answers, never a health answer; links to the intake page and to acknowledge."""
    intake = handoff.intake
    organization = intake.organization
    defn = _definition(intake)
    personal_allowed = role_can(role, IntakeCapability.READ_PERSONAL)
    ordinary = intake.answers if isinstance(intake.answers, dict) else {}
    personal = _decode(intake.personal_answers) if personal_allowed else {}
    location = intake.location
    zone_name = (location.time_zone if location else "") or organization.time_zone or "UTC"
    completed = intake.completed_at or timezone.now()
    answers: list[dict[str, Any]] = []
    for f in defn.fields:
        if f.sensitivity == Sensitivity.HEALTH:
            continue  # Never in a notification.
        if f.sensitivity == Sensitivity.PERSONAL:
            if not personal_allowed:
                continue
            source = personal
        else:
            source = ordinary
        if f.id in source:
            answers.append(
                {
                    "id": f.id,
                    "label": f.label,
                    "value": source[f.id],
                    "text": _words(source[f.id]),
                    "sensitivity": str(f.sensitivity),
                }
            )
    withheld_kinds = ["health"] if personal_allowed else ["personal", "health"]
    payload: dict[str, Any] = {
        "handoff_id": handoff.pk,
        "intake_id": intake.pk,
        "organization": organization.name,
        "script": intake.script_version.script.name,
        "location": location.name if location else None,
        "channel": intake.get_channel_display(),
        "disposition": intake.get_disposition_display() if intake.disposition else None,
        "urgent": intake.urgent,
        "next_step": intake.next_step,
        "completed_at": completed.isoformat(),
        "completed_local": completed.astimezone(ZoneInfo(zone_name)).strftime(
            "%-d %b %Y, %H:%M %Z"
        ),
        "time_zone": zone_name,
        "caller": (
            {"name": intake.caller_name, "phone": intake.caller_phone} if personal_allowed else None
        ),
        "answers": answers,
        "withheld": withheld_kinds,
        "intake_url": intake_url(intake, organization.slug),
        "acknowledge_url": ack_url(handoff),
    }
    return payload


def email_text(payload: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of a handoff email (no personal answer in the subject)."""
    urgent = "URGENT: " if payload["urgent"] else ""
    where = f" at {payload['location']}" if payload["location"] else ""
    subject = f"{urgent}New intake{where}: {payload['script']}"
    lines = [
        f"A call was taken for {payload['organization']}{where}.",
        f"Completed: {payload['completed_local']} ({payload['time_zone']})",
        f"How it came in: {payload['channel']}",
    ]
    if payload["disposition"]:
        lines.append(f"Outcome: {payload['disposition']}")
    if payload["next_step"]:
        lines.append(f"Next step: {payload['next_step']}")
    if payload["caller"]:
        caller = payload["caller"]
        lines.append(f"Caller: {caller['name'] or '—'} {caller['phone'] or ''}".rstrip())
    lines.append("")
    for answer in payload["answers"]:
        lines.append(f"{answer['label']}: {answer['text']}")
    lines.append("")
    if "personal" in payload["withheld"]:
        lines.append("Personal and health answers are not sent by email.")
    else:
        lines.append("Health answers are not sent by email.")
    lines.append(f"See the whole intake (sign-in needed): {payload['intake_url']}")
    lines.append(f"Acknowledge that you have it: {payload['acknowledge_url']}")
    return subject, "\n".join(lines)


def sign(body: bytes, secret: str) -> str:
    """The ``X-Coverage-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    kind: str
    address: str
    secret: str
    payload: dict[str, Any]
    handoff_id: int
    attempt: int


class DeliveryFailed(Exception):
    """This attempt did not deliver; scheduling tries again (with backoff)."""


def _start(organization_id: int, handoff_id: int) -> _Attempt | str | None:
    """Count the attempt and build what to send; ``None`` when there is nothing to do, or
    the reason it can never be sent (the handoff is then failed, committed)."""
    with tenant_context(organization_id):
        handoff = (
            Handoff.objects.select_for_update(of=("self",))
            .select_related(
                "intake__organization", "intake__location", "intake__script_version__script"
            )
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None or handoff.state != HandoffState.PENDING:
            return None  # Gone, done already, or failed (try again schedules anew).
        recipient = (
            HandoffRecipient.objects.filter(pk=handoff.recipient_id).first()
            if handoff.recipient_id
            else None
        )
        problem = ""
        if recipient is None:
            problem = "The recipient was removed before the handoff was sent."
        elif not recipient.is_active:
            problem = "The recipient was turned off before the handoff was sent."
        handoff.attempts += 1
        if problem:
            handoff.state, handoff.last_error = HandoffState.FAILED, problem
            handoff.save(update_fields=["attempts", "state", "last_error"])
            return problem
        assert recipient is not None
        handoff.save(update_fields=["attempts"])
        return _Attempt(
            kind=handoff.kind,
            address=handoff.address,
            secret=recipient.secret,
            payload=handoff_payload(handoff, role=recipient.role),
            handoff_id=handoff.pk,
            attempt=handoff.attempts,
        )


def _send(attempt: _Attempt) -> str:
    """Send one attempt; returns the state reached, raises ``DeliveryFailed``."""
    if attempt.kind == RecipientKind.EMAIL:
        subject, body = email_text(attempt.payload)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [attempt.address])
        except Exception as error:  # The mail server's refusal, whatever its class.
            raise DeliveryFailed(f"The email could not be sent ({type(error).__name__}).") from None
        return HandoffState.SENT
    raw = json.dumps(attempt.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(raw, attempt.secret),
        DELIVERY_HEADER: str(attempt.handoff_id),
        "User-Agent": "Coverage-Handoff/1",
    }
    try:
        check_webhook_url(attempt.address)
        response = requests.post(
            attempt.address,
            data=raw,
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except ValidationError as error:
        raise DeliveryFailed(error.messages[0]) from None
    except requests.Timeout:
        raise DeliveryFailed(
            f"The webhook did not answer within {WEBHOOK_TIMEOUT_SECONDS:g} seconds."
        ) from None
    except requests.RequestException as error:
        raise DeliveryFailed(
            f"The webhook could not be reached ({type(error).__name__})."
        ) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"The webhook answered HTTP {response.status_code}.")
    return HandoffState.DELIVERED


def _finish(organization_id: int, attempt: _Attempt, state: str, error: str) -> None:
    now = timezone.now()
    with tenant_context(organization_id):
        handoff = Handoff.objects.select_for_update().filter(pk=attempt.handoff_id).first()
        if handoff is None or handoff.state != HandoffState.PENDING:
            return
        if error:
            handoff.last_error = error[:ERROR_LENGTH]
            if attempt.attempt >= MAX_ATTEMPTS:
                handoff.state = HandoffState.FAILED
        else:
            handoff.state, handoff.last_error, handoff.sent_at = state, "", now
            if state == HandoffState.DELIVERED:
                handoff.delivered_at = now
        handoff.save(update_fields=["state", "last_error", "sent_at", "delivered_at"])


def deliver_handoff(*, organization_id: int, handoff_id: int) -> None:
    """One delivery attempt of a handoff (the scheduled work's function): email through
    Django's mail, or a signed JSON POST (5 s timeout; any 2xx is delivered). A failed
    attempt raises, so scheduling retries it with backoff; the last one (``MAX_ATTEMPTS``)
    marks the handoff failed with the error and gives up. Idempotent: a handoff no longer
    waiting is left alone. The HTTP request runs outside any transaction."""
    attempt = _start(organization_id, handoff_id)
    if attempt is None:
        return
    if isinstance(attempt, str):
        raise GiveUp(attempt)
    try:
        state = _send(attempt)
    except DeliveryFailed as failure:
        error = str(failure)
        _finish(organization_id, attempt, "", error)
        logger.info(
            "handoff attempt failed",
            extra={"handoff_id": handoff_id, "attempt": attempt.attempt},
        )
        if attempt.attempt >= MAX_ATTEMPTS:
            raise GiveUp(error) from None
        raise
    _finish(organization_id, attempt, state, "")


# Acknowledgement ------------------------------------------------------------------------


def acknowledge_handoff(*, handoff: Handoff) -> bool:
    """Mark ``handoff`` acknowledged (from its signed link); ``False`` when it already was.
    A handoff still waiting or failed is acknowledged too: the person has the intake."""
    with transaction.atomic():
        row = Handoff.objects.select_for_update().get(pk=handoff.pk)
        if row.state == HandoffState.ACKNOWLEDGED:
            return False
        row.state, row.acknowledged_at = HandoffState.ACKNOWLEDGED, timezone.now()
        row.save(update_fields=["state", "acknowledged_at"])
    handoff.state, handoff.acknowledged_at = row.state, row.acknowledged_at
    return True


__all__ = [
    "DELIVER_KIND",
    "MAX_ATTEMPTS",
    "ack_token",
    "acknowledge_handoff",
    "create_recipient",
    "deliver_handoff",
    "handoff_payload",
    "queue_handoffs",
    "read_ack_token",
    "retry_handoff",
    "set_recipient_active",
    "sign",
]
