"""Texts, the consent ledger, and every outbound attempt made through the gateway."""

from __future__ import annotations

import pgtrigger
from django.db import models

from telephony.statuses import MessageStatus
from tenancy.managers import TenantModel


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


# A status callback only moves a message forward: a lower rank never replaces a higher one.
MESSAGE_STATUS_RANK: dict[str, int] = {
    MessageStatus.ACCEPTED: 1,
    MessageStatus.SCHEDULED: 1,
    MessageStatus.RECEIVING: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.SENDING: 3,
    MessageStatus.SENT: 4,
    MessageStatus.RECEIVED: 4,
    MessageStatus.DELIVERED: 5,
    MessageStatus.UNDELIVERED: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.CANCELED: 5,
    MessageStatus.PARTIALLY_DELIVERED: 5,
    MessageStatus.READ: 6,
}


class Message(TenantModel):
    """One text in or out (one MessageSid)."""

    # The tenant key, without the single-column index TenantModel would add: the unique
    # constraint and the indexes below all start with it, and on this hot table every
    # extra index is paid on each webhook.
    organization = models.ForeignKey(
        "tenancy.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
    )
    message_sid = models.CharField(max_length=34)
    direction = models.CharField(max_length=10, choices=MessageDirection.choices)
    status = models.CharField(max_length=20, choices=MessageStatus.choices)
    status_rank = models.PositiveSmallIntegerField(default=0)
    phone_number = models.ForeignKey(
        "telephony.PhoneNumber",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    contact = models.ForeignKey(
        "telephony.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    body = models.TextField(blank=True)
    num_segments = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=10, blank=True)
    # An incoming text a person must read: it revoked consent and also asked something
    # (telephony.keywords), so the question is not lost with the revocation. Cleared by the
    # person who has read it.
    needs_review = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "message_sid"], name="message_unique_sid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "contact", "created_at"], name="message_org_contact_created"
            ),
            # The few texts waiting for a person, for their list; partial, so the hot
            # table pays for it only on those.
            models.Index(
                fields=["organization", "created_at"],
                condition=models.Q(needs_review=True),
                name="message_org_needs_review",
            ),
        ]

    def __str__(self) -> str:
        return self.message_sid


class ConsentChannel(models.TextChoices):
    """What a ledger entry covers. A revocation covers every channel (``ALL``) unless the
    person clearly limited it to one; the state of a channel is the latest entry for it or
    for ``ALL``."""

    SMS = "sms", "Text messages"
    VOICE = "voice", "Calls"
    ALL = "all", "Calls and texts"


class ConsentAction(models.TextChoices):
    GRANT = "grant", "Granted"
    REVOKE = "revoke", "Revoked"


class ConsentSource(models.TextChoices):
    SMS_KEYWORD = "sms_keyword", "Text keyword"
    SMS_PLAIN_LANGUAGE = "sms_plain_language", "Text in plain language"
    TWILIO_OPT_OUT = "twilio_opt_out", "Twilio opt-out handling"
    TWILIO_ERROR = "twilio_error", "Twilio refused: recipient opted out"
    WEB_FORM = "web_form", "Web form"
    AGENT = "agent", "Agent"
    API = "api", "API"


class ConsentEvent(TenantModel):
    """The consent ledger: every grant and revocation for a number and channel, with its
    evidence. Append-only; the latest event for (number, channel) is the current state."""

    e164 = models.CharField(max_length=16)
    channel = models.CharField(max_length=5, choices=ConsentChannel.choices)
    action = models.CharField(max_length=6, choices=ConsentAction.choices)
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    message_sid = models.CharField(max_length=34, blank=True, help_text="Evidence: the text.")
    form = models.CharField(max_length=200, blank=True, help_text="Evidence: the form or page.")
    agent = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Evidence: the member who recorded it.",
    )
    note = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "e164", "channel", "occurred_at"],
                name="consent_org_number_channel",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="consentevent_append_only", operation=pgtrigger.Update),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.channel} ({self.source})"


class OutboundKind(models.TextChoices):
    CALL = "call", "Call"
    SMS = "sms", "Text"


class OutboundPurpose(models.TextChoices):
    GENERAL = "general", "General"
    REPLY = "reply", "Reply to the recipient's own text"
    OPT_OUT_CONFIRMATION = "opt_out_confirmation", "The one confirmation after a revocation"
    STAFF_ALERT = "staff_alert", "An alert to the organisation's own staff"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "Being sent"
    SENT = "sent", "Sent"
    BLOCKED = "blocked", "Blocked"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed, given up"


class OutboundRequest(TenantModel):
    """Every send attempt through the gateway, keyed by the caller's idempotency key."""

    kind = models.CharField(max_length=4, choices=OutboundKind.choices)
    purpose = models.CharField(
        max_length=20, choices=OutboundPurpose.choices, default=OutboundPurpose.GENERAL
    )
    idempotency_key = models.CharField(max_length=200)
    to_e164 = models.CharField(max_length=16)
    from_number = models.ForeignKey(
        "telephony.PhoneNumber", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        "telephony.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = models.TextField(blank=True)
    twiml_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(
        max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    reason = models.CharField(max_length=60, blank=True, help_text="Why blocked or failed.")
    error_code = models.IntegerField(null=True, blank=True, help_text="Twilio's error code.")
    provider_sid = models.CharField(max_length=34, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # When an attempt whose outcome is unknown began (a read timeout, a 5xx, a dropped
    # connection: Twilio may have accepted it). Until Twilio is asked whether it exists,
    # nothing is sent again (gateway/delivery.py).
    unverified_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="outbound_unique_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "next_attempt_at"], name="outbound_org_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.status})"
