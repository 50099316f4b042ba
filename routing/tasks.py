"""Celery tasks of routing: thin, tenant given explicitly, one service call each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from routing import services
from routing.spikes import WINDOW, QueueOutcome
from tenancy.context import tenant_context
from tenancy.models import Location


@shared_task(name="routing.evaluate_spike", time_limit=30, soft_time_limit=20)
def evaluate_spike(
    organization_id: int,
    location_id: int,
    outcomes: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> str:
    """Check a location's last 15 minutes of queue outcomes against its alert thresholds.

    Without ``outcomes`` (telephony's webhooks publish it so when a call leaves a queue),
    they are read from telephony's calls, with the callers still waiting and the
    organisation's short-abandon threshold."""
    with tenant_context(organization_id):
        location = Location.objects.filter(pk=location_id).first()
        if location is None:
            return "missing"
        if outcomes is None:
            now = timezone.now()
            queue, longest, short_abandon = _queue_from_calls(organization_id, location_id, now)
            result = services.evaluate_spike(
                location=location,
                outcomes=queue,
                now=now,
                current_longest_wait_seconds=longest,
                short_abandon_seconds=short_abandon,
            )
            return result.change
        result = services.evaluate_spike(
            location=location,
            outcomes=services.queue_outcomes_from(outcomes),
            current_longest_wait_seconds=int(kwargs.get("current_longest_wait_seconds", 0)),
        )
        return result.change


def _queue_from_calls(
    organization_id: int, location_id: int, now: datetime
) -> tuple[list[QueueOutcome], int, int]:
    # Imported here: routing's models and services load without telephony's.
    from telephony import selectors
    from telephony.directory import tenant_telephony

    exits = selectors.queue_exits(location_id=location_id, since=now - WINDOW, until=now)
    waiting = selectors.queue_snapshot(
        organization_id=organization_id, location_id=location_id, at=now
    )
    short_abandon = tenant_telephony(organization_id).short_abandon_seconds
    outcomes = [QueueOutcome(e.left_at, e.wait_seconds, e.abandoned) for e in exits]
    return outcomes, waiting.longest_wait_seconds, short_abandon


@shared_task(name="routing.send_spike_texts", time_limit=60, soft_time_limit=45)
def send_spike_texts(organization_id: int, episode_id: int) -> int:
    """Text the supervisors about a spike episode through telephony's gateway (which
    enters the tenant and commits its own transactions, so no context is opened here)."""
    return services.notify_supervisors_by_text(
        organization_id=organization_id, episode_id=episode_id
    )
