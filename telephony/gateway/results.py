"""What the gateway returns and records: reasons, results, and the retry policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from telephony.models import (
    OutboundRequest,
    OutboundStatus,
)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 30 * 60
RATE_LIMIT_RETRY_SECONDS = 60
OPTED_OUT_ERROR_CODE = 21610
CALL_STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
# The kind of scheduled work that tries a send again (telephony/due_work.py).
RETRY_OUTBOUND = "telephony.retry_outbound"


class Reason(StrEnum):
    INVALID_NUMBER = "invalid_number"
    REVOKED = "revoked"
    NO_CONSENT = "no_consent"
    CONFIRMATION_ALREADY_SENT = "confirmation_already_sent"
    OUTSIDE_CALLING_WINDOW = "outside_calling_window"
    RATE_LIMITED = "rate_limited"
    RATE_LIMIT_UNAVAILABLE = "rate_limit_unavailable"
    NO_TWILIO_ACCOUNT = "no_twilio_account"
    NO_FROM_NUMBER = "no_from_number"
    IN_FLIGHT = "in_flight"
    OPTED_OUT = "opted_out"
    TWILIO_THROTTLED = "twilio_throttled"
    TWILIO_UNAVAILABLE = "twilio_unavailable"
    NETWORK_ERROR = "network_error"
    TWILIO_REJECTED = "twilio_rejected"


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send, as recorded on its OutboundRequest."""

    outbound_request_id: int
    status: str
    reason: str = ""
    provider_sid: str = ""
    retry_at: datetime | None = None
    error_code: int | None = None

    @property
    def sent(self) -> bool:
        return self.status == OutboundStatus.SENT

    @property
    def blocked(self) -> bool:
        return self.status == OutboundStatus.BLOCKED

    @classmethod
    def of(cls, request: OutboundRequest, reason: str | None = None) -> SendResult:
        return cls(
            outbound_request_id=request.pk,
            status=request.status,
            reason=request.reason if reason is None else reason,
            provider_sid=request.provider_sid,
            retry_at=request.next_attempt_at,
            error_code=request.error_code,
        )


@dataclass(frozen=True)
class Attempt:
    """What phase two (the HTTP request) needs, read in phase one."""

    request_id: int
    kind: str
    to: str
    from_e164: str
    from_number_id: int
    body: str
    twiml_url: str
    account_sid: str
    auth_token: str
    # An earlier attempt of this request may have reached Twilio (its outcome is unknown):
    # ask Twilio for it, created since then, before sending again.
    unverified_since: datetime | None = None


def backoff_seconds(attempts: int) -> int:
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))
