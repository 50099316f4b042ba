"""Routed calls judged by the call's own moments: an agent who let a call ring out is not
rung again for it, and spike alerts are evaluated at the time the caller left the queue, so
a simulated past day opens its episodes. Through the signed webhooks."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from routing.models import SpikeEpisode
from telephony import simulator
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.telephony.conftest import PUBLIC_BASE_URL
from tests.telephony.test_routed_calls import (  # noqa: F401 (fixtures)
    ALWAYS_OPEN,
    NEW_YORK,
    TUESDAY,
    TUESDAY_10,
    available,
    post,
    publish,
    ring,
    routed,
    rules,
    voice_params,
)

pytestmark = pytest.mark.django_db


def test_the_queue_does_not_ring_again_the_agent_who_let_the_call_ring_out(
    routed,  # noqa: F811 (the fixture imported above)
    twilio,
    available,  # noqa: F811
):
    # Catches the webhook loop the engine fix is for: the agent's no-answer, then the queue's
    # first poll sees them "available" and takes the caller out of the queue to ring them
    # again (and again), because the callback URLs forgot who was tried.
    world = routed.world
    doc = rules(world, periods=ALWAYS_OPEN)
    doc["tiers"] = world.tiers()[:1]  # Frontline only
    publish(world, doc)
    available(world, Role.AGENT)
    call_sid = "CA" + "21" * 16
    [dial] = list(ring(twilio, routed, call_sid, TUESDAY_10))
    assert dial.tag == "Dial" and [n.text for n in dial] == ["+12125550111"]

    no_answer = voice_params(routed, call_sid, DialCallStatus="no-answer")
    queued = ElementTree.fromstring(post(twilio, routed, dial.get("action", ""), no_answer).content)
    enqueue = queued.find("Enqueue")
    assert enqueue is not None, ElementTree.tostring(queued)

    first_in_line = voice_params(routed, call_sid, QueuePosition="1", QueueTime="5")
    poll = ElementTree.fromstring(
        post(twilio, routed, enqueue.get("waitUrl", ""), first_in_line).content
    )
    assert poll.find("Leave") is None, ElementTree.tostring(poll)
    assert poll.find("Play") is not None or poll.find("Gather") is not None


def test_a_simulated_past_day_opens_spike_episodes_at_its_own_times(
    routed,  # noqa: F811 (the fixture imported above)
    prism,
    django_capture_on_commit_callbacks,
):
    # Catches spike evaluation on the wall clock: the queue exits of a simulated (or
    # replayed) past day are never in "the last 15 minutes" of today, so no episode opened.
    world = routed.world
    doc = rules(
        world,
        periods=ALWAYS_OPEN,
        alerts={"max_wait_seconds": 10, "abandonment_percent": None},
    )
    publish(world, doc)  # nobody available: callers queue, and some wait long
    with django_capture_on_commit_callbacks(execute=True):
        report = simulator.simulate_day(
            world.organization.slug,
            TUESDAY,
            rate=40,
            public_url=PUBLIC_BASE_URL,
            transport=simulator.InProcessTransport(PUBLIC_BASE_URL),
        )
    assert report.errors == 0
    with tenant_context(routed.organization_id):
        episodes = list(SpikeEpisode.objects.order_by("opened_at"))
    assert episodes, report.scenarios
    assert {episode.opened_at.astimezone(NEW_YORK).date() for episode in episodes} == {TUESDAY}
    assert all(episode.opened_at.tzinfo is not None for episode in episodes)
