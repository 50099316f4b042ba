"""What the engine takes and gives: the call and its progress, the queue, and the decision
with its explanation and the actions Twilio should take, in order."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

FORWARD_TIMEOUT_SECONDS = 30

VOICEMAIL_MAX_SECONDS = 180

FALLBACK_VOICEMAIL_GREETING = (
    "Sorry, no one is available to take your call. Please leave a message after the tone."
)

CALLBACK_PROMPT = "To leave the queue and be called back, press 1 at any time."

CALLBACK_CONFIRMATION = "Thank you. We will call you back as soon as possible. Goodbye."


class Stage(StrEnum):
    """Which moment of the call asks for a decision."""

    INCOMING = "incoming"
    DIAL_ENDED = "dial_ended"
    QUEUE_WAIT = "queue_wait"
    QUEUE_LEFT = "queue_left"
    CALLBACK_KEYPRESS = "callback_keypress"


class Outcome(StrEnum):
    DIAL = "dial"
    QUEUE = "queue"
    HOLD = "hold"
    LEAVE_QUEUE = "leave_queue"
    FORWARD = "forward"
    VOICEMAIL = "voicemail"
    MESSAGE = "message"
    CALLBACK = "callback"
    HANGUP = "hangup"


class Reason(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    HOLIDAY = "holiday"
    EMERGENCY = "emergency"
    OVERFLOW_WAIT = "overflow_wait"
    OVERFLOW_DEPTH = "overflow_depth"
    OVERFLOW_NO_AGENT = "overflow_no_agent"
    OVERFLOW_QUEUE_ERROR = "overflow_queue_error"
    QUEUE_NO_AGENT = "queue_no_agent"
    QUEUE_BEHIND_OTHERS = "queue_behind_others"
    AGENT_FREED = "agent_freed"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    BACKUP_UNANSWERED = "backup_unanswered"
    CALLBACK_REQUESTED = "callback_requested"
    UNCONFIGURED = "unconfigured"


@dataclass(frozen=True, slots=True)
class DialTarget:
    name: str
    number: str = ""
    client: str = ""


@dataclass(frozen=True, slots=True)
class Say:
    text: str


@dataclass(frozen=True, slots=True)
class Dial:
    targets: tuple[DialTarget, ...]
    timeout_seconds: int
    # Passed back by Twilio's dial action callback, so the next decision knows where the
    # call was: "tier:<index>:<agent position or -1>", "overflow" or "after_hours".
    step: str


@dataclass(frozen=True, slots=True)
class Enqueue:
    queue_name: str
    location_id: int


@dataclass(frozen=True, slots=True)
class Hold:
    """What a caller in the queue hears until the next poll."""

    audio_url: str
    offer_callback: bool
    prompt: str = ""


@dataclass(frozen=True, slots=True)
class Leave:
    pass


@dataclass(frozen=True, slots=True)
class Record:
    max_length_seconds: int = VOICEMAIL_MAX_SECONDS
    transcribe: bool = True


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


Action = Say | Dial | Enqueue | Hold | Leave | Record | Hangup


@dataclass(frozen=True, slots=True)
class QueueState:
    """The location's queue as the call arrives: how many callers wait, the longest wait."""

    waiting: int = 0
    longest_wait_seconds: int = 0


@dataclass(frozen=True, slots=True)
class CallProgress:
    """Where a call is, for decisions after the first. Filled from Twilio's callback:
    ``step`` from the action URL's query, the rest from its form fields."""

    stage: Stage = Stage.INCOMING
    step: str = ""
    dial_status: str = ""  # Twilio's DialCallStatus (telephony.statuses.DialCallStatus)
    queue_seconds: int = 0  # QueueTime
    queue_position: int = 0  # QueuePosition
    queue_result: str = ""  # Twilio's QueueResult (telephony.statuses.QueueResult)
    digits: str = ""  # Digits pressed during the callback offer
    callback_requested: bool = False
    # Members already rung for this call without answering (from the callback URL's
    # ``tried``): not rung again on this call, however available they look.
    tried: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Call:
    call_sid: str = ""
    from_number: str = ""
    to_number: str = ""
    progress: CallProgress = field(default_factory=CallProgress)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: Reason
    explanation: str
    actions: tuple[Action, ...]
    location_id: int | None = None
    version_id: int | None = None
    version_number: int | None = None
    is_open: bool = False
    # Members rung for this call so far without answering, including those this decision
    # dials (if they answer the call is over): carried in every callback URL as ``tried``.
    tried: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the API and logs (no phone numbers are logged)."""
        return {
            "outcome": self.outcome.value,
            "reason": self.reason.value,
            "explanation": self.explanation,
            "is_open": self.is_open,
            "location_id": self.location_id,
            "version_id": self.version_id,
            "version_number": self.version_number,
            "actions": [{"type": type(a).__name__.lower(), **asdict(a)} for a in self.actions],
        }


def unconfigured_decision(location_id: int | None) -> Decision:
    """What a call gets when its location has no published rules: never silence."""
    return Decision(
        outcome=Outcome.VOICEMAIL,
        reason=Reason.UNCONFIGURED,
        explanation="No routing is published for this location; voicemail with transcription",
        actions=(Say(FALLBACK_VOICEMAIL_GREETING), Record()),
        location_id=location_id,
    )
