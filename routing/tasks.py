"""Celery tasks of routing: thin, tenant given explicitly, one service call each."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from routing import services
from tenancy.context import tenant_context
from tenancy.models import Location


@shared_task(name="routing.evaluate_spike", time_limit=30, soft_time_limit=20)
def evaluate_spike(
    organization_id: int, location_id: int, outcomes: list[dict[str, Any]], **kwargs: Any
) -> str:
    """Check a location's last 15 minutes of queue outcomes against its alert thresholds."""
    with tenant_context(organization_id):
        location = Location.objects.filter(pk=location_id).first()
        if location is None:
            return "missing"
        result = services.evaluate_spike(
            location=location,
            outcomes=services.queue_outcomes_from(outcomes),
            current_longest_wait_seconds=int(kwargs.get("current_longest_wait_seconds", 0)),
        )
        return result.change


@shared_task(name="routing.send_spike_texts", time_limit=60, soft_time_limit=45)
def send_spike_texts(organization_id: int, episode_id: int) -> int:
    """Text the supervisors about a spike episode through telephony's gateway (which
    enters the tenant and commits its own transactions, so no context is opened here)."""
    return services.notify_supervisors_by_text(
        organization_id=organization_id, episode_id=episode_id
    )
