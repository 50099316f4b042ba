"""Calls, the raw webhook events they are built from, and voicemail recordings."""

from __future__ import annotations

import pgtrigger
from django.db import models

from foundation.crypto import EncryptedTextField
from telephony.statuses import TERMINAL_CALL_STATUSES, CallStatus, RecordingStatus
from tenancy.managers import TenantModel


class CallDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallOutcome(models.TextChoices):
    """How a call ended, for metrics and recovery (docs/metrics.md)."""

    ANSWERED = "answered", "Answered"
    RANG_OUT = "rang_out", "Rang out"
    ABANDONED = "abandoned", "Abandoned"
    SHORT_ABANDON = "short_abandon", "Short abandon"
    VOICEMAIL = "voicemail", "Voicemail"
    OVERFLOWED = "overflowed", "Overflowed"
    AFTER_HOURS = "after_hours", "After hours"
    FAILED = "failed", "Failed"
    BUSY = "busy", "Busy"


class Call(TenantModel):
    """One Twilio call (one CallSid), folded from its webhook events.

    The columns below "facts" are merged from events in an order-independent way (minimum,
    maximum, best-ranked), and the derived columns (times, seconds, outcome) are recomputed
    from the facts on every event, so callbacks arriving out of order or twice give the same
    row as callbacks arriving in order (telephony/call_state.py).
    """

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
    call_sid = models.CharField(max_length=34)
    direction = models.CharField(max_length=10, choices=CallDirection.choices)
    status = models.CharField(max_length=12, choices=CallStatus.choices, default=CallStatus.QUEUED)
    # Foreign keys without their own index: row-level security adds the organisation to
    # every query, so the (organization, location/contact, started_at) indexes serve them.
    location = models.ForeignKey(
        "tenancy.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    phone_number = models.ForeignKey(
        "telephony.PhoneNumber",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        db_index=False,
        help_text="The organisation's number: the one called (inbound) or calling (outbound).",
    )
    source_label = models.CharField(
        max_length=80, blank=True, help_text="The number's source label when the call came in."
    )
    contact = models.ForeignKey(
        "telephony.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        db_index=False,
    )
    started_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the caller started waiting for a person."
    )
    answered_at = models.DateTimeField(null=True, blank=True, help_text="Reached a person.")
    ended_at = models.DateTimeField(null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="From queue entry to answer, or until the caller gave up."
    )
    talk_seconds = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=14, choices=CallOutcome.choices, blank=True)
    is_after_hours = models.BooleanField(default=False)
    last_sequence_number = models.IntegerField(
        default=-1, help_text="Highest status-callback SequenceNumber applied."
    )
    routing_version_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="Published routing configuration that decided the call."
    )
    # Facts merged from events (order-independent).
    first_seen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Earliest event time; the start until CallDuration is known.",
    )
    queue_entered_at = models.DateTimeField(null=True, blank=True)
    dial_call_status = models.CharField(max_length=12, blank=True)
    dial_answered_at = models.DateTimeField(null=True, blank=True)
    dial_ended_at = models.DateTimeField(null=True, blank=True)
    dial_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Twilio's longest QueueResult, redirected-from-bridged, has 23 characters.
    queue_result = models.CharField(max_length=24, blank=True)
    queue_seconds = models.PositiveIntegerField(null=True, blank=True)
    call_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    voicemail_seconds = models.PositiveIntegerField(null=True, blank=True)
    applied_event_count = models.PositiveIntegerField(
        default=0, help_text="Webhook events folded into this row; duplicates are not counted."
    )
    # The hand-off of an unanswered call (services.on_unanswered_contact).
    handoff_outcome = models.CharField(max_length=14, choices=CallOutcome.choices, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "call_sid"], name="call_unique_sid"),
        ]
        indexes = [
            models.Index(fields=["organization", "started_at"], name="call_org_started"),
            models.Index(
                fields=["organization", "location", "started_at"], name="call_org_location_started"
            ),
            models.Index(
                fields=["organization", "contact", "started_at"], name="call_org_contact_started"
            ),
            # Callers waiting in a location's queue now (telephony.selectors.queue_snapshot,
            # read on every routed incoming call): partial, so it holds only those few rows.
            models.Index(
                fields=["organization", "location", "queue_entered_at"],
                name="call_org_location_waiting",
                condition=models.Q(
                    queue_entered_at__isnull=False, queue_result="", ended_at__isnull=True
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.call_sid

    @property
    def is_ended(self) -> bool:
        return self.status in TERMINAL_CALL_STATUSES

    @property
    def reached_a_person(self) -> bool:
        return self.outcome == CallOutcome.ANSWERED


class EventKind(models.TextChoices):
    VOICE_INCOMING = "voice.incoming", "Incoming call"
    VOICE_STATUS = "voice.status", "Call status"
    VOICE_DIAL_ACTION = "voice.dial-action", "Dial action"
    VOICE_QUEUE_ACTION = "voice.queue-action", "Enqueue action"
    VOICE_QUEUE_WAIT = "voice.queue-wait", "Queue wait"
    VOICE_RECORD_ACTION = "voice.record-action", "Record action"
    VOICE_RECORDING_STATUS = "voice.recording-status", "Recording status"
    VOICE_TRANSCRIPTION = "voice.transcription", "Transcription"
    VOICE_CALLBACK_KEYPRESS = "voice.callback-keypress", "Callback keypress in the queue"
    SMS_INCOMING = "sms.incoming", "Incoming text"
    SMS_STATUS = "sms.status", "Text status"


class CallEvent(TenantModel):
    """Every Twilio webhook received, as received: calls and texts alike. Immutable.

    Unique on the provider SID (CallSid or MessageSid), the kind, and a sequence (Twilio's
    SequenceNumber, a status's position, or a digest of the parameters), so a retried webhook
    is a no-op. The TwiML answer is stored with it, so the retry gets the same answer.
    Transcript text is stored encrypted (``TranscriptionText`` is replaced by its ciphertext).
    """

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
    provider_sid = models.CharField(max_length=34)
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    sequence = models.BigIntegerField()
    params = models.JSONField()
    received_at = models.DateTimeField()
    response_body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider_sid", "kind", "sequence"],
                name="callevent_unique_delivery",
            ),
        ]
        # No other index: a call's events are read through the unique constraint's prefix
        # (organization, provider_sid), and every index here is paid on each webhook.
        triggers = [
            pgtrigger.Protect(name="callevent_immutable", operation=pgtrigger.Update),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_sid}#{self.sequence}"


class Recording(TenantModel):
    """A voicemail (or other) recording of a call."""

    Status = RecordingStatus

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="recordings")
    recording_sid = models.CharField(max_length=34)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recording_sid"], name="recording_unique_sid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "call"], name="recording_org_call")]

    def __str__(self) -> str:
        return self.recording_sid


class Transcription(TenantModel):
    """Text of a voicemail: sensitive, so encrypted at rest and never logged."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="transcriptions")
    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, null=True, blank=True, related_name="transcriptions"
    )
    transcription_sid = models.CharField(max_length=34)
    status = models.CharField(max_length=12, blank=True)
    text = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "transcription_sid"], name="transcription_unique_sid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "call"], name="transcription_org_call")]

    def __str__(self) -> str:
        return self.transcription_sid
