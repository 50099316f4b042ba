"""Celery tasks of routing: thin, tenant given explicitly, one service call each."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from routing import services
from tenancy.context import tenant_context
from tenancy.models import Location


@shared_task(name="routing.evaluate_spike", time_limit=30, soft_time_limit=20)
def evaluate_spike(organization_id: int, location_id: int, at: str | None = None) -> str:
    """Check a location's 15 minutes of queue exits up to ``at`` (ISO 8601: when the call
    left the queue; the wall clock when absent) against its alert thresholds (queued after
    commit when a call leaves a routed queue: ``routing/call_router.py``)."""
    now = datetime.fromisoformat(at) if at else None
    with tenant_context(organization_id):
        location = Location.objects.filter(pk=location_id).first()
        if location is None:
            return "missing"
        return services.evaluate_spike_from_calls(location=location, now=now).change


@shared_task(name="routing.send_spike_texts", time_limit=60, soft_time_limit=45)
def send_spike_texts(organization_id: int, episode_id: int) -> int:
    """Text the supervisors about a spike episode through telephony's gateway (which
    enters the tenant and commits its own transactions, so no context is opened here)."""
    return services.notify_supervisors_by_text(
        organization_id=organization_id, episode_id=episode_id
    )
