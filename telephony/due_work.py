"""Telephony's kinds of scheduled work (scheduling/registry.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduling.registry import GiveUp, register
from telephony import gateway
from telephony.gateway.results import RETRY_OUTBOUND


@register(RETRY_OUTBOUND, label="Try a text or call again")
def retry_outbound(*, organization_id: int, payload: dict[str, Any]) -> datetime | None:
    """Try an outbound request again through the gateway, with all its checks. Done once the
    gateway has decided: if it wants yet another try, it schedules that itself (a new row at
    the new ``retry_at``). Idempotent: the gateway sends a request at most once (its
    idempotency key), so a run repeated after a lost result sends nothing twice."""
    request_id = payload.get("outbound_request_id")
    if not isinstance(request_id, int):
        raise GiveUp("The scheduled retry names no outbound request.")
    gateway.retry_outbound(organization_id=organization_id, outbound_request_id=request_id)
    return None
