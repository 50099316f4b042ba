"""The traffic simulator drives the real webhooks through a whole (small) day."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command

from telephony import simulator
from telephony.models import Call, CallEvent, ConsentEvent, Message
from tenancy.context import tenant_context
from tests.telephony.conftest import PUBLIC_BASE_URL

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 25)  # a Wednesday


def run(slug: str, rate: int) -> str:
    out = io.StringIO()
    call_command(
        "simulate_traffic", "--org", slug, "--day", DAY.isoformat(), "--rate", str(rate),
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def simulate(slug: str, rate: int) -> simulator.SimulationReport:
    return simulator.simulate_day(
        slug,
        DAY,
        rate=rate,
        public_url=PUBLIC_BASE_URL,
        transport=simulator.InProcessTransport(PUBLIC_BASE_URL),
    )


def expected_outcomes(report: simulator.SimulationReport) -> Counter[str]:
    expected: Counter[str] = Counter()
    for name, count in report.scenarios.items():
        if not name.startswith("text_"):
            expected[simulator.EXPECTED_OUTCOME[name]] += count
    return expected


def test_a_simulated_day_lands_every_call_with_its_outcome_once(
    tel_a, prism, django_capture_on_commit_callbacks
):
    # Catches webhooks the simulator signs wrongly (403s), callers that stop following
    # their answers, calls lost or misclassified under realistic reordering and duplicates,
    # and a second run of the same day adding anything.
    slug = tel_a.world.organization.slug
    with django_capture_on_commit_callbacks(execute=True):
        report = simulate(slug, 30)
    assert report.errors == 0
    assert report.distinct < report.requests  # some duplicates are sent
    with tenant_context(tel_a.organization_id):
        outcomes = Counter(Call.objects.values_list("outcome", flat=True))
        events = CallEvent.objects.count()
        texts = Message.objects.filter(direction="inbound").count()
        revocations = ConsentEvent.objects.filter(action="revoke").count()
    assert outcomes == expected_outcomes(report)
    # The interim default routing never queues, so no caller may act as if it had.
    assert not {"answered_queue", "abandoned_queue", "overflowed"} & set(report.scenarios)
    assert texts == sum(n for name, n in report.scenarios.items() if name.startswith("text_"))
    stops = report.scenarios["text_stop"] + report.scenarios["text_stop_plain"]
    assert (revocations >= 1) == (stops >= 1)  # STOP and "stop texting me"
    # Every distinct webhook is stored once, duplicates never.
    assert events == report.distinct

    with django_capture_on_commit_callbacks(execute=True):
        output = run(slug, 30)
    assert "403" not in output and "500" not in output
    with tenant_context(tel_a.organization_id):
        assert CallEvent.objects.count() == events


def test_the_same_day_and_seed_give_the_same_plan(tel_a):
    # Catches non-determinism (random SIDs, times or intents) that would make reruns add
    # calls.
    org = simulator.load_organization(tel_a.world.organization.slug)
    first = simulator.plan_day(org, DAY, rate=20)
    second = simulator.plan_day(org, DAY, rate=20)
    assert first == second
    other_day = simulator.plan_day(org, date(2026, 11, 26), rate=20)
    assert {call.call_sid for call in first.calls}.isdisjoint(
        call.call_sid for call in other_day.calls
    )


def test_the_hourly_profile_is_busy_at_lunch_and_quiet_at_night(tel_a):
    # Catches a flat profile, which would make staffing and heatmaps meaningless in demos.
    org = simulator.load_organization(tel_a.world.organization.slug)
    plan = simulator.plan_day(org, DAY, rate=2000)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    hours = Counter(call.start.astimezone(zone).hour for call in plan.calls)
    assert hours[12] > 4 * hours[3]
    assert hours[12] > hours[16] > hours[21]
