"""Spike alerts: the last 15 minutes against the thresholds, one episode (and one round of
notifications) per spike, closed when the queue is back under."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import services
from routing.config import Alerts
from routing.models import Notification, SpikeEpisode
from routing.spikes import QueueOutcome, breaches, spike_metrics
from tenancy.context import tenant_context
from tenancy.roles import Role

NOW = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)


def outcomes(*rows):
    return [
        QueueOutcome(NOW - timedelta(minutes=m), wait, abandoned) for m, wait, abandoned in rows
    ]


def test_metrics_count_only_the_last_15_minutes_and_leave_short_abandons_out():
    # Catches a window that is too wide, or short abandons counted as abandons (docs/metrics.md).
    metrics = spike_metrics(
        outcomes((1, 30, False), (5, 40, True), (10, 3, True), (14, 50, False), (16, 900, True)),
        now=NOW,
    )
    assert (metrics.offered, metrics.abandoned, metrics.short_abandons) == (4, 1, 1)
    assert metrics.max_wait_seconds == 50
    assert metrics.abandonment_percent == 33  # 1 ÷ (4 − 1)


def test_abandonment_alert_needs_the_minimum_number_of_calls():
    # Catches one abandoned call out of one raising an alert at 3 a.m.
    alerts = Alerts(max_wait_seconds=None, abandonment_percent=20, min_calls=5)
    few = spike_metrics(outcomes((1, 60, True)), now=NOW)
    assert breaches(few, alerts) == []
    many = spike_metrics(outcomes(*[(m, 60, m % 2 == 0) for m in range(1, 7)]), now=NOW)
    assert breaches(many, alerts)


def test_current_callers_waiting_count_towards_the_wait_alert():
    # Catches a spike missed while callers are still stuck in the queue.
    alerts = Alerts(max_wait_seconds=120, abandonment_percent=None)
    metrics = spike_metrics([], now=NOW, current_longest_wait_seconds=200)
    assert breaches(metrics, alerts) == ["a caller waited 200 s (alert above 120 s)"]


@pytest.fixture
def published(routing_a):
    with tenant_context(routing_a.organization):
        doc = services.routing_for(routing_a.location).draft
        doc["tiers"] = routing_a.tiers()
        doc["alerts"] = {"max_wait_seconds": 120, "abandonment_percent": 30, "min_calls": 3}
        services.draft_save(actor=routing_a.tenant(), location=routing_a.location, document=doc)
        services.routing_publish(actor=routing_a.tenant(), location=routing_a.location)
    return routing_a


@pytest.mark.django_db
def test_one_episode_and_one_notification_per_supervisor_per_spike(
    published, django_capture_on_commit_callbacks
):
    # Catches an alert per call: three bad evaluations in a row notify once.
    world = published
    bad = outcomes((1, 300, False), (2, 30, False))
    with tenant_context(world.organization), django_capture_on_commit_callbacks() as callbacks:
        results = [
            services.evaluate_spike(
                location=world.location, outcomes=bad, now=NOW + timedelta(seconds=s)
            )
            for s in (0, 30, 60)
        ]
        assert [r.change for r in results] == ["opened", "ongoing", "ongoing"]
        assert SpikeEpisode.objects.count() == 1
        recipients = set(Notification.objects.values_list("recipient__role", flat=True))
        assert recipients == {Role.OWNER, Role.SUPERVISOR}
        assert Notification.objects.count() == 2
    assert len(callbacks) == 1  # one round of texts, queued after commit


@pytest.mark.django_db
def test_episode_closes_when_back_under_and_a_new_spike_opens_a_new_one(published):
    # Catches an episode that never closes, so a later spike is never announced.
    world = published
    bad = outcomes((1, 300, False))
    with tenant_context(world.organization):
        services.evaluate_spike(location=world.location, outcomes=bad, now=NOW)
        later = NOW + timedelta(minutes=20)  # the bad call left the window
        closed = services.evaluate_spike(location=world.location, outcomes=bad, now=later)
        assert closed.change == "closed"
        assert closed.episode is not None
        assert closed.episode.closed_at == later
        again = services.evaluate_spike(
            location=world.location,
            outcomes=[QueueOutcome(later, 400, False)],
            now=later + timedelta(seconds=1),
        )
        assert again.change == "opened"
        assert SpikeEpisode.objects.count() == 2
        kinds = list(Notification.objects.order_by("id").values_list("kind", flat=True))
        assert kinds == ["spike_opened"] * 2 + ["spike_closed"] * 2 + ["spike_opened"] * 2


@pytest.mark.django_db
def test_abandonment_spike_opens_an_episode(published):
    # Catches the abandonment threshold being ignored.
    world = published
    rows = outcomes((1, 30, True), (2, 40, True), (3, 20, False))
    with tenant_context(world.organization):
        result = services.evaluate_spike(location=world.location, outcomes=rows, now=NOW)
        assert result.change == "opened"
        assert result.episode is not None
        assert "67% of 3 callers hung up waiting" in result.episode.reason


@pytest.mark.django_db
def test_no_published_rules_no_alerts(routing_a):
    # Catches alerts from a location whose thresholds were never published.
    with tenant_context(routing_a.organization):
        result = services.evaluate_spike(
            location=routing_a.location, outcomes=outcomes((1, 9999, True)), now=NOW
        )
        assert result.change == "none"


@pytest.mark.django_db
def test_spike_texts_go_through_the_gateway_once_per_supervisor(published):
    # Catches texts sent around the gateway (no consent, window or rate checks) or twice
    # for one episode. With no Twilio account the gateway records each as blocked.
    from telephony.models import OutboundRequest

    world = published
    with tenant_context(world.organization):
        episode = services.evaluate_spike(
            location=world.location, outcomes=outcomes((1, 300, False)), now=NOW
        ).episode
    assert episode is not None
    for _ in range(2):
        sent = services.notify_supervisors_by_text(
            organization_id=world.organization.pk, episode_id=episode.pk
        )
        assert sent == 0
    with tenant_context(world.organization):
        requests = OutboundRequest.objects.order_by("idempotency_key")
        # The owner (+ client identity only: no phone) is skipped; the supervisor is texted.
        assert [r.idempotency_key for r in requests] == [
            f"routing-spike-{episode.pk}-{world.member(Role.SUPERVISOR).pk}"
        ]
        assert requests[0].to_e164 == "+12125550112"
        assert "Queue spike at Main Office" in requests[0].body
