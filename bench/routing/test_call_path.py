"""The call path around the engine: ``routing.services.decide_incoming_call`` with the
published version cached, presence read from Redis, inside a tenant transaction — what
telephony's incoming-call webhook adds per call. Runs against the test database:

    TEST_DATABASE_NAME=test_cov_route .venv/bin/pytest bench/routing/test_call_path.py -q -s
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from routing import loading, services
from routing.engine import Call, QueueState
from tenancy.context import tenant_context
from tenancy.roles import Role

pytestmark = pytest.mark.django_db
RUNS = 2000


def _median(function) -> float:
    times = []
    for _ in range(500):
        start = time.perf_counter_ns()
        function()
        times.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(times)


def test_decide_incoming_call_median(routing_a, django_capture_on_commit_callbacks):
    world = routing_a
    with tenant_context(world.organization):
        rules = services.routing_for(world.location).draft
        rules["tiers"] = world.tiers()
        services.draft_save(actor=world.tenant(), location=world.location, document=rules)
        services.routing_publish(actor=world.tenant(), location=world.location)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(world.organization):
        services.presence_set(membership=world.member(Role.AGENT), status="available")
    now = datetime(2026, 6, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    # Inside one tenant context, as in the webhook (which has opened it already).
    samples = []
    with tenant_context(world.organization):
        for run in range(RUNS + 100):
            start = time.perf_counter_ns()
            services.decide_incoming_call(
                location=world.location,
                call=Call(call_sid=f"CA{run}"),
                queue_state=QueueState(),
                now=now,
            )
            if run >= 100:
                samples.append((time.perf_counter_ns() - start) / 1000)
    with tenant_context(world.organization):
        query = _median(lambda: loading.published_config(world.location.pk))
        redis_read = _median(lambda: services.presence_map(world.organization.pk))
    samples.sort()
    print(
        f"\n  of which: generation query + cache hit {query:.0f} µs, Redis presence "
        f"{redis_read:.0f} µs"
    )
    print(
        f"\ndecide_incoming_call (generation query + Redis presence + engine): "
        f"median {statistics.median(samples):.0f} µs, "
        f"p99 {samples[int(len(samples) * 0.99)]:.0f} µs over {RUNS} calls"
    )
