"""Intake's kinds of scheduled work (scheduling/registry.py), collected by scheduling's
``autodiscover_modules("due_work")`` like every installed app's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from intake.services import handoffs
from scheduling.registry import GiveUp, register


@register(handoffs.DELIVER_KIND, label="Deliver a completed intake")
def deliver_handoff(*, organization_id: int, payload: dict[str, Any]) -> datetime | None:
    """One attempt to deliver a handoff (email or signed webhook). A failed attempt raises
    and is retried with backoff; the last one marks the handoff failed and gives up."""
    handoff_id = payload.get("handoff_id")
    if type(handoff_id) is not int:
        raise GiveUp("The scheduled delivery names no handoff.")
    handoffs.deliver_handoff(organization_id=organization_id, handoff_id=handoff_id)
    return None
