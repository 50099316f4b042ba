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

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 25)  # a Wednesday
SCENARIO_OUTCOME = {
    "answered_dial": "answered",
    "answered_queue": "answered",
    "rang_out": "rang_out",
    "voicemail": "voicemail",
    "abandoned_queue": "abandoned",
    "short_abandon": "short_abandon",
    "overflowed": "overflowed",
    "failed": "failed",
    "after_hours_voicemail": "after_hours",
    "after_hours_hangup": "after_hours",
}


def run(slug: str, rate: int) -> str:
    out = io.StringIO()
    call_command(
        "simulate_traffic", "--org", slug, "--day", DAY.isoformat(), "--rate", str(rate),
        stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_a_simulated_day_lands_every_call_with_its_outcome_once(
    tel_a, prism, django_capture_on_commit_callbacks
):
    # Catches webhooks the simulator signs wrongly (403s), calls lost or misclassified under
    # realistic reordering and duplicates, and a second run of the same day adding anything.
    slug = tel_a.world.organization.slug
    org = simulator.load_organization(slug)
    requests, scenarios = simulator.generate_day(org, DAY, rate=30)
    unique = {(r.path, tuple(sorted(r.params.items()))) for r in requests}
    assert len(unique) < len(requests)  # some duplicates are sent
    with django_capture_on_commit_callbacks(execute=True):
        output = run(slug, 30)
    assert "403" not in output and "500" not in output

    with tenant_context(tel_a.organization_id):
        outcomes = Counter(Call.objects.values_list("outcome", flat=True))
        events = CallEvent.objects.count()
        texts = Message.objects.filter(direction="inbound").count()
        revocations = ConsentEvent.objects.filter(action="revoke").count()
    merged: Counter[str] = Counter()
    for name, outcome in SCENARIO_OUTCOME.items():
        merged[outcome] += scenarios.get(name, 0)
    assert outcomes == +merged
    assert texts == sum(n for name, n in scenarios.items() if name.startswith("text_"))
    assert revocations >= 1  # STOP and "stop texting me"
    # Every distinct webhook is stored once, duplicates never.
    assert events == len(unique)

    with django_capture_on_commit_callbacks(execute=True):
        run(slug, 30)
    with tenant_context(tel_a.organization_id):
        assert CallEvent.objects.count() == events


def test_the_same_day_and_seed_give_the_same_traffic(tel_a):
    # Catches non-determinism (random SIDs or times) that would make reruns add calls.
    org = simulator.load_organization(tel_a.world.organization.slug)
    first, _ = simulator.generate_day(org, DAY, rate=20)
    second, _ = simulator.generate_day(org, DAY, rate=20)
    assert first == second
    other_day, _ = simulator.generate_day(org, date(2026, 11, 26), rate=20)
    assert {r.params["CallSid"] for r in first if "CallSid" in r.params}.isdisjoint(
        r.params.get("CallSid") for r in other_day
    )


def test_the_hourly_profile_is_busy_at_lunch_and_quiet_at_night(tel_a):
    # Catches a flat profile, which would make staffing and heatmaps meaningless in demos.
    org = simulator.load_organization(tel_a.world.organization.slug)
    requests, _ = simulator.generate_day(org, DAY, rate=2000)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    hours = Counter(r.send_at.astimezone(zone).hour for r in requests if r.kind == "voice.incoming")
    assert hours[12] > 4 * hours[3]
    assert hours[12] > hours[16] > hours[21]
