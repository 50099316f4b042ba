"""The routing engine: a pure function from the published rules, the clock, the live queue
and presence state and the call to a decision.

``decide`` never touches the database, the network or the clock: every input is an
argument, so the preview shows exactly what a real call gets, and it runs in microseconds.
A call is routed in steps: the incoming call, then (through Twilio's action callbacks) the
end of each dial, each poll of the hold queue and the caller leaving the queue. The step a
callback belongs to travels in its URL (``CallProgress.step``)."""

from __future__ import annotations

from routing.engine.decide import decide, next_opening
from routing.engine.decision import (
    CALLBACK_CONFIRMATION,
    CALLBACK_PROMPT,
    FALLBACK_VOICEMAIL_GREETING,
    FORWARD_TIMEOUT_SECONDS,
    VOICEMAIL_MAX_SECONDS,
    Action,
    Call,
    CallProgress,
    Decision,
    Dial,
    DialTarget,
    Enqueue,
    Hangup,
    Hold,
    Leave,
    Outcome,
    QueueState,
    Reason,
    Record,
    Say,
    Stage,
    unconfigured_decision,
)

__all__ = [
    "CALLBACK_CONFIRMATION",
    "CALLBACK_PROMPT",
    "FALLBACK_VOICEMAIL_GREETING",
    "FORWARD_TIMEOUT_SECONDS",
    "VOICEMAIL_MAX_SECONDS",
    "Action",
    "Call",
    "CallProgress",
    "Decision",
    "Dial",
    "DialTarget",
    "Enqueue",
    "Hangup",
    "Hold",
    "Leave",
    "Outcome",
    "QueueState",
    "Reason",
    "Record",
    "Say",
    "Stage",
    "decide",
    "next_opening",
    "unconfigured_decision",
]
