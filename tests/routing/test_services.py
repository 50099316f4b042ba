"""Drafts, publishing, versions, the cache, presence, the call path and the preview,
against the real database (under row-level security) and Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from routing import loading, services
from routing.document import default_document
from routing.engine import Call, CallProgress, Outcome, QueueState, Reason, Stage
from routing.models import AgentPresence, CallbackRequest, LocationRouting, RoutingVersion
from routing.twiml import render_decision
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.routing.builders import first_dial

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY_10 = datetime(2026, 6, 2, 10, 0, tzinfo=NEW_YORK)
TUESDAY_LUNCH = datetime(2026, 6, 2, 12, 30, tzinfo=NEW_YORK)


def rules(world, **changes):
    doc = default_document(time_zone="America/New_York", country="US")
    doc["periods"] = [
        {"day": day, "start": start, "end": end}
        for day in range(5)
        for start, end in (("09:00", "12:00"), ("13:00", "17:00"))
    ]
    doc["tiers"] = world.tiers()
    doc["overflow"]["max_wait_seconds"] = 90
    doc["overflow"]["target"] = {
        "kind": "number",
        "name": "Backup Answering",
        "number": "+13125550199",
        "location_id": None,
    }
    doc.update(changes)
    return doc


def publish(world, doc=None, role=Role.SUPERVISOR, note=""):
    actor = world.tenant(role)
    services.draft_save(actor=actor, location=world.location, document=doc or rules(world))
    return services.routing_publish(actor=actor, location=world.location, note=note)


@pytest.fixture
def set_presence(django_capture_on_commit_callbacks):
    """Set presence and run the after-commit mirror to Redis, as a real commit would."""

    def run(world, role, status):
        with (
            django_capture_on_commit_callbacks(execute=True),
            tenant_context(world.organization),
        ):
            services.presence_set(membership=world.member(role), status=status)

    return run


IDLE = QueueState()


def decide(world, when=TUESDAY_10, queue=IDLE, **kwargs):
    return services.decide_incoming_call(
        location=world.location,
        call=Call(call_sid="CA1", from_number="+12025550123"),
        queue_state=queue,
        now=when,
        **kwargs,
    )


def test_publish_creates_numbered_versions_and_records_it_in_the_audit_trail(routing_a):
    # Catches a publish that is not audited, or versions that are not numbered per location.
    with tenant_context(routing_a.organization):
        first = publish(routing_a, note="Initial hours")
        second = publish(routing_a)
        assert (first.number, second.number) == (1, 2)
        routing = LocationRouting.objects.get(location=routing_a.location)
        assert routing.published_version == second
        event_model = apps.get_model("routing", "RoutingVersionEvent")
        (event,) = event_model.objects.filter(pgh_obj_id=first.pk)
        assert event.pgh_label == "insert"
        assert event.pgh_context["actor"] == "supervisor@acme.test"


def test_audit_trail_has_publishes_and_emergencies_not_every_draft_edit(routing_a):
    # Catches the audit trail filling with draft keystrokes (or copying whole rule
    # documents into every event) while publishes go unrecorded.
    event_model = apps.get_model("routing", "LocationRoutingEvent")
    with tenant_context(routing_a.organization):
        routing = services.routing_for(routing_a.location)
        services.draft_save(
            actor=routing_a.tenant(), location=routing_a.location, document=rules(routing_a)
        )
        assert not event_model.objects.filter(pgh_obj_id=routing.pk, pgh_label="update")
        version = services.routing_publish(actor=routing_a.tenant(), location=routing_a.location)
        (update,) = event_model.objects.filter(pgh_obj_id=routing.pk, pgh_label="update")
        assert update.published_version_id == version.pk
        assert not hasattr(update, "draft")


def test_published_version_is_immutable_in_the_database(routing_a):
    # Catches a version row that can be edited after publish (by the ORM or raw SQL).
    with tenant_context(routing_a.organization):
        version = publish(routing_a)
        with pytest.raises(ValueError):
            version.save()
        with pytest.raises(DatabaseError), transaction.atomic():
            RoutingVersion.objects.filter(pk=version.pk).update(note="edited")
        version.refresh_from_db()
        assert version.note == ""


def test_invalid_draft_is_refused_with_field_errors_and_nothing_changes(routing_a):
    # Catches an invalid draft partly saved.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        doc = rules(routing_a, time_zone="Nowhere/Else")
        with pytest.raises(ValidationError) as caught:
            services.draft_save(actor=routing_a.tenant(), location=routing_a.location, document=doc)
        assert "time_zone" in caught.value.message_dict
        routing = LocationRouting.objects.get(location=routing_a.location)
        assert routing.draft["time_zone"] == "America/New_York"


def test_publish_refuses_a_tier_whose_team_lost_its_members(routing_a):
    # Catches publishing with the team check done only when the draft was saved.
    with tenant_context(routing_a.organization):
        doc = rules(routing_a)
        doc["tiers"] = [{**doc["tiers"][0], "team_id": routing_a.specialists.pk}]
        services.draft_save(actor=routing_a.tenant(), location=routing_a.location, document=doc)
        routing_a.specialists.members.clear()
        with pytest.raises(ValidationError) as caught:
            services.routing_publish(actor=routing_a.tenant(), location=routing_a.location)
        assert "tiers.0.team_id" in caught.value.message_dict
        assert not RoutingVersion.objects.exists()


def test_restore_publishes_the_old_rules_as_a_new_version(routing_a):
    # Catches a restore that edits an old version or leaves the draft out of step.
    with tenant_context(routing_a.organization):
        first = publish(routing_a)
        publish(routing_a, rules(routing_a, periods=[]))
        restored = services.version_restore(actor=routing_a.tenant(), version=first)
        assert restored.number == 3
        assert restored.restored_from_number == 1
        assert restored.rules == first.rules
        assert decide(routing_a).is_open
        assert LocationRouting.objects.get(location=routing_a.location).draft == first.rules


def test_publish_replaces_the_cached_rules_in_the_publishing_process_at_once(routing_a):
    # Catches a publish that leaves its own process on the old rules until the shared
    # counter is next read. (Other processes: tests/telephony/test_routed_calls.py runs one.)
    with tenant_context(routing_a.organization):
        publish(routing_a)
        assert decide(routing_a).version_number == 1
        publish(routing_a, rules(routing_a, periods=[]))
        decision = decide(routing_a)
        assert decision.version_number == 2
        assert not decision.is_open


def test_unchanged_rules_are_not_recompiled_per_call(routing_a):
    # Catches a cache that never hits (a compile per call would miss the latency budget).
    with tenant_context(routing_a.organization):
        publish(routing_a)
        decide(routing_a)
        before = loading.compiled_count
        for _ in range(5):
            decide(routing_a)
        assert loading.compiled_count == before


def test_emergency_closure_takes_effect_without_publish_and_ends(routing_a):
    # Catches an emergency closure that needs a publish, or outlives its end.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        assert decide(routing_a).is_open
        services.emergency_start(
            actor=routing_a.tenant(),
            location=routing_a.location,
            message="Closed for a power cut.",
            until=TUESDAY_10 + timedelta(hours=2),
            now=TUESDAY_10 - timedelta(minutes=5),
        )
        assert decide(routing_a).reason == Reason.EMERGENCY
        services.emergency_end(actor=routing_a.tenant(), location=routing_a.location)
        assert decide(routing_a).is_open


def test_emergency_closure_refuses_a_past_or_absurd_end(routing_a):
    # Catches an emergency closure ending in the past or in a year.
    with tenant_context(routing_a.organization):
        for until in (TUESDAY_10 - timedelta(hours=1), TUESDAY_10 + timedelta(days=400)):
            with pytest.raises(ValidationError) as caught:
                services.emergency_start(
                    actor=routing_a.tenant(),
                    location=routing_a.location,
                    message="x",
                    until=until,
                    now=TUESDAY_10,
                )
            assert "until" in caught.value.message_dict


def test_presence_is_stored_mirrored_to_redis_and_used_by_the_engine(
    routing_a, routing_redis, set_presence
):
    # Catches presence that the call path does not see, or a mirror written before commit.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        assert decide(routing_a).reason == Reason.QUEUE_NO_AGENT  # nobody available yet
    agent = routing_a.member(Role.AGENT)
    set_presence(routing_a, Role.AGENT, "available")
    with tenant_context(routing_a.organization):
        assert AgentPresence.objects.get(membership=agent).status == "available"
        assert services.presence_map() == {agent.pk: "available"}
        decision = decide(routing_a)
        assert decision.outcome == Outcome.DIAL
        assert first_dial(decision).targets[0].number == "+12125550111"
    set_presence(routing_a, Role.AGENT, "on_break")
    with tenant_context(routing_a.organization):
        assert decide(routing_a).outcome == Outcome.QUEUE


def test_presence_mirror_is_rebuilt_from_the_database_when_redis_lost_it(
    routing_a, routing_redis, set_presence
):
    # Catches every agent looking unavailable after Redis restarts.
    agent = routing_a.member(Role.AGENT)
    set_presence(routing_a, Role.AGENT, "available")
    with tenant_context(routing_a.organization):
        assert services.presence_map() == {agent.pk: "available"}
    routing_redis.flushdb()
    with tenant_context(routing_a.organization):
        assert services.presence_map() == {agent.pk: "available"}


def test_presence_rejects_an_unknown_status(routing_a):
    # Catches a status the engine does not know being stored.
    with tenant_context(routing_a.organization), pytest.raises(ValidationError):
        services.presence_set(membership=routing_a.member(Role.AGENT), status="asleep")


def test_presence_of_one_organisation_never_reaches_another(routing_a, routing_b, set_presence):
    # Catches a Redis key that is not per organisation.
    set_presence(routing_a, Role.AGENT, "available")
    with tenant_context(routing_b.organization):
        assert services.presence_map() == {}


def test_nothing_published_goes_to_voicemail(routing_a):
    # Catches silence (or a 500) for calls to a location without rules.
    with tenant_context(routing_a.organization):
        decision = decide(routing_a)
        assert decision.reason == Reason.UNCONFIGURED
        assert decision.version_id is None


def test_callbacks_keep_the_version_the_call_started_with(routing_a, set_presence):
    # Catches a publish mid-call changing the rest of that call's route.
    with tenant_context(routing_a.organization):
        first = publish(routing_a)
        publish(routing_a, rules(routing_a, periods=[]))
        set_presence(routing_a, Role.SUPERVISOR, "available")
    with tenant_context(routing_a.organization):
        progress = CallProgress(stage=Stage.DIAL_ENDED, step="tier:0:0", dial_status="no-answer")
        call = Call(call_sid="CA1", progress=progress)
        decision = services.decide_incoming_call(
            location=routing_a.location,
            call=call,
            queue_state=QueueState(),
            version_id=first.pk,
            now=TUESDAY_10,
        )
        assert decision.version_number == 1
        assert first_dial(decision).targets[0].number == "+12125550112"


def test_a_version_of_another_location_is_never_used(routing_a):
    # Catches trusting the version id of a callback URL without checking its location.
    with tenant_context(routing_a.organization):
        version = publish(routing_a)
        decision = services.decide_incoming_call(
            location=routing_a.other_location,
            call=Call(),
            queue_state=QueueState(),
            version_id=version.pk,
            now=TUESDAY_10,
        )
        assert decision.reason == Reason.UNCONFIGURED


def test_callback_keypress_creates_one_callback_request(routing_a):
    # Catches a callback request lost, or created twice when Twilio retries.
    with tenant_context(routing_a.organization):
        doc = rules(routing_a)
        doc["overflow"]["callback_offer"] = True
        publish(routing_a, doc)
        pressed = services.call_progress_from_twilio(
            stage=Stage.CALLBACK_KEYPRESS, params={"Digits": "1", "QueueTime": "42"}
        )
        call = Call(call_sid="CA9", from_number="+12025550123", progress=pressed)
        for _ in range(2):
            services.decide_incoming_call(
                location=routing_a.location,
                call=call,
                queue_state=QueueState(),
                now=TUESDAY_10,
            )
        request = CallbackRequest.objects.get()
        assert (request.call_sid, request.wait_seconds) == ("CA9", 42)
        left = services.call_progress_from_twilio(
            stage=Stage.QUEUE_LEFT, params={"QueueResult": "leave", "QueueTime": "43"}
        )
        decision = services.decide_incoming_call(
            location=routing_a.location,
            call=Call(call_sid="CA9", progress=left),
            queue_state=QueueState(),
            now=TUESDAY_10,
        )
        assert decision.outcome == Outcome.CALLBACK


def test_preview_of_the_published_rules_equals_what_a_call_gets(routing_a, set_presence):
    # Catches a preview that runs different code (or different presence) from the calls.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        set_presence(routing_a, Role.AGENT, "available")
    with tenant_context(routing_a.organization):
        for when, queue in (
            (TUESDAY_10, QueueState()),
            (TUESDAY_10, QueueState(3, 120)),
            (TUESDAY_LUNCH, QueueState()),
        ):
            preview = services.preview_call(
                location=routing_a.location, at=when, queue_state=queue, source="published"
            )
            actual = services.decide_incoming_call(
                location=routing_a.location, call=Call(), queue_state=queue, now=when
            )
            assert preview.decision == actual
            urls = services.preview_action_urls()
            assert preview.twiml == render_decision(actual, action_urls=urls)


def test_preview_of_the_draft_shows_unpublished_changes(routing_a):
    # Catches the preview showing the live rules when asked for the draft.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        services.draft_save(
            actor=routing_a.tenant(),
            location=routing_a.location,
            document=rules(routing_a, periods=[]),
        )
        draft = services.preview_call(
            location=routing_a.location, at=TUESDAY_10, queue_state=QueueState()
        )
        published = services.preview_call(
            location=routing_a.location,
            at=TUESDAY_10,
            queue_state=QueueState(),
            source="published",
            presence_mode=services.PresenceMode.ALL_AVAILABLE,
        )
        assert draft.decision is not None and published.decision is not None
        assert not draft.decision.is_open
        assert draft.decision.version_id is None
        assert published.decision.outcome == Outcome.DIAL


def test_version_history_of_one_organisation_is_invisible_to_another(routing_a, routing_b):
    # Catches versions readable across organisations (ORM scope or row-level security).
    with tenant_context(routing_a.organization):
        publish(routing_a)
    with tenant_context(routing_b.organization):
        assert not RoutingVersion.objects.exists()
        assert not RoutingVersion.objects.unscoped().exists()  # row-level security


def test_dial_targets_are_snapshotted_at_publish(routing_a, set_presence):
    # Catches a version that changes behaviour when an agent's phone changes later.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        services.agent_profile_set(
            actor=routing_a.tenant(),
            membership=routing_a.member(Role.AGENT),
            phone="+12125550999",
        )
        set_presence(routing_a, Role.AGENT, "available")
    with tenant_context(routing_a.organization):
        assert first_dial(decide(routing_a)).targets[0].number == "+12125550111"
        publish(routing_a)
        assert first_dial(decide(routing_a)).targets[0].number == "+12125550999"


def test_now_defaults_to_the_current_time(routing_a):
    # Catches decide_incoming_call failing when the webhook passes no clock.
    with tenant_context(routing_a.organization):
        publish(routing_a)
        decision = services.decide_incoming_call(
            location=routing_a.location, call=Call(), queue_state=QueueState()
        )
        assert decision.version_number == 1
        assert datetime.now(UTC)  # the call above used the real clock without error


def test_demo_routing_publishes_once_and_routes_calls(
    routing_a, django_capture_on_commit_callbacks
):
    # Catches seed_demo data that cannot be published (or publishes again on every run).
    from routing import demo

    with django_capture_on_commit_callbacks(execute=True), tenant_context(routing_a.organization):
        versions = demo.seed_routing(actor=routing_a.tenant(Role.OWNER))
        assert {v.location_id for v in versions} == {
            routing_a.location.pk,
            routing_a.other_location.pk,
        }
        assert demo.seed_routing(actor=routing_a.tenant(Role.OWNER)) == []
    with tenant_context(routing_a.organization):
        decision = decide(routing_a)
        assert decision.outcome == Outcome.DIAL
