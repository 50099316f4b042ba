"""Twilio's words for where a call or text is, in one place: the values Twilio posts as
``CallStatus``, ``DialCallStatus``, ``QueueResult``, ``RecordingStatus`` and ``MessageStatus``,
spelled exactly as Twilio spells them, so that the event store, the call state machine,
telephony's interim routing and routing's engine compare against the same members rather
than their own string literals.

They are ``TextChoices``, so a member equals (and hashes like) the plain string Twilio sent:
``params["QueueResult"] == QueueResult.BRIDGED`` needs no conversion, and an unknown word
from Twilio is simply not a member. ``CallStatus``, ``RecordingStatus`` and ``MessageStatus``
are model choices; the others are stored as Twilio's text in plain columns
(``Call.dial_call_status``, ``Call.queue_result``).

Nothing here imports a model, so routing's pure engine may import it.
"""

from __future__ import annotations

from django.db import models


class CallStatus(models.TextChoices):
    """Twilio's ``CallStatus`` (voice webhooks and status callbacks)."""

    QUEUED = "queued", "Queued"
    INITIATED = "initiated", "Initiated"
    RINGING = "ringing", "Ringing"
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no-answer", "No answer"
    CANCELED = "canceled", "Canceled"
    FAILED = "failed", "Failed"


# A call in one of these has ended; no later status callback revives it.
TERMINAL_CALL_STATUSES = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.CANCELED,
        CallStatus.FAILED,
    }
)


class DialCallStatus(models.TextChoices):
    """Twilio's ``DialCallStatus``: how a ``<Dial>`` ended (its action callback)."""

    COMPLETED = "completed", "Completed"
    ANSWERED = "answered", "Answered"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no-answer", "No answer"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


# Twilio reports a dial that reached a person as "completed" (after the conversation) or
# "answered" (when the conversation is still going on, as with a transfer).
DIAL_ANSWERED = frozenset({DialCallStatus.COMPLETED, DialCallStatus.ANSWERED})


class QueueResult(models.TextChoices):
    """Twilio's ``QueueResult``: how a caller left an ``<Enqueue>`` (its action callback)."""

    BRIDGED = "bridged", "Bridged"
    BRIDGING_IN_PROCESS = "bridging-in-process", "Bridging in process"
    ERROR = "error", "Error"
    HANGUP = "hangup", "Hang-up"
    LEAVE = "leave", "Left"
    REDIRECTED = "redirected", "Redirected"
    REDIRECTED_FROM_BRIDGED = "redirected-from-bridged", "Redirected from bridged"
    QUEUE_FULL = "queue-full", "Queue full"
    SYSTEM_ERROR = "system-error", "System error"


class RecordingStatus(models.TextChoices):
    """Twilio's ``RecordingStatus`` (recording status callbacks)."""

    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    ABSENT = "absent", "Absent"
    FAILED = "failed", "Failed"


class MessageStatus(models.TextChoices):
    """Twilio's ``MessageStatus`` (texts' status callbacks; ``received`` for texts in)."""

    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    READ = "read", "Read"
    PARTIALLY_DELIVERED = "partially_delivered", "Partially delivered"
    RECEIVING = "receiving", "Receiving"
    RECEIVED = "received", "Received"
