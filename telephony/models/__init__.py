"""Telephony data: accounts and numbers, calls and their events, texts, consent, outbound."""

from telephony.models.accounts import (
    LEGAL_WINDOW_END,
    LEGAL_WINDOW_START,
    Contact,
    NumberDirectoryEntry,
    PhoneNumber,
    TelephonySettings,
    TwilioAccount,
)
from telephony.models.calls import (
    Call,
    CallDirection,
    CallEvent,
    CallOutcome,
    EventKind,
    Recording,
    Transcription,
)
from telephony.models.messaging import (
    MESSAGE_STATUS_RANK,
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentSource,
    Message,
    MessageDirection,
    OutboundKind,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
)

# Twilio's own words live in telephony.statuses; the models' users find them here too.
from telephony.statuses import TERMINAL_CALL_STATUSES, CallStatus, MessageStatus

__all__ = [
    "LEGAL_WINDOW_END",
    "LEGAL_WINDOW_START",
    "MESSAGE_STATUS_RANK",
    "TERMINAL_CALL_STATUSES",
    "Call",
    "CallDirection",
    "CallEvent",
    "CallOutcome",
    "CallStatus",
    "ConsentAction",
    "ConsentChannel",
    "ConsentEvent",
    "ConsentSource",
    "Contact",
    "EventKind",
    "Message",
    "MessageDirection",
    "MessageStatus",
    "NumberDirectoryEntry",
    "OutboundKind",
    "OutboundPurpose",
    "OutboundRequest",
    "OutboundStatus",
    "PhoneNumber",
    "Recording",
    "TelephonySettings",
    "Transcription",
    "TwilioAccount",
]
