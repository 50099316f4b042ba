"""Spike alerts: episodes of a location's queue over its thresholds, read from telephony's
calls, and the supervisors' notifications (in the app and by text through telephony's
gateway)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from routing import loading
from routing.models import (
    AgentProfile,
    Notification,
    SpikeEpisode,
)
from routing.services.rules import logger, routing_for
from routing.spikes import (
    DEFAULT_SHORT_ABANDON_SECONDS,
    WINDOW,
    QueueOutcome,
    breaches,
    spike_metrics,
)
from telephony import gateway
from telephony import selectors as telephony_selectors
from telephony.directory import tenant_telephony
from telephony.models import OutboundPurpose
from tenancy.context import tenant_context
from tenancy.models import Location, Membership
from tenancy.roles import Role


class SpikeChange:
    NONE = "none"
    OPENED = "opened"
    ONGOING = "ongoing"
    CLOSED = "closed"


@dataclass(frozen=True)
class SpikeResult:
    change: str
    episode: SpikeEpisode | None


def evaluate_spike(
    *,
    location: Location,
    outcomes: Iterable[QueueOutcome],
    now: datetime | None = None,
    current_longest_wait_seconds: int = 0,
    short_abandon_seconds: int = DEFAULT_SHORT_ABANDON_SECONDS,
) -> SpikeResult:
    """Compare the location's last 15 minutes of queue outcomes with its published alert
    thresholds. Opens an episode (and notifies the supervisors, in the app and by text)
    when the queue goes over; a spike already open is only updated; it closes when the
    queue is back under. Call it after each queue outcome or on a schedule.

    ``now`` is the moment evaluated: the event's time (the queue exit that prompted it), not
    the wall clock, so a replayed or simulated day opens and closes its episodes at its own
    times. An evaluation of a moment before the open episode began (a late task) changes
    nothing."""
    now = now or timezone.now()
    config = loading.published_config(location.pk)
    if config is None:
        return SpikeResult(SpikeChange.NONE, None)
    metrics = spike_metrics(
        outcomes,
        now=now,
        current_longest_wait_seconds=current_longest_wait_seconds,
        short_abandon_seconds=short_abandon_seconds,
    )
    reasons = breaches(metrics, config.alerts)
    with transaction.atomic():
        routing_for(location, lock=True)  # One evaluation per location at a time.
        episode = SpikeEpisode.objects.filter(location=location, closed_at__isnull=True).first()
        if episode is not None and now < episode.opened_at:
            return SpikeResult(SpikeChange.NONE, episode)
        if reasons and episode is None:
            episode = SpikeEpisode.objects.create(
                location=location,
                opened_at=now,
                reason="; ".join(reasons)[:300],
                peak_wait_seconds=metrics.max_wait_seconds,
                peak_abandonment_percent=metrics.abandonment_percent,
            )
            _notify_in_app(
                location,
                episode,
                Notification.Kind.SPIKE_OPENED,
                f"Queue spike at {location.name}",
                "; ".join(reasons).capitalize() + " in the last 15 minutes.",
            )
            organization_id, episode_id = location.organization_id, episode.pk
            transaction.on_commit(lambda: _queue_spike_texts(organization_id, episode_id))
            return SpikeResult(SpikeChange.OPENED, episode)
        if reasons and episode is not None:
            episode.peak_wait_seconds = max(episode.peak_wait_seconds, metrics.max_wait_seconds)
            episode.peak_abandonment_percent = max(
                episode.peak_abandonment_percent, metrics.abandonment_percent
            )
            episode.save(update_fields=["peak_wait_seconds", "peak_abandonment_percent"])
            return SpikeResult(SpikeChange.ONGOING, episode)
        if episode is not None:
            episode.closed_at = now
            episode.save(update_fields=["closed_at"])
            _notify_in_app(
                location,
                episode,
                Notification.Kind.SPIKE_CLOSED,
                f"Queue back to normal at {location.name}",
                f"The spike that started at {timezone.localtime(episode.opened_at):%H:%M} is over.",
            )
            return SpikeResult(SpikeChange.CLOSED, episode)
    return SpikeResult(SpikeChange.NONE, None)


def evaluate_spike_from_calls(*, location: Location, now: datetime | None = None) -> SpikeResult:
    """``evaluate_spike`` for the location's queue as telephony recorded it: the calls that
    left it in the 15 minutes up to ``now``, the callers still waiting in it then, and the
    organisation's short-abandon threshold. What the ``routing.evaluate_spike`` task runs
    after a call leaves a routed queue, with ``now`` the time the call left it (the
    event's time, so a simulated past day is judged at its own times)."""
    now = now or timezone.now()
    exits = telephony_selectors.queue_exits(location_id=location.pk, since=now - WINDOW, until=now)
    waiting = telephony_selectors.queue_snapshot(
        organization_id=location.organization_id, location_id=location.pk, at=now
    )
    return evaluate_spike(
        location=location,
        outcomes=[QueueOutcome(e.left_at, e.wait_seconds, e.abandoned) for e in exits],
        now=now,
        current_longest_wait_seconds=waiting.longest_wait_seconds,
        short_abandon_seconds=tenant_telephony(location.organization_id).short_abandon_seconds,
    )


def _supervisors() -> list[Membership]:
    return list(Membership.objects.filter(is_active=True, role__in=(Role.OWNER, Role.SUPERVISOR)))


def _notify_in_app(
    location: Location, episode: SpikeEpisode, kind: str, title: str, body: str
) -> None:
    Notification.objects.bulk_create(
        Notification(
            organization_id=location.organization_id,
            recipient=member,
            location=location,
            episode=episode,
            kind=kind,
            title=title[:200],
            body=body[:500],
        )
        for member in _supervisors()
    )


def _queue_spike_texts(organization_id: int, episode_id: int) -> None:
    from routing.tasks import send_spike_texts

    try:
        send_spike_texts.delay(organization_id, episode_id)
    except Exception:  # The in-app notification stands even when the broker is down.
        logger.exception("Spike texts not queued", extra={"spike_episode_id": episode_id})


def notify_supervisors_by_text(*, organization_id: int, episode_id: int) -> int:
    """Text the owners and supervisors who have a phone on their agent profile about a
    spike episode, through telephony's gateway; returns how many texts were sent.

    Call it outside a database transaction (the ``routing.send_spike_texts`` task does):
    the gateway commits its own short transactions around each request to Twilio. The texts
    go to the organisation's own staff, not to consumers, so they are sent as staff alerts:
    the calling window does not hold them (a spike at 22:00 reaches the supervisor at
    22:00), while revocations and rate limits still apply. A text the gateway blocks is
    logged and not rescheduled, since a spike alert hours later is noise — the in-app
    notification stands. Idempotent per episode and recipient.
    """
    with tenant_context(organization_id):
        episode = SpikeEpisode.objects.select_related("location").get(pk=episode_id)
        phones = dict(
            AgentProfile.objects.filter(membership__in=_supervisors())
            .exclude(phone="")
            .values_list("membership_id", "phone")
        )
        body = f"Queue spike at {episode.location.name}: {episode.reason}."[:320]
        location_id = episode.location_id
    sent = 0
    for membership_id, phone in sorted(phones.items()):
        result = gateway.send_sms(
            organization_id=organization_id,
            to=phone,
            body=body,
            idempotency_key=f"routing-spike-{episode_id}-{membership_id}",
            location_id=location_id,
            purpose=OutboundPurpose.STAFF_ALERT,
        )
        if result.sent:
            sent += 1
        else:
            logger.info(
                "Spike text not sent",
                extra={
                    "spike_episode_id": episode_id,
                    "outbound_request_id": result.outbound_request_id,
                    "reason": result.reason or result.status,
                },
            )
    return sent


def notification_mark_read(*, membership: Membership, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) notification of ``membership`` read."""
    queryset = Notification.objects.filter(recipient=membership, read_at__isnull=True)
    if notification_id is not None:
        queryset = queryset.filter(pk=notification_id)
    return queryset.update(read_at=timezone.now())
